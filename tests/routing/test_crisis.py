"""The crisis screen: variants, readings, negation, reported speech, kinds → lines."""

import pytest

from bot.routing import data
from bot.routing.crisis import CrisisScreen, LineRef
from bot.routing.normalise import Normaliser

from routing_fakes import FakeTokeniser

LINES = [LineRef("l_suicide_unverified", ("suicide",), False, 1),
         LineRef("l_suicide", ("suicide",), True, 50),
         LineRef("l_general", ("general",), True, 100),
         LineRef("l_dv", ("dv",), True, 10),
         LineRef("l_child", ("child_abuse",), True, 10)]


@pytest.fixture(scope="module")
def screen_fake():
    norm = Normaliser(data.load("normalise")["replace"])
    tok = FakeTokeniser({"死": "シ", "死にたい": "シニタイ"})
    scr = CrisisScreen(data.load("crisis"), norm, lambda t: tok.analyse(t).reading, LINES)
    return lambda text: scr.screen(norm(text), tok.analyse(norm(text))), scr


def test_plain_term_fires_with_kind_and_verified_lines_first(screen_fake):
    screen, _ = screen_fake
    hit = screen("もう死にたい")
    assert hit is not None and hit.kind == "suicide"
    assert hit.line_ids[:2] == ("l_suicide", "l_suicide_unverified")
    assert hit.line_ids[-1] == "l_general"


@pytest.mark.parametrize("text", ["死にたいとは思わない", "死にたいなんて思っていません",
                                  "虐待防止の講座に出たい", "ドラマで虐待のシーンを見た",
                                  "DVについての講演会に行きたい"])
def test_negation_learning_and_fiction_do_not_fire(screen_fake, text):
    screen, _ = screen_fake
    assert screen(text) is None


def test_fiction_frame_does_not_hide_the_writers_own_present(screen_fake):
    screen, _ = screen_fake
    assert screen("ドラマで虐待のシーンを見て、自分も今もされていると気づいた") is not None


def test_past_that_is_over_does_not_fire_but_present_does(screen_fake):
    screen, _ = screen_fake
    assert screen("昔は消えたいと思ったこともあったけど今は元気です") is None
    assert screen("最近消えたいって思うことがある") is not None


def test_one_weak_term_needs_a_second_signal(screen_fake):
    screen, _ = screen_fake
    assert screen("介護がもう限界で疲れてしまった、どこに相談すれば") is None
    assert screen("もう限界、頭がおかしくなりそう") is not None


def test_kind_is_resolved_by_context(screen_fake):
    screen, _ = screen_fake
    assert screen("夫に毎日殴られています").kind == "dv"
    hit = screen("隣の子どもが虐待されているかも")
    assert hit.kind == "child_abuse" and hit.line_ids[0] == "l_child"


def test_ascii_terms_need_word_boundaries(screen_fake):
    screen, _ = screen_fake
    assert screen("good morning") is None
    assert screen("昨日ODしてしまった") is not None


def test_unknown_kind_falls_back_to_general_lines(screen_fake):
    _, scr = screen_fake
    assert scr.lines_for(["emergency"]) == ("l_general",)


@pytest.mark.sudachi
@pytest.mark.parametrize("text", ["しにたい", "シニタイ", "死にたい", "きえたい", "りすかしちゃった",
                                  "ちちが たおれて いしきない"])
def test_real_readings_catch_kana_and_kanji(fuji_router, text):
    assert fuji_router.screen(text) is not None


@pytest.mark.sudachi
@pytest.mark.parametrize("text", ["死ぬほど忙しい", "笑いすぎて死にそう", "父が亡くなって手続きが大変",
                                  "こころすこやかに過ごしたい", "保育園の空きを知りたい"])
def test_real_hyperbole_and_plain_inquiries_do_not_fire(fuji_router, text):
    assert fuji_router.screen(text) is None


@pytest.mark.sudachi
@pytest.mark.parametrize("text, kind", [
    ("彼氏になぐられた", "dv"),                       # a verb by its dictionary form, in kana
    ("中学生です。父親に毎晩けられる", "child_abuse"),  # passive: the parent is the one who hurts
    ("しにたぃ", "suicide"), ("しにたーい", "suicide"), ("死に たい", "suicide"),
    ("施設で母が職員に叩かれている", "abuse"),
    ("生後2か月の赤ちゃんがぐったりしてミルクも飲まない", "medical_child"),
    ("消えたくなった", "suicide"), ("もう生きてる理由がわからない", "suicide"),   # word sequences,
    ("いなくなりたい", "suicide"), ("夫が毎晩殴ってくる", "dv"),                 # any conjugation
    ("薬をいっぱい飲んだ", "self_harm"), ("父が倒れて動かない", "emergency"),
])
def test_real_variants_and_kinds(fuji_router, text, kind):
    hit = fuji_router.screen(text)
    assert hit is not None and hit.kind == kind


@pytest.mark.sudachi
@pytest.mark.parametrize("text", ["消えたインクのペンを探しています",            # a katakana word is not cut
                                  "転んで頭を打ったけど病院で異常なしでした",      # a medical event that is over
                                  "父が倒れてると思ったら、ただ寝てただけだった",  # a false alarm told later
                                  "殺す気か！ってくらい暑い"])                     # hyperbole
def test_real_near_misses(fuji_router, text):
    assert fuji_router.screen(text) is None
