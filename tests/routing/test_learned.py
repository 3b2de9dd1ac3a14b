"""The learned component (bot/routing/learned.py): its file is fresh, it is pure and deterministic,
it is used only with the catalogue it was trained for, and its out-of-scope gate declines city
errands and classes without declining welfare needs.

The sentences below were written for this test; they are in none of the training files."""

import dataclasses

import pytest
from routing_fakes import FUJI

from bot.catalogue import load_catalogue
from bot.routing import learned
from bot.routing import router as router_mod
from bot.routing.decide import Params, Signals, decide
from bot.routing.result import Outcome


def _toy_rows():
    a = {"bias": 1.0, "t介護": 1.0}
    b = {"bias": 1.0, "t住民票": 1.0}
    return [(a, frozenset({"x"}), 1.0), (b, frozenset({learned.OOS}), 1.0)] * 5


def test_training_is_deterministic_and_learns_a_separation():
    m1 = learned.train(_toy_rows(), ["x", learned.OOS], epochs=10)
    m2 = learned.train(_toy_rows(), ["x", learned.OOS], epochs=10)
    assert m1.to_json() == m2.to_json()
    assert m1.probability({"bias": 1.0, "t介護": 1.0}, "x") > 0.8
    assert m1.probability({"bias": 1.0, "t住民票": 1.0}, learned.OOS) > 0.8
    assert m1.probability({"bias": 1.0}, "unknown class") == 0.0


def test_the_row_order_is_chosen_for_cross_validation_only(capsys):
    """`--seed` measures how much a result owes to the training order (--cv); the file is always order 0,
    so that its freshness can be checked."""
    with pytest.raises(SystemExit) as e:
        learned.main(["--seed", "1"])
    assert e.value.code == 2
    assert "--cv only" in capsys.readouterr().err


def test_the_file_round_trips():
    m = learned.train(_toy_rows(), ["x", learned.OOS], epochs=5)
    back = learned.Model.from_json(m.to_json())
    f = {"bias": 1.0, "t介護": 1.0, "never seen": 1.0}
    assert back.probabilities(f) == pytest.approx(m.probabilities(f), abs=1e-6)


def test_features_read_bigrams_cues_and_flags():
    f = learned.features("住民票がほしい", {"住民票": 1.0}, ages=[(80, 89)], stages=["高齢"], about="家族",
                         flags=["oos"])
    assert {"t住民票", "b住民", "b民票", "age65+", "stage高齢", "about家族", "flagoos", "lens"} <= set(f)
    # bigrams of hiragana alone are features of their own (tenth pass): ほしい, ない, たい say how it is asked
    assert {"hがほ", "hほし", "hしい"} <= set(f) and "bほし" not in f and "h票が" not in f


def test_hiragana_bigrams_teach_the_desks_but_not_the_crisis_reader():
    """Thanks and calm words (ありがとう, 安心しました) are written in the same hiragana as a crisis: the
    crisis classes learn nothing from bigrams of hiragana alone, the desks and ∅ do."""
    rows = [({"bias": 1.0, "hたい": 1.0}, frozenset({"x", learned.CRISIS}), 1.0),
            ({"bias": 1.0, "hです": 1.0}, frozenset({learned.OOS}), 1.0)] * 5
    m = learned.train(rows, ["x", learned.OOS, learned.CRISIS, learned.family_class(0)], epochs=10)
    k = len(m.classes)
    for f in ("hたい", "hです"):
        row = m.index[f]
        assert m.weights[row * k + 2] == 0.0 and m.weights[row * k + 3] == 0.0   # ‼ and its family
    assert m.weights[m.index["hたい"] * k + 0] > 0 and m.weights[m.index["hです"] * k + 1] > 0


def test_the_gate_declines_only_below_a_desk_s_own_evidence():
    ranked, contrib = [("d", 5.0)], {"d": {"教室": 5.0}}
    assert decide(ranked, contrib, Signals(p_oos=0.9, strong=5.0), Params()).outcome is Outcome.OUT_OF_SCOPE
    assert decide(ranked, contrib, Signals(p_oos=0.2, strong=5.0), Params()).outcome is Outcome.ROUTE
    assert decide(ranked, contrib, Signals(p_oos=0.9, strong=30.0), Params()).outcome is Outcome.ROUTE
    assert decide(ranked, contrib, Signals(p_oos=-1.0, strong=5.0), Params()).outcome is Outcome.ROUTE


