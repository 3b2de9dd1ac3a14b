// The /try page: sends text or a tapped choice to /try/api/message and draws the replies.
// Everything from the server is inserted with textContent (never innerHTML).
(function () {
  "use strict";
  const log = document.getElementById("log");
  const choicesBox = document.getElementById("choices");
  const form = document.getElementById("form");
  const input = document.getElementById("text");

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function mine(text) {
    const li = el("li", "me");
    li.appendChild(el("div", "bubble", text));
    log.appendChild(li);
  }

  function card(c) {
    const box = el("section", "card");
    box.setAttribute("data-testid", "card");
    box.appendChild(el("h2", null, c.title));
    if (c.body) box.appendChild(el("p", null, c.body));
    const dl = el("dl");
    for (const f of c.fields || []) {
      dl.appendChild(el("dt", null, f.label));
      dl.appendChild(el("dd", null, f.value));
    }
    box.appendChild(dl);
    if (c.url) {
      const a = el("a", null, "地図を開く");
      a.href = c.url; a.target = "_blank"; a.rel = "noopener noreferrer";
      box.appendChild(a);
    }
    return box;
  }

  function show(replies) {
    choicesBox.textContent = "";
    let last = [];
    for (const r of replies) {
      const li = el("li", "bot");
      if (r.text) li.appendChild(el("div", "bubble", r.text));
      if (r.card) li.appendChild(card(r.card));
      log.appendChild(li);
      if (r.choices && r.choices.length) last = r.choices;
    }
    for (const c of last) {
      const b = el("button", null, c.label);
      b.type = "button";
      b.addEventListener("click", function () { mine(c.label); send({ payload: c.payload }); });
      choicesBox.appendChild(b);
    }
    window.scrollTo(0, document.body.scrollHeight);
  }

  async function send(body) {
    choicesBox.textContent = "";
    try {
      const resp = await fetch("/try/api/message", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Scrum-Try": "1" },
        body: JSON.stringify(body),
      });
      if (!resp.ok) throw new Error(String(resp.status));
      show((await resp.json()).replies);
    } catch (e) {
      show([{ text: document.body.dataset.error, choices: [] }]);
    }
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    mine(text);
    send({ text: text });
  });

  // Pushes (a staff message waiting, a status change) arrive through the outbox: collect them.
  async function poll() {
    try {
      const resp = await fetch("/try/api/inbox", { credentials: "same-origin", headers: { "X-Scrum-Try": "1" } });
      if (resp.ok) {
        const replies = (await resp.json()).replies;
        if (replies.length) show(replies);
      }
    } catch (e) { /* offline for a moment: try again later */ }
  }
  setInterval(poll, 5000);

  send({ payload: "cmd:start" });
})();
