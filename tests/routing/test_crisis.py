"""The crisis screen: variants, readings, negation, reported speech, kinds → lines."""

import csv
from pathlib import Path

import pytest

from bot.routing import data
from bot.routing.crisis import CrisisScreen, Forms, LineRef, _squeeze
from bot.routing.normalise import Normaliser
from bot.routing.result import Outcome

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


@pytest.mark.sudachi
@pytest.mark.parametrize("text", ["こうえんに いきたい",                      # a place with に: 行く
                                  "びょういんへ いきたいけど あしが わるい",
                                  "かいもの いきたい",                        # a place, no particle
                                  "じゅうみんひょうを とりに いきたい",        # going to do something
                                  "ひとと はなせる ところに いきたい",         # ところ as a place, not someone's
                                  "これからも がんばって いきたい です"])      # ていく, across a space
def test_kana_iku_to_a_place_or_as_an_auxiliary_is_not_iku_of_death(fuji_router, text):
    assert fuji_router.screen(text) is None


@pytest.mark.sudachi
@pytest.mark.parametrize("text", ["もう いきたい",                           # nowhere to go
                                  "らくに いきたい",                         # に of a manner (a copula)
                                  "ははの ところに いきたい",                 # someone's side
                                  "なくなった つまの そばへ いきたい",
                                  "おっとより さきに いきたい",               # 先に逝く
                                  "ははのところ いきたい",
                                  "いっしょに いきたい",                      # 一緒に逝く
                                  "そっちに いきたい",                       # a pronoun
                                  "しにに いきたい"])                        # 死にに行く
def test_kana_iku_of_death_stays_a_sign(fuji_router, text):
    hit = fuji_router.screen(text)
    assert hit is not None and hit.kind == "suicide"


@pytest.mark.sudachi
@pytest.mark.parametrize("text", ["そぼ いき してない",              # 祖母 息してない: Sudachi reads the noun 息
                                  "おじいちゃん いきしてないみたい",   # ... or the verb 行く after a noun:
                                  "むすこ いきしてないかも"])          # only a term written with 逝 is 行く's twin
def test_kana_iki_of_breath_is_no_going(fuji_router, text):
    hit = fuji_router.screen(text)
    assert hit is not None and hit.kind == "emergency"


@pytest.mark.sudachi
def test_a_kana_word_cut_from_its_first_kana_is_not_the_term(fuji_router):
    assert fuji_router.screen("むすこは だれとも あおうとしません") is None     # あ|おうと: 会おうと
    hit = fuji_router.screen("あかちゃんが なんども おうとしてる")             # 嘔吐
    assert hit is not None and hit.kind == "medical_child"


@pytest.mark.sudachi
def test_kana_asks_to_be_heard_as_the_kanji_terms_do(fuji_router):
    assert fuji_router.screen("はなしを きいて もらえて よかったです") is None   # thanks, as 話を聞いてもらえて
    hit = fuji_router.screen("はなしをきいてほしい")                            # as 話を聞いてほしい
    assert hit is not None and hit.kind == "child"


@pytest.mark.sudachi
@pytest.mark.parametrize("text, crisis", [
    ("むかしは きえたいって おもってたけど いまは げんき", False),   # a past that is over, words spaced
    ("むかしは きえたいって おもってたけど いまも つらい", True),     # ... and one that is not
    ("前 は 死にたい と 思った こと も ある けど 今 は 大丈夫", False),
    ("ずっと しにたいと おもってる", True)])
def test_spaces_between_words_do_not_hide_what_follows_a_sign(fuji_router, text, crisis):
    assert (fuji_router.screen(text) is not None) is crisis


@pytest.mark.sudachi
def test_a_weak_sign_typed_in_kana_weighs_what_it_weighs_in_kanji(fuji_router):
    assert fuji_router.screen("こそだての ことで はなしを きいてほしいです") is None   # as 子育てのことで話を…
    hit = fuji_router.screen("ﾀｽｹﾃ ｸﾀﾞｻｲ")        # short in kana as 助けて下さい is short in kanji
    assert hit is not None


@pytest.mark.sudachi
@pytest.mark.parametrize("text, crisis", [
    ("しにたいとまでは おもわないけど 仕事が つらい", False),   # a kana sign in a message with kanji:
    ("病院で けいれんじゃないって いわれた", False),             # the words around it are read in kana
    ("しにたいと ずっと おもってる。仕事も つらい", True)])
