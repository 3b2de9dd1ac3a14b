"""Two ``scrum-bot serve`` processes on one PostgreSQL, one LINE event stream spread across both.

Residents talk at the same time; each of their events goes to instance A or B at random, and:

- ``--redeliver`` of the events are delivered again by "LINE" to the *other* instance, at the same
  moment (the hard case for dedupe) or a little later;
- ``--double-tap`` of the intake residents tap 送信 twice, the two taps landing on different instances
  (two distinct events: only one ticket may come of it).

Checks: every event answered exactly once (one reply per reply token, no push), one ticket per
intake, no ticket for anyone else. Loopback only; bounded by ``--deadline`` seconds.

    .venv/bin/python bench/two_instances.py --out docs/bench/two-instances.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from harness import (LOOPBACK, CountingLineApi, Proc, free_port, machine_conditions, postback_event, serve_env,
                     sign, start_serve, text_event, ulid_like, user_id, webhook_body)
from load_line import fresh_pg

SUMMARY = "父の物忘れが増えて一人暮らしが心配です"
ANSWER_WAIT = 30.0


class Stream:
    def __init__(self, api: CountingLineApi, urls: list[str], rng: random.Random, redeliver: float) -> None:
        self.api, self.urls, self.rng, self.redeliver = api, urls, rng, redeliver
        self.http: aiohttp.ClientSession | None = None
        self.statuses: Counter[int] = Counter()
        self.events: dict[str, str] = {}          # event id -> reply token
        self.user_events: Counter[str] = Counter()
        self.redelivered = 0
        self.latencies: list[float] = []

    async def _post(self, url: str, body: bytes) -> int:
        assert self.http is not None
        t0 = time.perf_counter()
        try:
            async with self.http.post(url + "/webhooks/line", data=body, timeout=aiohttp.ClientTimeout(total=10),
                                      headers={"Content-Type": "application/json", "X-Line-Signature": sign(body)}) as r:
                await r.read()
                status = r.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            status = 0
        self.latencies.append(time.perf_counter() - t0)
        self.statuses[status] += 1
        return status

    async def send(self, uid: str, *, text: str | None = None, payload: str | None = None,
                   target: int | None = None) -> None:
        """One event to one instance (maybe also redelivered to the other); waits for its 200."""
        tok = self.api.new_reply_token(uid)
        eid = ulid_like(self.rng)
        ev = postback_event(uid, payload, tok, eid) if payload else text_event(uid, text or "", tok, eid)
        self.events[eid] = tok
        self.user_events[uid] += 1
        i = self.rng.randrange(2) if target is None else target
        first = self._post(self.urls[i], webhook_body(ev))
        if self.rng.random() < self.redeliver:
            self.redelivered += 1
            again = webhook_body({**ev, "deliveryContext": {"isRedelivery": True}})
            if self.rng.random() < 0.5:       # at the same moment, on the other instance
                await asyncio.gather(first, self._post(self.urls[1 - i], again))
            else:
                await first
                await asyncio.sleep(self.rng.random() * 0.2)
                await self._post(self.urls[1 - i], again)
        else:
            await first

    async def answered(self, uid: str, before: int) -> list[dict[str, Any]]:
        for _ in range(int(ANSWER_WAIT / 0.05)):
            msgs = self.api.messages_to(uid)
            if len(msgs) > before:
                await asyncio.sleep(0.05)
                return self.api.messages_to(uid)[before:]
            await asyncio.sleep(0.05)
        return []


async def plain_resident(stream: Stream, n: int, texts: list[str]) -> None:
    uid = user_id(n)
    for t in texts:
        before = len(stream.api.messages_to(uid))
        await stream.send(uid, text=t)
        await stream.answered(uid, before)


async def intake_resident(stream: Stream, n: int, double_tap: bool) -> dict[str, Any]:
    uid = user_id(n)

    async def step(text: str | None = None, payload: str | None = None) -> list[dict[str, Any]]:
        before = len(stream.api.messages_to(uid))
        await stream.send(uid, text=text, payload=payload)
        return await stream.answered(uid, before)

    card = await step("父の認知症のことで相談したい")
    items = [i["action"].get("data", "") for m in card for i in (m.get("quickReply") or {}).get("items", [])]
    start = next((p for p in items if p.startswith("intake:start")), None)
    if start is None:
        return {"uid": uid, "filed": False, "why": "no intake offered"}
    for text, payload in [(None, start), ("同意する", None), (None, "about:family"), (SUMMARY, None),
                          (None, "contact:phone"), ("090-2718-2818", None), ("平日の午後", None), ("ふじ", None),
                          (None, "meeting:no")]:
        if not await step(text, payload):
            return {"uid": uid, "filed": False, "why": f"no answer at {text or payload}"}
    before = len(stream.api.messages_to(uid))
    if double_tap:   # 送信 twice, quickly, the taps landing on different instances
        await asyncio.gather(stream.send(uid, payload="preview:send", target=0),
                             stream.send(uid, payload="preview:send", target=1))
    else:
        await stream.send(uid, payload="preview:send")
    await stream.answered(uid, before)
    return {"uid": uid, "filed": True, "double_tap": double_tap}


async def main(a: argparse.Namespace) -> int:
    rng = random.Random(a.seed)
    work = Path(tempfile.mkdtemp(prefix="scrum-two-"))
    report: dict[str, Any] = {"conditions": machine_conditions(), "args": vars(a)}
    api = await CountingLineApi().start()
    procs: list[Proc] = []
    deadline = time.monotonic() + a.deadline
    try:
        db_url = await fresh_pg(a.database_url)
        from cryptography.fernet import Fernet
        key = Fernet.generate_key().decode()
        for name in ("A", "B"):
            env = serve_env(db_url, api.url, free_port(), key, SCRUM_RATE_LIMIT_MESSAGES="0")
            procs.append(await start_serve(name, work, env))
        report["startup_s"] = {p.name: round(p.started_in, 2) for p in procs}
        stream = Stream(api, [p.url for p in procs], rng, a.redeliver)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
            stream.http = http
            sem = asyncio.Semaphore(a.concurrency)

            async def bounded(coro):  # type: ignore[no-untyped-def]
                async with sem:
                    return await asyncio.wait_for(coro, timeout=max(1.0, deadline - time.monotonic()))

            from harness import inquiry
            jobs = [bounded(intake_resident(stream, 50_000 + i, rng.random() < a.double_tap)) for i in range(a.intakes)]
            jobs += [bounded(plain_resident(stream, 60_000 + i, [inquiry(rng) for _ in range(a.messages)]))
                     for i in range(a.residents)]
            rng.shuffle(jobs)
            t0 = time.monotonic()
            results = await asyncio.gather(*jobs, return_exceptions=True)
            report["wall_s"] = round(time.monotonic() - t0, 1)
        await asyncio.sleep(2)
        intakes = [r for r in results if isinstance(r, dict)]
        errors = [type(r).__name__ for r in results if isinstance(r, BaseException)]
        per_token = api.replies_per_token()
        tokens = list(stream.events.values())
        deliveries = Counter(d["to"] for d in api.delivered)
        over = {u: (deliveries[u], n) for u, n in stream.user_events.items() if deliveries[u] > n}
        under = {u: (deliveries[u], n) for u, n in stream.user_events.items() if deliveries[u] < n}
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine
        engine = create_async_engine(db_url)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT user_key, count(*) FROM ticket GROUP BY user_key"))).all()
        await engine.dispose()
        tickets = {k.split(":", 1)[1]: n for k, n in rows}
        filed = [r for r in intakes if r.get("filed")]
        report["events"] = {"unique": len(tokens), "redelivered": stream.redelivered,
                            "http": {str(k): v for k, v in stream.statuses.items()},
                            "webhook_p99_ms": round(sorted(stream.latencies)[int(0.99 * len(stream.latencies))] * 1000, 1),
                            "answered_exactly_once": sum(1 for t in tokens if per_token.get(t, 0) == 1),
                            "reply_tokens_answered_twice": sum(1 for t in tokens if per_token.get(t, 0) > 1),
                            "pushes": api.pushes(), "users_with_more_deliveries_than_events": len(over),
                            "users_with_fewer_deliveries_than_events": len(under)}
        report["intakes"] = {"residents": a.intakes, "completed": len(filed),
                             "double_taps": sum(1 for r in filed if r.get("double_tap")),
                             "not_completed": [r.get("why") for r in intakes if not r.get("filed")][:5],
                             "tickets": sum(tickets.values()),
                             "residents_with_0_tickets": sum(1 for r in filed if tickets.get(r["uid"], 0) == 0),
                             "residents_with_2plus_tickets": sum(1 for r in filed if tickets.get(r["uid"], 0) > 1),
                             "double_tap_duplicates": sum(1 for r in filed if r.get("double_tap") and tickets.get(r["uid"], 0) > 1),
                             "tickets_for_non_intake_residents": sum(n for u, n in tickets.items()
                                                                     if u not in {r["uid"] for r in filed})}
        report["errors"] = dict(Counter(errors))
        report["logs"] = {p.name: str(p.log) for p in procs}
    finally:
        for p in procs:
            p.stop()
        await api.close()
    e, i = report["events"], report["intakes"]
    report["targets"] = {
        "every event answered exactly once": e["answered_exactly_once"] == e["unique"] and e["pushes"] == 0
        and not e["users_with_more_deliveries_than_events"],
        "one ticket per intake": i["residents_with_0_tickets"] == 0 and i["residents_with_2plus_tickets"] == 0,
        "no other tickets": i["tickets_for_non_intake_residents"] == 0,
        "no 5xx": not any(k.startswith("5") or k == "0" for k in e["http"]),
    }
    text_out = json.dumps(report, ensure_ascii=False, indent=2)
    print(text_out)
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(text_out + "\n")
    return 0 if all(report["targets"].values()) else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="two serve instances on one PostgreSQL (bounded, loopback)")
    p.add_argument("--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    p.add_argument("--intakes", type=int, default=40, help="residents who file an intake")
    p.add_argument("--residents", type=int, default=120, help="residents who only ask")
    p.add_argument("--messages", type=int, default=3, help="inquiries per asking resident")
    p.add_argument("--redeliver", type=float, default=0.3, help="share of events LINE delivers twice")
    p.add_argument("--double-tap", type=float, default=0.5, help="share of intakes that tap 送信 twice")
    p.add_argument("--concurrency", type=int, default=40, help="residents talking at the same time")
    p.add_argument("--deadline", type=float, default=240.0, help="seconds before everything stops")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--out", default="")
    return p.parse_args(argv)


if __name__ == "__main__":
    assert LOOPBACK.startswith("127.")
    sys.exit(asyncio.run(main(parse())))
