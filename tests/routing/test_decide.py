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


def test_asking_to_talk_about_nothing_named_asks_what_about():
    assert decide([], {}, Signals(asks=True, foreign=("電話",)), P, F).outcome is Outcome.CLARIFY
    assert decide([], {}, Signals(foreign=("電話",)), P, F).outcome is Outcome.OUT_OF_SCOPE
    # an errand named is still declined
    assert decide([], {}, Signals(asks=True, out_of_scope=("住民票",)), P, F).outcome is Outcome.OUT_OF_SCOPE


def test_close_scores_ask_which():
    contrib = {"elder": {"a": 3.0}, "money": {"a": 2.9}}
    d = decide([("elder", 3.0), ("money", 2.9)], contrib, Signals(), P, {})
    assert d.outcome is Outcome.CLARIFY and d.order[:2] == ("elder", "money")


def test_crisis_wins_and_keeps_fitting_desks():
    d = decide([("elder", 9.0)], {"elder": {"介護": 9.0}}, Signals(crisis=True, out_of_scope=("x",)), P, F)
    assert d.outcome is Outcome.CRISIS and d.needed == ("elder",)


# --- fourth pass: ages and taking part (pure) -------------------------------------------------
AGES = {"youth": (15, 39), "all": None, "visit_youth": (15, 39), "visit_all": None}
FA = {"youth": frozenset({"若者"}), "all": frozenset({"全"}), "visit_youth": frozenset({"若者"}),
      "visit_all": frozenset({"全"}), "a1": frozenset({"高齢"}), "a2": frozenset({"困窮"})}


def test_the_one_stated_age_chooses_between_two_desks_of_one_kind():
    contrib = {"visit_youth": {"訪問": 4.0, "ひきこもり": 2.0}, "visit_all": {"訪問": 3.5, "ひきこもり": 1.5}}
    ranked = [("visit_youth", 6.0), ("visit_all", 5.0)]
    older = decide(ranked, contrib, Signals(stated=((50, 50),), age_known=True, people=2), P, FA, AGES)
    assert older.outcome is Outcome.ROUTE and older.order[0] == "visit_all"
    young = decide(ranked, contrib, Signals(stated=((25, 25),), age_known=True, people=2), P, FA, AGES)
    assert young.order[0] == "visit_youth"


def test_one_stated_age_keeps_a_desk_for_everyone_from_being_a_second_need():
    contrib = {"youth": {"大学": 6.0, "年齢": 3.0}, "all": {"就職": 5.0, "探す": 1.0}}
    ranked = [("youth", 9.0), ("all", 6.0)]
    key = {"youth": frozenset({"大学", "年齢"}), "all": frozenset({"就職", "探す"})}
    one = decide(ranked, contrib, Signals(stated=((26, 26),), age_known=True), P, FA, AGES, key=key,
                 open_desks=frozenset({"all"}))
    assert one.outcome is Outcome.ROUTE and one.order[0] == "youth"
    no_age = decide(ranked, contrib, Signals(), P, FA, AGES, key=key, open_desks=frozenset({"all"}))
    assert no_age.outcome is Outcome.MULTI


def test_the_stated_age_s_own_desk_goes_before_a_desk_for_everyone_unless_something_is_asked():
    contrib = {"all": {"職歴": 5.0}, "youth": {"年齢": 3.0}}
    ranked = [("all", 5.0), ("youth", 3.0)]
    told = decide(ranked, contrib, Signals(stated=((30, 30),), age_known=True), P, FA, AGES,
                  open_desks=frozenset({"all"}))
    assert told.order[0] == "youth"
    asked = decide(ranked, contrib, Signals(stated=((30, 30),), age_known=True, wish=True), P, FA, AGES,
                   open_desks=frozenset({"all"}))
    assert asked.order[0] == "all"


def test_two_desks_of_taking_part_need_more_evidence_for_two_needs():
    contrib = {"a1": {"運動": 8.0, "教室": 4.0}, "a2": {"町内": 5.0, "サロン": 2.0}}
    ranked = [("a1", 12.0), ("a2", 7.0)]
    assert decide(ranked, contrib, Signals(), P, FA).outcome is Outcome.MULTI
    assert decide(ranked, contrib, Signals(), P, FA, joint=frozenset({"a1", "a2"})).outcome is Outcome.ROUTE


def test_courtesy_only_is_declined_whatever_a_word_scored():
    """ありがとうございました、また連絡します: 連絡 is some desk's word, but no need is said."""
    ranked = [("a", 2.5), ("b", 0.5)]
    contrib = {"a": {"連絡": 2.5}, "b": {"連絡": 0.5}}
    assert decide(ranked, contrib, Signals(strong=2.5)).outcome is Outcome.ROUTE
    d = decide(ranked, contrib, Signals(strong=2.5, courtesy_only=True))
    assert d.outcome is Outcome.OUT_OF_SCOPE and d.reason.startswith("courtesy only")