@pytest.mark.sudachi
def test_the_model_file_is_fresh(fuji_router):
    """data/learned.json is what `python -m bot.routing.learned` writes from today's data and code."""
    cat = load_catalogue(FUJI)
    model = learned.load_model()
    assert model is not None
    _items, h = learned.fingerprint(cat)
    assert model.data_hash == h, "training data changed: run .venv/bin/python -m bot.routing.learned"
    import dataclasses
    bare = dataclasses.replace(fuji_router, model=None, short_reader=None)
    fresh = learned.build(cat, bare)
    assert fresh.to_json() == learned.DATA_FILE.read_text(encoding="utf-8"), \
        "features changed: run .venv/bin/python -m bot.routing.learned"
    short = learned.load_short_model()
    assert short is not None and short.data_hash == h
    assert learned.build_short(cat, bare).to_json() == learned.SHORT_FILE.read_text(encoding="utf-8"), \
        "features changed: run .venv/bin/python -m bot.routing.learned"


@pytest.mark.sudachi
def test_only_the_catalogue_it_was_trained_for_uses_it(fuji_router, other_router):
    assert fuji_router.model is not None
    assert other_router.model is None
    assert other_router.route("子どもの発達が気になる").outcome is not Outcome.CRISIS


@pytest.mark.sudachi
@pytest.mark.parametrize("text", [
    "市民センターの陶芸サークル、見学だけでもできますか",
    "日曜にある市民ゴルフ大会の申込書がほしい",
    "一般向けの着付け教室の日程を知りたい",
    "公民館のホールを合唱の練習で借りるにはどうしたら",
    # errands beside family words: the model is sure of no desk, so they are not decided again
    "母が施設に入ったので、実家の固定資産税の払い方を知りたいです",
    "市民プールの回数券はどこで買えますか。孫と行きたいので",
    "粗大ごみの出し方を教えて。父が亡くなって遺品の片付けをしています",
])
def test_city_classes_and_errands_are_declined(fuji_router, text):
    res = fuji_router.route(text)
    assert res.outcome is Outcome.OUT_OF_SCOPE, res.explanation


@pytest.mark.sudachi
@pytest.mark.parametrize("text,desk", [
    ("母の介護のことで相談したい", "houkatsu"),
    ("85の父が家にこもってばかり。年寄りの体操の集まりに行かせたい", "kaigo_yobou"),
    ("1歳の娘とあそべる場所を探してます", "kosodate_shien"),
])
def test_welfare_needs_that_sound_like_classes_are_not_declined(fuji_router, text, desk):
    res = fuji_router.route(text)
    assert res.outcome is Outcome.ROUTE and res.matches[0].id == desk, res.explanation


def test_a_decline_by_words_is_marked_as_such():
    """Only an errand word or nouns no desk knows mark a decline "by words" (the router's learned
    second reading may undo those); the learned model's own decline and thanks are not."""
    ranked, contrib = [("d", 5.5)], {"d": {"作業": 5.5}}
    errand = decide(ranked, contrib, Signals(out_of_scope=("パソコン",), strong=5.5), Params())
    assert errand.outcome is Outcome.OUT_OF_SCOPE and errand.by_words
    foreign = decide([("d", 1.0)], {"d": {"作業": 1.0}}, Signals(foreign=("給湯器", "二次会"), strong=1.0), Params())
    assert foreign.outcome is Outcome.OUT_OF_SCOPE and foreign.by_words
    model = decide(ranked, contrib, Signals(strong=5.5, p_oos=0.9), Params())
    assert model.outcome is Outcome.OUT_OF_SCOPE and not model.by_words
    thanks = decide(ranked, contrib, Signals(courtesy_only=True), Params())
    assert thanks.outcome is Outcome.OUT_OF_SCOPE and not thanks.by_words


# written for this test (in no training file): a welfare need beside an errand word (修学旅行) or a
# noun no desk knows (地震): declined by the words, not by the model, which reads a need
@pytest.mark.sudachi
@pytest.mark.parametrize("text,desk", [
    ("息子が中2から不登校で、修学旅行にも行けませんでした。親としてどうしたらいいのか", "kodomo_katei"),
    ("地震のとき、寝たきりの父をどう避難させたらいいか相談したい", "houkatsu"),
])
def test_a_welfare_need_the_model_reads_is_not_declined_for_the_words_beside_it(fuji_router, text, desk):
    res = fuji_router.route(text)
    assert res.outcome is Outcome.ROUTE and res.matches[0].id == desk, res.explanation
    assert "not declined: the learned model reads a welfare matter" in res.explanation["reason"]
    off = dataclasses.replace(fuji_router, model=None).route(text)     # the words alone decline it
    assert off.outcome is Outcome.OUT_OF_SCOPE, off.explanation


