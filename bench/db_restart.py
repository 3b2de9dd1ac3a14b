"""PostgreSQL "restarts" in the middle of a load: ``serve`` reaches the database through a loopback
TCP proxy that cuts every connection and refuses new ones for ``--outage`` seconds (the shared
server itself is never stopped). The driver behaves like LINE: an event not answered 200 is
delivered again after ``--retry-after`` seconds (marked ``isRedelivery``), up to 5 times.

Checks: no 500, every event answered exactly once, nothing answered twice. Bounded in count and time.

    .venv/bin/python bench/db_restart.py --out docs/bench/db-restart.json
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
from harness import (ROOT, CountingLineApi, Proc, free_port, inquiry, machine_conditions, serve_env, sign, start_serve,
                     text_event, ulid_like, user_id, webhook_body)
from load_line import fresh_pg, verify
from sqlalchemy.engine import make_url

sys.path.insert(0, str(ROOT))
from tests.reliability.tcp_proxy import TcpProxy  # noqa: E402


async def main(a: argparse.Namespace) -> int:
    rng = random.Random(a.seed)
    work = Path(tempfile.mkdtemp(prefix="scrum-dbrestart-"))
    report: dict[str, Any] = {"conditions": machine_conditions(), "args": vars(a)}
    api = await CountingLineApi().start()
    url = await fresh_pg(a.database_url)
    u = make_url(url)
    proxy = await TcpProxy(u.host or "127.0.0.1", u.port or 5432).up()
    via = u.set(host=proxy.host, port=proxy.port).render_as_string(hide_password=False)
    from cryptography.fernet import Fernet
    procs: list[Proc] = []
    statuses: Counter[str] = Counter()
    tokens: list[str] = []
    try:
        procs.append(await start_serve("serve", work, serve_env(via, api.url, free_port(), Fernet.generate_key().decode())))
        target = procs[0].url + "/webhooks/line"
        async with aiohttp.ClientSession() as http:
            async def deliver(ev: dict[str, Any]) -> None:
                for attempt in range(6):
                    body = webhook_body(ev if attempt == 0 else {**ev, "deliveryContext": {"isRedelivery": True}})
                    try:
                        async with http.post(target, data=body, timeout=aiohttp.ClientTimeout(total=10), headers={
                                "Content-Type": "application/json", "X-Line-Signature": sign(body)}) as r:
                            await r.read()
                            status = str(r.status)
                    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                        status = type(exc).__name__
                    statuses[status] += 1
                    if status == "200":
                        return
                    await asyncio.sleep(a.retry_after)

            async def outage() -> None:
                await asyncio.sleep(a.outage_at)
                report["outage_started_s"] = a.outage_at
                await proxy.down()
                await asyncio.sleep(a.outage)
                await proxy.up()

            n = int(a.rate * a.duration)
            t0 = time.perf_counter()
            tasks = [asyncio.create_task(outage())]
            for i in range(n):
                delay = t0 + i / a.rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                uid = user_id(rng.randrange(a.users))
                tok = api.new_reply_token(uid)
                tokens.append(tok)
                tasks.append(asyncio.create_task(deliver(text_event(uid, inquiry(rng), tok, ulid_like(rng)))))
            await asyncio.gather(*tasks)
        for _ in range(int(a.drain / 0.25)):
            if sum(api.replies_per_token().values()) + api.pushes() >= len(tokens):
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(2)
        report["http"] = dict(statuses)
        report["delivery"] = verify(api, tokens)
        report["serve_log_tail"] = procs[0].log.read_text()[-1500:] if procs[0].log else ""
    finally:
        for p in procs:
            p.stop()
        await proxy.down()
        await api.close()
    d = report["delivery"]
    answered = d["answered_exactly_once"] + d["pushes"]
    report["targets"] = {
        "no 500": not any(k.startswith("5") and k != "503" for k in statuses),
        "every event answered": answered >= d["events"] and d["residents_answered_more_than_asked"] == 0,
        "nothing answered twice": d["answered_more_than_once"] == 0 and d["residents_answered_more_than_asked"] == 0,
    }
    out = json.dumps(report, ensure_ascii=False, indent=2)
    print(out)
    if a.out:
        Path(a.out).write_text(out + "\n")
    return 0 if all(report["targets"].values()) else 1


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    p.add_argument("--rate", type=float, default=20.0)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--outage-at", type=float, default=10.0)
    p.add_argument("--outage", type=float, default=4.0)
    p.add_argument("--retry-after", type=float, default=1.0)
    p.add_argument("--drain", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--out", default="")
    return p.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
