"""Shared fixtures. Store tests run on SQLite and on PostgreSQL (a fresh database per test).

PostgreSQL runs when SCRUM_TEST_POSTGRES_URL is set (.ci/run sets it). Under CI a missing or
unreachable server fails the tests: they never skip there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.crypto import Cipher
from bot.store.db import create_all, make_engine

PG_URL = os.environ.get("SCRUM_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _need_postgres() -> str:
    if PG_URL:
        return PG_URL
    if IN_CI:
        pytest.fail("CI needs SCRUM_TEST_POSTGRES_URL: PostgreSQL tests must not skip in CI")
    pytest.skip("SCRUM_TEST_POSTGRES_URL is not set (PostgreSQL tests run in CI)")


async def _fresh_pg_database(base_url: str) -> tuple[str, AsyncEngine]:
    admin = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    name = f"t_{uuid.uuid4().hex[:16]}"
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(base_url).set(database=name).render_as_string(hide_password=False), admin


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """A URL of an empty database with the schema created: SQLite file, or a fresh PostgreSQL db."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        await create_all(engine)
        await engine.dispose()
        yield url
        return
    base = _need_postgres()
    url, admin = await _fresh_pg_database(base)
    engine = make_engine(url)
    await create_all(engine)
    await engine.dispose()
    try:
        yield url
    finally:
        name = make_url(url).database
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def cipher() -> Cipher:
    return Cipher(Cipher.generate_key())


# In CI nothing may skip quietly: a skipped PostgreSQL, browser or proxy test is a missing install step.
_SKIPPED: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if IN_CI and _SKIPPED and exitstatus == 0:
        session.exitstatus = 1
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"CI: {len(_SKIPPED)} test(s) skipped; in CI every test must run:", red=True)
            for nodeid in _SKIPPED[:50]:
                reporter.write_line(f"  skipped: {nodeid}", red=True)
