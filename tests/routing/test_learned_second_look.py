"""The learned model's second look at a decision the words made (router.learned_second_look), and the
model parts it uses: the ``VAGUE`` class and ``Model.probabilities_of``.

The rules are tested with hand-set weights (a real Model whose biases give chosen probabilities), so
each test says exactly which probabilities make which decision; the sentences of the last tests were
written for this file and are in none of the training files."""

import dataclasses
import math
from array import array

import pytest
from routing_fakes import FUJI

from bot.catalogue import load_catalogue
from bot.routing import learned
from bot.routing import router as router_mod
from bot.routing.decide import Decision
from bot.routing.evaluate import Item
from bot.routing.result import Outcome
from bot.routing.router import learned_second_look

DESKS = ("a", "b", "c", "d")


def _model(**p: float) -> learned.Model:
    """A model without features: P(class) = the given probability (0.01 for the others)."""
    classes = (*DESKS, learned.VAGUE)
    bias = tuple(math.log(q / (1 - q)) for q in (p.get(c, 0.01) if c != learned.VAGUE else p.get("vague", 0.01)
                                                 for c in classes))
    return learned.Model(classes, {}, array("f"), bias)


def _route(plain: bool = True) -> Decision:
    return Decision(Outcome.ROUTE, DESKS, ("a",), "one clear desk", plain=plain)


def test_probabilities_of_reads_a_few_classes_in_one_walk():
    rows = [({"bias": 1.0, "t介護": 1.0}, frozenset({"x"}), 1.0), ({"bias": 1.0, "t住民票": 0.5}, frozenset({"y"}), 1.0)]
    m = learned.train(rows * 5, ["x", "y", learned.OOS], epochs=10)
    f = {"bias": 1.0, "t介護": 1.0, "t住民票": 0.5, "never seen": 1.0}
    some = m.probabilities_of(f, ("y", "x", "no such class"))
    every = m.probabilities(f)
    assert some["x"] == pytest.approx(every["x"]) and some["y"] == pytest.approx(every["y"])
    assert some["no such class"] == 0.0 and some["x"] > 0.5 > some["y"]


def test_a_reading_asks_the_same_questions_without_looking_the_features_up_again():
    rows = [({"bias": 1.0, "t介護": 1.0}, frozenset({"x"}), 1.0), ({"bias": 1.0, "t住民票": 0.5}, frozenset({"y"}), 1.0)]
    m = learned.train(rows * 5, ["x", "y", learned.OOS], epochs=10)
    f = {"bias": 1.0, "t介護": 1.0, "never seen": 1.0, "t住民票": 0.5}
    reading = m.read(f)
    assert len(reading.pairs) == 3                       # the unknown feature is left out, the order kept
    assert [v for _row, v in reading.pairs] == [1.0, 1.0, 0.5]
    for classes in (("x",), ("y", "x", "no such class"), m.classes):
        assert m.probabilities_of(reading, classes) == m.probabilities_of(f, classes)   # the same floats
    assert m.probability(reading, "x") == m.probability(f, "x") > 0.5


def test_clarify_lines_teach_the_vague_class():
    ask = Item("t1", "子どものことで", "clarify", ("kodomo_katei", "boshi_hoken"), "", ())
    one = Item("t2", "保育園に入りたい", "route", ("hoiku_concierge",), "", ())
    assert learned._golden_row(ask)[1] == {"kodomo_katei", "boshi_hoken", learned.VAGUE}
    assert learned.VAGUE not in learned._golden_row(one)[1]
    assert learned.VAGUE in learned.classes_for(load_catalogue(FUJI))


def test_the_model_sure_of_another_desk_the_words_found_puts_it_first():
    d, seen = learned_second_look(_model(a=0.2, b=0.8), _route(), {})
    assert d.outcome is Outcome.ROUTE and d.order == ("b", "a", "c", "d") and d.needed == ("b",)
    assert "learned model chose" in d.reason and seen["b"] == pytest.approx(0.8)


