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
