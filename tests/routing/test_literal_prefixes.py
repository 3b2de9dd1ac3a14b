"""``prefixes``: the strings every match of a regular expression starts with, which gate the crisis
screen's patterns. A gate that misses a match would hide a crisis sign, so it is checked against
strings generated from every pattern of the crisis lexicon."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.routing import data
from bot.routing.literal import prefixes

CRISIS_PATTERNS = [str(p["re"]) for p in data.load("crisis")["patterns"]]


@pytest.mark.parametrize("pattern, expected", [
    ("しに(?:た[いぃ]|て)", {"しに"}),
    ("(?:なにもかも|ぜんぶ)(?:を)?おわり", {"なに", "ぜん"}),
    ("(?:を|も)?(?:おわり|おえ)", {"おわ", "おえ", "をお", "もお"}),
    (r"\bhelp me\b", {"he"}),                # anchors take no room
    ("ぶたれ(?!ば)", {"ぶた"}),               # nor do lookarounds
    ("[0-9]+錠", set("0123456789")),         # after one round of a repeat another may follow
    ("x{2,3}y", {"x"}),
    ("ab?c", {"ab", "ac"}),
])
def test_prefixes_of_a_pattern(pattern: str, expected: set[str]) -> None:
    assert prefixes(re.compile(pattern)) == expected


@pytest.mark.parametrize("pattern", [
    "(?:^|[^0-9])4に",      # a match may start with any character but a digit
    "a?", "(?:を)?", "a|",   # may be empty
    "(?i)abc",              # ignores case
    r"\w+たい", ".しに",       # any character
])
def test_no_prefixes_when_a_match_may_start_anywhere(pattern: str) -> None:
    assert prefixes(re.compile(pattern)) is None


@pytest.mark.parametrize("pattern", CRISIS_PATTERNS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_every_match_of_a_crisis_pattern_holds_one_of_its_prefixes(pattern: str, data: st.DataObject) -> None:
    rx = re.compile(pattern)
    starts = prefixes(rx)
    if starts is None:
        return                      # always tried
    text = data.draw(st.from_regex(rx))
    for m in rx.finditer(text):
        assert any(text.startswith(s, m.start()) for s in starts), (pattern, text, m.group())