def test_a_sign_typed_in_kana_is_read_with_the_kana_words_around_it(fuji_router, text, crisis):
    assert (fuji_router.screen(text) is not None) is crisis


@pytest.mark.sudachi
@pytest.mark.parametrize("text, kind", [("ﾓｳｼﾆﾀｲ", "suicide"),          # one katakana run: モウ|シニタイ
                                        ("ｵｯﾄﾆﾅｸﾞﾗﾚﾀ", "dv"),
                                        ("ｼﾞｭｳﾐﾝﾋｮｳ ﾄﾘﾀｲ", None)])
def test_a_message_typed_all_in_katakana_is_screened_as_kana(fuji_router, text, kind):
    hit = fuji_router.screen(text)
    assert (hit.kind if hit else None) == kind
    assert (fuji_router.route(text).outcome.value == "crisis") is (kind is not None)


@pytest.mark.sudachi
@pytest.mark.parametrize("text, crisis", [
    ("にゅーすでぎゃくたいのじけんをみてかなしくなった", False),   # the squeezed copy's にゅすで is no frame,
    ("いしき ない", True),                                          # but the copy still finds hidden words
    ("もう しにたーい", True)])
def test_the_squeezed_copy_does_not_judge_again_a_word_the_text_showed(fuji_router, text, crisis):
    assert (fuji_router.screen(text) is not None) is crisis


# --- the probe set: our own crisis phrasings and near-misses (never the golden sentences) ----------
PROBE = Path(__file__).parent / "data" / "crisis_probe.tsv"


def _probe_rows() -> list[dict[str, str]]:
    with PROBE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_probe_file_is_well_formed_and_large_enough():
    rows = _probe_rows()
    kinds = {"suicide", "self_harm", "dv", "child_abuse", "abuse", "violence", "emergency",
             "medical_adult", "medical_child", "child", "youth", "general"}
    assert all(r["text"] and r["expect"] in kinds | {"none"} for r in rows)
    assert len({r["text"] for r in rows}) == len(rows), "duplicate probe lines"
    positives = [r for r in rows if r["expect"] != "none"]
    assert len(positives) >= 250 and len(rows) - len(positives) >= 150
    assert {r["expect"] for r in positives} == kinds        # every kind is probed


@pytest.mark.sudachi
def test_probe_crisis_recall_is_total_and_false_alarms_at_most_1_percent(fuji_router):
    rows = _probe_rows()
    missed = [r["text"] for r in rows if r["expect"] != "none" and fuji_router.screen(r["text"]) is None]
    alarms = [r["text"] for r in rows if r["expect"] == "none" and fuji_router.screen(r["text"]) is not None]
    negatives = sum(r["expect"] == "none" for r in rows)
    assert missed == []
    assert len(alarms) <= 0.01 * negatives, alarms


@pytest.mark.sudachi
def test_probe_kind_leads_with_the_right_lines_for_most_lines(fuji_router):
    rows = [r for r in _probe_rows() if r["expect"] != "none"]
    right = sum(1 for r in rows if (h := fuji_router.screen(r["text"])) is not None and h.kind == r["expect"])
    assert right >= 0.9 * len(rows), f"kind right for {right}/{len(rows)}"


# --- the filters, one by one (fake tokeniser: pure) -------------------------------------------------
def test_suppressor_readings_apply_on_kana_only_and_when_long_enough():
    forms = Forms(["亡くなっ", "防止"], ["なくなっ", "ぼうし", "とはおもわない"])
    assert not forms.within("わからなくなった", kana=False)        # text: only the written forms
    assert not forms.within("わからなくなった", kana=True)         # なくなっ is too short to tell
    assert forms.within("しにたいとはおもわない", kana=True)        # a long reading tells
    assert forms.starts("ぼうしのこうざ", kana=True)               # right after a term, 3 kana suffice
    assert not forms.starts("ぼうしのこうざ", kana=False)