def test_the_first_desk_stays_unless_the_model_is_sure_and_clearly_surer():
    assert learned_second_look(_model(a=0.45, b=0.6), _route(), {})[0].order[0] == "a"   # margin too small
    assert learned_second_look(_model(a=0.05, b=0.45), _route(), {})[0].order[0] == "a"  # not sure enough
    # a desk the words ranked fourth is not the model's to choose
    assert learned_second_look(_model(a=0.1, d=0.99), _route(), {})[0].order[0] == "a"


def test_one_desk_the_model_would_ask_back_about_becomes_a_question():
    d, _ = learned_second_look(_model(a=0.3, vague=0.7), _route(), {})
    assert d.outcome is Outcome.CLARIFY and d.needed == () and d.order[:2] == ("a", "b")
    # not when the model is sure of the desk, nor when a rule (not the plain best score) chose it
    assert learned_second_look(_model(a=0.8, vague=0.7), _route(), {})[0].outcome is Outcome.ROUTE
    assert learned_second_look(_model(a=0.3, vague=0.7), _route(plain=False), {})[0].outcome is Outcome.ROUTE
    # ... unless the model is very sure it would ask back, whatever it thinks of the desk (the clarify
    # lines teach their candidate desks too)
    for plain in (True, False):
        assert learned_second_look(_model(a=0.9, vague=0.96), _route(plain), {})[0].outcome is Outcome.CLARIFY
        # tenth pass: "very sure" is 0.95 (was 0.85): 母の介護のことで相談したい reads 0.93 and stays a route
        assert learned_second_look(_model(a=0.9, vague=0.93), _route(plain), {})[0].outcome is Outcome.ROUTE


def test_a_second_need_just_over_the_bar_that_the_model_is_sure_is_not_there_is_dropped():
    multi = Decision(Outcome.MULTI, DESKS, ("a", "b"), "independent needs", {"b": 4.5})
    d, _ = learned_second_look(_model(a=0.95, b=0.005), multi, {})
    assert d.outcome is Outcome.ROUTE and d.needed == ("a",) and d.order[:2] == ("a", "b")
    # words about who it is (一人暮らしの母, ケアマネ) give a second desk fair evidence of its own (8–12)
    # beside a first need the model is sure of: still one need
    whom = Decision(Outcome.MULTI, DESKS, ("a", "b"), "independent needs", {"b": 10.0})
    assert learned_second_look(_model(a=0.95, b=0.005), whom, {})[0].needed == ("a",)
    # the model need not be sure of the first need to be sure the second is not one (eleventh pass; it
    # was kept below 0.9 for the first): the desk it is surer of stays, the other comes second
    assert learned_second_look(_model(a=0.6, b=0.005), multi, {})[0].needed == ("a",)
    assert learned_second_look(_model(a=0.3, b=0.02), multi, {})[0].needed == ("a",)
    swapped = learned_second_look(_model(a=0.005, b=0.4), multi, {})[0]
    assert swapped.needed == ("b",) and swapped.order[:2] == ("b", "a")
    # kept: a second need the words show clearly, or one the model does not rule out
    clear = Decision(Outcome.MULTI, DESKS, ("a", "b"), "independent needs", {"b": router_mod.LEARNED_ONE_REST + 1})
    assert learned_second_look(_model(a=0.95, b=0.005), clear, {})[0].outcome is Outcome.MULTI
    assert learned_second_look(_model(a=0.95, b=0.05), multi, {})[0].outcome is Outcome.MULTI


@pytest.mark.sudachi
@pytest.mark.parametrize("text", [
    "高校生です。祖母の物忘れが増えてきたので、どこに相談したらいいか教えてください",
    "大学生の娘が帰省したら、母の様子がおかしいと言います。同じ話を何度もするそうです",
])
def test_the_writer_s_own_school_is_no_second_need_beside_a_grandparent_s(fuji_router, text):
    """Words about who writes (高校生, 大学生の娘) give the youth desk evidence of its own; the model,
    all but sure it is not needed (P < 0.03), leaves one need: the older person's."""
    res = fuji_router.route(text)
    assert res.outcome is Outcome.ROUTE and res.needed == ("houkatsu",)


