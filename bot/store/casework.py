"""Casework on tickets: the queue, claims, the closed-loop statuses, notes, replies, handoff,
meetings, reports, audit and retention.

Every function takes an open ``AsyncSession`` and leaves committing to the caller (one unit of
work per request). Every function that reads or changes a ticket takes the ``Actor`` doing it and
refuses what the actor's role does not allow, so the web layer cannot forget a check: desk staff
reach only their own department's tickets; coordinators (福祉総務課, 多機関協働) reach all tickets
and reassign them; admins manage users and otherwise act as desk staff of their department.

Messages to a resident go to the ``outbox`` table, which the channel adapters deliver. A push
body never holds personal data or consultation text: a staff message is stored encrypted as a
``reply`` event and the push only says that there is news and offers 「読む」; the conversation
then calls ``read_staff_replies`` and answers with the text inside the chat.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import IntakeError
from bot.staff import texts
from bot.store.crypto import Cipher
from bot.store.models import (
    AuditLog,
    ConsentReceipt,
    ContactMethod,
    Conversation,
    MisrouteLabel,
    Outbox,
    StaffRole,
    StaffSession,
    Ticket,
    TicketEvent,
    TicketOutcome,
    TicketStatus,
)

S = TicketStatus

# The closed loop: 受付 → 担当決定 → 連絡済|連絡つかず → 他窓口へ紹介|支援調整会議へ → 完了.
# 連絡つかず may still turn into 連絡済, and a contacted case may close at once when the desk
# itself helped. 完了 always needs an outcome; 同意撤回 may close a ticket from any status.
TRANSITIONS: Mapping[S, frozenset[S]] = {
    S.RECEIVED: frozenset({S.ASSIGNED}),
    S.ASSIGNED: frozenset({S.CONTACTED, S.UNREACHABLE}),
    S.CONTACTED: frozenset({S.REFERRED, S.TO_MEETING, S.CLOSED}),
    S.UNREACHABLE: frozenset({S.CONTACTED, S.REFERRED, S.TO_MEETING, S.CLOSED}),
    S.REFERRED: frozenset({S.TO_MEETING, S.CLOSED}),
    S.TO_MEETING: frozenset({S.REFERRED, S.CLOSED}),
    S.CLOSED: frozenset(),
}

CHAT_CHANNELS = ("line", "telegram")


class CaseworkError(IntakeError):
    """A request casework refuses; the message is safe to show staff (no personal data)."""

    status = 400


class Forbidden(CaseworkError):
    status = 403


class NotFound(CaseworkError):
    status = 404


class Conflict(CaseworkError):
    status = 409


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in staff member, as casework sees them."""

    id: int
    department: str
    role: str
    name: str = ""

    @property
    def sees_all(self) -> bool:
        return self.role == StaffRole.COORDINATOR.value

    @property
    def is_admin(self) -> bool:
        return self.role == StaffRole.ADMIN.value

    @property
    def label(self) -> str:
        return f"staff:{self.id}"


def can_see(actor: Actor, ticket: Ticket) -> bool:
    return actor.sees_all or ticket.desk == actor.department


