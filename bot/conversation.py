"""The imperative shell around the pure dialogue: load the session, step, carry out effects, save.

A turn is one database transaction (count, hand-off check, load, effects, save), locked per resident
across processes (``bot.store.sessions.lock_turn``), and its replies are returned after the commit.

``Conversation.handle(inbound) -> list[Reply]`` is what every channel calls. It owns one error
boundary that logs ids (a keyed hash of the user key) and exception types, never what the person
wrote: SQL errors can carry parameters, so their messages are not logged either.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalogue.model import Catalogue
from bot.core import texts
from bot.core.dialogue import after_effect, step
from bot.core.effects import CreateTicket, Effect, LookupStatus, ReadStaffMessages, Withdraw
from bot.core.messages import Choice, Inbound, Reply
from bot.core.session import Session
from bot.core.turn import Context, RouterLike
from bot.errors import IntakeError, StoreUnavailable
from bot.handlers import crisis, menu
from bot.ratelimit import RATE_LIMITED, RateLimiter, build_rate_limiter
from bot.handlers.fallback import is_read
from bot.settings import Settings
from bot.store.crypto import Cipher
from bot.store.db import make_sessions
from bot.store.sessions import SessionStore, lock_turn
from bot.store.tickets import Pseudonymiser, TicketStore
from bot.web import metrics

log = logging.getLogger("bot.conversation")

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Conversation:
    def __init__(self, *, db: async_sessionmaker[AsyncSession], sessions: SessionStore, tickets: TicketStore,
                 router: RouterLike, catalogue: Catalogue, pseudonymise: Pseudonymiser, clock: Clock = utcnow,
                 retention_days: int = 365, limiter: RateLimiter | None = None) -> None:
        self._db = db                   # each turn is one transaction of this factory
        self.sessions, self.tickets, self.router, self.catalogue = sessions, tickets, router, catalogue
        self.limiter = limiter          # per-user rate limit, counted in the DB (bot/ratelimit.py)
        self._pseudo, self._clock, self._retention_days = pseudonymise, clock, retention_days
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def context(self, now: dt.datetime) -> Context:
        return Context(router=_MeteredRouter(self.router), catalogue=self.catalogue, now=now,
                       retention_days=self._retention_days)

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Answers one message or tap; never raises, never logs the person's words."""
        who = self._pseudo.log_id(inbound.user_key)
        try:
            return await self._handle(inbound, who)
        except IntakeError as exc:
            log.warning("%s for user %s", type(exc).__name__, who)
        except Exception as exc:  # noqa: BLE001 - the one boundary; details stay out of the log
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb else "?"
            log.error("unhandled %s at %s for user %s", type(exc).__name__, where, who)
        return [Reply(texts.SORRY_TRY_AGAIN)]

    def _lock(self, user_key: str) -> asyncio.Lock:
        lock = self._locks.get(user_key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user_key] = lock
        return lock

    async def _handle(self, inbound: Inbound, who: str) -> list[Reply]:
        now = self._clock()
        async with self._lock(inbound.user_key):        # this process; lock_turn covers the others
            try:
                return await self._transaction(inbound, now, who, count=True)
            except _CounterDown as down:                 # never stop a resident for the counter: redo, uncounted
                log.warning("rate limit not checked (%s): allowed", down.kind)
                return await self._transaction(inbound, now, who, count=False)

    async def _transaction(self, inbound: Inbound, now: dt.datetime, who: str, *, count: bool) -> list[Reply]:
        """One turn, one transaction: lock, count, hand-off, load, step, effects, save; then commit.

        The replies are returned only after the commit, so a reference shown is a ticket stored. When a
        ticket was being filed and the transaction fails (the insert, the save or the commit), nothing
        of the turn is kept: the intake stays at its preview and the next 送信 files exactly one ticket.
        """
        out = _Outcome()
        try:
            async with self._db() as s:
                async with s.begin():
                    counting = count and self.limiter is not None and self.limiter.enabled
                    await lock_turn(s, inbound.user_key, writes_first=counting)   # the counter's upsert is a write
                    replies = await self._turn(s, inbound, now, who, count, out)
        except (SQLAlchemyError, OSError, StoreUnavailable) as exc:
            if out.filing is None:
                raise
            log.warning("ticket not stored (%s) for user %s", type(exc).__name__, who)
            return out.filing
        for ref in out.opened:
            metrics.record_intake()
            log.info("ticket %s opened for user %s", ref, who)
        return replies

    async def _turn(self, s: AsyncSession, inbound: Inbound, now: dt.datetime, who: str, count: bool,
                    out: _Outcome) -> list[Reply]:
        if count and self.limiter is not None and self.limiter.enabled:   # first: a write (lock_turn)
            try:
                decision = await self.limiter.count(s, inbound.user_key)
            except (SQLAlchemyError, OSError) as exc:
                raise _CounterDown(type(exc).__name__) from exc
            if not decision.allowed and not (inbound.text and self.router.screen(inbound.text)) \
                    and not menu.is_emergency(inbound):    # a crisis, or the menu's 緊急のとき, is never rate-limited
                log.info("rate limited user %s", who)
                return [Reply(RATE_LIMITED)]
        loaded = await self.sessions.load_in(s, inbound.user_key, now)
        if loaded.handoff_ticket_id is not None and not is_read(inbound):    # 「読む」 still shows staff messages
            handoff = await self.tickets.active_handoff(inbound.user_key, s)
            if handoff is not None:
                return await self._during_handoff(s, handoff, inbound, now, who)
        session = loaded.session or Session(user_key=inbound.user_key, channel=inbound.channel)
        ctx = self.context(now)
        lead: list[Reply] = []
        if loaded.expired:
            lead.append(Reply(texts.TIMED_OUT))
            log.info("intake expired for user %s", who)
            if inbound.payload is not None:
                await self.sessions.save(session, now, s)
                return lead
        turn = step(session, inbound, ctx)
        replies = lead + list(turn.replies)
        for effect in turn.effects:
            if isinstance(effect, CreateTicket):       # from here on a failure keeps the intake; the person can retry
                out.filing = lead + [Reply(texts.FILE_FAILED, (Choice(texts.L_SEND, "preview:send"),))]
            result = await self._perform(s, effect, now)
            replies += after_effect(effect, result, turn.session, ctx)
            if isinstance(effect, CreateTicket):
                out.opened.append(result)
        await self.sessions.save(turn.session, now, s)
        log.debug("turn for user %s: %s -> %s, %d replies, effects %s", who, session.step.value,
                  turn.session.step.value, len(replies), [type(e).__name__ for e in turn.effects])
        return replies

    async def _perform(self, s: AsyncSession, effect: Effect, now: dt.datetime) -> Any:
        if isinstance(effect, CreateTicket):
            return await self.tickets.open(effect, now, s)
        if isinstance(effect, LookupStatus):
            return await self.tickets.statuses(effect.user_key, s)
        if isinstance(effect, Withdraw):
            return await self.tickets.withdraw(effect.user_key, now, s)
        if isinstance(effect, ReadStaffMessages):
            return await self.tickets.read_staff_messages(effect.user_key, now, s)
        raise TypeError(f"unknown effect {type(effect).__name__}")

    async def _during_handoff(self, s: AsyncSession, ticket_id: int, inbound: Inbound, now: dt.datetime,
                              who: str) -> list[Reply]:
        """Staff are talking: the message joins the ticket's thread; the bot only screens for crisis."""
        if menu.is_emergency(inbound):          # the menu's 緊急のとき: every crisis line at once, staff told
            await self.tickets.append_message(ticket_id, inbound.text or texts.L_MENU_EMERGENCY, now,
                                              channel=inbound.channel, message_id=inbound.message_id, s=s)
            log.info("hand-off emergency menu for ticket %s from user %s", ticket_id, who)
            return [Reply(t) for t in menu.emergency_text(self.context(now))] + [Reply(texts.HANDOFF_CRISIS_NOTE)]
        if not inbound.text:
            return []
        hit = self.router.screen(inbound.text)
        await self.tickets.append_message(ticket_id, inbound.text, now, channel=inbound.channel,
                                          message_id=inbound.message_id,
                                          crisis_kind=hit.kind if hit else None, s=s)
        log.info("hand-off message for ticket %s from user %s", ticket_id, who)
        if hit is None:
            return []
        return [Reply(crisis.crisis_text(self.catalogue, hit)), Reply(texts.HANDOFF_CRISIS_NOTE)]

    async def purge(self) -> int:
        """Discards abandoned intakes (run periodically by the server, and when the console starts)."""
        return await self.sessions.purge_expired(self._clock())


