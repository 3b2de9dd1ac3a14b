"""Webhook dedupe, the push outbox and per-user reachability: the channels' part of the store.

- ``claim_event`` records a platform event id (LINE ``webhookEventId``, Telegram ``update_id``)
  with insert-or-ignore, so a redelivered or replayed event is handled once, even when two
  workers race (the primary key decides, on SQLite and on PostgreSQL alike).
- The outbox holds messages to send outside a reply: a stale LINE reply token, staff replies,
  status changes. Each row has a stable ``retry_key`` (a UUID) that LINE receives as
  ``X-Line-Retry-Key``, so a retried push is never delivered twice.
- Bodies are channel-agnostic replies (``replies_to_body``); they must never hold personal data
  or consultation text (the caller's duty; adapters render them at send time).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Card, CardField, Choice, Reply
from bot.store.models import Conversation, Outbox, ProcessedEvent, Ticket, TicketEvent, utcnow

Sessions = async_sessionmaker[AsyncSession]

# A row whose ``last_error`` starts with this is never tried again (blocked, unreachable, rejected).
FINAL = "final: "
REDACTED_MARK = "redacted"


# --- processed events (idempotent ingestion) ---------------------------------------------------

TAKE_LOCK = 0x5C2B0E7A                    # pg_advisory_xact_lock key of take_events
PARTS = 4096                              # processed_event.part: a resident's events share one


def part_of(user_key: str) -> int:
    """The resident's part of the event queue: a hash, so the table never holds the platform id."""
    return zlib.crc32(user_key.encode("utf-8")) % PARTS


EVENT_LEASE = dt.timedelta(seconds=10)   # renewed while the handler works; a dead handler's event is re-run


async def claim_event(sessions: Sessions, platform: str, event_id: str, payload_enc: bytes | None = None,
                      *, lease: bool = True, part: int | None = None) -> bool:
    """Records that an event arrived; returns True only the first time this (platform, id) is seen.

    ``payload_enc`` (the event, encrypted) is kept until the event is done, with a lease the handler
    renews, so an event acknowledged with a 200 is re-run by ``take_stale_events`` if its process dies.
    ``lease=False`` (a process that only acknowledges): no lease, the event waits for a worker.
    A claim of its own; the channels claim through one shared ``Claimer`` (a group commit).
    """
    return await Claimer(sessions).claim(platform, event_id, payload_enc, lease=lease, part=part)


@functools.cache
def _claim_statement(dialect: str) -> Any:
    table = ProcessedEvent.__table__
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise RuntimeError(f"unsupported database dialect {dialect!r}")  # pragma: no cover