@pytest.fixture(scope="module")
def screen_words():
    """A fake tokeniser that knows a few words with their readings."""
    words = {"逝きたい": "イキタイ", "行きたい": "イキタイ", "死にたい": "シニタイ", "死に": "シニ",
             "仕事": "シゴト", "人生": "ジンセイ", "蚊": "カ", "刺され": "ササレ", "虐待": "ギャクタイ"}
    norm = Normaliser(data.load("normalise")["replace"])
    tok = FakeTokeniser(words)
    scr = CrisisScreen(data.load("crisis"), norm, lambda t: tok.analyse(t).reading, LINES)
    return lambda text: scr.screen(norm(text), tok.analyse(norm(text)))


def test_a_reading_written_with_other_kanji_is_another_word(screen_words):
    assert screen_words("病院に行きたいです") is None              # いきたい, but not 逝きたい
    assert screen_words("もう逝きたいです") is not None


def test_a_euphemism_with_a_benign_object_in_its_clause_is_not_a_crisis(screen_words):
    assert screen_words("今の仕事を終わりにしたい、転職の相談") is None
    assert screen_words("人生を終わりにしたい") is not None


@pytest.mark.sudachi
def test_a_child_who_hits_other_children_is_no_parents_hand(fuji_router):
    """Written for this test: the object is a peer (友だちを), so the child hits; a parent's own hand
    stays a crisis, also when a peer is named in another clause."""
    def alarm(text: str) -> bool:
        return fuji_router.route(text).outcome is Outcome.CRISIS
    assert not alarm("うちの子、保育園で友だちをたたいてしまうみたいで悩んでいます")
    assert not alarm("4歳の息子がお友達を叩いてしまうと園から言われました")
    assert alarm("また子どもを叩いてしまった")
    assert alarm("子どもを叩いてしまう。友だちを家に呼ぶのも怖い")


def test_kind_frames_cancel_only_their_kinds(screen_words):
    assert screen_words("蚊に刺されてかゆい") is None              # a pest frame: not violence
    assert screen_words("試合で負けて死にたい") is not None        # the sport frame is no suicide frame


def test_suspicion_outweighs_a_negation_word(screen_words):
    assert screen_words("隣のおばあさん、虐待ではないかと思う") is not None
    assert screen_words("虐待ではないと思うけど、隣の子の様子が気になる") is None


def test_jest_frame_holds_in_its_clause_unless_the_writer_means_it(screen_words):
    assert screen_words("ぽっくり死にたいねと笑って話してる") is None
    assert screen_words("ぽっくり死にたい、本気で") is not None


def test_a_cover_then_the_truth_in_a_later_clause_is_no_jest(screen_words):
    assert screen_words("消えたいって冗談っぽく言ってるけど、実は毎晩そう思ってる") is not None
    assert screen_words("死にたいとか冗談だけど、ほんとはもうずっと前から") is not None
    # the truth told in the sign's own clause, or played down again, or in the next sentence: a jest
    assert screen_words("消えたいって冗談っぽく言ってるけど、実は冗談です") is None
    assert screen_words("死にたいって冗談っぽく言っただけ。実は元気です") is None
    assert screen_words("消えたいって冗談っぽく言ってる") is None


def test_reading_patterns_catch_conjugations_and_text_patterns_counts(screen_words):
    assert screen_words("死にたか") is not None                     # dialect ending, on the reading
    assert screen_words("処方薬を50錠飲んだ") is not None           # a text pattern with a count
    assert screen_words("4にたい") is not None


def test_a_longer_weak_term_does_not_hide_a_strong_one_reaching_past_it(screen_words):
    assert screen_words("家の前で待ち伏せされている") is not None


@pytest.mark.sudachi
def test_desk_examples_alarm_only_when_they_report_abuse(fuji_router):
    """The catalogue's example inquiries are ordinary requests to a desk (生きづらくて話を聞いてほしい is
    the youth desk's); only the abuse reports among them may show crisis lines first."""
    from bot.catalogue import load_catalogue
    from routing_fakes import FUJI

    flagged = {(svc.id, ex, hit.kind) for svc in load_catalogue(FUJI).services if svc.routable
               for ex in svc.examples if (hit := fuji_router.screen(ex)) is not None}
    assert {kind for _s, _e, kind in flagged} <= {"abuse", "child_abuse", "dv", "violence"}, flagged


def test_urgency_must_be_said_besides_the_weak_sign(screen_words):
    assert screen_words("娘が学校に行くのが怖いと言っている") is None       # the fear is the sign itself
    assert screen_words("夫が怖い、どうしよう") is not None                  # a weak sign, and urgency