@dataclass(slots=True)
class _Outcome:
    """What ``_transaction`` must know of a turn even when it fails midway."""

    filing: list[Reply] | None = None       # set once a ticket is being filed: the answer if it is not stored
    opened: list[str] = field(default_factory=list)     # references filed (reported after the commit)


class _CounterDown(Exception):
    """The rate-limit counter failed inside the turn: the turn is redone without it (fail open)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


# --- building ---------------------------------------------------------------------------------
def dev_key_path(settings: Settings) -> Path:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / "dev-encryption.key"
    return Path("var/dev-encryption.key")


class _MeteredRouter:
    """The running router, counting each decision's outcome for /metrics (never the text)."""

    __slots__ = ("_router",)

    def __init__(self, router: RouterLike) -> None:
        self._router = router

    def route(self, text: str) -> Any:
        result = self._router.route(text)
        metrics.record_outcome(result.outcome)
        return result

    def screen(self, text: str) -> Any:
        return self._router.screen(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._router, name)


def load_cipher(settings: Settings) -> tuple[Cipher, str]:
    """The cipher from SCRUM_ENCRYPTION_KEY; without it (local try-out only), a key file beside the DB."""
    if settings.encryption_key:
        return Cipher(settings.encryption_key), settings.encryption_key.split(",")[0].strip()
    path = dev_key_path(settings)
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Cipher.generate_key()
        path.write_text(key + "\n", encoding="ascii")
        path.chmod(0o600)
    log.warning("SCRUM_ENCRYPTION_KEY is not set: using the development key in %s (set the variable in production)",
                path)
    return Cipher(key), key


def build_conversation(engine: Any, settings: Settings, catalogue: Catalogue, router: RouterLike,
                       cipher: Cipher, primary_key: str, *, clock: Clock = utcnow) -> Conversation:
    """Wires the stores and the router into a Conversation (no I/O here)."""
    sessions = make_sessions(engine)
    pseudo = Pseudonymiser.from_encryption_key(primary_key)
    timeout = dt.timedelta(minutes=settings.intake_timeout_minutes)
    tickets = TicketStore(sessions, cipher, pseudo, staff_chat=settings.staff_chat,
                          base_url=settings.public_base_url or f"http://{settings.host}:{settings.port}")
    return Conversation(db=sessions, sessions=SessionStore(sessions, cipher, timeout), tickets=tickets, router=router,
                        catalogue=catalogue, pseudonymise=pseudo, clock=clock,
                        retention_days=settings.retention_days,
                        limiter=build_rate_limiter(settings, sessions))