class GroupWriter:
    """Writes that arrive while one is under way go together in one transaction (a group commit).

    One transaction and one disk flush for many events instead of one each, with no added wait
    when the server is quiet. A failed write fails every caller of its batch. A subclass says how a
    batch is written (``_write``: one result per item, in order).
    """

    def __init__(self, sessions: Sessions, max_batch: int = 200) -> None:
        self._engine = sessions.kw["bind"]
        self._queue: list[tuple[Any, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None
        self._max_batch = max_batch

    async def _submit(self, item: Any) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _write(self, conn: Any, items: list[Any]) -> list[bool]:
        raise NotImplementedError

    async def _flush(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:self._max_batch], self._queue[self._max_batch:]
                try:
                    async with self._engine.begin() as conn:
                        results = await self._write(conn, [item for item, _ in batch])
                except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                for (_, future), ok in zip(batch, results):
                    if not future.done():
                        future.set_result(ok)
        finally:
            self._task = None


class Claimer(GroupWriter):
    """``claim_event`` for concurrent webhooks, committed together.

    One ``INSERT … ON CONFLICT DO NOTHING … RETURNING`` per batch. The same event id twice in one
    batch (a redelivery racing its original) is claimed once. A failed write fails every claim of
    its batch (the webhooks answer 503 and the platform redelivers).
    """

    async def claim(self, platform: str, event_id: str, payload_enc: bytes | None = None, *,
                    lease: bool = True, part: int | None = None) -> bool:
        now = utcnow()
        return await self._submit({"platform": platform, "event_id": event_id[:80], "received_at": now,
                                   "status": "received", "payload_enc": payload_enc,
                                   "claimed_until": now + EVENT_LEASE if lease else None, "part": part})

    async def _write(self, conn: Any, items: list[Any]) -> list[bool]:
        table = ProcessedEvent.__table__
        stmt = _claim_statement(conn.dialect.name).returning(table.c.platform, table.c.event_id)
        inserted = {(p, e) for p, e in (await conn.execute(stmt, items)).all()}
        out = []
        for values in items:
            key = (values["platform"], values["event_id"])
            out.append(key in inserted)
            inserted.discard(key)              # a second copy in the same batch is a redelivery
        return out


class AnsweringMarker(GroupWriter):
    """``mark_answering`` for many handlers at once: one conditional UPDATE per batch."""

    async def mark(self, platform: str, event_id: str) -> bool:
        return await self._submit((platform, event_id[:80]))

    async def _write(self, conn: Any, items: list[Any]) -> list[bool]:
        pe = ProcessedEvent.__table__.c
        results: dict[tuple[str, str], bool] = {}
        for platform in {p for p, _ in items}:
            ids = list({e for p, e in items if p == platform})
            marked = set((await conn.execute(
                update(ProcessedEvent.__table__)
                .where(pe.platform == platform, pe.event_id.in_(ids), pe.status == "received")
                .values(status="answering", payload_enc=None).returning(pe.event_id))).scalars())
            rest = [e for e in ids if e not in marked]
            known = set((await conn.execute(select(pe.event_id).where(
                pe.platform == platform, pe.event_id.in_(rest)))).scalars()) if rest else set()
            for e in ids:                      # never claimed (no row): answered; a row not marked: no
                results[(platform, e)] = e in marked or e not in known
        out = []
        for key in items:                      # the same event twice in one batch: only the first sends
            out.append(results.pop(key, False))
        return out


async def finish_event(sessions: Sessions, platform: str, event_id: str, status: str = "done") -> None:
    """Marks a claimed event as handled (``done``) or not (``failed``) and drops its stored payload.

    Statuses: ``received`` (claimed, lease renewed), ``answering`` (``mark_answering``: the answer is
    being sent), then ``done`` or ``failed``.
    """
    await finish_events(sessions, platform, {event_id: status})


async def finish_events(sessions: Sessions, platform: str, statuses: dict[str, str]) -> None:
    """``finish_event`` for many events in one transaction (one UPDATE per distinct status)."""
    by_status: dict[str, list[str]] = {}
    for event_id, status in statuses.items():
        by_status.setdefault(status, []).append(event_id[:80])
    if not by_status:
        return
    async with sessions() as s, s.begin():
        for status, ids in by_status.items():
            await s.execute(update(ProcessedEvent)
                            .where(ProcessedEvent.platform == platform, ProcessedEvent.event_id.in_(ids))
                            .values(status=status, payload_enc=None, claimed_until=None))


async def mark_answering(sessions: Sessions, platform: str, event_id: str) -> bool:
    """Records, before the answer is sent, that this handler answers the event; False if another did.

    One conditional UPDATE (``received`` → ``answering``, payload dropped) decides, on SQLite and
    PostgreSQL alike: an event whose answer may have gone out is never taken over by
    ``take_stale_events`` again, and when two handlers ran it (a lease that ran out while the first
    still worked), only the first to get here sends. An event without a row (never claimed) is
    answered. Database errors propagate: the caller decides. (The channels share one
    ``AnsweringMarker``, which does the same for handlers that get here together.)
    """
    return await AnsweringMarker(sessions).mark(platform, event_id)


async def renew_events(sessions: Sessions, platform: str, event_ids: Iterable[str]) -> None:
    """Extends the lease of the events this process is working on (its heartbeat)."""
    ids = [e[:80] for e in event_ids]
    if not ids:
        return
    async with sessions() as s, s.begin():
        await s.execute(update(ProcessedEvent)
                        .where(ProcessedEvent.platform == platform, ProcessedEvent.event_id.in_(ids),
                               ProcessedEvent.status == "received")
                        .values(claimed_until=utcnow() + EVENT_LEASE))


async def take_stale_events(sessions: Sessions, platform: str, limit: int = 20,
                            skip: Iterable[str] = ()) -> list[tuple[str, bytes]]:
    """Events acknowledged but never answered whose handler's lease ran out: taken over (leased) here.

    Only ``received`` events qualify: one marked ``answering`` (its answer may have been sent) or
    ``done`` is never run again. ``skip``: event ids this process still works on or has answered.
    Events queued without a lease (``claim_event(lease=False)``) are taken too.
    """
    return [(event_id, payload) for event_id, payload, _ in await take_events(sessions, platform, limit, skip)]


async def take_events(sessions: Sessions, platform: str, limit: int = 20,
                      skip: Iterable[str] = ()) -> list[tuple[str, bytes, bool]]:
    """Leases up to ``limit`` events waiting for a handler, oldest first: ``(id, payload, queued)``.

    ``queued``: the event was acknowledged without a lease (it was waiting for a worker); otherwise
    its handler's lease ran out (the handler stopped). One conditional UPDATE takes them, so of two
    processes taking at once each event goes to one (on PostgreSQL the condition is re-checked on
    the locked row).
    """
    now = utcnow()
    waiting = and_(ProcessedEvent.platform == platform, ProcessedEvent.status == "received",
                   ProcessedEvent.payload_enc.is_not(None),
                   or_(ProcessedEvent.claimed_until.is_(None), ProcessedEvent.claimed_until < now))
    skipped = [e[:80] for e in skip]
    if skipped:
        waiting = and_(waiting, ProcessedEvent.event_id.not_in(skipped))
    async with sessions() as s, s.begin():
        if s.bind.dialect.name == "postgresql":     # one taker at a time, so each sees the other's leases
            await s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": TAKE_LOCK})
        rows = (await s.execute(select(ProcessedEvent.event_id, ProcessedEvent.claimed_until, ProcessedEvent.part,
                                       ProcessedEvent.received_at).where(waiting)
                                .order_by(ProcessedEvent.received_at, ProcessedEvent.event_id)
                                .limit(limit))).all()
        if not rows:
            return []
        rows = await _not_held_elsewhere(s, platform, rows, skipped, now)
        if not rows:
            return []
        queued = {event_id for event_id, until, _, _ in rows if until is None}
        order = [event_id for event_id, _, _, _ in rows]
        taken = (await s.execute(update(ProcessedEvent)
                                 .where(waiting, ProcessedEvent.event_id.in_(order))
                                 .values(claimed_until=now + EVENT_LEASE)
                                 .returning(ProcessedEvent.event_id, ProcessedEvent.payload_enc)
                                 .execution_options(synchronize_session=False))).all()
    got = {event_id: bytes(payload) for event_id, payload in taken}
    return [(e, got[e], e in queued) for e in order if e in got]


async def _not_held_elsewhere(s: AsyncSession, platform: str, rows: list[Any], skipped: list[str],
                              now: dt.datetime) -> list[Any]:
    """The candidates whose resident has no older event still held by another process.

    An event whose part (a hash of the resident) has an older event that another handler holds
    (``received`` or ``answering`` under a running lease) waits, and so do the later candidates of
    that part: a resident's messages are answered in order by several workers too. One indexed
    query over the candidates' parts (ix_processed_event_part), however long the queue.
    """
    parts = {part for _, _, part, _ in rows if part is not None}
    if not parts:
        return rows
    newest = max(received for _, _, _, received in rows)
    held_q = (select(ProcessedEvent.part, ProcessedEvent.received_at)
              .where(ProcessedEvent.platform == platform, ProcessedEvent.part.in_(parts),
                     ProcessedEvent.received_at < newest,
                     ProcessedEvent.status.in_(("received", "answering")),
                     ProcessedEvent.claimed_until.is_not(None), ProcessedEvent.claimed_until >= now))
    if skipped:
        held_q = held_q.where(ProcessedEvent.event_id.not_in(skipped))
    oldest_held: dict[int, dt.datetime] = {}
    for part, received in (await s.execute(held_q)).all():
        if part not in oldest_held or received < oldest_held[part]:
            oldest_held[part] = received
    keep, stopped = [], set()
    for row in rows:
        part, received = row[2], row[3]
        if part is not None and (part in stopped or (part in oldest_held and oldest_held[part] < received)):
            stopped.add(part)
            continue
        keep.append(row)
    return keep


async def event_status(sessions: Sessions, platform: str, event_id: str) -> str | None:
    async with sessions() as s:
        row = await s.get(ProcessedEvent, (platform, event_id[:80]))
        return row.status if row else None


EVENT_KEEP = dt.timedelta(days=30)   # far beyond LINE's redelivery and Telegram's 24 h of kept updates


async def prune_events(sessions: Sessions, platform: str, keep: dt.timedelta = EVENT_KEEP,
                       now: dt.datetime | None = None) -> int:
    """Forgets processed event ids older than ``keep``; returns how many."""
    cutoff = (now or utcnow()) - keep
    async with sessions() as s, s.begin():
        result = await s.execute(delete(ProcessedEvent).where(ProcessedEvent.platform == platform,
                                                              ProcessedEvent.received_at < cutoff))
        return int(result.rowcount or 0)


# --- the outbox ---------------------------------------------------------------------------------

def replies_to_body(replies: Iterable[Reply]) -> dict[str, Any]:
    """Serialises replies for an outbox row (no personal data: the caller's duty)."""
    out = []
    for r in replies:
        item: dict[str, Any] = {"text": r.text}
        if r.choices:
            item["choices"] = [{"label": c.label, "payload": c.payload} for c in r.choices]
        if r.card:
            item["card"] = {"title": r.card.title, "body": r.card.body, "url": r.card.url,
                            "fields": [{"label": f.label, "value": f.value} for f in r.card.fields]}
        out.append(item)
    return {"replies": out}


def body_to_replies(body: dict[str, Any]) -> list[Reply]:
    replies = []
    for item in body.get("replies", []):
        card = None
        if c := item.get("card"):
            card = Card(title=c["title"], body=c.get("body", ""), url=c.get("url"),
                        fields=tuple(CardField(f["label"], f["value"]) for f in c.get("fields", [])))
        replies.append(Reply(text=item.get("text", ""), card=card,
                             choices=tuple(Choice(ch["label"], ch["payload"]) for ch in item.get("choices", []))))
    return replies


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    user_key: str
    retry_key: str
    body: dict[str, Any]
    attempts: int


def _item(row: Outbox) -> OutboxItem:
    return OutboxItem(row.id, row.user_key, row.retry_key, dict(row.body or {}), row.attempts)


LEASE = dt.timedelta(minutes=5)   # longer than one delivery with all its retries


async def enqueue(sessions: Sessions, user_key: str, replies: Sequence[Reply] = (),
                  body: dict[str, Any] | None = None, *, claim: bool = False) -> OutboxItem:
    """Stores replies (or an adapter's own ``body``) to push to ``user_key``, with a fresh retry key.

    ``claim=True`` takes the sender's lease at once: the caller sends the row itself, now.
    """
    async with sessions() as s, s.begin():
        row = Outbox(user_key=user_key, retry_key=str(uuid.uuid4()),
                     body=body if body is not None else replies_to_body(replies),
                     claimed_until=utcnow() + LEASE if claim else None)
        s.add(row)
        await s.flush()
        return _item(row)


async def pending(sessions: Sessions, channel: str, max_attempts: int, limit: int = 50) -> list[OutboxItem]:
    """Unsent rows for one channel (user keys ``<channel>:…``), oldest first."""
    async with sessions() as s:
        rows = (await s.scalars(
            select(Outbox)
            .where(Outbox.user_key.startswith(f"{channel}:"), Outbox.sent_at.is_(None),
                   Outbox.attempts < max_attempts,
                   or_(Outbox.last_error.is_(None), ~Outbox.last_error.startswith(FINAL)),
                   or_(Outbox.claimed_until.is_(None), Outbox.claimed_until < utcnow()))
            .order_by(Outbox.id).limit(limit))).all()
        return [_item(r) for r in rows]


async def claim_item(sessions: Sessions, outbox_id: int, lease: dt.timedelta = LEASE) -> bool:
    """Takes the sender's lease on an unsent row; False when another sender holds it (another replica).

    One conditional UPDATE decides, on SQLite and PostgreSQL alike; a sender that dies leaves the
    row to be taken again when its lease runs out.
    """
    now = utcnow()
    async with sessions() as s, s.begin():
        result = await s.execute(
            update(Outbox)
            .where(Outbox.id == outbox_id, Outbox.sent_at.is_(None),
                   or_(Outbox.claimed_until.is_(None), Outbox.claimed_until < now))
            .values(claimed_until=now + lease))
        return bool(result.rowcount)


async def get_item(sessions: Sessions, outbox_id: int) -> tuple[OutboxItem, dt.datetime | None, str | None]:
    async with sessions() as s:
        row = await s.get(Outbox, outbox_id)
        if row is None:
            raise KeyError(outbox_id)
        return _item(row), row.sent_at, row.last_error


async def record_attempt(sessions: Sessions, outbox_id: int, *, sent: bool, error: str | None = None,
                         final: bool = False) -> None:
    """Counts one delivery attempt; ``error`` is a status or class name, never message text."""
    values: dict[str, Any] = {"attempts": Outbox.attempts + 1, "claimed_until": None}
    if sent:
        values.update(sent_at=utcnow(), last_error=None)
    elif error is not None:
        values["last_error"] = ((FINAL if final else "") + error)[:200]
    async with sessions() as s, s.begin():
        await s.execute(update(Outbox).where(Outbox.id == outbox_id).values(**values))


# --- reachability (LINE unfollow, Telegram "blocked by the user") -------------------------------

async def set_reachable(sessions: Sessions, user_key: str, channel: str, reachable: bool) -> None:
    """Marks whether we may push to this user; creates the conversation row if there is none."""
    async with sessions() as s, s.begin():
        row = await s.get(Conversation, user_key)
        if row is None:
            s.add(Conversation(user_key=user_key, channel=channel, step="start", reachable=reachable))
        else:
            row.reachable = reachable


async def is_reachable(sessions: Sessions, user_key: str) -> bool:
    async with sessions() as s:
        row = await s.get(Conversation, user_key)
        return True if row is None else bool(row.reachable)


# --- unsend (LINE): redact a message we stored --------------------------------------------------

def message_ref(channel: str, message_id: str) -> str:
    """A channel-qualified message id (``line:4800…``), for ``TicketEvent.data["platform_message_id"]``."""
    return f"{channel}:{message_id}"


async def redact_message(sessions: Sessions, channel: str, message_id: str, user_key: str | None = None) -> int:
    """Removes the text of a message the resident unsent from ticket threads; returns rows redacted.

    The conversation shell stores hand-off messages as ``TicketEvent`` rows whose ``data`` holds the
    platform id: ``message_id`` (on a ticket of ``user_key``) or ``platform_message_id``
    (``message_ref(channel, id)``). The row stays (the history is append-only) but its encrypted
    body is dropped, it is marked redacted, and a ``redacted`` event records that it happened.
    """
    ref = message_ref(channel, message_id)
    by_ref = TicketEvent.data["platform_message_id"].as_string() == ref
    cond: Any = by_ref
    if user_key is not None:
        cond = or_(by_ref, and_(TicketEvent.data["message_id"].as_string() == message_id,
                                Ticket.user_key == user_key))
    async with sessions() as s, s.begin():
        rows = (await s.scalars(select(TicketEvent).join(Ticket, Ticket.id == TicketEvent.ticket_id)
                                .where(cond, TicketEvent.kind != "redacted"))).all()
        rows = [r for r in rows if not (r.data or {}).get(REDACTED_MARK)]
        for row in rows:
            row.body_enc = None
            row.data = {**(row.data or {}), REDACTED_MARK: True}
        for row in rows:
            s.add(TicketEvent(ticket_id=row.ticket_id, actor="resident", kind="redacted",
                              data={"event_id": row.id, "reason": "unsend"}))
        return len(rows)
