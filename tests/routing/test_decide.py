"""The decision stage alone: pure data in, outcome out."""

from bot.routing.decide import Params, Signals, decide
from bot.routing.result import Outcome

P = Params()
F = {"elder": frozenset({"高齢"}), "elder2": frozenset({"高齢"}), "money": frozenset({"困窮"})}


def test_one_clear_desk_routes():
    d = decide([("elder", 9.0), ("money", 1.0)], {"elder": {"介護": 9.0}, "money": {"相談": 1.0}}, Signals(), P, F)
    assert d.outcome is Outcome.ROUTE and d.needed == ("elder",)


def test_two_independent_needs_make_multi():
    contrib = {"elder": {"介護": 8.0, "認知症": 4.0}, "money": {"家賃": 6.0, "借金": 3.0}}
    d = decide([("elder", 12.0), ("money", 9.0)], contrib, Signals(), P, F)
    assert d.outcome is Outcome.MULTI and d.needed == ("elder", "money")


def test_neighbours_of_one_field_are_not_two_needs():
    contrib = {"elder": {"介護": 8.0}, "elder2": {"介護": 7.5, "体操": 6.0}}
    d = decide([("elder", 8.0), ("elder2", 13.5)][::-1], contrib, Signals(), P, F)
    assert d.outcome is not Outcome.MULTI


def test_shared_words_are_explained_away():
    contrib = {"elder": {"介護": 8.0, "母": 2.0}, "money": {"介護": 5.0, "母": 1.9}}
    d = decide([("elder", 10.0), ("money", 6.9)], contrib, Signals(), P, F)
    assert d.outcome is Outcome.ROUTE


def test_vague_message_asks_and_unknown_one_is_out_of_scope():
    assert decide([], {}, Signals(vague=("相談したい",)), P, F).outcome is Outcome.CLARIFY
    assert decide([], {}, Signals(), P, F).outcome is Outcome.OUT_OF_SCOPE
    d = decide([("elder", 1.0)], {"elder": {"x": 1.0}}, Signals(out_of_scope=("住民票",)), P, F)
    assert d.outcome is Outcome.OUT_OF_SCOPE


def test_close_scores_ask_which():
    contrib = {"elder": {"a": 3.0}, "money": {"a": 2.9}}
    d = decide([("elder", 3.0), ("money", 2.9)], contrib, Signals(), P, {})
    assert d.outcome is Outcome.CLARIFY and d.order[:2] == ("elder", "money")


def test_crisis_wins_and_keeps_fitting_desks():
    d = decide([("elder", 9.0)], {"elder": {"介護": 9.0}}, Signals(crisis=True, out_of_scope=("x",)), P, F)
    assert d.outcome is Outcome.CRISIS and d.needed == ("elder",)
