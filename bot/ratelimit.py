"""A per-user rate limit whose state lives in the database, so every replica sees the same count.

Fixed windows: each user may send ``limit`` messages per ``window`` seconds. One atomic
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` per message (SQLite ≥ 3.35 and PostgreSQL), so two
``serve`` processes on one PostgreSQL count together and never lose an increment. The table holds a
hash of the user key, not the platform id, and only the current and previous windows of a user.

The conversation shell calls ``RateLimiter.count(session, user_key)`` in its turn's transaction,
before the dialogue step (``check(user_key)`` is the same in a transaction of its own), and, when
``allowed`` is False, answers with ``RATE_LIMITED`` and does not route, store or file anything,
except that a message the crisis screen flags is always handled. A limit of 0 turns it off; when
the database cannot count, the message is allowed (fail open).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import texts
from bot.settings import Settings
from bot.store.models import RateLimitWindow

log = logging.getLogger("bot.ratelimit")

# The polite message for a resident who writes faster than the limit; it lives with every other
# sentence in bot/core/texts.py.
RATE_LIMITED = texts.RATE_LIMITED


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    count: int              # messages in the current window, this one included
    retry_after: float      # seconds until the window turns (0 when allowed)
    first_refusal: bool     # True only for the first refused message of a window


def bucket_of(user_key: str) -> str:
    """The stored key: a hash, so the table never holds a platform user id."""
    return hashlib.sha256(("ratelimit:" + user_key).encode("utf-8")).hexdigest()


class RateLimiter:
    """Counts messages per user and window in the shared database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, limit: int, window: float,
                 clock: Callable[[], float] = time.time) -> None:
        if limit < 0 or window <= 0:
            raise ValueError("rate limit: limit must be ≥ 0 and window > 0")
        self._sessions = sessions
        self.limit = limit
        self.window = window
        self._clock = clock

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    async def check(self, user_key: str) -> Decision:
        """Counts one message for ``user_key`` in a transaction of its own; says whether it may be handled."""
        if not self.enabled:
            return Decision(True, 0, 0.0, False)
        try:
            async with self._sessions() as session, session.begin():
                return await self.count(session, user_key)
        except (SQLAlchemyError, OSError) as exc:   # the counter is down: never stop a resident for it
            log.warning("rate limit not checked (%s): allowed", type(exc).__name__)
            return Decision(True, 0, 0.0, False)

    async def count(self, session: AsyncSession, user_key: str) -> Decision:
        """Counts one message inside the caller's transaction (the conversation's turn).

        Raises what the database raises: the caller decides to fail open (``check`` does; the
        conversation redoes its turn without the counter)."""
        if not self.enabled:
            return Decision(True, 0, 0.0, False)
        now = self._clock()
        window = int(now // self.window)
        bucket = bucket_of(user_key)
        count = await self._increment(session, bucket, window)
        if count == 1:   # a new window for this user: drop the ones before the previous
            await session.execute(delete(RateLimitWindow).where(
                RateLimitWindow.bucket == bucket, RateLimitWindow.window < window - 1))
        if count <= self.limit:
            return Decision(True, count, 0.0, False)
        retry_after = max(0.0, (window + 1) * self.window - now)
        return Decision(False, count, math.ceil(retry_after * 10) / 10, count == self.limit + 1)

    async def purge(self) -> int:
        """Deletes windows older than the previous one for every user; returns how many."""
        window = int(self._clock() // self.window)
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(RateLimitWindow).where(RateLimitWindow.window < window - 1))
        return int(result.rowcount or 0)

    @staticmethod
    async def _increment(session: AsyncSession, bucket: str, window: int) -> int:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        stmt = _INCREMENTS.get(dialect)
        if stmt is None:            # built once per dialect: building it costs more than running it
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            table = RateLimitWindow.__table__
            stmt = insert(table).on_conflict_do_update(index_elements=[table.c.bucket, table.c.window],
                                                       set_={"count": table.c.count + 1}).returning(table.c.count)
            _INCREMENTS[dialect] = stmt
        return int((await session.execute(stmt, {"bucket": bucket, "window": window, "count": 1})).scalar_one())


_INCREMENTS: dict[str, Any] = {}


def build_rate_limiter(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> RateLimiter:
    """Builds the limiter from ``SCRUM_RATE_LIMIT_MESSAGES`` and ``SCRUM_RATE_LIMIT_WINDOW``."""
    return RateLimiter(sessions, limit=settings.rate_limit_messages, window=settings.rate_limit_window)
