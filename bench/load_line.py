"""Load: signed LINE webhook events into ``scrum-bot serve``, which replies through the fake LINE API.

One run measures, on loopback and bounded in count and time:

1. a bare aiohttp handler (bench/bare_aiohttp.py: signature check + JSON parse), saturated by
   ``--concurrency`` back-to-back senders: the baseline throughput;
2. ``scrum-bot serve`` at a fixed open-loop rate (``--rate`` events/s for ``--duration`` s, each
   event a text inquiry from one of ``--users`` residents, ``--redeliver`` of them sent a second
   time as LINE redeliveries): throughput, webhook response p50/p99, and then whether every event
   was answered exactly once (one reply per reply token, no push) and no ticket was duplicated;
3. ``scrum-bot serve`` saturated like the bare handler: the ratio bot / bare.

    .venv/bin/python bench/load_line.py                      # the 60 s, 500 events/s run
    .venv/bin/python bench/load_line.py --rate 200 --duration 10 --out /tmp/smoke.json   # a smoke run
    .venv/bin/python bench/load_line.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

It writes a JSON report (``--out``) that docs/performance.md quotes, and exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from harness import (LOOPBACK, CountingLineApi, Proc, closed_loop, drain, free_port, inquiry, machine_conditions,
                     open_loop, serve_env, start_bare, start_serve, text_event, ulid_like, user_id, webhook_body,
                     write_report)

MAX_EVENTS = 200_000          # hard bounds, whatever the arguments say
MAX_DURATION = 180.0


def make_events(api: CountingLineApi, rng: random.Random, n: int, users: range, redeliver: float,
                ) -> tuple[list[tuple[str, bytes]], list[str]]:
    """n first deliveries (+ redeliveries of some, a few events later); returns bodies and, per body,
    its reply token for a first delivery or "" for a redelivery."""
    bodies: list[tuple[str, bytes]] = []
    tokens: list[str] = []
    pending: list[tuple[int, dict[str, Any]]] = []
    for i in range(n):
        uid = user_id(rng.choice(users))
        tok = api.new_reply_token(uid)
        ev = text_event(uid, inquiry(rng), tok, ulid_like(rng))
        bodies.append(("", webhook_body(ev)))
        tokens.append(tok)
        if rng.random() < redeliver:
            pending.append((i + rng.randint(1, 50), {**ev, "deliveryContext": {"isRedelivery": True}}))
        while pending and pending[0][0] <= i:
            bodies.append(("", webhook_body(pending.pop(0)[1])))
            tokens.append("")
    bodies += [("", webhook_body(ev)) for _, ev in pending]
    tokens += [""] * len(pending)
    return bodies, tokens


def first_tokens(tokens: list[str], sent: int) -> list[str]:
    """The reply tokens of the first deliveries among the ``sent`` first bodies."""
    return [t for t in tokens[:sent] if t]


async def count_tickets(db_url: str) -> dict[str, Any]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            total = (await conn.execute(text("SELECT count(*) FROM ticket"))).scalar_one()
            dup = (await conn.execute(text(
                "SELECT count(*) FROM (SELECT user_key FROM ticket GROUP BY user_key HAVING count(*) > 1) d"))).scalar_one()
            processed = (await conn.execute(text("SELECT count(*) FROM processed_event"))).scalar_one()
    finally:
        await engine.dispose()
    return {"tickets": int(total), "users_with_duplicate_tickets": int(dup), "processed_events": int(processed)}


async def fresh_pg(base_url: str) -> str:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def answer_times(api: CountingLineApi, run: Any, all_tokens: list[str]) -> dict[str, float]:
    """Seconds from sending an event (its scheduled time) to its answer: on its reply token, or
    (late answers) the resident's next push after it was sent. p50 / p90 / p99 / max."""
    pushes = {u: sorted(ts) for u, ts in api.push_at.items()}
    used: dict[str, int] = {}
    out = []
    for shot, tok in zip(run.shots, all_tokens):
        if not tok:
            continue
        if tok in api.reply_at:
            out.append(api.reply_at[tok] - shot.scheduled)
            continue
        uid = api._token_user.get(tok, "")
        ts, k = pushes.get(uid, []), used.get(uid, 0)
        while k < len(ts) and ts[k] < shot.scheduled:
            k += 1
        if k < len(ts):
            out.append(ts[k] - shot.scheduled)
            used[uid] = k + 1
    if not out:
        return {}
    out.sort()
    pick = lambda q: round(out[min(len(out) - 1, int(q * len(out)))], 2)  # noqa: E731
    return {"answered": len(out), "p50_s": pick(0.5), "p90_s": pick(0.9), "p99_s": pick(0.99),
            "max_s": round(out[-1], 2)}


