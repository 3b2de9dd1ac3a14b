"""Engine and session factory. SQLite (aiosqlite) by default, PostgreSQL (asyncpg) in production."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.store.models import Base


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """Creates the engine; for SQLite, makes the folder and turns on WAL and foreign keys.

    PostgreSQL keeps ``pool_size`` connections open (SCRUM_DB_POOL_SIZE) and as many again for
    bursts; beyond that a request waits for one instead of opening and closing a connection each
    time (a profile at 200 webhooks/s found 9 % of the CPU in asyncpg's connect with the default 5).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if parsed.database and parsed.database != ":memory:":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # No pool_pre_ping: it cost a round trip per checkout, i.e. per turn (bench/conversation_turn.py,
    # PostgreSQL: ≈ 0.7-1 ms CPU and ≈ 3 ms wall per turn). A connection the server dropped fails at
    # its next statement; SQLAlchemy sees the disconnect and invalidates the pool, the webhook
    # answers 503 and the platform redelivers (tests/reliability/test_db_outage.py).
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_all(engine: AsyncEngine) -> None:
    """Creates the tables (tests and the embedded default; production uses Alembic migrations)."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
