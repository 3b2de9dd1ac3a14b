"""Answer capacity: how many queued LINE events one worker process answers per second, and its CPU.

1. ``scrum-bot serve`` with ``SCRUM_ROLE=web`` (acknowledges only) takes ``--events`` text events
   at ``--rate`` per second: they wait in the database;
2. then ``--workers`` processes of ``scrum-bot serve`` with ``SCRUM_ROLE=work`` start and answer them through the fake LINE
   API (tests/fakes); the script times the drain from the first answer to the last, and reads the
   worker's CPU time from /proc. Loopback only, bounded by ``--deadline`` seconds.

The result is the worker's cost per answered event with no webhook traffic on its cores: the
ceiling of ``SCRUM_WORK_PROCESSES`` × this rate for a deployment.

    .venv/bin/python bench/worker_drain.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import (ROOT, CountingLineApi, Proc, free_port, machine_conditions, open_loop, serve_env, start_serve,
                     write_report)
from load_line import fresh_pg, make_events

MAX_EVENTS = 20_000


async def main(a: argparse.Namespace) -> int:
    from cryptography.fernet import Fernet

    rng = random.Random(a.seed)
    work = Path(tempfile.mkdtemp(prefix="scrum-drain-"))
    report: dict[str, Any] = {"conditions": machine_conditions(), "args": vars(a)}
    api = await CountingLineApi().start()
    procs: list[Proc] = []
    try:
        db_url = a.database_url
        if db_url.startswith("postgresql"):
            db_url = await fresh_pg(db_url)
        else:
            db_url = f"sqlite+aiosqlite:///{work / 'drain.db'}"
        report["database"] = db_url.split("://")[0] + "://…"
        env = serve_env(db_url, api.url, free_port(), Fernet.generate_key().decode(),
                        SCRUM_RATE_LIMIT_MESSAGES="0", SCRUM_ROLE="web")
        web = await start_serve("web", work, env)
        procs.append(web)
        n = min(a.events, MAX_EVENTS)
        bodies, tokens = make_events(api, rng, n, range(a.users), 0.0)
        queued = await open_loop("queue", web.url + "/webhooks/line", bodies, a.rate, max_seconds=a.deadline)
        report["queued"] = queued.summary()
        print(json.dumps(report["queued"]), flush=True)
        assert not api.delivered, "a web process answered"

        workers = []
        for i in range(a.workers):
            log = (work / f"work-{i}.log").open("wb")
            worker = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, stdout=log,
                                      stderr=subprocess.STDOUT, env={**env, "SCRUM_ROLE": "work"})
            workers.append(Proc(f"work-{i}", worker, ""))
        procs += workers
        cpu_all = lambda: sum(w.cpu_seconds() for w in workers)  # noqa: E731
        t_start = time.perf_counter()
        first = last = None
        answered = 0
        while time.perf_counter() - t_start < a.deadline:
            answered = len(api.reply_at) + api.pushes()
            if answered and first is None:
                first, cpu0 = time.perf_counter(), cpu_all()
            if answered >= len(tokens):
                last = time.perf_counter()
                break
            await asyncio.sleep(0.05)
        cpu = cpu_all() - cpu0 if first is not None else float("nan")
        span = (last or time.perf_counter()) - (first or t_start)
        report["drain"] = {
            "events": len(tokens), "answered": answered, "on_reply_token": len(api.reply_at),
            "pushed": api.pushes(), "startup_to_first_answer_s": round((first or t_start) - t_start, 2),
            "drain_s": round(span, 2), "answered_per_s": round(answered / max(span, 1e-9), 1),
            "worker_cpu_s": round(cpu, 2), "worker_cpu_ms_per_event": round(1000 * cpu / max(answered, 1), 2),
            "workers": a.workers, "worker_rss_mb": round(sum(w.rss_mb() for w in workers), 1)}
        print(json.dumps(report["drain"]), flush=True)
    finally:
        for p in procs:
            p.stop()
        await api.close()
        write_report(a.out, report)
    return 0 if report.get("drain", {}).get("answered") == report.get("drain", {}).get("events") else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=3000)
    p.add_argument("--workers", type=int, default=1, help="worker processes draining the queue")
    p.add_argument("--rate", type=float, default=300.0, help="events per second while queueing")
    p.add_argument("--users", type=int, default=3000)
    p.add_argument("--database-url", default="sqlite", help="'sqlite' (a fresh file) or a PostgreSQL base URL")
    p.add_argument("--deadline", type=float, default=300.0)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--out", default="")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
