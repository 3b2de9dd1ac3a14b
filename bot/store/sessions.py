"""Dialogue state per person, encrypted at rest; abandoned intakes expire and are discarded.

A session with anything in progress gets ``expires_at = now + timeout``; once past it, ``load``
reports it expired (and forgets it) and ``purge_expired`` wipes the state of every such row. The
row itself stays (it holds the hand-off link and reachability, no personal data).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
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
            row = await s.get(Conversation, user_key)
            if row is None or row.state_enc is None:
                return Loaded(None)
            expires = _aware(row.expires_at)
            if expires is not None and expires <= now:
                await s.execute(update(Conversation).where(Conversation.user_key == user_key)
                                .values(state_enc=None, step=Step.START.value, expires_at=None))
                return Loaded(None, expired=True)
            raw = self._cipher.decrypt(row.state_enc)
        return Loaded(Session.from_json(raw or "{}"))

    async def save(self, session: Session, now: dt.datetime) -> None:
        """Upserts the session (state encrypted); sets when it expires if something is in progress."""
        expires = now + self._timeout if has_progress(session) else None
        values: dict[str, Any] = {"user_key": session.user_key, "channel": session.channel[:20],
                                  "step": session.step.value, "state_enc": self._cipher.encrypt(session.to_json()),
                                  "updated_at": now, "expires_at": expires}
        async with self._sessions() as s, s.begin():
            dialect = s.bind.dialect.name
            table = Conversation.__table__
            ins: Any = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)).values(**values)
            update_cols = {k: ins.excluded[k] for k in ("channel", "step", "state_enc", "updated_at", "expires_at")}
            await s.execute(ins.on_conflict_do_update(index_elements=["user_key"], set_=update_cols))

    async def purge_expired(self, now: dt.datetime) -> int:
        """Discards every abandoned intake (its text included); returns how many."""
        async with self._sessions() as s, s.begin():
            keys = (await s.execute(select(Conversation.user_key).where(
                Conversation.expires_at.is_not(None), Conversation.expires_at <= now))).scalars().all()
            if keys:
                await s.execute(update(Conversation).where(Conversation.user_key.in_(keys))
                                .values(state_enc=None, step=Step.START.value, expires_at=None))
            return len(keys)
