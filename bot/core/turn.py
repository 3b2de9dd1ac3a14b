"""The values one dialogue turn works with: the context passed in and the turn handed back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.catalogue.model import Catalogue
from bot.core.effects import Effect
from bot.core.messages import Inbound, Reply
from bot.core.session import Session
from bot.routing.result import CrisisHit, RoutingResult


class RouterLike(Protocol):
    def route(self, text: str) -> RoutingResult: ...
    def screen(self, text: str) -> CrisisHit | None: ...


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a handler may read besides the session: all passed in, nothing fetched."""

    router: RouterLike
    catalogue: Catalogue
    now: dt.datetime                                # aware; the shell's clock
    retention_days: int = 365                       # said in the consent text; enforced by the purge
    summary_limit: int = 800
    anonymous_services: frozenset[str] = frozenset({"wakamono_kokokara", "outreach_kokokara"})


@dataclass(frozen=True, slots=True)
class Turn:
    session: Session
    replies: tuple[Reply, ...] = ()
    effects: tuple[Effect, ...] = field(default_factory=tuple)


Handler = Callable[[Session, Inbound, Context], Turn]
Matcher = Callable[[Inbound], bool]
