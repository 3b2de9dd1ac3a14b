"""What the pure core asks the shell to do. The shell carries each out and may reply with the result.

Effects are plain values: a test can assert on them without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ConsentGiven:
    scope: str                     # "intake" | "meeting_share"
    text_version: str
    text_sha256: str
    given_at: str                  # ISO time (the clock the shell passed in)
    desks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CreateTicket:
    """Stores a consented intake as a ticket with its consent receipts; the shell replies with the ref."""

    user_key: str
    channel: str
    desk: str                      # department id in charge
    service_ids: tuple[str, ...]
    fields: tuple[str, ...]
    about: str | None
    summary: str
    contact_method: str
    phone: str | None
    preferred_times: str | None
    name: str | None
    anonymous: bool
    crisis: bool
    routing: dict[str, Any]
    intake_consent: ConsentGiven
    meeting_consent: ConsentGiven | None


@dataclass(frozen=True, slots=True)
class LookupStatus:
    """Shows the person the status of their tickets."""

    user_key: str


@dataclass(frozen=True, slots=True)
class Withdraw:
    """Withdraws every consent of the person and deletes their personal data and dialogue state."""

    user_key: str


@dataclass(frozen=True, slots=True)
class ReadStaffMessages:
    """Shows the staff messages the person has not read yet (tapped 「読む」 on a push)."""

    user_key: str


Effect = CreateTicket | LookupStatus | Withdraw | ReadStaffMessages


@dataclass(frozen=True, slots=True)
class TicketView:
    """What the status reply may show: no personal data."""

    ref: str
    created_at: str        # ISO
    status: str
