"""Property-based fuzzing of the router: any text, however odd or large, gives a well-formed result.

The real catalogue and the real Sudachi dictionary, built once for the module.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.catalogue import load_catalogue
from bot.routing.result import Outcome, RoutingResult
from bot.routing.router import LEARNED_CRISIS_MIN, Router, build_router
from tests.reliability.strategies import BIDI, EMOJI, INVISIBLE, PUNCT, adversarial_text, huge_texts

pytestmark = pytest.mark.sudachi

ROOT = Path(__file__).resolve().parents[2]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])
KINDS = {"suicide", "self_harm", "dv", "child_abuse", "abuse", "violence", "emergency", "medical_adult",
         "medical_child", "child", "youth", "general"}


@functools.cache
def _router() -> Router:
    return build_router(load_catalogue(ROOT / "knowledge" / "services.yaml"))


@pytest.fixture(scope="module")
def router() -> Router:
    return _router()


def check_result(router: Router, text: str, result: RoutingResult) -> None:
    services = {s.id for s in router.catalogue.services}
    lines = {ln.id for ln in router.catalogue.crisis_lines}
    assert isinstance(result.outcome, Outcome)
    assert len(result.matches) <= 5
    scores = [m.score for m in result.matches]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert {m.id for m in result.matches} <= services
    assert set(result.needed) <= services
    if result.outcome is Outcome.CRISIS:
        assert result.crisis is not None
    if result.crisis is not None:
        assert result.crisis.kind in KINDS
        assert set(result.crisis.line_ids) <= lines
    if result.outcome is Outcome.CLARIFY:
        assert 2 <= len(result.matches) <= 5
    json.dumps(result.to_json())       # the CLI prints it; nothing unserialisable inside


@FUZZ
@given(text=adversarial_text)
@example(text="")
@example(text="\x00")
@example(text="\ud800")                 # a lone surrogate: JSON's "\ud800" escape decodes to one
@example(text="死にたい\udfff")
@example(text="\u202e\u2066死\u200bに\u200dた\ufeffい\u2069")
@example(text="きァ")                      # was read as a crisis by the learned reader (0.93)
def test_any_text_routes_to_a_wellformed_result(text: str) -> None:
    router = _router()
    result = router.route(text)
    check_result(router, text, result)
    screened = router.screen(text)
    if screened is not None:                       # what the lexicon screens, route shows first
        assert result.crisis is not None
    elif result.crisis is not None:                # beyond it, only the learned reader, on a sentence
        assert all(t.startswith("‼") for t in result.crisis.terms)
        assert len(router.normalise(text)) >= LEARNED_CRISIS_MIN


@pytest.mark.parametrize("index", range(len(huge_texts())))
def test_100_kb_messages_route(router: Router, index: int) -> None:
    text = huge_texts()[index]
    check_result(router, text, router.route(text))


def test_crisis_at_the_end_of_a_huge_message_is_still_seen(router: Router) -> None:
    text = "母の介護のことで相談です。" * 8000 + "もう死にたい"
    assert router.route(text).outcome is Outcome.CRISIS


NOISE = st.lists(INVISIBLE | BIDI | EMOJI | PUNCT, max_size=8).map("".join)


@FUZZ
@given(phrase=st.sampled_from(["死にたい", "消えたい", "リスカしてしまった", "夫に殴られています", "意識がない"]),
       before=NOISE, after=NOISE, invisible=st.lists(INVISIBLE | BIDI, max_size=6), data=st.data())
def test_invisible_characters_and_emoji_do_not_hide_a_crisis(phrase: str, before: str, after: str,
                                                             invisible: list[str], data) -> None:
    """Zero-width and bidi marks inside a crisis phrase, emoji and punctuation around it: still crisis."""
    router = _router()
    assert router.screen(phrase) is not None, f"{phrase!r} is no longer a crisis on its own"
    chars = list(phrase)
    for mark in invisible:
        chars.insert(data.draw(st.integers(0, len(chars))), mark)
    text = before + "".join(chars) + after
    assert router.screen(text) is not None, ascii(text)


@FUZZ
@given(text=adversarial_text)
@example(text="ｹｱﾏﾈ")
@example(text="ケアマネジャーに相談")   # F6: once ケアマネジャージャー
def test_normalising_twice_changes_nothing(text: str) -> None:
    router = _router()
    once = router.normalise(text)
    assert router.normalise(once) == once


@FUZZ
@given(text=adversarial_text)
def test_routing_is_deterministic(text: str) -> None:
    router = _router()
    a, b = router.route(text), router.route(text)
    assert (a.outcome, a.matches, a.needed, a.crisis) == (b.outcome, b.matches, b.needed, b.crisis)