def test_the_same_words_found_twice_are_one_sign(screen_words):
    # 誰かに話を聞いて and 話を聞いてほしい overlap: one wish to talk, not two signs
    assert screen_words("なんか生きづらくて、誰かに話を聞いてほしい") is None


def test_helplessness_is_not_a_negation_of_the_danger(screen_words):
    assert screen_words("死にたいけど勇気はない") is not None
    assert screen_words("死にたいという気持ちはない") is None


def test_strain_with_a_named_cause_is_the_desks_but_suicide_words_stay(screen_words):
    assert screen_words("育児がしんどくて限界、夜も眠れない") is None
    assert screen_words("介護に疲れて、もう死にたい") is not None


def test_a_frame_word_inside_another_word_is_no_frame():
    forms = Forms(["本で", "防止の"], [])
    assert not forms.frames("日本で生きるのがつらい", kana=False)
    assert forms.frames("本で読んだ話", kana=False)
    assert forms.frames("虐待防止の", kana=False)       # longer frame words may follow a kanji


def test_a_past_is_over_only_after_the_sign_and_a_false_alarm_only_nearby(screen_words):
    assert screen_words("昔は死にたいと思ったこともあったけど、今は元気です") is None
    assert screen_words("昔からつらかった。今は毎日死にたい") is not None     # 今は comes before the sign
    assert screen_words("もう死にたい。今日は晴れ。友達は勘違いだったと言う") is not None


# --- families and near-misses found on the blind-written files (sentences written for these tests) --
# fourth pass: a blind crisis file; fifth pass: reading-stream bugs and near-miss forms of the new
# training files; sixth pass: the near-miss forms of six more training files
@pytest.mark.sudachi
@pytest.mark.parametrize(("text", "kind"), [
    ("父の顔の片側が下がってて、ろれつが回ってない", "emergency"),
    ("ねるまえの くすり いっぱい のんだ", "self_harm"),
    ("同棲中の彼氏に給料を全部取り上げられてる", "dv"),
    ("ﾊﾟﾊﾟがﾏﾏのかみのけひっぱってる", "dv"),
    ("もう生きとってもしょんないら", "suicide"),
    ("弟がキレて包丁持ち出した", "violence"),
    ("妻を亡くして一年、あいつのところへ早く行きたい", "suicide"),
    # fifth pass: what the fixes must still catch
    ("どーしよ、しにたーい", "suicide"),                      # the squeezed copy still reads its own words
    ("いしき ない、いきしてない", "emergency"),
    ("ﾀﾞﾝﾅﾆ ﾅｸﾞﾗﾚﾀ ﾀｽｹﾃ", "dv"),
    ("熱中症で倒れて意識がない", "emergency"),
    # sixth pass: what the new near-miss forms must not silence, and the unsure call for an ambulance
    ("DVから逃げたけど今は落ち着いてる、でもまた来そうで怖い", "dv"),      # fear after the calm
    ("さっき手首を切ってしまった。今は落ち着いてる", "self_harm"),         # just now
    ("夜に転んで足が腫れてる、救急車は大げさかな", "medical_adult"),
    ("母の言葉がもつれてきた", "medical_adult"),
    ("線路に入ろうかなって思ってる", "suicide"),
])
def test_new_crisis_families_fire(fuji_router, text, kind):
    hit = fuji_router.screen(text)
    assert hit is not None and hit.kind == kind