def _visible(actor: Actor) -> Any:
    return True if actor.sees_all else Ticket.desk == actor.department


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back; they are stored in UTC."""
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


# Audit -------------------------------------------------------------------------------------------

async def audit(s: AsyncSession, staff_id: int | None, action: str, ticket_id: int | None = None,
                now: dt.datetime | None = None, **detail: Any) -> None:
    """Records a view of personal data or a change: who, when, which ticket. No personal data."""
    s.add(AuditLog(staff_id=staff_id, action=action, ticket_id=ticket_id, detail=detail, at=_now(now)))


# Reading ----------------------------------------------------------------------------------------

async def get_ticket(s: AsyncSession, actor: Actor, ticket_id: int, *, for_update: bool = False) -> Ticket:
    """Returns a ticket the actor may see; a foreign desk's ticket is 'not found', not 'forbidden',
    so that nobody can probe which reference numbers exist."""
    if not 0 < ticket_id < 2**31:
        raise NotFound("相談票が見つかりません")
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if for_update:
        stmt = stmt.with_for_update()
    ticket = (await s.execute(stmt)).scalar_one_or_none()
    if ticket is None or not can_see(actor, ticket):
        raise NotFound("相談票が見つかりません")
    return ticket


async def ticket_events(s: AsyncSession, ticket_id: int) -> list[TicketEvent]:
    return list((await s.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                                 .order_by(TicketEvent.id))).scalars())


async def consent_state(s: AsyncSession, ticket: Ticket) -> dict[str, ConsentReceipt | None]:
    ids = [i for i in (ticket.consent_intake_id, ticket.consent_meeting_id) if i is not None]
    got = {r.id: r for r in (await s.execute(select(ConsentReceipt).where(ConsentReceipt.id.in_(ids)))).scalars()} \
        if ids else {}
    return {"intake": got.get(ticket.consent_intake_id or -1), "meeting": got.get(ticket.consent_meeting_id or -1)}


def meeting_consent_ok(receipt: ConsentReceipt | None) -> bool:
    return receipt is not None and receipt.withdrawn_at is None


# Queue ------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OverdueTargets:
    """Hours within which each desk aims to make first contact."""

    default_hours: int = 72
    by_desk: Mapping[str, int] = field(default_factory=dict)

    def hours(self, desk: str) -> int:
        return self.by_desk.get(desk, self.default_hours)

    @classmethod
    def parse(cls, default_hours: int, spec: str) -> OverdueTargets:
        """Reads ``"dept_kodomo_katei=24,dept_koreisha=48"``; raises ValueError naming a bad item."""
        by: dict[str, int] = {}
        for item in filter(None, (p.strip() for p in spec.split(","))):
            desk, sep, hours = item.partition("=")
            if not sep or not desk.strip() or not hours.strip().isdigit():
                raise ValueError(f"bad overdue target {item!r} (expected desk=hours)")
            by[desk.strip()] = int(hours)
        return cls(default_hours, by)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    desk: str | None = None
    status: str | None = None           # a status, or "open" for every status but 完了
    field: str | None = None
    min_age_hours: int | None = None    # older than
    max_age_hours: int | None = None    # newer than
    unassigned: bool = False
    overdue: bool = False


@dataclass(frozen=True, slots=True)
class QueueRow:
    ticket: Ticket
    age_hours: float
    unassigned: bool
    overdue: bool
    target_hours: int


def is_overdue(ticket: Ticket, targets: OverdueTargets, now: dt.datetime) -> bool:
    if ticket.status == S.CLOSED or ticket.first_contact_at is not None:
        return False
    return now - _aware(ticket.created_at) > dt.timedelta(hours=targets.hours(ticket.desk))  # type: ignore[operator]


async def queue(s: AsyncSession, actor: Actor, flt: QueueFilter, targets: OverdueTargets,
                now: dt.datetime | None = None, limit: int = 500) -> list[QueueRow]:
    """The tickets the actor may see, filtered; overdue and unassigned ones first, then oldest."""
    now = _now(now)
    stmt = select(Ticket).where(_visible(actor))
    if flt.desk:
        stmt = stmt.where(Ticket.desk == flt.desk)
    if flt.status == "open":
        stmt = stmt.where(Ticket.status != S.CLOSED.value)
    elif flt.status:
        stmt = stmt.where(Ticket.status == flt.status)
    if flt.min_age_hours is not None:
        stmt = stmt.where(Ticket.created_at <= now - dt.timedelta(hours=flt.min_age_hours))
    if flt.max_age_hours is not None:
        stmt = stmt.where(Ticket.created_at >= now - dt.timedelta(hours=flt.max_age_hours))
    if flt.unassigned:
        stmt = stmt.where(Ticket.assignee_id.is_(None), Ticket.status != S.CLOSED.value)
    stmt = stmt.order_by(Ticket.created_at, Ticket.id).limit(limit)
    rows: list[QueueRow] = []
    for t in (await s.execute(stmt)).scalars():
        if flt.field and flt.field not in (t.fields or []):
            continue
        overdue = is_overdue(t, targets, now)
        if flt.overdue and not overdue:
            continue
        rows.append(QueueRow(t, (now - _aware(t.created_at)).total_seconds() / 3600,  # type: ignore[operator]
                             t.assignee_id is None and t.status != S.CLOSED, overdue, targets.hours(t.desk)))
    rows.sort(key=lambda r: (not r.overdue, not r.unassigned, r.ticket.status == S.CLOSED))
    return rows


# Outbox -----------------------------------------------------------------------------------------

def outbox_body(text: str, choices: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """The stored form of one push: ``{"replies": [{"text", "choices": [{"label", "payload"}]}]}``
    (the shape of ``bot.core.messages.Outbound.replies``)."""
    return {"replies": [{"text": text, "choices": [{"label": lab, "payload": pay} for lab, pay in choices]}]}


async def _reachable(s: AsyncSession, user_key: str) -> bool:
    if user_key.split(":", 1)[0] not in CHAT_CHANNELS:
        return False
    conv = await s.get(Conversation, user_key)
    return conv is None or conv.reachable


async def push(s: AsyncSession, user_key: str, text: str, choices: Sequence[tuple[str, str]] = ()) -> bool:
    """Queues a push for the channel adapters; False when the resident cannot be reached by chat."""
    if not await _reachable(s, user_key):
        return False
    s.add(Outbox(user_key=user_key, retry_key=str(uuid.uuid4()), body=outbox_body(text, choices)))
    return True


# Changes ----------------------------------------------------------------------------------------

def _event(ticket: Ticket, actor: str, kind: str, now: dt.datetime, *, body_enc: bytes | None = None,
           from_status: str | None = None, to_status: str | None = None, **data: Any) -> TicketEvent:
    return TicketEvent(ticket_id=ticket.id, actor=actor, kind=kind, at=now, body_enc=body_enc,
                       from_status=from_status, to_status=to_status, data=data)


def _open(ticket: Ticket) -> None:
    if ticket.status == S.CLOSED:
        raise Conflict("この相談票は完了しています")


async def claim(s: AsyncSession, actor: Actor, ticket: Ticket, now: dt.datetime | None = None) -> None:
    """Makes the actor the person in charge; 受付 becomes 担当決定."""
    now = _now(now)
    if not can_see(actor, ticket):
        raise NotFound("相談票が見つかりません")
    _open(ticket)
    # A conditional UPDATE, so that two people claiming at once cannot both win.
    free = true() if actor.sees_all else or_(Ticket.assignee_id.is_(None), Ticket.assignee_id == actor.id)
    won = await s.execute(update(Ticket).where(Ticket.id == ticket.id, Ticket.status != S.CLOSED.value, free)
                          .values(assignee_id=actor.id).execution_options(synchronize_session=False))
    if won.rowcount != 1:
        raise Conflict("ほかの職員がすでに担当しています")
    await s.refresh(ticket)
    before = ticket.status
    if ticket.status == S.RECEIVED:
        ticket.status = S.ASSIGNED.value
    ticket.updated_at = now
    s.add(_event(ticket, actor.label, "assign", now, from_status=before, to_status=ticket.status,
                 assignee=actor.id))
    await audit(s, actor.id, "claim", ticket.id, now)
    if before != ticket.status:
        await _notify_status(s, ticket)


async def reassign(s: AsyncSession, actor: Actor, ticket: Ticket, desk: str, known_desks: Iterable[str],
                   note_enc: bytes | None = None, now: dt.datetime | None = None, *,
                   staff_chat: str | None = None, base_url: str = "") -> None:
    """Moves a ticket to another desk (coordinators only); the new desk must claim it again and is
    told through its staff chat, when one is set."""
    now = _now(now)
    if not actor.sees_all:
        raise Forbidden("窓口の変更は、福祉総務課・多機関協働の担当者だけができます")
    _open(ticket)
    desks = set(known_desks)
    if desks and desk not in desks:
        raise CaseworkError(f"窓口 {desk} はカタログにありません")
    if desk == ticket.desk:
        raise CaseworkError("すでにこの窓口の相談票です")
    before, old_desk = ticket.status, ticket.desk
    ticket.desk, ticket.assignee_id = desk, None
    if ticket.status == S.ASSIGNED:
        ticket.status = S.RECEIVED.value
    ticket.updated_at = now
    s.add(_event(ticket, actor.label, "reassign", now, body_enc=note_enc, from_status=before,
                 to_status=ticket.status, from_desk=old_desk, to_desk=desk))
    await audit(s, actor.id, "reassign", ticket.id, now, from_desk=old_desk, to_desk=desk)
    await announce_new_ticket(s, ticket, staff_chat=staff_chat, base_url=base_url)


def check_transition(current: str, to: str, outcome: str | None) -> None:
    """Raises CaseworkError unless ``current → to`` is a step of the closed loop."""
    try:
        cur, nxt = S(current), S(to)
    except ValueError:
        raise CaseworkError(f"状況「{to}」はありません") from None
    if nxt == S.CLOSED:
        if outcome is None:
            raise CaseworkError("完了にするときは、結果を選んでください")
        try:
            out = TicketOutcome(outcome)
        except ValueError:
            raise CaseworkError(f"結果「{outcome}」はありません") from None
        if out == TicketOutcome.WITHDRAWN and cur != S.CLOSED:
            return
    elif outcome is not None:
        raise CaseworkError("結果は、完了にするときだけ選びます")
    if nxt not in TRANSITIONS[cur]:
        raise Conflict(f"「{cur.value}」から「{nxt.value}」へは変えられません")


async def change_status(s: AsyncSession, actor: Actor, ticket: Ticket, to: str, *, outcome: str | None = None,
                        note_enc: bytes | None = None, now: dt.datetime | None = None) -> None:
    """Moves the ticket one step along the loop, with a note; tells a chat-contact resident."""
    now = _now(now)
    if not can_see(actor, ticket):
        raise NotFound("相談票が見つかりません")
    check_transition(ticket.status, to, outcome)
    before = ticket.status
    ticket.status = to
    ticket.updated_at = now
    if to == S.CLOSED:
        ticket.outcome, ticket.closed_at = outcome, now
        if ticket.handoff_active:
            await _end_handoff(s, ticket)
    if to in (S.CONTACTED, S.UNREACHABLE) and ticket.first_contact_at is None:
        ticket.first_contact_at = now
    if ticket.assignee_id is None and to != S.CLOSED:
        ticket.assignee_id = actor.id
    s.add(_event(ticket, actor.label, "status", now, body_enc=note_enc, from_status=before, to_status=to,
                 **({"outcome": outcome} if outcome else {})))
    await audit(s, actor.id, "status", ticket.id, now, from_status=before, to_status=to, outcome=outcome)
    await _notify_status(s, ticket)


async def _notify_status(s: AsyncSession, ticket: Ticket) -> None:
    if ticket.contact_method == ContactMethod.CHAT and ticket.ref:
        await push(s, ticket.user_key, texts.status_changed(ticket.ref, ticket.status))


async def add_note(s: AsyncSession, actor: Actor, ticket: Ticket, note_enc: bytes,
                   now: dt.datetime | None = None) -> None:
    """Adds an internal note (staff only; the resident never sees it)."""
    now = _now(now)
    if not can_see(actor, ticket):
        raise NotFound("相談票が見つかりません")
    s.add(_event(ticket, actor.label, "note", now, body_enc=note_enc))
    await audit(s, actor.id, "note", ticket.id, now)


async def reply(s: AsyncSession, actor: Actor, ticket: Ticket, body_enc: bytes,
                now: dt.datetime | None = None) -> bool:
    """Stores a message for the resident and pushes only 「お知らせがあります」+「読む」.

    Returns False when the resident cannot be reached by chat (the message is still kept)."""
    now = _now(now)
    if not can_see(actor, ticket):
        raise NotFound("相談票が見つかりません")
    _open(ticket)
    s.add(_event(ticket, actor.label, "reply", now, body_enc=body_enc))
    if ticket.first_contact_at is None:
        ticket.first_contact_at = now
    ticket.updated_at = now
    await audit(s, actor.id, "reply", ticket.id, now)
    return await push(s, ticket.user_key, texts.STAFF_MESSAGE_WAITING, [(texts.READ_LABEL, texts.READ_PAYLOAD)])


async def read_staff_replies(s: AsyncSession, cipher: Cipher, user_key: str,
                             now: dt.datetime | None = None) -> list[str]:
    """For the conversation, when the resident taps 「読む」: the staff messages not read yet,
    oldest first. Records a ``read`` event, so each message is shown once."""
    now = _now(now)
    tickets = list((await s.execute(select(Ticket).where(Ticket.user_key == user_key))).scalars())
    out: list[str] = []
    for t in tickets:
        events = await ticket_events(s, t.id)
        read: set[int] = {i for e in events if e.kind == "read" for i in e.data.get("reply_ids", [])}
        new = [e for e in events if e.kind == "reply" and e.id not in read]
        if new:
            out += [cipher.decrypt(e.body_enc) or "" for e in new]
            s.add(_event(t, "resident", "read", now, reply_ids=[e.id for e in new]))
    return out


async def start_handoff(s: AsyncSession, actor: Actor, ticket: Ticket, now: dt.datetime | None = None) -> None:
    """Staff take over the chat: the resident's messages go to this ticket; the bot stays quiet
    (except for the crisis screen) until staff hand back or close."""
    now = _now(now)
    if not can_see(actor, ticket):
        raise NotFound("相談票が見つかりません")
    _open(ticket)
    if ticket.handoff_active:
        raise Conflict("すでに職員がチャットで対応しています")
    conv = await s.get(Conversation, ticket.user_key)
    if conv is None:
        conv = Conversation(user_key=ticket.user_key, channel=ticket.channel, step="start")
        s.add(conv)
    elif conv.handoff_ticket_id not in (None, ticket.id):
        raise Conflict("この相談者とは、別の相談票でチャット中です")
    conv.handoff_ticket_id = ticket.id
    ticket.handoff_active = True
    ticket.updated_at = now
    s.add(_event(ticket, actor.label, "handoff", now))
    await audit(s, actor.id, "handoff", ticket.id, now)
    await push(s, ticket.user_key, texts.HANDOFF_STARTED)


async def _end_handoff(s: AsyncSession, ticket: Ticket) -> None:
    ticket.handoff_active = False
    conv = await s.get(Conversation, ticket.user_key)
    if conv is not None and conv.handoff_ticket_id == ticket.id:
        conv.handoff_ticket_id = None
    await push(s, ticket.user_key, texts.HANDOFF_ENDED)


async def hand_back(s: AsyncSession, actor: Actor, ticket: Ticket, now: dt.datetime | None = None) -> None:
    """Gives the chat back to the bot."""
    now = _now(now)
    if not can_see(actor, ticket):
        raise NotFound("相談票が見つかりません")
    if not ticket.handoff_active:
        raise Conflict("いまはチャットで対応していません")
    await _end_handoff(s, ticket)
    ticket.updated_at = now
    s.add(_event(ticket, actor.label, "handback", now))
    await audit(s, actor.id, "handback", ticket.id, now)


async def mark_misroute(s: AsyncSession, actor: Actor, ticket: Ticket, should_be: str, known_desks: Iterable[str],
                        now: dt.datetime | None = None) -> MisrouteLabel:
    """「振り分け違い」: stores a labelled example for catalogue maintainers. Nothing is learned."""
    now = _now(now)
    if not can_see(actor, ticket):
        raise NotFound("相談票が見つかりません")
    desks = set(known_desks)
    if (desks and should_be not in desks) or not re.fullmatch(r"[a-z][a-z0-9_]*", should_be):
        raise CaseworkError(f"窓口 {should_be} はカタログにありません")
    label = MisrouteLabel(ticket_id=ticket.id, routed_to=[ticket.desk, *ticket.service_ids], should_be=should_be,
                          staff_id=actor.id, at=now)
    s.add(label)
    s.add(_event(ticket, actor.label, "misroute", now, should_be=should_be))
    await audit(s, actor.id, "misroute", ticket.id, now, should_be=should_be)
    return label


async def mark_meeting(s: AsyncSession, actor: Actor, ticket: Ticket, meeting: str | None,
                       known_meetings: Iterable[str], now: dt.datetime | None = None) -> None:
    """Marks (or unmarks, with None) a case for the next meeting; needs the meeting consent."""
    now = _now(now)
    if not can_see(actor, ticket):
        raise NotFound("相談票が見つかりません")
    if meeting is not None:
        if meeting not in set(known_meetings):
            raise CaseworkError(f"会議 {meeting} はありません")
        _open(ticket)
        if not meeting_consent_ok((await consent_state(s, ticket))["meeting"]):
            raise Forbidden("会議での共有に、本人の同意がありません")
    before = ticket.meeting
    ticket.meeting = meeting
    ticket.updated_at = now
    s.add(_event(ticket, actor.label, "meeting", now, meeting=meeting, before=before))
    await audit(s, actor.id, "meeting", ticket.id, now, meeting=meeting)


# Meetings ---------------------------------------------------------------------------------------

async def agenda(s: AsyncSession, actor: Actor, meeting: str) -> list[Ticket]:
    """The cases marked for a meeting whose meeting consent is given and not withdrawn."""
    stmt = (select(Ticket).join(ConsentReceipt, ConsentReceipt.id == Ticket.consent_meeting_id)
            .where(_visible(actor), Ticket.meeting == meeting, ConsentReceipt.withdrawn_at.is_(None),
                   ConsentReceipt.scope == "meeting_share", Ticket.status != S.CLOSED.value)
            .order_by(Ticket.created_at, Ticket.id))
    return list((await s.execute(stmt)).scalars())


# Dashboard and the yearly review ----------------------------------------------------------------

def week_start(t: dt.datetime) -> dt.date:
    d = _aware(t).astimezone(JST).date()  # type: ignore[union-attr]
    return d - dt.timedelta(days=d.weekday())


JST = dt.timezone(dt.timedelta(hours=9))


async def dashboard(s: AsyncSession, actor: Actor, now: dt.datetime | None = None, weeks: int = 12) -> dict[str, Any]:
    """Counts for the charts: tickets per week by field and by desk, hours to first contact, outcomes."""
    now = _now(now)
    first_week = week_start(now) - dt.timedelta(weeks=weeks - 1)
    since = dt.datetime.combine(first_week, dt.time(), JST)
    rows = (await s.execute(select(Ticket.created_at, Ticket.fields, Ticket.desk, Ticket.first_contact_at,
                                   Ticket.outcome).where(_visible(actor), Ticket.created_at >= since))).all()
    labels = [(first_week + dt.timedelta(weeks=i)).isoformat() for i in range(weeks)]
    by_field: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    by_desk: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    contact_hours: dict[str, list[float]] = defaultdict(list)
    outcomes: Counter[str] = Counter()
    for created, fields_, desk, first, outcome in rows:
        i = (week_start(created) - first_week).days // 7
        if 0 <= i < weeks:
            for f in fields_ or ["（未分類）"]:
                by_field[f][i] += 1
            by_desk[desk][i] += 1
        if first is not None:
            contact_hours[desk].append((_aware(first) - _aware(created)).total_seconds() / 3600)  # type: ignore[operator]
        if outcome:
            outcomes[outcome] += 1
    return {
        "weeks": labels,
        "by_field": dict(sorted(by_field.items())),
        "by_desk": dict(sorted(by_desk.items())),
        "first_contact_median_hours": {d: round(statistics.median(v), 1) for d, v in sorted(contact_hours.items())},
        "first_contact_count": {d: len(v) for d, v in sorted(contact_hours.items())},
        "outcomes": dict(outcomes.most_common()),
        "total": len(rows),
    }


def fiscal_year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """年度: April 1 to March 31 (Japan time)."""
    return (dt.datetime(year, 4, 1, tzinfo=JST), dt.datetime(year + 1, 4, 1, tzinfo=JST))


_WORD = re.compile(r"^[\w\u3040-\u30ff\u4e00-\u9fff\u3005ー]{2,20}$")
_DIGITS = re.compile(r"\d")
UNMATCHED_KEYS = ("unmatched_terms", "out_of_scope_words", "vague_words")


def _unmatched_words(routing: Mapping[str, Any]) -> list[str]:
    """Words of an inquiry that matched no service, from the word lists of the routing explanation
    (never its text or normalised text); a word with a digit (a phone, an age, a date) is dropped."""
    expl = routing.get("explanation") or {}
    if not isinstance(expl, Mapping):
        return []
    found: set[str] = set()
    for key in UNMATCHED_KEYS:
        words = expl.get(key)
        if isinstance(words, list):
            found |= {w for w in words if isinstance(w, str) and _WORD.match(w) and not _DIGITS.search(w)}
    return sorted(found)


async def yearly_report(s: AsyncSession, year: int, *, min_count: int = 3,
                        words_of: Callable[[bytes | None], Iterable[str]] | None = None) -> dict[str, Any]:
    """The plan's chapter-5 review: inquiries by field and outcome, referrals and their outcomes,
    and needs that matched no service (社会資源の充足状況) as word counts. A word is listed only when
    at least ``min_count`` different inquiries used it, so no single person can be recognised.

    The words come from the routing explanation's word lists and, when ``words_of`` is given, from
    the encrypted summary of each unmatched inquiry (``words_of`` decrypts and keeps common nouns
    only, in memory); no text ever leaves this function."""
    start, end = fiscal_year_bounds(year)
    rows = (await s.execute(select(Ticket.id, Ticket.fields, Ticket.status, Ticket.outcome, Ticket.routing,
                                   Ticket.summary_enc)
                            .where(Ticket.created_at >= start, Ticket.created_at < end))).all()
    referred_ids = set((await s.execute(select(TicketEvent.ticket_id).where(
        TicketEvent.kind == "status", TicketEvent.to_status.in_([S.REFERRED.value, S.TO_MEETING.value]))))
        .scalars())
    by_field_outcome: dict[str, Counter[str]] = defaultdict(Counter)
    referrals: Counter[str] = Counter()
    words: Counter[str] = Counter()
    unmatched = 0
    for tid, fields_, status, outcome, routing, summary_enc in rows:
        key = outcome or f"（{status}）"
        for f in fields_ or ["（未分類）"]:
            by_field_outcome[f][key] += 1
        if tid in referred_ids:
            referrals[key] += 1
        routing = routing or {}
        if routing.get("outcome") in ("out_of_scope", "clarify") or not routing.get("matches"):
            unmatched += 1
            found = set(_unmatched_words(routing))
            if words_of is not None:
                found |= {w for w in words_of(summary_enc) if _WORD.match(w) and not _DIGITS.search(w)}
            words.update(found)
    return {
        "fiscal_year": year,
        "total": len(rows),
        "by_field_outcome": {f: dict(c.most_common()) for f, c in sorted(by_field_outcome.items())},
        "referrals": dict(referrals.most_common()),
        "unmatched_total": unmatched,
        "unmatched_words": [{"word": w, "count": n} for w, n in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))
                            if n >= min_count],
        "min_count": min_count,
    }


# Retention --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PurgeReport:
    tickets: list[str]
    outbox: int
    sessions: int
    dry_run: bool


async def purge(s: AsyncSession, retention_days: int, *, dry_run: bool, now: dt.datetime | None = None) -> PurgeReport:
    """Deletes closed tickets (with their history, labels and consent receipts) closed more than
    ``retention_days`` ago, pushes already sent, and expired staff sessions."""
    now = _now(now)
    cutoff = now - dt.timedelta(days=retention_days)
    old = list((await s.execute(select(Ticket).where(Ticket.status == S.CLOSED.value, Ticket.closed_at < cutoff)
                                .order_by(Ticket.id))).scalars())
    refs = [t.ref or f"#{t.id}" for t in old]
    sent = list((await s.execute(select(Outbox.id).where(Outbox.sent_at < cutoff))).scalars())
    expired = list((await s.execute(select(StaffSession.token_sha256).where(StaffSession.expires_at < now))).scalars())
    if not dry_run:
        ids = [t.id for t in old]
        receipts = {r for t in old for r in (t.consent_intake_id, t.consent_meeting_id) if r is not None}
        if ids:
            await s.execute(delete(MisrouteLabel).where(MisrouteLabel.ticket_id.in_(ids)))
            await s.execute(delete(TicketEvent).where(TicketEvent.ticket_id.in_(ids)))
            await s.execute(delete(Ticket).where(Ticket.id.in_(ids)))
        if receipts:
            used = {r for row in (await s.execute(select(Ticket.consent_intake_id, Ticket.consent_meeting_id).where(
                or_(Ticket.consent_intake_id.in_(receipts), Ticket.consent_meeting_id.in_(receipts))))).all()
                    for r in row}
            if receipts - used:
                await s.execute(delete(ConsentReceipt).where(ConsentReceipt.id.in_(receipts - used)))
        if sent:
            await s.execute(delete(Outbox).where(Outbox.id.in_(sent)))
        if expired:
            await s.execute(delete(StaffSession).where(StaffSession.token_sha256.in_(expired)))
        await audit(s, None, "purge", None, now, tickets=len(ids), outbox=len(sent), sessions=len(expired))
    return PurgeReport(refs, len(sent), len(expired), dry_run)


# Announcements ----------------------------------------------------------------------------------

def staff_chat_for(spec: str | None, desk: str) -> str | None:
    """The staff chat of a desk from ``SCRUM_STAFF_CHAT`` (one key, or ``desk=key,…,*=key``)."""
    if not spec or not spec.strip():
        return None
    if "=" not in spec:
        return spec.strip()
    chats = dict(item.strip().split("=", 1) for item in spec.split(",") if "=" in item)
    return (chats.get(desk) or chats.get("*") or "").strip() or None


def ticket_link(base_url: str, ticket: Ticket) -> str:
    return f"{base_url.rstrip('/')}/staff/tickets/{ticket.id}"


async def announce_new_ticket(s: AsyncSession, ticket: Ticket, *, staff_chat: str | None, base_url: str) -> bool:
    """Tells the desk's staff group about a new ticket: reference number and link only.

    For the conversation's ticket opening to call after the ticket has its ref. ``staff_chat`` is a
    user key of one staff group (``telegram:-100…``), or one per desk with a default:
    ``dept_koreisha=telegram:-1001,dept_shogai=telegram:-1002,*=telegram:-1003``. Nothing is sent
    when no chat applies."""
    chat = staff_chat_for(staff_chat, ticket.desk)
    if not chat or not ticket.ref:
        return False
    s.add(Outbox(user_key=chat, retry_key=str(uuid.uuid4()),
                 body=outbox_body(texts.new_ticket_for_desk(ticket.ref, ticket_link(base_url, ticket)))))
    return True