def verify(api: CountingLineApi, tokens: list[str]) -> dict[str, Any]:
    """Per reply token: answered once, never, or twice. Pushes (late answers, after the reply-token
    budget) cannot be tied to an event, so they are checked per resident: a resident must never get
    more deliveries (replies + pushes) than the events they sent."""
    per_token = api.replies_per_token()
    token_user = {t: api._token_user.get(t, "") for t in tokens}
    sent_per_user: dict[str, int] = {}
    for t in tokens:
        sent_per_user[token_user[t]] = sent_per_user.get(token_user[t], 0) + 1
    delivered_per_user: dict[str, int] = {}
    for d in api.delivered:
        if d["to"] in sent_per_user:
            delivered_per_user[d["to"]] = delivered_per_user.get(d["to"], 0) + 1
    over = sum(1 for u, n_ in sent_per_user.items() if delivered_per_user.get(u, 0) > n_)
    short = sum(max(0, n_ - delivered_per_user.get(u, 0)) for u, n_ in sent_per_user.items())
    answered_once = sum(1 for t in tokens if per_token.get(t, 0) == 1)
    lost = sum(1 for t in tokens if per_token.get(t, 0) == 0)
    twice = sum(1 for t in tokens if per_token.get(t, 0) > 1)
    rejected = {f"{p} {s}": n for (p, s), n in api.status_counts().items() if s != 200 and s != 202}
    return {"events": len(tokens), "answered_exactly_once": answered_once, "lost": lost,
            "answered_more_than_once": twice, "pushes": api.pushes(), "residents_answered_more_than_asked": over,
            "unanswered_after_drain": short,
            "api_errors": rejected,
            "unexpected_api_calls": list(api.unexpected)[:10]}