FIELDS = {"a": frozenset({"高齢"}), "b": frozenset({"高齢"}), "c": frozenset({"困窮"}), "d": frozenset({"子ども"})}


def test_a_second_need_of_another_field_that_the_model_is_sure_of_is_added():
    d, _ = learned_second_look(_model(a=0.9, c=0.85), _route(), {}, FIELDS)
    assert d.outcome is Outcome.MULTI and d.needed == ("a", "c") and d.order[:2] == ("a", "c")
    # not a desk of the first one's field, not when unsure of either, and never without the fields
    assert learned_second_look(_model(a=0.9, b=0.95), _route(), {}, FIELDS)[0].outcome is Outcome.ROUTE
    assert learned_second_look(_model(a=0.9, c=0.6), _route(), {}, FIELDS)[0].outcome is Outcome.ROUTE
    assert learned_second_look(_model(a=0.3, c=0.9), _route(), {}, FIELDS)[0].outcome is Outcome.ROUTE
    assert learned_second_look(_model(a=0.9, c=0.85), _route(), {})[0].outcome is Outcome.ROUTE
    # two desks of taking part are one activity
    joint = frozenset({"a", "c"})
    assert learned_second_look(_model(a=0.9, c=0.85), _route(), {}, FIELDS, joint)[0].outcome is Outcome.ROUTE
    # two desks that visit are one visit; beside a desk open to everyone a condition is no second need
    assert learned_second_look(_model(a=0.9, c=0.85), _route(), {}, FIELDS, visiting=joint)[0].outcome is Outcome.ROUTE
    opened = learned_second_look(_model(a=0.9, c=0.85), _route(), {}, FIELDS, open_desks=frozenset({"a"}))
    assert opened[0].outcome is Outcome.ROUTE


def test_a_second_need_the_model_reads_at_its_neighbour_desk_moves_there():
    """Two needs, and the model is sure the second is not this desk but its neighbour of the same
    field (介護予防 found for a 介護 need): the neighbour takes its place, still two needs."""
    multi = Decision(Outcome.MULTI, ("c", "a", "b", "d"), ("c", "a"), "independent needs", {"a": 4.5})
    d, seen = learned_second_look(_model(c=0.95, a=0.005, b=0.9), multi, {}, FIELDS)
    assert d.outcome is Outcome.MULTI and d.needed == ("c", "b") and d.order == ("c", "b", "a", "d")
    assert "b, not a" in d.reason and seen["b"] == pytest.approx(0.9)
    # unsure of the neighbour: the second need is dropped as before; without the fields, too
    assert learned_second_look(_model(c=0.95, a=0.005, b=0.6), multi, {}, FIELDS)[0].needed == ("c",)
    assert learned_second_look(_model(c=0.95, a=0.005, b=0.9), multi, {})[0].needed == ("c",)
    # a desk of another field is no neighbour (d: 子ども, for a 高齢 need), nor one of the first's field
    assert learned_second_look(_model(c=0.95, a=0.005, d=0.9), multi, {}, FIELDS)[0].needed == ("c",)
    first_kin = Decision(Outcome.MULTI, ("a", "c", "b", "d"), ("a", "c"), "independent needs", {"c": 4.5})
    assert learned_second_look(_model(a=0.95, c=0.005, b=0.9), first_kin, {}, FIELDS)[0].needed == ("a",)


def test_other_outcomes_are_left_alone():
    for d in (Decision(Outcome.CLARIFY, DESKS), Decision(Outcome.OUT_OF_SCOPE, DESKS),
              Decision(Outcome.MULTI, DESKS, ("a", "b", "c"), "three needs", {"c": 4.1})):
        assert learned_second_look(_model(a=0.01, b=0.99, vague=0.99), d, {}) == (d, {})