def test_a_row_teaches_only_the_classes_it_speaks_for():
    """A crisis probe line says nothing about desks: with ``only`` it moves the crisis class alone."""
    masked = [({"bias": 1.0, "t灯油": 1.0}, frozenset(), 1.0, frozenset({learned.CRISIS}))] * 5
    m = learned.train(_toy_rows() + masked, ["x", learned.OOS, learned.CRISIS], epochs=10)
    row = m.index.get("t灯油")
    assert row is not None                        # it taught the crisis class (towards "no") ...
    k = len(m.classes)
    assert [m.weights[row * k + c] for c in range(2)] == [0.0, 0.0]   # ... and nothing to the others
    assert m.weights[row * k + 2] < 0


@pytest.mark.sudachi
def test_the_learned_crisis_reader_sees_what_no_word_list_holds(fuji_router):
    """Written for this test: a goodbye in deeds, no crisis word (the lexicon reads none)."""
    r = fuji_router.route("もうみんなに迷惑かけたくない。大事にしてた本も服も全部人にあげた。あとは手紙を書くだけ")
    assert r.outcome is Outcome.CRISIS
    assert r.crisis.terms[0].startswith(learned.CRISIS) and r.crisis.line_ids


@pytest.mark.sudachi
def test_words_the_lexicon_set_aside_stay_set_aside(fuji_router):
    """A word the lexicon suppressed (fiction, negation) or told as over keeps the message out of
    crisis unless the learned reader is all but certain (LEARNED_CRISIS_SEEN); a weak sign alone is
    not set aside."""
    screen = fuji_router.screener

    def seen(text):
        norm = fuji_router.normalise(text)
        out: list[str] = []
        assert screen.screen(norm, fuji_router._analyse(norm), out) is None
        return out

    assert seen("ドラマで主人公が自殺するシーンを見て泣いてしまった")
    assert seen("中学の時にリスカしてたけど、大人になってやめられた")
    assert seen("今までありがとう、と書いた年賀状") == []        # a weak sign alone: not enough, not set aside
    for text in ("ドラマで主人公が自殺するシーンを見て泣いてしまった", "死にたいとは思ってないけど、仕事探しがつらい"):
        assert fuji_router.route(text).outcome is not Outcome.CRISIS


@pytest.mark.sudachi
def test_a_word_set_aside_does_not_silence_a_reader_that_is_all_but_certain(fuji_router):
    """Written for this test: a teacher tells of a child who is afraid to go home; "not hit" sets the
    lexicon's harm word aside, but the rest of the message is a child at risk, and the model is sure."""
    text = "放課後の教室で、小3の子が「家に帰りたくない、ママに言ったらおこられる」と泣いています。叩かれたという話は出ていません"
    norm = fuji_router.normalise(text)
    seen: list[str] = []
    assert fuji_router.screener.screen(norm, fuji_router._analyse(norm), seen) is None and seen
    r = fuji_router.route(text)
    assert r.outcome is Outcome.CRISIS and r.crisis.terms[0].startswith(learned.CRISIS)
    assert float(r.crisis.terms[0][1:]) >= router_mod.LEARNED_CRISIS_SEEN


@pytest.mark.sudachi
def test_the_learned_crisis_reader_names_the_family_and_its_lines(fuji_router):
    """Written for this test, no crisis word in either: control by a partner is harm by someone (its
    lines: police, DV); a grandfather silent in the bath is a medical emergency (119 first)."""
    harm, medical, _rest = learned.crisis_families()
    control = fuji_router.route("夫が私の携帯を毎日見て、実家に帰るのも許してくれません。給料も全部渡しています")
    bath = fuji_router.route("おじいちゃんがお風呂から出てこない。声かけても返事がない")
    assert control.outcome is Outcome.CRISIS and control.crisis.terms[0].startswith(learned.CRISIS)
    assert control.crisis.kind in harm
    assert bath.outcome is Outcome.CRISIS and bath.crisis.kind == "emergency"
    lines = {ln.id: ln for ln in fuji_router.catalogue.crisis_lines}
    assert "dv" in {k for lid in control.crisis.line_ids[:4] for k in lines[lid].kinds}
    assert "emergency" in lines[bath.crisis.line_ids[0]].kinds


