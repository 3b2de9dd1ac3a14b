"""The literal index: every occurrence of every string, by start, the longest first at a start."""

from bot.routing.literal import LiteralIndex


def test_every_occurrence_by_start_and_longest_first() -> None:
    idx = LiteralIndex([("介護", "a"), ("介護保険", "b"), ("保険", "c"), ("護", "d")])
    assert list(idx.finditer("介護保険と介護")) == [
        (0, "介護保険", "b"), (0, "介護", "a"), (1, "護", "d"), (2, "保険", "c"), (5, "介護", "a"),
        (6, "護", "d")]


def test_a_string_given_twice_keeps_both_payloads_in_order() -> None:
    idx = LiteralIndex([("ひきこもり", ("phrase", 1)), ("ひきこもり", ("cue", 2)), ("", "never")])
    assert list(idx.finditer("息子がひきこもり")) == [(3, "ひきこもり", ("phrase", 1)), (3, "ひきこもり", ("cue", 2))]


def test_offsets_count_characters_outside_the_basic_plane() -> None:
    idx = LiteralIndex([("死にたい", "t")])
    text = "😀𠮷死にたい"
    ((i, s, _),) = list(idx.finditer(text))
    assert text[i:i + len(s)] == "死にたい" and i == 2


def test_an_empty_index_finds_nothing() -> None:
    assert list(LiteralIndex([]).finditer("なんでも")) == []
    assert list(LiteralIndex([("相談", 1)]).finditer("")) == []
