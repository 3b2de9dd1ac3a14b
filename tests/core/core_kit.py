"""A small catalogue and a stand-in router for the pure core: no Sudachi, no database, no clock.

The catalogue holds one real, verified fact (福祉総務課 0545-55-2757, verified 2025) and, to prove
they are never shown, deliberately *unverified* test values marked as such ("0000" numbers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from bot.catalogue.model import Catalogue
from bot.core.dialogue import step
from bot.core.messages import Inbound, Reply
from bot.core.session import Session
from bot.core.turn import Context, Turn
from bot.routing.result import CrisisHit, Match, Outcome, RoutingResult

JST = dt.timezone(dt.timedelta(hours=9))
# Friday 27 Nov 2026, 10:00 JST: a working day
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=JST)

V = {"source": "https://www.city.fuji.shizuoka.jp/page/hngtkl000000qxsu.html", "checked": "2025-05-01",
     "confidence": "verified"}
U = {"source": "test fixture", "checked": "2026-11-27", "confidence": "unverified"}
WEEKDAYS = {"byday": ["MO", "TU", "WE", "TH", "FR"], "opens_at": "08:30", "closes_at": "17:15", "provenance": V}

CATALOGUE = {
    "meta": {"welfare_contact": "fukushi", "general_contact": "fukushi"},
    "departments": [
        {"id": "fukushi", "name": "富士市 福祉総務課", "phones": [{"number": "0545-55-2757", "provenance": V}],
         "hours": {"text": "月〜金 8:30〜17:15", "schedules": [WEEKDAYS], "provenance": V},
         "address": {"text": "静岡県富士市永田町一丁目100番地", "provenance": V}},
        {"id": "korei", "name": "富士市 高齢者支援課", "phones": [{"number": "0545-00-0001", "provenance": U}]},
    ],
    "services": [
        {"id": "houkatsu", "name": "地域包括支援センター", "description": "介護や暮らしの相談の窓口です。",
         "fields": ["高齢"], "department": "korei", "fallback_contact": "fukushi"},
        {"id": "jiritsu_soudan", "name": "自立相談支援", "description": "生活とお金の相談です。", "fields": ["困窮"],
         "department": "fukushi",
         "sites": [{"id": "s1", "name": "相談支援グループ", "phones": [{"number": "0545-55-2757", "provenance": V}],
                    "hours": {"text": "月〜金 8:30〜17:15", "schedules": [WEEKDAYS], "provenance": V}}]},
        {"id": "wakamono_kokokara", "name": "若者相談窓口 ココ☆カラ", "description": "若い人の相談です。",
         "fields": ["若者"], "department": "fukushi", "anonymous": True, "anonymous_provenance": V},
        {"id": "takikan_kyoudou", "name": "多機関協働", "description": "窓口をつなぎます。", "department": "fukushi",
         "routable": False},
    ],
    "crisis_lines": [
        {"id": "inochi", "name": "いのちの電話", "kinds": ["suicide"],
         "phones": [{"number": "0120-783-556", "provenance": V}],
         "hours": {"text": "毎月10日", "always_open": False, "provenance": V}},
        {"id": "fake", "name": "未確認の窓口", "kinds": ["suicide"], "phones": [{"number": "0120-000-000", "provenance": U}]},
    ],
}


@dataclass
class StandInRouter:
    """Implements route/screen from a fixed table: the core's contract, not routing quality."""

    table: dict[str, RoutingResult] = field(default_factory=dict)
    crisis_words: tuple[str, ...] = ("死にたい",)
    calls: list[str] = field(default_factory=list)

    def screen(self, text: str) -> CrisisHit | None:
        if any(w in text for w in self.crisis_words):
            return CrisisHit("suicide", ("死にたい",), ("inochi", "fake"))
        return None

    def route(self, text: str) -> RoutingResult:
        self.calls.append(text)
        if (hit := self.screen(text)) is not None:
            return RoutingResult(text, Outcome.CRISIS, crisis=hit)
        for key, result in self.table.items():
            if key in text:
                return result
        return RoutingResult(text, Outcome.OUT_OF_SCOPE)


def _m(sid: str, score: float = 0.8) -> Match:
    return Match(sid, sid, score)


TABLE = {
    "介護": RoutingResult("", Outcome.ROUTE, (_m("houkatsu"),), ("houkatsu",)),
    "お金": RoutingResult("", Outcome.ROUTE, (_m("jiritsu_soudan"),), ("jiritsu_soudan",)),
    "若者": RoutingResult("", Outcome.ROUTE, (_m("wakamono_kokokara"),), ("wakamono_kokokara",)),
    "いろいろ": RoutingResult("", Outcome.MULTI, (_m("houkatsu"), _m("jiritsu_soudan")), ("houkatsu", "jiritsu_soudan")),
    "つらい": RoutingResult("", Outcome.CLARIFY, (_m("wakamono_kokokara", .3), _m("jiritsu_soudan", .2))),
}


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue.model_validate(CATALOGUE)


@pytest.fixture
def router() -> StandInRouter:
    return StandInRouter(dict(TABLE))


LIMIT_REPLIES, LIMIT_CHOICES, LIMIT_LABEL, LIMIT_PAYLOAD, LIMIT_TEXT = 5, 13, 20, 64, 4096


def check_limits(replies: tuple[Reply, ...] | list[Reply]) -> None:
    """The strictest platform limits (LINE, Telegram), asserted on every turn."""
    assert len(replies) <= LIMIT_REPLIES
    for r in replies:
        assert len(r.choices) <= LIMIT_CHOICES
        text = r.text + ("\n" + r.card.text_fallback() if r.card else "")
        assert 0 < len(text) < LIMIT_TEXT
        for c in r.choices:
            assert 0 < len(c.label) <= LIMIT_LABEL, c.label
            assert len(c.payload.encode("utf-8")) <= LIMIT_PAYLOAD, c.payload


class Bot:
    """errbot's testbot for the pure core: push a message, pop the turn."""

    def __init__(self, catalogue: Catalogue, router: StandInRouter, now: dt.datetime = NOW) -> None:
        self.session = Session(user_key="test:1", channel="test")
        self.catalogue, self.router, self.now = catalogue, router, now
        self.turns: list[Turn] = []

    def push(self, text: str | None = None, payload: str | None = None) -> Turn:
        turn = step(self.session, Inbound("test:1", text=text, payload=payload, channel="test"),
                    Context(self.router, self.catalogue, self.now))
        check_limits(turn.replies)
        self.session = turn.session
        self.turns.append(turn)
        return turn


@pytest.fixture
def bot(catalogue: Catalogue, router: StandInRouter) -> Bot:
    return Bot(catalogue, router)