@pytest.mark.sudachi
def test_a_family_the_reader_is_unsure_of_shows_every_family_s_lines_in_turns(fuji_router):
    """Written for this test: thanks sent to everyone and 'the rest does not matter' is a farewell the
    reader finds a crisis while unsure of its family (harm 0.2, the others 0.02): a line for distress
    (いのちの電話) is among the first four beside the police. Partner control it is sure of keeps its own
    family's lines only."""
    lines = {ln.id: ln for ln in fuji_router.catalogue.crisis_lines}
    farewell = fuji_router.route("お世話になった人たちにお礼のメッセージを送った。あとはもういいや")
    assert farewell.outcome is Outcome.CRISIS and farewell.crisis.terms[0].startswith(learned.CRISIS)
    first = [lines[i].kinds for i in farewell.crisis.line_ids[:4]]
    assert any("suicide" in k for k in first) and "violence" in first[0]
    control = fuji_router.route("彼のLINEに返信が遅れると、何十件もメッセージが来て、家の前で待ってる")
    assert control.outcome is Outcome.CRISIS and control.crisis.terms[0].startswith(learned.CRISIS)
    assert not any("suicide" in lines[i].kinds for i in control.crisis.line_ids[:4])


@pytest.mark.sudachi
def test_the_reader_s_bar_is_where_the_blind_files_put_it(fuji_router):
    """Written for this test: tiredness, giving up on everything and an apology, with no crisis word
    (the reader: 0.73, between the old bar and the new). Over 22 blind files and six training orders, a
    bar of 0.7 instead of 0.75 caught 20 more crisis lines for 2 more false alarms (fifteenth pass): a
    missed crisis costs more. (The first sentence here, 疲れちゃった。もう頑張れない。ごめんね, read 0.70
    and fell just under when the model was retrained for a word list; it now gets the lines as care.)"""
    res = fuji_router.route("もう疲れた。何もかも頑張れない。ごめんね")
    assert res.outcome is Outcome.CRISIS and res.crisis.terms[0].startswith(learned.CRISIS)
    assert float(res.crisis.terms[0][1:]) < 0.75


@pytest.mark.sudachi
def test_some_sign_of_a_crisis_short_of_the_bar_keeps_the_answer_and_adds_the_lines_gently(fuji_router):
    """Written for this test. A carer worn out who says it no longer matters what becomes of her (the
    reader: under its crisis bar, over the care bar) keeps her desk, and the crisis lines come with it
    (``care``), most relevant first. A plain question about nursery places, and a crisis, get none: a
    crisis shows its lines first instead."""
    lines = {ln.id for ln in fuji_router.catalogue.crisis_lines}
    worn = fuji_router.route("母の介護で毎日くたくたです。もう自分がどうなってもいいやと思う時があります")
    assert worn.outcome is Outcome.ROUTE and worn.crisis is None
    assert worn.care and set(worn.care) <= lines and "inochi_denwa" in worn.care[:2]
    p = worn.explanation["care"][learned.CRISIS]
    assert router_mod.LEARNED_CARE <= p < router_mod.LEARNED_CRISIS
    assert worn.to_json()["care"] == list(worn.care)
    nursery = fuji_router.route("保育園の入園の申し込みはいつからですか")
    assert nursery.care == () and nursery.to_json()["care"] == [] and "care" not in nursery.explanation
    crisis = fuji_router.route("もう疲れちゃった。全部やめたい")
    assert crisis.outcome is Outcome.CRISIS and crisis.care == ()


@pytest.mark.sudachi
def test_the_care_bar_reaches_a_silence_that_worries_below_the_crisis_bar(fuji_router):
    """Written for this test: a grandmother who lives alone has not answered the phone since yesterday
    (the reader: about 0.46). Not a crisis by itself, but the lines and 119/110 come with the answer."""
    silent = fuji_router.route("一人暮らしの祖母に電話しても昨日から出ない。いつもはすぐ出るのに")
    assert silent.outcome is not Outcome.CRISIS and silent.care