@pytest.mark.sudachi
@pytest.mark.parametrize("text", [
    "死にたいとかそういうんじゃないです。ただ家賃が払えなくて",
    "消えたいとかは全然思ってないけど、毎日つまらない",
    "息子がゲームしながら「殺す」って叫んでてうるさい",
    "健診で虐待を疑われないか心配です、あざは蒙古斑です",
    "美容院で髪を引っ張られて痛かった",
    # fifth pass
    "大家さんに出てけって言われそう。どーしよ",            # a squeezed copy starts words only where the text did
    "夜勤の日も子どもを預けられるとこ、あるかなー",          # 預けられる holds no 蹴られる
    "町内会の体操、DVDを借りられますか",                     # DVD holds no DV
    "死にたいとかは全然ないけど、毎日が退屈",
    "虐待とかではなく、子育ての相談相手がほしいです",
    "施設に入ったら母が虐待されないか心配で、選び方を知りたい",
    "夜泣きがひどくて、虐待と思われないかびくびくしてます",
    "ﾀﾞﾝﾅﾆ ﾅｸﾞﾗﾚﾙﾕﾒ ﾐﾀ笑",                                  # a dream
    "ニュースの虐待事件がつらくて見られない",
    "オーバードーズの危険を若い人に知らせるチラシはありますか",
    "ストーカー規制法について調べています",
    "主治医から希死念慮はもう落ち着いていると言われました",
    "父は頭を打って入院したけど、退院はしました。リハビリの相談をしたい",
    "熱中症で倒れないか心配なので、祖母の見守りをお願いしたい",
    # sixth pass
    "いもうとは こういしょうが あって しごとを さがしてます",              # こう|いしょう holds no 遺書
    "母に虐待とかそういうことは一切なく、ただ通える場所を探しています",
    "DVから逃げてきた友人が、今は安全に暮らしています。仕事を探したいそうです",
    "前に腕を切ってたけど今は落ち着いてる。居場所を探してる",
    "うちの犬が急にけいれんした、夜の動物病院を教えて",
    "小説を書いていて、主人公が虐待から逃げる場面を調べています",
    "産後うつになったらどうしようと不安で",
    "お迎えが来てほしいもんだ、わっはっは。それより体操教室は何曜日",
    "赤ちゃんの誤飲を防ぐには、何に気をつければいいですか",
    "夜中に救急車を呼ぶか迷った時のために、番号を知っておきたい",
    # sixth pass, second batch: research, being suspected, statistics, "not that far", what counts
    "卒論で児童虐待をテーマにしています。相談件数の資料はありますか",
    "夜泣きで近所に虐待って通報されないか心配です",
    "風呂場で倒れるお年寄りが多いと聞いて、手すりをつけたい",
    "消えたいってほどじゃないけど、毎日つまらない",
    "高齢者虐待ってどういうことが当てはまるのか知りたい",
    # eighth pass: harm told in the past (its clause's tense) and over now stays set aside
    "中学の時にリスカしてたけど、大人になってやめられた",
    "3年前に首をつろうとした兄ですが、今は通院して安定しています。そろそろ働きたいそうです",
    "DVで避難していた娘と孫が、今は新しい土地で落ち着いて暮らしています",
])
def test_new_crisis_near_misses_stay_quiet(fuji_router, text):
    assert fuji_router.screen(text) is None


@pytest.mark.sudachi
@pytest.mark.parametrize("text", ["はい、わかりました", "どうもありがとうございました！", "了解です、ありがとうございます", "きァ"])
def test_courtesy_and_a_few_letters_are_no_crisis(fuji_router, text):
    """The learned reader reads sentences beyond thanks and greetings (short training lines are mostly
    crisis lines, so a short message it cannot read leaned to crisis); the lexicon still reads them."""
    assert fuji_router.route(text).outcome is not Outcome.CRISIS


@pytest.mark.sudachi
def test_a_farewell_with_thanks_is_still_read(fuji_router):
    assert fuji_router.route("今までありがとう、もう疲れた").outcome is Outcome.CRISIS


# --- a story told as over: only when it is over (tense read from Sudachi's tokens) -----------
# Written for these tests. Before this rule, each of these was set aside as "over" or "calm now",
# because a "now" word (今は) or a calm word followed the sign, although the harm goes on
# (…しています, …されてる) or was an attempt with no time to say it is past.
@pytest.mark.sudachi
@pytest.mark.parametrize("text", [
    "去年から娘がリストカットしています。今は部屋にいます",
    "以前から夫に殴られています。今は実家にいますが、また戻らないといけない",
    "昔から死にたいと思っています。今は仕事も行けていません",
    "半年前から父に叩かれてる。今は家にいるのが怖い",
    "娘がリストカットしています。今は落ち着いています",
    "息子が首を吊ろうとした。今は寝ていて落ち着いている",
])
def test_harm_that_goes_on_is_not_told_as_over(fuji_router, text):
    hit = fuji_router.screen(text)
    assert hit is not None and not hit.doubt
    assert fuji_router.route(text).outcome is Outcome.CRISIS