@pytest.mark.sudachi
def test_the_real_model_takes_its_second_look_and_shows_what_it_read(fuji_router):
    """Written for this test: one clear need (a nursery place for a grandchild). The second look ran
    on the committed model: the explanation shows its view of the first desks and of asking back."""
    r = fuji_router.route("娘が仕事に戻るので、1歳の孫を預けるところを今から探しておきたい。空きはあるのかね")
    assert r.outcome is Outcome.ROUTE and r.matches[0].id == "hoiku_concierge"
    seen = r.explanation["learned"]
    assert seen["hoiku_concierge"] >= 0.5 > seen[learned.VAGUE]


@pytest.mark.parametrize(("p_d", "order"), [(0.7, ("a", "b", "d", "c")), (0.4, DESKS)])
def test_a_later_desk_the_model_is_sure_of_is_shown_third(p_d, order):
    d, _seen = learned_second_look(_model(a=0.6, b=0.3, c=0.1, d=p_d), _route(), {})
    assert d.outcome is Outcome.ROUTE and d.order == order and d.needed == ("a",)


def test_a_desk_the_words_ranked_far_down_can_be_shown_third():
    """The look reads every desk the words found, not only the first five (seventh here)."""
    order = ("a", "b", "c", "d", "e", "f", "g")
    probs = {"a": 0.6, "b": 0.3, "c": 0.1, "g": 0.8}
    classes = (*order, learned.VAGUE)
    bias = tuple(math.log(q / (1 - q)) for q in (probs.get(c, 0.01) for c in classes))
    m = learned.Model(classes, {}, array("f"), bias)
    d, _seen = learned_second_look(m, Decision(Outcome.ROUTE, order, ("a",), "one clear desk", plain=True), {})
    assert d.order == ("a", "b", "g", "c", "d", "e", "f") and d.needed == ("a",)


def _close(order: tuple[str, ...] = DESKS) -> Decision:
    return Decision(Outcome.CLARIFY, order, (), "close: 0.95 of the best", close=True)


def test_a_close_call_the_model_is_sure_of_is_decided():
    d, seen = learned_second_look(_model(a=0.1, b=0.9), _close(), {})
    assert d.outcome is Outcome.ROUTE and d.needed == ("b",) and d.order[:2] == ("b", "a")
    assert "decided it" in d.reason and seen["b"] == pytest.approx(0.9)


@pytest.mark.parametrize("probs", [
    {"a": 0.5, "b": 0.6},                 # not sure of either
    {"a": 0.8, "b": 0.9},                 # sure of both: still a question
    {"a": 0.9, "b": 0.1, "vague": 0.6},   # sure a front desk would ask back
])
def test_a_close_call_stays_a_question_unless_the_model_is_clear(probs):
    d, _ = learned_second_look(_model(**probs), _close(), {})
    assert d.outcome is Outcome.CLARIFY


def test_only_a_close_call_between_desks_is_decided():
    """A message too vague to name a desk (no close call) stays a question whatever the model reads."""
    vague = Decision(Outcome.CLARIFY, DESKS, (), "too vague (0.80)")
    d, _ = learned_second_look(_model(a=0.99), vague, {})
    assert d is vague


# written for this test (in no training file): only general words (子ども, 心配) and a child's age;
# the words cannot tell the children's desks apart, the model reads the school-age desk
@pytest.mark.sudachi
@pytest.mark.parametrize("text", [
    "小3の娘が「うざい」とか言う動画ばかり見ていて心配です",
    "小6の息子が乱暴な言葉を使う動画ばかり見ていて心配です",
])
def test_only_general_words_that_the_model_reads_clearly_are_decided(fuji_router, text):
    res = fuji_router.route(text)
    assert res.outcome is Outcome.ROUTE and res.matches[0].id == "kodomo_katei", res.explanation
    assert res.explanation["reason"].startswith("only general words") and "decided it" in res.explanation["reason"]
    words_only = dataclasses.replace(fuji_router, model=None).route(text)
    assert words_only.outcome is Outcome.CLARIFY, words_only.explanation


@pytest.mark.sudachi
def test_only_general_words_the_model_would_ask_back_about_stay_a_question(fuji_router):
    res = fuji_router.route("子どものことで相談したい")
    assert res.outcome is Outcome.CLARIFY, res.explanation
