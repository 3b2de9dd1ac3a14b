"""The dialogue state of one person, as an immutable value the pure core returns anew each turn.

The shell stores it encrypted (``conversation.state_enc``); the step also goes in a plain column so
staff tools and the purge can read it without decrypting. ``to_json``/``from_json`` are exact
inverses (tests/core/test_session.py).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Step(StrEnum):
    """Where the person is. Stored as text, so it stays readable in the database."""

    START = "start"                     # waiting for an inquiry
    REFERRED = "referred"               # a card or list was shown; buttons offered
    CLARIFY = "clarify"                 # choosing among candidate desks
    CRISIS = "crisis"                   # crisis lines shown; offer to connect
    CONSENT = "consent"                 # intake explained; 同意する / やめる
    ABOUT = "about"                     # 本人 / 家族 / 知人・近所
    SUMMARY = "summary"                 # their own words
    CONTACT = "contact"                 # 電話 / このチャット / 連絡はいらない
    PHONE = "phone"                     # a Japanese phone number
    TIMES = "times"                     # preferred times (optional)
    NAME = "name"                       # optional
    MEETING = "meeting"                 # second consent: 重層的支援会議 sharing
    PREVIEW = "preview"                 # 送る / 直す
    EDIT = "edit"                       # which field to change
    WITHDRAW = "withdraw"               # 消す / 消さない


INTAKE_STEPS = frozenset({Step.CONSENT, Step.ABOUT, Step.SUMMARY, Step.CONTACT, Step.PHONE, Step.TIMES,
                          Step.NAME, Step.MEETING, Step.PREVIEW, Step.EDIT})


@dataclass(frozen=True, slots=True)
class Draft:
    """What the person has told us for the ticket so far (personal data: encrypted at rest)."""

    about: str | None = None            # self | family | neighbour
    summary: str | None = None
    contact: str | None = None          # phone | chat | none (models.ContactMethod)
    phone: str | None = None
    times: str | None = None
    name: str | None = None
    meeting_consent: bool | None = None
    intake_consent_at: str | None = None     # ISO time the intake consent was given (ctx.now)
    intake_consent_sha: str | None = None    # sha256 of the exact consent text shown
    meeting_consent_at: str | None = None
    meeting_consent_sha: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    user_key: str
    channel: str = "console"
    step: Step = Step.START
    service_ids: tuple[str, ...] = ()   # the desks of the current referral, best first
    joint: bool = False                 # one joined-up ticket for several desks (多機関協働)
    crisis: bool = False
    crisis_kind: str | None = None
    anonymous: bool = False
    routing: dict[str, Any] = field(default_factory=dict)   # outcome, matches, explanation (no text)
    clarify_ids: tuple[str, ...] = ()
    draft: Draft = Draft()
    editing: bool = False               # an edit returns to the preview
    resume: Step | None = None          # where 取り消し/crisis interrupted an intake

    def to(self, step: Step, **changes: Any) -> "Session":
        return dataclasses.replace(self, step=step, **changes)

    def with_draft(self, **changes: Any) -> "Session":
        return dataclasses.replace(self, draft=dataclasses.replace(self.draft, **changes))

    def reset(self) -> "Session":
        """A fresh start that keeps only who the person is, the channel and the anonymous wish."""
        return Session(user_key=self.user_key, channel=self.channel, anonymous=self.anonymous)

    @property
    def in_intake(self) -> bool:
        return self.step in INTAKE_STEPS or (self.resume is not None and self.resume in INTAKE_STEPS)

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> "Session":
        data = json.loads(raw)
        draft = Draft(**data.pop("draft", {}))
        resume = data.pop("resume", None)
        return cls(step=Step(data.pop("step")), draft=draft, resume=Step(resume) if resume else None,
                   service_ids=tuple(data.pop("service_ids", ())),
                   clarify_ids=tuple(data.pop("clarify_ids", ())), **data)
