"""Any sequence of taps and texts: the core never raises and always stays within the platform limits."""

from __future__ import annotations

from core_kit import CATALOGUE, TABLE, Bot, StandInRouter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalogue.model import Catalogue
from bot.core.session import Session

PAYLOADS = ["cmd:start", "staff:read", "cmd:help", "cmd:status", "cmd:withdraw", "cmd:restart", "cmd:anonymous", "cmd:resume",
            "card:phone:houkatsu", "card:more:jiritsu_soudan", "card:other", "card:phone:nope", "svc:houkatsu",
            "svc:nope", "intake:start:houkatsu", "intake:start:wakamono_kokokara", "intake:joint", "intake:crisis",
            "consent:yes", "consent:no", "about:self", "about:family", "contact:phone", "contact:chat",
            "contact:none", "skip", "meeting:yes", "meeting:no", "preview:send", "preview:edit", "preview:stop",
            "edit:summary", "edit:contact", "edit:name", "edit:times", "withdraw:yes", "withdraw:no",
            "clarify:none", "garbage", ""]
TEXTS = ["介護のこと", "お金のことで困っている", "いろいろ困っている", "つらい", "死にたい", "若者の相談", "こんにちは",
         "090-1234-5678", "0545-55-2757", "状況", "取り消し", "最初から", "匿名", "同意する", "やめる", "はい",
         "夜", "書かない", "あ" * 900, "🙂", " "]
MESSAGE = st.one_of(st.sampled_from(PAYLOADS).map(lambda p: (None, p or None)),
                    st.sampled_from(TEXTS).map(lambda t: (t, None)),
                    st.text(max_size=40).map(lambda t: (t, None)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MESSAGE, min_size=1, max_size=25))
def test_any_sequence_is_safe(messages: list[tuple[str | None, str | None]]) -> None:
    bot = Bot(Catalogue.model_validate(CATALOGUE), StandInRouter(dict(TABLE)))
    for text, payload in messages:
        turn = bot.push(text, payload)                       # check_limits runs inside push
        assert turn.replies or turn.effects                  # nobody is left without an answer
        assert Session.from_json(turn.session.to_json()) == turn.session
