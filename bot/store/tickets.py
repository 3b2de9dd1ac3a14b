"""The resident side of tickets: open a consented intake, look up its status, withdraw, hand-off messages.

- ``open`` stores the ticket and its consent receipts in one transaction. The reference number
  ``FJ-YYYY-NNNNNN`` is derived from the database id (year in JST), so two tickets opened at the
  same moment can never share one, on SQLite or PostgreSQL.
- Personal fields go through ``Cipher`` into ``*_enc`` columns; staff see a pseudonym, a keyed
  hash of the channel user key, never the platform id.
- ``withdraw`` withdraws every consent of the person and deletes their personal data: the ticket
  stays as an empty tombstone (status 完了, outcome 同意撤回) so staff know the case ended.

Every method takes an optional session ``s``: given, it works in the caller's transaction (the
conversation's one transaction per turn, which commits before any reference is shown); without it,
in a transaction of its own (the staff console, tests).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.effects import ConsentGiven, CreateTicket, TicketView
from bot.core.hours import JST
from bot.store.crypto import Cipher
from bot.store.models import (ConsentReceipt, Conversation, Outbox, Ticket, TicketEvent, TicketOutcome,
                              TicketStatus)

Sessions = async_sessionmaker[AsyncSession]


def make_ref(ticket_id: int, created_at: dt.datetime) -> str:
    return f"FJ-{created_at.astimezone(JST).year}-{ticket_id:06d}"


class Pseudonymiser:
    """A keyed hash of a user key: stable per person, meaningless without the key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_encryption_key(cls, encryption_key: str) -> "Pseudonymiser":
        return cls(hashlib.sha256(b"scrum-bot pseudonym|" + encryption_key.encode()).digest())

    def __call__(self, user_key: str) -> str:
        digest = hmac.new(self._key, user_key.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"相談者-{digest[:10]}"

    def intake_key(self, user_key: str, consent_given_at: str) -> str:
        """A stable id of one intake (``ticket.intake_key``): the person and when they consented to it.

        The consent time lives in the encrypted session state from 同意する until the ticket is filed,
        so every 送信 of one intake (a double tap, a retry, two replicas) carries the same key.
        """
        msg = f"intake|{user_key}|{_parse(consent_given_at).isoformat()}".encode("utf-8")
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def log_id(self, user_key: str) -> str:
        """A short id for logs (never the platform id)."""
        return hmac.new(self._key, b"log|" + user_key.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def _parse(iso: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(iso)
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


class TicketStore:
    def __init__(self, sessions: Sessions, cipher: Cipher, pseudonymise: Pseudonymiser, *,
                 staff_chat: str | None = None, base_url: str = "") -> None:
        self._sessions, self._cipher, self._pseudo = sessions, cipher, pseudonymise
        self._staff_chat, self._base_url = staff_chat, base_url

    def _receipt(self, user_key: str, c: ConsentGiven) -> ConsentReceipt:
        return ConsentReceipt(user_key=user_key, scope=c.scope, desks=list(c.desks), text_version=c.text_version,
                              text_sha256=c.text_sha256, given_at=_parse(c.given_at))

    @asynccontextmanager
    async def _tx(self, s: AsyncSession | None, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """The caller's session, or one of our own (in a transaction when ``write``)."""
        if s is not None:
            yield s
        elif write:
            async with self._sessions() as own, own.begin():
                yield own
        else:
            async with self._sessions() as own:
                yield own

    async def open(self, cmd: CreateTicket, now: dt.datetime, s: AsyncSession | None = None) -> str:
        """Stores a consented intake with its receipts; returns the reference number staff will quote.

        The same intake sent twice (a double tap, a retry after the session could not be saved, two
        replicas taking one tap each) files one ticket: ``ticket.intake_key`` is UNIQUE, so the second
        insert fails in the database and the first ticket's reference comes back.

        In the caller's transaction ``s`` the insert runs in a SAVEPOINT, so a conflicting insert
        leaves the transaction usable for reading the winner's reference and saving the session.
        ``s`` must have begun on the database already (the turn's ``lock_turn`` does), since the
        SQLite driver does not begin a transaction for a SAVEPOINT.
        """
        key = self._pseudo.intake_key(cmd.user_key, cmd.intake_consent.given_at)
        try:
            if s is None:
                async with self._sessions() as own, own.begin():
                    return await self._open(own, cmd, now, key)
            async with s.begin_nested():
                return await self._open(s, cmd, now, key)
        except IntegrityError:
            async with self._tx(s, write=False) as r:
                ref = (await r.execute(select(Ticket.ref).where(Ticket.intake_key == key))).scalar()
            if ref is None:
                raise
            return ref

    async def _open(self, s: AsyncSession, cmd: CreateTicket, now: dt.datetime, key: str) -> str:
        enc = self._cipher.encrypt
        again = (await s.execute(select(Ticket.ref).where(Ticket.intake_key == key))).scalar()
        if again is None:   # filed before tickets had an intake key: its consent time identifies it
            again = (await s.execute(
                select(Ticket.ref).join(ConsentReceipt, Ticket.consent_intake_id == ConsentReceipt.id)
                .where(Ticket.intake_key.is_(None), ConsentReceipt.user_key == cmd.user_key,
                       ConsentReceipt.scope == "intake",
                       ConsentReceipt.given_at == _parse(cmd.intake_consent.given_at)))).scalar()
        if again:
            return again
        intake = self._receipt(cmd.user_key, cmd.intake_consent)
        meeting = self._receipt(cmd.user_key, cmd.meeting_consent) if cmd.meeting_consent else None
        s.add_all([r for r in (intake, meeting) if r is not None])
        await s.flush()
        ticket = Ticket(
            user_key=cmd.user_key, pseudonym=self._pseudo(cmd.user_key), channel=cmd.channel,
            created_at=now, updated_at=now, status=TicketStatus.RECEIVED.value, desk=cmd.desk,
            service_ids=list(cmd.service_ids), fields=list(cmd.fields), about=cmd.about,
            anonymous=cmd.anonymous, crisis=cmd.crisis, contact_method=cmd.contact_method,
            summary_enc=enc(cmd.summary), name_enc=enc(cmd.name), phone_enc=enc(cmd.phone),
            preferred_times_enc=enc(cmd.preferred_times), routing=dict(cmd.routing),
            consent_intake_id=intake.id, consent_meeting_id=meeting.id if meeting else None,
            intake_key=key)
        s.add(ticket)
        await s.flush()
        ticket.ref = make_ref(ticket.id, now)
        s.add(TicketEvent(ticket_id=ticket.id, at=now, actor="resident", kind="created",
                          to_status=TicketStatus.RECEIVED.value,
                          data={"consents": [intake.scope] + ([meeting.scope] if meeting else [])}))
        if self._staff_chat:
            from bot.store.casework import announce_new_ticket
            await announce_new_ticket(s, ticket, staff_chat=self._staff_chat, base_url=self._base_url)
        return ticket.ref

    async def statuses(self, user_key: str, s: AsyncSession | None = None) -> tuple[TicketView, ...]:
        """The person's tickets, newest first: reference, date and status only."""
        async with self._tx(s, write=False) as s:
            rows = (await s.execute(select(Ticket.ref, Ticket.created_at, Ticket.status)
                                    .where(Ticket.user_key == user_key).order_by(Ticket.id.desc()))).all()
        return tuple(TicketView(ref or "", _aware(created).isoformat(), st) for ref, created, st in rows)

    async def withdraw(self, user_key: str, now: dt.datetime, s: AsyncSession | None = None) -> int:
        """Withdraws every consent and deletes the person's personal data; returns tickets emptied."""
        tomb = "withdrawn:" + self._pseudo.log_id(user_key)
        async with self._tx(s) as s:
            tickets: Sequence[Ticket] = (await s.execute(
                select(Ticket).where(Ticket.user_key == user_key).with_for_update())).scalars().all()
            for t in tickets:
                await s.execute(update(TicketEvent).where(TicketEvent.ticket_id == t.id).values(body_enc=None))
                prev = t.status
                t.summary_enc = t.name_enc = t.phone_enc = t.preferred_times_enc = None
                t.user_key, t.handoff_active, t.updated_at = tomb, False, now
                if t.status != TicketStatus.CLOSED.value:
                    t.status, t.closed_at = TicketStatus.CLOSED.value, now
                t.outcome = TicketOutcome.WITHDRAWN.value
                s.add(TicketEvent(ticket_id=t.id, at=now, actor="resident", kind="withdrawn",
                                  from_status=prev, to_status=t.status, data={}))
            await s.execute(update(ConsentReceipt).where(ConsentReceipt.user_key == user_key)
                            .values(withdrawn_at=now, user_key=tomb))
            await s.execute(delete(Outbox).where(Outbox.user_key == user_key, Outbox.sent_at.is_(None)))
            await s.execute(update(Conversation).where(Conversation.user_key == user_key)
                            .values(state_enc=None, step="start", handoff_ticket_id=None, expires_at=None))
            return len(tickets)

    async def active_handoff(self, user_key: str, s: AsyncSession | None = None) -> int | None:
        """The ticket id whose staff are talking with this person right now, if any."""
        async with self._tx(s, write=False) as s:
            row = (await s.execute(select(Ticket.id).join(Conversation, Conversation.handoff_ticket_id == Ticket.id)
                                   .where(Conversation.user_key == user_key, Ticket.handoff_active.is_(True)))).first()
        return None if row is None else int(row[0])

    async def append_message(self, ticket_id: int, text: str, now: dt.datetime, *, channel: str | None = None,
                             message_id: str | None = None, crisis_kind: str | None = None,
                             s: AsyncSession | None = None) -> None:
        """Adds the resident's message to the ticket's thread (body encrypted; unsend can redact it)."""
        data: dict[str, str] = {}
        if message_id:
            data["message_id"] = message_id
            if channel:
                data["platform_message_id"] = f"{channel}:{message_id}"     # events.message_ref
        if crisis_kind:
            data["crisis"] = crisis_kind
        async with self._tx(s) as s:
            s.add(TicketEvent(ticket_id=ticket_id, at=now, actor="resident", kind="message",
                              body_enc=self._cipher.encrypt(text), data=data))
            await s.execute(update(Ticket).where(Ticket.id == ticket_id).values(updated_at=now))

    async def read_staff_messages(self, user_key: str, now: dt.datetime,
                                  s: AsyncSession | None = None) -> tuple[str, ...]:
        """The staff messages this person has not read yet, oldest first; marks them read."""
        from bot.store.casework import read_staff_replies

        async with self._tx(s) as s:
            return tuple(await read_staff_replies(s, self._cipher, user_key, now))
