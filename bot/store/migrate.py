"""Schema migrations with Alembic: ``scrum-bot db upgrade`` and the helpers tests use.

The scripts live in ``bot/store/migrations`` and ship with the package. A database that the
embedded default made with ``create_all`` (tables present, no ``alembic_version``) is stamped at
the initial revision first, then upgraded, so an existing SQLite install moves onto migrations.
Such a database may already have what a later revision adds (``create_all`` ran with newer
models), so every revision after the initial one checks before it alters (see 0002).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from bot.store.db import make_engine

MIGRATIONS = Path(__file__).with_name("migrations")
INITIAL = "0001_initial"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url
    return cfg


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def upgrade(url: str, revision: str = "head") -> str:
    """Brings the database to ``revision``; returns what was done ("upgraded" or "stamped+upgraded")."""
    tables = asyncio.run(_tables(url))
    cfg = alembic_config(url)
    done = "upgraded"
    if "alembic_version" not in tables and "ticket" in tables:
        command.stamp(cfg, INITIAL)
        done = "stamped+upgraded"
    command.upgrade(cfg, revision)
    return done
