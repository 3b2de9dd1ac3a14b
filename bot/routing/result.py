"""What the router decides: the contract between routing and the conversation core.

``RoutingResult.kind`` is exactly one of route | multi | clarify | out_of_scope | crisis, so
"nothing fits" is a value, never an exception or ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ROUTE = "route"
    MULTI = "multi"
    CLARIFY = "clarify"
    OUT_OF_SCOPE = "out_of_scope"
    CRISIS = "crisis"


@dataclass(frozen=True, slots=True)
class Match:
    id: str          # service id in the catalogue
    name: str
    score: float     # 0..1, comparable within one result


@dataclass(frozen=True, slots=True)
class CrisisHit:
    kind: str                    # suicide | self_harm | dv | abuse | emergency | medical | ...
    terms: tuple[str, ...]       # the lexicon entries that fired (for staff, never logged with text)
    line_ids: tuple[str, ...]    # catalogue crisis_lines to show, most relevant first
    doubt: str = ""              # why the lexicon alone may be wrong: "settled" (every deciding sign is
    #                              told as over now, …今は元気); "" when nothing casts doubt


@dataclass(frozen=True, slots=True)
class RoutingResult:
    text: str
    outcome: Outcome
    matches: tuple[Match, ...] = ()          # best first, up to 5, whatever the outcome
    needed: tuple[str, ...] = ()             # multi: every desk needed; route: the one desk
    crisis: CrisisHit | None = None
    offered: tuple[str, ...] = ()            # multi: extra services offered through a ticket (多機関協働)
    explanation: dict[str, Any] = field(default_factory=dict)   # words and cues that decided it
    language: str = "ja"                     # "en": written in English (the reply adds a note in English)
    no_need: bool = False                    # out_of_scope because nothing but thanks or a goodbye was said
    care: tuple[str, ...] = ()               # not a crisis: crisis lines offered gently with the answer,
    #                                          most relevant first (the learned reader saw some sign of one)

    def to_json(self) -> dict[str, Any]:
        """The JSON object `scrum-bot route` prints, one per line."""
        return {
            "text": self.text,
            "outcome": self.outcome.value,
            "matches": [{"id": m.id, "name": m.name, "score": round(m.score, 4)} for m in self.matches],
            "crisis": None if self.crisis is None else {
                "kind": self.crisis.kind, "terms": list(self.crisis.terms), "lines": list(self.crisis.line_ids)},
            "needed": list(self.needed),
            "offered": list(self.offered),
            "explanation": self.explanation,
            "language": self.language,
            "care": list(self.care),
        }