@pytest.mark.sudachi
def test_an_alarm_told_as_settled_is_set_aside_only_when_the_model_agrees(fuji_router):
    """Written for this test. The lexicon marks both as settled (a calm word follows every sign, told
    in the past); the learned model reads the fall that is over as no crisis, and the pills as one."""
    over = "この前、父が階段で倒れて救急車を呼びました。今はすっかり元気です。介護保険の申請はどこでしますか"
    pills = "妻が薬を大量に飲んだ。本人は大丈夫と言っている"
    assert fuji_router.screen(over).doubt == "settled"
    assert fuji_router.screen(pills).doubt == "settled"
    r = fuji_router.route(over)
    assert r.outcome is Outcome.ROUTE and r.crisis is None
    assert r.explanation["crisis_set_aside"]["doubt"] == "settled"
    assert "救急車" in r.explanation["crisis_set_aside"]["terms"]
    p = fuji_router.route(pills)
    assert p.outcome is Outcome.CRISIS and "crisis_set_aside" not in p.explanation


@pytest.mark.sudachi
@pytest.mark.parametrize("text", ["父が倒れて元気がない", "母は大丈夫かなと思うほど顔色が悪く、倒れた",
                                  "夫に殴られた。今は大丈夫だけど帰るのが怖い"])
def test_a_calm_word_negated_or_followed_by_fear_casts_no_doubt(fuji_router, text):
    hit = fuji_router.screen(text)
    assert hit is None or not hit.doubt