async def main(a: argparse.Namespace) -> int:
    rate, duration = a.rate, min(a.duration, MAX_DURATION)
    n_events = min(int(rate * duration), MAX_EVENTS)
    rng = random.Random(a.seed)
    work = Path(tempfile.mkdtemp(prefix="scrum-load-"))
    report: dict[str, Any] = {"conditions": machine_conditions(), "args": vars(a), "workdir": str(work)}
    api = await CountingLineApi().start()
    procs: list[Proc] = []
    try:
        # 1. the bare handler, saturated (and, for latency, at the same open-loop rate, shorter)
        bare = await start_bare(work)
        procs.append(bare)
        sat_bodies = [b for _, b in make_events(api, rng, a.saturate_events, range(10**6, 10**6 + 5000), 0)[0]]
        bare_sat = await closed_loop("bare saturated", bare.url + "/webhooks/line", sat_bodies,
                                     concurrency=a.concurrency, max_seconds=a.saturate_seconds)
        report["bare_saturated"] = bare_sat.summary()
        print(json.dumps(report["bare_saturated"]), flush=True)
        if a.bare_only:
            bare_rate = await open_loop("bare at rate", bare.url + "/webhooks/line",
                                        make_events(api, rng, n_events, range(2 * 10**6, 2 * 10**6 + a.users), 0)[0], rate)
            report["bare_at_rate"] = bare_rate.summary()
            print(json.dumps(report["bare_at_rate"]), flush=True)
            return 0
        bare.stop()

        # 2. the bot at a fixed rate
        db_url = a.database_url
        if db_url.startswith("postgresql"):
            db_url = await fresh_pg(db_url)
        elif db_url == "sqlite":
            db_url = f"sqlite+aiosqlite:///{work / 'load.db'}"
        report["database"] = db_url.split("://")[0] + "://…"
        from cryptography.fernet import Fernet
        env = serve_env(db_url, api.url, free_port(), Fernet.generate_key().decode(),
                        SCRUM_RATE_LIMIT_MESSAGES=str(a.rate_limit), SCRUM_WEB_PROCESSES=str(a.web_processes),
                        SCRUM_WORK_PROCESSES=str(a.work_processes))
        bot = await start_serve("serve", work, env)
        procs.append(bot)
        report["startup_s"] = round(bot.started_in, 2)
        report["rss_mb_idle"] = round(bot.rss_mb(), 1)
        warm, _ = make_events(api, rng, 100, range(3 * 10**6, 3 * 10**6 + 100), 0)
        await open_loop("warm-up", bot.url + "/webhooks/line", warm, 50)
        await drain(api, len(warm), a.drain_seconds)
        sweep = []
        for k, step_rate in enumerate(float(x) for x in a.sweep.split(",") if x.strip()):
            # a short run per rate, fresh residents each time: where does p99 cross 100 ms?
            seen = sum(api.replies_per_token().values())
            b_, t_ = make_events(api, rng, int(step_rate * a.sweep_seconds), range(5 * 10**6 + k * 10**5,
                                 5 * 10**6 + k * 10**5 + a.users), a.redeliver)
            c0 = bot.cpu_seconds()
            run = await open_loop(f"sweep {step_rate:g}/s", bot.url + "/webhooks/line", b_, step_rate,
                                  max_inflight=a.max_inflight, max_seconds=a.sweep_seconds * 1.5)
            cpu = bot.cpu_seconds() - c0
            t_ = first_tokens(t_, len(b_) - run.unsent)
            waited = await drain(api, seen + len(t_), a.drain_seconds)
            answered = verify(api, t_)["answered_exactly_once"]
            row = {**run.summary(), "rate": step_rate, "drained_after_s": round(waited, 2),
                   "answered_per_s": round(answered / max(run.wall + waited, 1e-9), 1),
                   "serve_cpu_ms_per_event": round(1000 * cpu / max(1, len(t_)), 1), **verify(api, t_)}
            row.pop("api_errors", None)
            row.pop("unexpected_api_calls", None)
            sweep.append(row)
            print(json.dumps(row), flush=True)
        if sweep:
            report["sweep"] = sweep
        bodies, tokens = make_events(api, rng, n_events, range(a.users), a.redeliver)
        seen = sum(api.replies_per_token().values())
        cpu0 = bot.cpu_seconds()
        spy = None
        if a.py_spy:     # a sampling profile of the server during the rate run (collapsed stacks)
            import shutil
            import subprocess
            spy = subprocess.Popen([shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"), "record",
                                    "--format", "raw", "--gil", "-o", a.py_spy, "-r", "200", "-d", str(int(duration) + 5),
                                    "-p", str(bot.popen.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        at_rate = await open_loop(f"serve at {rate:g}/s", bot.url + "/webhooks/line", bodies, rate,
                                  max_inflight=a.max_inflight, max_seconds=duration * 1.5)
        all_tokens = list(tokens)
        tokens = first_tokens(tokens, len(bodies) - at_rate.unsent)
        if spy is not None:
            spy.wait(timeout=duration + 30)
        report["serve_cpu_s_during_rate_run"] = round(bot.cpu_seconds() - cpu0, 1)
        waited = await drain(api, seen + len(tokens), a.drain_seconds)
        report["serve_at_rate"] = at_rate.summary()
        report["serve_at_rate"]["redeliveries_sent"] = len(bodies) - at_rate.unsent - len(tokens)
        report["serve_at_rate"]["replies_drained_after_s"] = round(waited, 2)
        report["rss_mb_after_load"] = round(bot.rss_mb(), 1)
        report["delivery"] = verify(api, tokens)
        report["answer_time"] = answer_times(api, at_rate, all_tokens)
        report["serve_at_rate"]["answered_per_s"] = round(report["delivery"]["answered_exactly_once"]
                                                          / max(at_rate.wall + waited, 1e-9), 1)
        print(json.dumps(report["serve_at_rate"]), flush=True)
        print(json.dumps(report["delivery"]), flush=True)
        print(json.dumps({"answer_time": report["answer_time"]}), flush=True)

        # 3. the bot saturated, for the ratio to the bare handler
        sat_bodies = [b for _, b in make_events(api, rng, a.saturate_events, range(4 * 10**6, 4 * 10**6 + 5000), 0)[0]]
        seen = sum(api.replies_per_token().values())
        bot_sat = await closed_loop("serve saturated", bot.url + "/webhooks/line", sat_bodies,
                                    concurrency=a.concurrency, max_seconds=a.saturate_seconds)
        await drain(api, seen + bot_sat.ok, a.drain_seconds)
        report["serve_saturated"] = bot_sat.summary()
        report["ratio_serve_to_bare"] = round(bot_sat.throughput() / max(bare_sat.throughput(), 1e-9), 3)
        report["ratio_rate_run_to_bare"] = round(at_rate.throughput() / max(bare_sat.throughput(), 1e-9), 3)
        bot.stop()
        report["tickets"] = await count_tickets(db_url)
        print(json.dumps(report["serve_saturated"]), flush=True)
    finally:
        for p in procs:
            p.stop()
        await api.close()
        write_report(a.out, report)
    r, d = report["serve_at_rate"], report["delivery"]
    targets = {
        "throughput >= 0.98 x rate": r["throughput_eps"] >= 0.98 * rate and not r["unsent_at_time_bound"],
        "p99 <= 100 ms": r["p99_ms"] <= 100,
        "no HTTP error": not r["errors"],
        "every event answered exactly once (reply or push)": d["unanswered_after_drain"] == 0
        and d["answered_more_than_once"] == 0 and d["residents_answered_more_than_asked"] == 0,
        "answers kept up (all on the reply token, no late push)": d["answered_exactly_once"] == d["events"]
        and d["pushes"] == 0,
        "no duplicate ticket": report["tickets"]["users_with_duplicate_tickets"] == 0,
    }
    report["targets"] = targets
    write_report(a.out, report)
    print(json.dumps({"ratio_serve_to_bare": report["ratio_serve_to_bare"], "targets": targets}), flush=True)
    return 0 if all(targets.values()) else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="LINE webhook load on loopback (bounded)")
    p.add_argument("--rate", type=float, default=500.0, help="events per second (open loop)")
    p.add_argument("--duration", type=float, default=60.0, help=f"seconds at that rate (≤ {MAX_DURATION:g})")
    p.add_argument("--users", type=int, default=5000, help="distinct residents sending")
    p.add_argument("--redeliver", type=float, default=0.02, help="share of events LINE delivers a second time")
    p.add_argument("--rate-limit", type=int, default=20, help="SCRUM_RATE_LIMIT_MESSAGES for the bot")
    p.add_argument("--web-processes", type=int, default=1, help="SCRUM_WEB_PROCESSES for the bot")
    p.add_argument("--work-processes", type=int, default=0, help="SCRUM_WORK_PROCESSES for the bot (0: web answers)")
    p.add_argument("--database-url", default="sqlite", help="'sqlite' (a fresh file) or a PostgreSQL base URL")
    p.add_argument("--concurrency", type=int, default=32, help="senders in the saturation runs")
    p.add_argument("--saturate-events", type=int, default=6000)
    p.add_argument("--saturate-seconds", type=float, default=10.0)
    p.add_argument("--max-inflight", type=int, default=512)
    p.add_argument("--drain-seconds", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--bare-only", action="store_true", help="measure only the bare handler (driver check)")
    p.add_argument("--sweep", default="", help="comma-separated rates for short runs before the main one")
    p.add_argument("--sweep-seconds", type=float, default=15.0)
    p.add_argument("--py-spy", default="", help="profile the server during the rate run into this file")
    p.add_argument("--out", default="", help="write the JSON report here")
    return p.parse_args(argv)


if __name__ == "__main__":
    assert LOOPBACK.startswith("127.")
    sys.exit(asyncio.run(main(parse())))