# --- the short reader (seventeenth pass) ------------------------------------------------------------
@pytest.mark.sudachi
@pytest.mark.parametrize("text", ["部活終わったら迎えに来て", "明日の朝ごはんパンでいい？"])
def test_a_few_everyday_words_are_not_read_as_a_crisis(fuji_router, text):
    """Written for this test: chat meant for family. The main reader, which has seen few such
    messages, reads them as a crisis; the reader trained on short messages reads them as chat."""
    main_only = dataclasses.replace(fuji_router, short_reader=None)
    assert main_only.route(text).outcome is Outcome.CRISIS
    res = fuji_router.route(text)
    assert res.outcome is not Outcome.CRISIS and not res.care
    seen = res.explanation["short_reader"]
    assert seen["short"] < router_mod.LEARNED_SHORT_CHAT and seen[learned.CRISIS] >= router_mod.LEARNED_CRISIS


@pytest.mark.sudachi
@pytest.mark.parametrize("text", ["手紙書いて部屋片付けた", "赤ちゃんが泣かない、顔が白い"])
def test_the_short_reader_never_silences_a_crisis_it_does_not_read_as_chat(fuji_router, text):
    """Written for this test: a farewell prepared, a baby who does not cry. The short reader knows
    these signs less well than the main reader; unsure (at or over its bar) it leaves the reading as is."""
    res = fuji_router.route(text)
    assert res.outcome is Outcome.CRISIS and res.crisis.terms[0].startswith(learned.CRISIS)
    seen = res.explanation["short_reader"]
    assert seen["short"] >= router_mod.LEARNED_SHORT_CHAT
    assert float(res.crisis.terms[0][1:]) == pytest.approx(seen[learned.CRISIS], abs=0.006)


@pytest.mark.sudachi
def test_only_a_short_message_is_read_twice(fuji_router):
    long = fuji_router.route("部活が終わったら迎えに来てほしいと娘に言われましたが、仕事で行けない日が続いています")
    assert learned.SHORT_MESSAGE < len(fuji_router.normalise(long.text))
    assert "short_reader" not in long.explanation


@pytest.mark.sudachi
def test_the_short_reader_comes_with_the_default_model_only(fuji_router, other_router):
    from bot.routing.router import build_router
    cat = load_catalogue(FUJI)
    assert fuji_router.short_reader is not None and other_router.short_reader is None
    assert build_router(cat, tokeniser=fuji_router.tokeniser, model=None).short_reader is None
    given = build_router(cat, tokeniser=fuji_router.tokeniser, model=fuji_router.model)
    assert given.model is fuji_router.model and given.short_reader is None


@pytest.mark.sudachi
@pytest.mark.parametrize(("text", "alarms"), [("屋上の柵の外にいる", True), ("今日で終わりにする", True),
                                              ("明日電話しますね", False)])
def test_a_message_of_eight_or_nine_letters_is_read_too(fuji_router, text, alarms):
    """Written for this test: standing outside a rooftop fence, ending it today (9 letters), a call
    promised for tomorrow (8). Before, the reader began at 10 letters and the lexicon counted one weak
    sign alone only up to 8: nothing read these two crises. The chat stays chat (the short reader)."""
    assert len(fuji_router.normalise(text)) in (8, 9)
    assert (fuji_router.route(text).outcome is Outcome.CRISIS) == alarms


@pytest.mark.sudachi
@pytest.mark.parametrize("text", ["部活終わったら迎えに来て", "明日の朝ごはんパンでいい？"])
def test_a_few_words_meant_for_someone_else_are_declined(fuji_router, text):
    """Written for this test: chat meant for family, sent to the city. The main reader did not decline it;
    the short reader, which has seen such chat, is sure it is no welfare matter."""
    main_only = dataclasses.replace(fuji_router, short_reader=None)
    assert main_only.route(text).outcome is not Outcome.OUT_OF_SCOPE
    res = fuji_router.route(text)
    assert res.outcome is Outcome.OUT_OF_SCOPE
    assert res.explanation["short_reader"][f"short {learned.OOS}"] >= fuji_router.params.learned_oos


@pytest.mark.sudachi
@pytest.mark.parametrize(("text", "desk"), [("介護の相談したい", "houkatsu"), ("保育園に入れたい", "hoiku_concierge"),
                                            ("家賃払えない", "jiritsu_soudan"), ("こんばんは", None)])
def test_a_few_words_of_need_or_a_greeting_are_not_declined(fuji_router, text, desk):
    res = fuji_router.route(text)
    if desk is None:     # a greeting opens a conversation: it is asked about, not declined
        assert res.outcome is Outcome.CLARIFY
    else:
        assert res.outcome is Outcome.ROUTE and res.matches[0].id == desk
