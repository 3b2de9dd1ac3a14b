"""CPU per text turn of ``Conversation.handle`` (the shell: rate limit, hand-off, session, step, save).

In-process, no HTTP: a fresh database (SQLite file, and PostgreSQL when ``--postgres-url`` is given),
the real catalogue, router and stores, ``--turns`` text inquiries from ``--users`` residents, one
turn at a time (``--concurrency 1``, the default, so the CPU per turn is not blurred by lock waits).
Counts the transactions (SQLAlchemy ``begin`` events) and statements per turn as well. Prints one
JSON object; bounded in turns and time.

    .venv/bin/python bench/conversation_turn.py --postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.catalogue import load_catalogue  # noqa: E402
from bot.conversation import build_conversation  # noqa: E402
from bot.core.messages import Inbound  # noqa: E402
from bot.routing.router import build_router  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.crypto import Cipher  # noqa: E402
from bot.store.db import create_all, make_engine  # noqa: E402
from harness import inquiry, user_id  # noqa: E402

MAX_TURNS = 20_000
MAX_SECONDS = 300.0
WARMUP = 30


async def run_one(url: str, args: argparse.Namespace, catalogue: Any, router: Any) -> dict[str, Any]:
    engine = make_engine(url)
    await create_all(engine)
    counts = {"begin": 0, "statements": 0}

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(_conn) -> None:  # type: ignore[no-untyped-def]
        counts["begin"] += 1

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _stmt(*_a) -> None:  # type: ignore[no-untyped-def]
        counts["statements"] += 1

    key = Cipher.generate_key()
    settings = Settings(database_url=url, rate_limit_messages=args.rate_limit, rate_limit_window=60.0)
    now = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
    conv = build_conversation(engine, settings, catalogue, router, Cipher(key), key, clock=lambda: now)
    rng = random.Random(args.seed)
    inbounds = [Inbound(f"line:{user_id(rng.randrange(args.users))}", text=inquiry(rng), channel="line")
                for _ in range(args.turns + WARMUP)]
    sem = asyncio.Semaphore(args.concurrency)

    async def turn(inb: Inbound) -> None:
        async with sem:
            await conv.handle(inb)

    try:
        await asyncio.gather(*(turn(i) for i in inbounds[:WARMUP]))
        counts.update(begin=0, statements=0)
        deadline = time.monotonic() + MAX_SECONDS
        cpu0, wall0 = time.process_time(), time.perf_counter()
        done = 0
        for start in range(WARMUP, len(inbounds), 50):
            if time.monotonic() > deadline:
                break
            batch = inbounds[start:start + 50]
            await asyncio.gather(*(turn(i) for i in batch))
            done += len(batch)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        await engine.dispose()
    return {"turns": done, "cpu_ms_per_turn": round(1000 * cpu / done, 3),
            "wall_ms_per_turn": round(1000 * wall / done, 3),
            "transactions_per_turn": round(counts["begin"] / done, 3),
            "statements_per_turn": round(counts["statements"] / done, 3)}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    catalogue = load_catalogue(ROOT / "knowledge" / "services.yaml")
    router = build_router(catalogue)
    out: dict[str, Any] = {"turns": args.turns, "users": args.users, "concurrency": args.concurrency,
                           "rate_limit": args.rate_limit, "loadavg_before": list(os.getloadavg())}
    try:
        out["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                       text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out["commit"] = ""
    with tempfile.TemporaryDirectory() as tmp:
        out["sqlite"] = await run_one(f"sqlite+aiosqlite:///{Path(tmp) / 'turn.db'}", args, catalogue, router)
    if args.postgres_url:
        admin = create_async_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
        name = f"bench_turn_{uuid.uuid4().hex[:12]}"
        try:
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
            out["postgres"] = await run_one(url, args, catalogue, router)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()
    out["loadavg_after"] = list(os.getloadavg())
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--turns", type=int, default=1000, help=f"measured text turns per store (≤ {MAX_TURNS})")
    p.add_argument("--users", type=int, default=200, help="distinct residents")
    p.add_argument("--concurrency", type=int, default=1, help="turns at once (1: one after another)")
    p.add_argument("--rate-limit", type=int, default=20, help="SCRUM_RATE_LIMIT_MESSAGES (0: off)")
    p.add_argument("--postgres-url", default="", help="a PostgreSQL base URL; a fresh database is made and dropped")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    args.turns = max(1, min(args.turns, MAX_TURNS))
    args.concurrency = max(1, args.concurrency)
    return args


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse())), ensure_ascii=False))
