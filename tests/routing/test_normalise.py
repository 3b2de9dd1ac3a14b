import pytest

from bot.routing import data
from bot.routing.normalise import Normaliser, to_hiragana


def make() -> Normaliser:
    return Normaliser(data.load("normalise")["replace"])


def test_width_and_nfkc_fold_half_width_kana_and_digits():
    n = make()
    assert n("ｹｱﾏﾈに相談") == "ケアマネジャーに相談"
    assert n("８０代") == "80代"


def test_variants_and_colloquial_words_fold_to_one_form():
    n = make()
    assert n("子供") == n("こども") == "子ども"
    assert n("オカンが") == "母が"
    assert n("ばあちゃんが一人暮らし") == "祖母が一人暮らし"
    assert n("ひきこもりっす") == "ひきこもりです"
    assert n("引き篭もり") == "ひきこもり"


def test_invisible_characters_and_long_runs_are_removed():
    n = make()
    assert n("しに\u200bたい") == "しにたい"
    assert n("つらいいいいい") == "つらいい"
    assert n("a\r\nb") == "a。b"


def test_words_that_merely_contain_a_key_are_not_broken():
    n = make()
    assert n("かわいい") == "かわいい"
    assert n("ママ友がいない") == "ママ友がいない"


def test_a_key_inside_its_own_form_is_left_alone():
    n = make()      # バイト -> アルバイト must not turn アルバイト into アルアルバイト
    assert n("アルバイトが続かない") == n("バイトが続かない") == "アルバイトが続かない"
    assert n(n("アルバイトとバイト")) == n("アルバイトとバイト") == "アルバイトとアルバイト"


def test_to_hiragana():
    assert to_hiragana("シニタイ") == "しにたい"


@pytest.mark.parametrize("typed, written", [
    ("しんせいじ ねつ", "新生児 ねつ"), ("しやくしょに いく", "市役所に いく"), ("びよういんの よやく", "美容院の よやく"),
    ("しんせいじょうけん", "しんせいじょうけん"),        # 申請条件: the longer entry keeps it as typed
])
def test_kana_words_sudachi_cuts_wrongly_are_written_as_the_word(typed, written):
    assert Normaliser(data.load("normalise")["replace"])(typed) == written
