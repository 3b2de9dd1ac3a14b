"""The tokeniser remembers the words it has analysed; what it returns must not depend on that."""

import pytest

from bot.routing import tokenise
from bot.routing.tokenise import SudachiTokeniser

pytestmark = pytest.mark.sudachi

TEXTS = ["咳止めを一箱買った", "一の位を教えて", "一人で子育てしていて", "ﾎｲｸｴﾝにおちた", "母の介護のことで相談したい",
         "保育園に入れたい", "介護保険の申請をしたい、母が80代です"]


@pytest.fixture(scope="module")
def tok() -> SudachiTokeniser:
    return SudachiTokeniser()


def test_a_remembered_word_is_analysed_as_a_fresh_tokeniser_would(tok):
    for text in TEXTS + TEXTS[::-1]:
        tok.analyse(text)
    for text in TEXTS:
        fresh = SudachiTokeniser()
        assert tok.analyse(text) == fresh.analyse(text), text
    assert tok._seen, "dictionary words are remembered"


def test_numbers_read_by_context_are_not_remembered(tok):
    # 一 is read ひと in 一箱 and いち in 一の位: Sudachi makes these morphemes up, so they are not cached
    a = tok.analyse("咳止めを一箱買った")
    b = tok.analyse("一の位を教えて")
    ra = next(t.reading for t in a.tokens if t.surface == "一")
    rb = next(t.reading for t in b.tokens if t.surface == "一")
    assert (ra, rb) == ("ひと", "いち")


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(tokenise, "SEEN_MAX", 3)
    t = SudachiTokeniser()
    t.analyse("母の介護のことで相談したい、保育園に入れたい")
    assert len(t._seen) == 3
    assert t.analyse("保育園に入れたい") == SudachiTokeniser().analyse("保育園に入れたい")


def test_routers_of_one_process_share_one_dictionary(fuji_router, other_router):
    """Every router built in a process reads with the same Sudachi dictionary (an app built per test
    used to hold one each: 5.2 GB peak for tests/security, 0.9 GB shared)."""
    from bot.routing.tokenise import shared_tokeniser
    assert fuji_router.tokeniser is other_router.tokeniser is shared_tokeniser()


def test_nouns_that_stand_as_adverbs_are_marked(tok):
    """昨日, 先週, 最近 (Sudachi's 副詞可能) tell when, not what about; 運転 and 回覧板 are topics."""
    marked = {t.surface: t.adverbial for t in tok.analyse("先週ぶつけた運転のことも昨日の回覧板も最近忘れる").tokens}
    assert marked["先週"] and marked["昨日"] and marked["最近"]
    assert not marked["運転"] and not marked["回覧板"]


def test_time_words_are_not_counted_as_topics_no_desk_knows(fuji_router):
    """Written for this test: the unknown nouns that can make a message "about something else" are
    topics (運転, 夕飯), not the times it names (先週, 昨日)."""
    r = fuji_router.route("祖父が車の運転をやめてくれない。先週ぶつけたことも昨日の夕飯も忘れている。誰に話せばいい？")
    unknown = r.explanation["unknown_words"]
    assert "運転" in unknown and "先週" not in unknown and "昨日" not in unknown