@pytest.mark.parametrize("text, squeezed, where", [
    ("いしき ない", "いしきない", [0, 1, 2, 4, 5]),           # a space goes
    ("しにたーい", "しにたい", [0, 1, 2, 4]),                 # a long-vowel mark after hiragana goes
    ("カード ー", "カードー", [0, 1, 2, 4]),                   # after katakana or a space it stays
    ("しにたぃ", "しにたい", [0, 1, 2, 3]),                    # a small vowel is enlarged in place
    ("i want to die", "iwanttodie", [0, 2, 3, 4, 5, 7, 8, 10, 11, 12]),
    ("", "", []),
])
def test_the_squeezed_copy_and_where_each_letter_came_from(text, squeezed, where):
    assert _squeeze(text) == (squeezed, where)


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("残業ばかりで上司に殺されるw", False),
    ("シフト入れすぎ、店長まじころす笑", False),
    ("部長に殺される😂 今週も締め切り", False),
    ("知らない男に殺される、助けて", True),
    ("殺されるかもしれない。笑えない", True),
])
def test_a_laugh_right_after_a_threat_is_a_joke(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("じいちゃんが去年お風呂で倒れてから、お風呂はデイだけにしてる", False),
    ("父は先月転んで骨折してから家の中でも歩くのがやっとです", False),
    ("去年の冬、息子がけいれんを起こして救急車を呼びました。予防接種の相談をしたいです", False),
    ("去年も倒れたけど、今朝また風呂場で倒れて動かない", True),          # recent, again
    ("先月から父がトイレで倒れてばかりいる", True),                      # a span that goes on
    ("去年転んだ母が、いまトイレで倒れて動けない", True),                # now
])
def test_a_medical_emergency_dated_a_month_ago_is_a_history(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("庭にハチの巣がある。刺されたら死ぬって聞くし、駆除をお願いしたい", False),
    ("お風呂で溺れるのは一瞬と聞きました。気をつけることはありますか", False),
    ("隣の奥さんが夫に殴られたって聞いた", True),                        # no if: a harm told by another
    ("子どもが溺れた、と聞いて今病院に向かってます", True),
])
def test_a_danger_heard_of_after_an_if_is_general_knowledge(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("産後3ヶ月。わけもなく涙が出る日がある。来月の家賃が心配です", False),
    ("介護を始めて3年。最近は不安で夜も眠れない", False),
    ("借金の返済が続いています。毎日つらくて誰に言えばいいか分からない", False),
    ("産後2か月。涙が止まらない。消えたい", True),                       # a strong sign stays
    ("もう限界。何も考えられない。だれか", True),                        # no cause named
])
def test_distress_with_its_cause_named_in_the_message_is_the_desks(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
def test_a_sign_that_went_on_in_a_past_that_is_over_is_set_aside(fuji_router):
    assert fuji_router.screen("妹が去年ずっと「死にたい」って言ってて、今は通院してだいぶ落ち着いてる") is None
    # 去年から: it has gone on since then, up to now
    assert fuji_router.screen("去年から娘がリストカットしてて、今は少し落ち着いてる") is not None


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("ビルの屋上まで来ちゃった", True),
    ("いま はしのうえに きた", True),
    ("踏切の前に来てる。電車の音がする", True),
    ("毎朝ホームに立つと、一歩踏み出せば楽になるかなって思う", True),
    ("屋上で家庭菜園をしたいのですが、区画の貸し出しはありますか", False),
    ("線路沿いの空き家が気になるので、どこに相談したらいいですか", False),
    ("高橋さんと一歩ずつ楽しく体操してます", False),
])
def test_being_at_a_high_place_or_a_railway_now_alarms(fuji_router, text, alarms):
    hit = fuji_router.screen(text)
    assert (hit is not None) == alarms and (hit is None or hit.kind == "suicide")


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("母が昼から帰ってこない。認知症があって携帯も置いていった", True),
    ("祖父が3時間たっても散歩から戻らない", True),
    ("じいちゃんが散歩に出ていったきり4時間たつ", True),
    ("夫は仕事で朝から夜までいない。ワンオペがつらい", False),            # a habit
    ("うちの猫が朝から見当たらない", False),                              # a pet
    ("息子が夕方から帰ってこないけど、友達の家にいるって連絡あった", False),  # found again
    ("父が夜中に徘徊して家を出ていくことがあり、見守りの登録をしたい", False),
])
def test_someone_gone_for_hours_alarms(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("1歳の娘を一人で車に残してしまった、鍵が開かない", True),
    ("3歳と1歳の子どもだけで家にいるみたい。もう夜の11時", True),
    ("小3の息子がひとりで家にいる時間があるので学童を探しています", False),     # a school child after school
    ("3歳の子を家に置いてゴミ出しに行くのはダメですか", False),                 # not alone, and asked
])
def test_a_small_child_left_alone_alarms_by_its_age(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("1歳の息子がボタン電池を飲み込んだかも。今は元気そうだけど", True),      # only looks well: not resolved
    ("父が転んで頭を打った。今は元気だけど念のため介護保険の相談をしたい", False),
    ("転んで頭を打ったけど、病院で異常なしでした", False),
])
def test_a_medical_event_is_resolved_when_told_so_not_when_it_only_looks_so(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
def test_a_newborn_with_fever_typed_in_kana_alarms_as_in_kanji(fuji_router):
    # Sudachi reads しんせいじ as しん|せいじ (青磁); the normaliser writes it 新生児 first
    assert fuji_router.screen("しんせいじ ねつ でてる") is not None
    assert fuji_router.screen("新生児 熱 出てる") is not None


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("隣の一人暮らしのおじいさん、雨戸が閉まったままで郵便受けもいっぱい", True),   # two signs of no answer
    ("保育園の子の腕にあざがあって、お父さんの説明が二転三転している", True),       # a bruise, told inconsistently
    ("市役所の説明が二転三転して困っています", False),                               # one weak sign alone
    ("雨戸が閉まったままなので修理をお願いしたい", False),
])
def test_signs_of_no_answer_and_of_an_injury_explained_inconsistently(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
def test_no_longer_able_to_laugh_is_distress_not_a_joke(fuji_router):
    # 笑 after a sign reads as a joke; 笑えなくなった (no longer able to laugh) is its opposite
    assert fuji_router.screen("毎日つらいのが続いて笑えなくなった。だれかと話したい") is not None
    assert fuji_router.screen("笑いすぎて死にそうｗ") is None


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("祖母がお風呂で倒れたりしないか心配です", False),                     # imagined (たりしないか)
    ("熱中症で倒れる人が出ないよう、見守りの仕組みを作りたい", False),     # prevention
    ("子どもがボタン電池を口に入れそうでヒヤッとした", False),             # a near miss
    ("ストーカーの件は警察に相談して、引っ越しも済みました", False),       # settled
    ("中学のとき腕を切っていたけど、それはもう止まりました", False),       # a school year's past, over
    ("前は夫に殴られてたけど、別居して最近は落ち着いてる", False),         # 最近は: now
    ("遺書…じゃなくて遺言書の書き方を知りたい", False),                   # corrected (… is ... after NFKC)
    ("キャンプで練炭を使いたいんだけど", False),                           # a camp stove
    ("昨日はぐったりしてたけど、今日はもう走り回ってる", False),
    ("夫に殴られたりしないか毎日こわい", True),                            # not for harm by a person
    ("練炭を買ってきた", True),
    ("前は週1だったけど最近は毎日殴られてる", True),
])
def test_imagined_prevented_settled_and_corrected_signs_are_set_aside(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("保険金で借金を返せば家族は楽になる。今週中にけりをつける", True),    # two weak signs of a plan
    ("ゴミ箱に血のついたティッシュとカミソリの刃があった", True),
    ("くびに まく ひもは もう よういした", True),
    ("父が部屋でひもにぶら下がっていた", True),
    ("くすり いっきのみ した 40じょう", True),
    ("3歳の子がひとりで留守番していて、母親が戻ってきていない", True),
    ("人生ログアウトしたい", True),
    ("ビルの屋上にいる", True),
    ("母の保険金で借金を返しました", False),                               # one weak sign, told as done
    ("仕事にけりをつけて引っ越したい", False),
    ("電気もガスも督促が来て困っている", False),                           # bills, not stopped
    ("首に巻くタオルを買いたい", False),
    ("線路の近くに住んでいる", False),
    ("所持金が少なくて生活費が足りない", False),
])
def test_indirect_crisis_families_of_the_read_files(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("あしためがさめなければいいのに", True),                 # Sudachi cuts あし|ため: read from あした
    ("寝たきりの祖母がおむつ替えてもらってなくて、床ずれがひどい", True),   # おむつ替え is one word
    ("今までありがとうございました。通帳と印鑑は机の引き出しです", True),   # affairs put in order, a farewell
    ("あしたのあさ めがさめたら でかける", False),
    ("通帳と印鑑は窓口に持っていけばいいですか", False),
])
def test_words_sudachi_cuts_apart_and_affairs_put_in_order(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("ははが ひるから かえってこない", True),
    ("じいちゃん よなかに いえ でてった", True),
    ("3さいの こを ひとりで いえに おいて きちゃった", True),
    ("ゆうがたから むすこが かえってこないけど れんらくあった", False),        # found again
])
def test_someone_gone_or_a_small_child_alone_typed_in_kana(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("高いところから落ちたら痛くないかな", True),             # how painful a means is, asked
    ("首つったら くるしくない？", True),
    ("川で溺れたら苦しくないのかな", True),
    ("ビルから飛び降りたら苦しくないですか", True),
    ("ベッドから落ちても痛くないようにマットを敷きたい", False),
    ("転んで落ちたら危ないので手すりをつけたい", False),
    ("遊具から落ちたら痛いので、下がやわらかい公園を知りたい", False),
])
def test_how_painful_a_means_of_death_is_asked(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("台風で川があふれそう。足の悪い母がいて逃げられない", True),    # a disaster now, no way out
    ("津波警報が出てるけど、車いすの夫と二人で逃げられない", True),
    ("地震で家具の下敷きになってる人がいる", True),                  # trapped
    ("隣のアパートの火事、2階のおじいさんが逃げ遅れてるみたい", True),
    ("大雨で家に水が入ってきて、隣のおばあさんが動けないようです", True),     # ようです: seen, not a wish
    ("台風が来たら足の悪い母が避難できないのが心配です", False),      # a worry about the next one
    ("地震のあと、怖くて家から出られない日が続いています", False),
    ("台風で停電したら母が動けない", False),                                # if, in its own sentence
    ("地震で家具の下敷きにならないように固定したい", False),
    ("大雨のときの避難所と、足の悪い母の避難の手伝いの登録について知りたい", False),
])
def test_a_disaster_now_that_someone_cannot_get_away_from(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text, alarms", [
    ("睡眠薬をちょっとずつ貯めてる。もう30日分くらい", True),    # pills saved up, with a word between
    ("すいみんやくを こっそり ためこんでる", True),
    ("母が薬を飲み忘れて、少しずつたまってしまう", False),          # left over, not saved up
])
def test_medicine_saved_up_little_by_little(fuji_router, text, alarms):
    assert (fuji_router.screen(text) is not None) == alarms
