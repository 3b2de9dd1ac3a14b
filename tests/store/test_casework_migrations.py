"""Alembic: upgrading an empty database gives exactly the models' schema, on SQLite and PostgreSQL;
a database made by create_all is stamped and upgraded without loss."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.store.db import create_all, make_engine
from bot.store.migrate import alembic_config, upgrade
from bot.store.models import Base


@pytest.fixture
async def empty_url(db_url: str) -> str:
    """A fresh SQLite or PostgreSQL database with no tables at all."""
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
    await engine.dispose()
    return db_url


async def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            def compare(sync_conn):
                ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return compare_metadata(ctx, Base.metadata)
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def test_upgrade_from_empty_matches_the_models(empty_url: str) -> None:
    assert await asyncio.to_thread(upgrade, empty_url) == "upgraded"
    assert await _diff(empty_url) == []
    head = ScriptDirectory.from_config(alembic_config(empty_url)).get_current_head()
    engine = make_engine(empty_url)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() == head
    await engine.dispose()
    assert await asyncio.to_thread(upgrade, empty_url) == "upgraded"      # idempotent


async def test_a_create_all_database_is_stamped_and_keeps_its_rows(empty_url: str) -> None:
    engine = make_engine(empty_url)
    await create_all(engine)
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO processed_event (platform, event_id, received_at, status) "
                                "VALUES ('line', 'e1', CURRENT_TIMESTAMP, 'done')"))
    await engine.dispose()
    assert await asyncio.to_thread(upgrade, empty_url) == "stamped+upgraded"
    engine = make_engine(empty_url)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM processed_event"))).scalar_one() == 1
    await engine.dispose()


def test_one_head_and_the_scripts_ship_in_the_package() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    assert len(script.get_heads()) == 1
    assert Path(script.dir).is_relative_to(Path(__import__("bot").__file__).parent)
