"""A message written in English gets the Japanese words it stands for (bot/routing/english.py, part of
the normaliser) and is routed on them; English crisis phrases are screened. The sentences were written
for this file, not taken from the probe files."""

from __future__ import annotations

import pytest

from bot.routing import data
from bot.routing.english import Glossary, is_english
from bot.routing.normalise import Normaliser


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary(data.load("english")["words"])


@pytest.mark.parametrize(("text", "english"), [
    ("i lost my job and cannot pay rent", True),
    ("my son is 19. he stays home all day", True),
    ("dvで困ってる", False),                        # one abbreviation in a Japanese message
    ("npo の 人 と 話したい", False),
    ("ほいくえん に はいりたい", False),             # romaji already read as kana
    ("help me", False),                              # two words: too few to call it English
    ("my mother 80 歳, 介護 の サービス 使いたい please", True),   # mostly latin letters
])
def test_what_counts_as_a_message_in_english(text, english):
    assert is_english(text) is english


def test_words_ages_and_inflections(glossary):
    words = glossary.words("my mother is 82 years old and keeps forgetting things. she needs caring at home")
    assert words[:1] == ["82歳"] and {"母", "物忘れ", "介護"} <= set(words)
    assert "80代" in glossary.words("my father, in his 80s, lives alone")
    assert "一人暮らし" in glossary.words("my father lives alone")
    assert "17歳" in glossary.words("my daughter is 17 and quit school")
    assert "訪問" in glossary.words("can someone visiting us help?")   # visit + ing
    assert glossary.words("the weather is nice today") == ["天気"]
    assert glossary.words("see you at noon") == []


def test_the_longest_phrase_wins(glossary):
    assert glossary.words("we need child care") == ["育児"]          # not 子ども + 介護
    assert glossary.words("he lost his job last year") == ["失業"]   # not 仕事


def test_the_normaliser_adds_the_words_after_the_english_text(glossary):
    norm = Normaliser(data.load("normalise")["replace"], glossary)
    out = norm("I lost my JOB, can't pay the rent")
    assert out.startswith("i lost my job, can't pay the rent。") and "失業" in out and "家賃" in out
    assert norm("介護のことで相談したい") == Normaliser(data.load("normalise")["replace"])("介護のことで相談したい")
    assert norm("thanks for the quick reply") == "thanks for the quick reply"   # nothing found: nothing added


@pytest.mark.sudachi
@pytest.mark.parametrize(("text", "outcome", "desk"), [
    ("I lost my job and I cannot pay the rent this month", "route", "jiritsu_soudan"),
    ("My mother has dementia and I take care of her alone. Who can help us?", "route", "houkatsu"),
    ("We are looking for a nursery school for our 1 year old son", "route", "hoiku_concierge"),
    ("I am pregnant and I am worried about the birth", "route", "boshi_hoken"),
    ("Can I get a disability certificate for my son with autism?", "route", "shogai_soudan"),
    ("How do I renew my visa?", "out_of_scope", None),
    ("Which day can I put out the garbage?", "out_of_scope", None),
])
def test_an_english_inquiry_is_routed_on_its_japanese_words(fuji_router, text, outcome, desk):
    res = fuji_router.route(text)
    assert res.outcome.value == outcome, res.explanation
    assert res.language == "en" and res.crisis is None
    if desk:
        assert res.matches[0].id == desk
        assert res.explanation["english"]


@pytest.mark.sudachi
@pytest.mark.parametrize(("text", "kind"), [
    ("I want to kill myself tonight", "suicide"),
    ("nobody needs me. it would be better if i just disappear", "suicide"),
    ("my boyfriend punched me again and took my phone", "dv"),
    ("my husband says he will kill me if i leave", "dv"),
    ("the kid next door is left outside in the cold every night", "child_abuse"),
    ("my father collapsed in the kitchen and is not breathing", "emergency"),
    ("my baby is very floppy and had a seizure", "medical_child"),
    # ninth pass: more of the ways people say it
    ("I can't go on anymore. I want to end it.", "suicide"),
    ("I don't want to be here anymore", "suicide"),
    ("Nobody would miss me if I was gone", "suicide"),
    ("I have a plan to die tonight", "suicide"),
    ("I just swallowed all my sleeping pills", "emergency"),
    ("He threatened me with a knife", "violence"),
    ("I'm afraid he will hurt me and the kids", "dv"),
    ("My father touches me at night and I hate it", "child_abuse"),
    ("I was raped last night", "violence"),
    ("My ex is waiting outside my apartment and I am scared", "violence"),
    ("My mother fell and cannot get up, she is not answering", "emergency"),
    ("My baby has a fever of 40 and is not drinking milk", "medical_child"),
    # tenth pass: a denial is read only just before the words; a sentence or clause before them is not one
    ("I'm not going to lie, I want to die", "suicide"),
    ("I don't know what to do. I want to kill myself", "suicide"),
])
def test_english_crisis_phrases_are_screened(fuji_router, text, kind):
    res = fuji_router.route(text)
    assert res.outcome.value == "crisis" and res.crisis is not None and res.crisis.kind == kind
    assert fuji_router.screen(text) is not None


@pytest.mark.sudachi
@pytest.mark.parametrize("text", [
    "I want to renew my visa",                       # the learned reader once read this as a crisis (0.94)
    "My brother cut himself off from everyone and stays in his room",   # not self-harm
    "Things have been hard lately and I don't know where to go. Sorry.",
    # ninth pass: a denial, an idiom, a past, a service asked about
    "I don't want to die alone, I want to find a care home for later",
    "I'm not suicidal, I just need someone to talk to about my job",
    "Where can I learn about suicide prevention?",
    "I can't go on like this with my rent, I need help",
    "Nobody will care for my mother after I go back to my country",
    "My grandmother fell last month and cannot get up from the floor by herself now, we want a helper",
    "The office is not responding to my emails about the nursery application",
    "My ex lives near my work, can I move to a new apartment with city support?",
    # tenth pass: one denial rule for every English phrase (each phrase carried its own before, or none)
    "I don't hurt myself anymore, I want to talk about my job",
    "I'm not really suicidal, I just need a job",
    "I was not sexually assaulted, but I want to move out of the share house",
])
def test_english_everyday_messages_are_not_crises(fuji_router, text):
    assert fuji_router.route(text).outcome.value != "crisis"


@pytest.mark.sudachi
def test_a_japanese_message_is_japanese(fuji_router):
    res = fuji_router.route("母の介護のことで相談したい")
    assert res.language == "ja" and "english" not in res.explanation
    assert res.to_json()["language"] == "ja"
