"""Database models (SQLAlchemy 2, typed). One schema for SQLite and PostgreSQL.

Personal fields (names, phone numbers, summaries, messages, notes, dialogue state) are stored
encrypted in ``*_enc`` columns; ``bot.store.crypto.Cipher`` turns them into text and back. The
key comes from the environment and is never stored with the data.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: DateTime(timezone=True), dict[str, Any]: JSON, list[str]: JSON}


class TicketStatus(StrEnum):
    """A closed-loop referral (anchors.md: findhelp's statuses adapted for Japan)."""

    RECEIVED = "受付"
    ASSIGNED = "担当決定"
    CONTACTED = "連絡済"
    UNREACHABLE = "連絡つかず"
    REFERRED = "他窓口へ紹介"
    TO_MEETING = "支援調整会議へ"
    CLOSED = "完了"


class TicketOutcome(StrEnum):
    """What 完了 means: a verified outcome, not a hand-off."""

    GOT_HELP = "支援につながった"
    DECLINED = "本人辞退"
    NOT_ELIGIBLE = "対象外"
    REFERRED_ELSEWHERE = "他機関で対応"
    NO_CONTACT = "連絡がとれなかった"
    WITHDRAWN = "同意撤回"


class ContactMethod(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    NONE = "none"


class StaffRole(StrEnum):
    DESK = "desk"                 # sees the tickets of their own department
    COORDINATOR = "coordinator"   # 福祉総務課 / 多機関協働: sees all, reassigns
    ADMIN = "admin"               # manages users


class Conversation(Base):
    """Dialogue state per user, so a restart resumes where the person was."""

    __tablename__ = "conversation"
    user_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    step: Mapped[str] = mapped_column(String(40))
    state_enc: Mapped[bytes | None] = mapped_column(LargeBinary)        # encrypted JSON of the session
    handoff_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"))
    reachable: Mapped[bool] = mapped_column(default=True)                # False after LINE unfollow
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(index=True)   # abandoned intakes purge


class Ticket(Base):
    __tablename__ = "ticket"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str | None] = mapped_column(String(20), unique=True)     # FJ-2026-000123, from id
    # One intake, one ticket, across replicas: a keyed hash of (user key, intake consent time), unique.
    intake_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    user_key: Mapped[str] = mapped_column(String(200), index=True)       # channel user key (never shown to staff)
    pseudonym: Mapped[str] = mapped_column(String(40), index=True)       # what staff see
    channel: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.RECEIVED.value, index=True)
    outcome: Mapped[str | None] = mapped_column(String(30))
    desk: Mapped[str] = mapped_column(String(60), index=True)            # department id in charge
    service_ids: Mapped[list[str]] = mapped_column(default=list)
    fields: Mapped[list[str]] = mapped_column(default=list)              # 分野: 高齢, 障害 …
    about: Mapped[str | None] = mapped_column(String(20))                # 本人 / 家族 / 知人・近所
    anonymous: Mapped[bool] = mapped_column(default=False)
    crisis: Mapped[bool] = mapped_column(default=False)
    contact_method: Mapped[str] = mapped_column(String(10), default=ContactMethod.CHAT.value)
    summary_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    preferred_times_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    routing: Mapped[dict[str, Any]] = mapped_column(default=dict)        # outcome, matches, explanation
    consent_intake_id: Mapped[int | None] = mapped_column(ForeignKey("consent_receipt.id", ondelete="SET NULL"))
    consent_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("consent_receipt.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"), index=True)
    handoff_active: Mapped[bool] = mapped_column(default=False)          # staff are talking; bot stays quiet
    meeting: Mapped[str | None] = mapped_column(String(40))              # meeting id marked for the agenda
    first_contact_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column(index=True)

    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id",
                                                     cascade="all, delete-orphan", passive_deletes=True)


class TicketEvent(Base):
    """Append-only history of a ticket: who, when, what, why."""

    __tablename__ = "ticket_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))         # "resident", "bot", "staff:12"
    kind: Mapped[str] = mapped_column(String(30))          # created, status, assign, note, reply, message, handback, misroute, withdrawn
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    body_enc: Mapped[bytes | None] = mapped_column(LargeBinary)   # note / message text, encrypted
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)   # no personal data

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class ConsentReceipt(Base):
    """A consent as a receipt: which text version, when, for what scope; and its withdrawal."""

    __tablename__ = "consent_receipt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_key: Mapped[str] = mapped_column(String(200), index=True)
    scope: Mapped[str] = mapped_column(String(40))          # "intake" | "meeting_share"
    desks: Mapped[list[str]] = mapped_column(default=list)  # who may see it
    text_version: Mapped[str] = mapped_column(String(40))   # e.g. "intake-2026-11-27"
    text_sha256: Mapped[str] = mapped_column(String(64))
    given_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column()


class ProcessedEvent(Base):
    """Platform events already handled (LINE webhookEventId, Telegram update_id): no double work."""

    __tablename__ = "processed_event"
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default="received")   # received | answering | done | failed
    payload_enc: Mapped[bytes | None] = mapped_column(LargeBinary)      # the event, encrypted, until done
    claimed_until: Mapped[dt.datetime | None] = mapped_column()          # the handler's lease (renewed)
    # A number from a hash of the resident (0–4095, not the platform id): a worker does not take an
    # event while an older one of the same part is leased elsewhere, so a resident's order holds.
    part: Mapped[int | None] = mapped_column()


class Outbox(Base):
    """Messages to push later (reply token stale, staff replies, status changes). No personal data."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_key: Mapped[str] = mapped_column(String(200), index=True)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)      # X-Line-Retry-Key (UUID)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)           # rendered replies
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[dt.datetime | None] = mapped_column()           # a sender's lease: one replica sends it


class StaffUser(Base):
    __tablename__ = "staff_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))              # argon2
    department: Mapped[str] = mapped_column(String(60))                  # department id
    role: Mapped[str] = mapped_column(String(20), default=StaffRole.DESK.value)
    disabled: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StaffSession(Base):
    __tablename__ = "staff_session"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class AuditLog(Base):
    """Every view of personal data and every change, by whom and when. Holds no personal data."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))         # view_ticket, status, export_agenda, login …
    ticket_id: Mapped[int | None] = mapped_column(index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MisrouteLabel(Base):
    """「振り分け違い」: a labelled example for catalogue maintainers; nothing is learned automatically."""

    __tablename__ = "misroute_label"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    routed_to: Mapped[list[str]] = mapped_column(default=list)
    should_be: Mapped[str] = mapped_column(String(60))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reviewed: Mapped[bool] = mapped_column(default=False)


class RateLimitWindow(Base):
    """Messages per user in one fixed window (bot/ratelimit.py), shared by every replica.

    ``bucket`` is a hash of the user key, never the platform user id itself.
    """

    __tablename__ = "rate_limit_window"
    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)      # epoch seconds // window length
    count: Mapped[int] = mapped_column(Integer, default=0)


Index("ix_ticket_desk_status", Ticket.desk, Ticket.status)
# take_events asks, per waiting event, whether an older one of the same part is held elsewhere.
Index("ix_processed_event_part", ProcessedEvent.platform, ProcessedEvent.part, ProcessedEvent.received_at)
