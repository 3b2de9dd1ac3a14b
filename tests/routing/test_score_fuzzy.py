"""Typo-tolerant phrase matching: only the phrases that can reach the cutoff are scored, and none
that could is left out (the bound on partial_ratio is checked against rapidfuzz itself)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.routing.score import FUZZY_CUTOFF, Doc, Index, Scored

# a few letters, so that near-misses (one letter off, one missing, one extra) are common
LETTERS = "ほいくえんごかぁ保育園介護"
phrase = st.text(LETTERS, min_size=4, max_size=8)


def _index(phrases: list[str]) -> Index:
    return Index([Doc("a", {"x": 1.0}, 1.0)], {p: {"a": 1.0} for p in phrases})


@settings(max_examples=400, deadline=None)
@given(phrases=st.lists(phrase, min_size=1, max_size=12, unique=True), text=st.text(LETTERS, min_size=4, max_size=30))
def test_no_phrase_that_reaches_the_cutoff_is_left_out(phrases: list[str], text: str) -> None:
    index = _index(phrases)
    reach = [p for p in index.fuzzy_choices if fuzz.partial_ratio(text, p) >= FUZZY_CUTOFF]
    candidates = index._fuzzy_candidates(text)
    assert set(reach) <= set(candidates)
    assert candidates == [p for p in index.fuzzy_choices if p in candidates]     # in their own order


def test_a_typo_is_still_matched_and_an_unrelated_phrase_not_scored() -> None:
    index = _index(["保育えん", "介護保険料", "ひきこもり支援"])
    assert index._fuzzy_candidates("ほいくえんをさがしてます") == []          # shares too little with each
    assert index._fuzzy_candidates("子どもの保育えんさがし") == ["保育えん"]
    scored = index.add_fuzzy("ひきこもり支援です", Scored({}, {}, {}))     # written right: the exact stage's
    assert scored.totals == {}
    scored = index.add_fuzzy("むすこのひきこもり私援", Scored({}, {}, {}))   # one letter off in seven
    assert scored.phrases == {"a": ["~ひきこもり支援"]} and scored.totals["a"] > 0
