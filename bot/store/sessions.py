"""Dialogue state per person, encrypted at rest; abandoned intakes expire and are discarded.

A session with anything in progress gets ``expires_at = now + timeout``; once past it, ``load``
reports it expired (and forgets it) and ``purge_expired`` wipes the state of every such row. The
row itself stays (it holds the hand-off link and reachability, no personal data).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.session import Session, Step
from bot.store.crypto import Cipher
from bot.store.models import Conversation

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True, slots=True)
class Loaded:
    session: Session | None
    expired: bool = False
    handoff_ticket_id: int | None = None    # the row's hand-off link (``load_in`` only; the ticket says if active)


# pg_advisory_xact_lock(key1, key2): key1 names what is locked, so other advisory locks never collide.
TURN_LOCK_CLASS = 0x5C7B  # "a resident's turn"


def turn_lock_key(user_key: str) -> int:
    """A signed 32-bit hash of the user key (two residents sharing one only wait for each other)."""
    return int.from_bytes(hashlib.sha256(b"turn|" + user_key.encode("utf-8")).digest()[:4], "big", signed=True)


async def lock_turn(s: AsyncSession, user_key: str, *, writes_first: bool = False) -> None:
    """The first statement of a turn's transaction: no other turn of this resident, in this process
    or another, runs until it commits.

    PostgreSQL: a transaction-scoped advisory lock on a hash of the user key (it needs no row, so a
    resident's first message is covered too). It must be a statement of its own, before the session
    is read: under READ COMMITTED each later statement sees what the previous turn committed.
    SQLite: ``BEGIN IMMEDIATE`` takes the database's single write lock before anything is read
    (the driver would otherwise begin only at the first write, after the session was read). When
    the caller's next statement is a write (``writes_first``: the rate-limit upsert), that write
    takes the lock at its start and ``BEGIN IMMEDIATE`` is left out.
    """
    dialect = s.bind.dialect.name
    if dialect == "postgresql":
        await s.execute(_ADVISORY_LOCK, {"cls": TURN_LOCK_CLASS, "key": turn_lock_key(user_key)})
    elif dialect == "sqlite" and not writes_first:
        await s.execute(_BEGIN_IMMEDIATE)


# Statements built once (building them is a good part of a turn's CPU; SQLAlchemy caches only the SQL).
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:cls, :key)")
_BEGIN_IMMEDIATE = text("BEGIN IMMEDIATE")
_LOAD = (select(Conversation.state_enc, Conversation.expires_at, Conversation.handoff_ticket_id)
         .where(Conversation.user_key == bindparam("user_key")))
_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """``INSERT … ON CONFLICT (user_key) DO UPDATE`` of the session columns, for the dialect."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        table = Conversation.__table__
        ins: Any = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        stmt = ins.on_conflict_do_update(index_elements=["user_key"], set_={
            k: ins.excluded[k] for k in ("channel", "step", "state_enc", "updated_at", "expires_at")})
        _UPSERTS[dialect] = stmt
    return stmt


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return None if t is None else (t if t.tzinfo else t.replace(tzinfo=dt.UTC))


def has_progress(session: Session) -> bool:
    return session.step != Step.START or session.draft != type(session.draft)()


class SessionStore:
    def __init__(self, sessions: Sessions, cipher: Cipher, timeout: dt.timedelta) -> None:
        self._sessions, self._cipher, self._timeout = sessions, cipher, timeout

    async def load(self, user_key: str, now: dt.datetime) -> Loaded:
        """The stored session, or None; an expired one is wiped and reported."""
        async with self._sessions() as s, s.begin():
            loaded = await self.load_in(s, user_key, now)
            if loaded.expired:
                await s.execute(update(Conversation).where(Conversation.user_key == user_key)
                                .values(state_enc=None, step=Step.START.value, expires_at=None))
        return loaded

    async def load_in(self, s: AsyncSession, user_key: str, now: dt.datetime) -> Loaded:
        """The stored session in the caller's transaction (one SELECT), or None; an expired one is
        reported, not wiped: the turn saves over it (and ``purge_expired`` wipes what no turn does)."""
        row = (await s.execute(_LOAD, {"user_key": user_key})).first()
        if row is None:
            return Loaded(None)
        state_enc, expires_at, handoff = row
        if state_enc is None:
            return Loaded(None, handoff_ticket_id=handoff)
        expires = _aware(expires_at)
        if expires is not None and expires <= now:
            return Loaded(None, expired=True, handoff_ticket_id=handoff)
        return Loaded(Session.from_json(self._cipher.decrypt(state_enc) or "{}"), handoff_ticket_id=handoff)

    async def save(self, session: Session, now: dt.datetime, s: AsyncSession | None = None) -> None:
        """Upserts the session (state encrypted); sets when it expires if something is in progress.

        In the caller's transaction ``s`` when given (the turn's), else in one of its own."""
        if s is None:
            async with self._sessions() as own, own.begin():
                return await self.save(session, now, own)
        expires = now + self._timeout if has_progress(session) else None
        values: dict[str, Any] = {"user_key": session.user_key, "channel": session.channel[:20],
                                  "step": session.step.value, "state_enc": self._cipher.encrypt(session.to_json()),
                                  "updated_at": now, "expires_at": expires}
        await s.execute(_upsert(s.bind.dialect.name), values)

    async def purge_expired(self, now: dt.datetime) -> int:
        """Discards every abandoned intake (its text included); returns how many."""
        async with self._sessions() as s, s.begin():
            keys = (await s.execute(select(Conversation.user_key).where(
                Conversation.expires_at.is_not(None), Conversation.expires_at <= now))).scalars().all()
            if keys:
                await s.execute(update(Conversation).where(Conversation.user_key.in_(keys))
                                .values(state_enc=None, step=Step.START.value, expires_at=None))
            return len(keys)
