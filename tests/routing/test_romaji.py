"""A message typed in romaji is read in kana (bot/routing/romaji.py, part of the normaliser); English,
abbreviations and Japanese stay as they are. The sentences were written for this file."""

import pytest

from bot.routing.romaji import is_romaji_word, to_kana


@pytest.mark.parametrize(("text", "kana"), [
    ("hoikuen ni hairitai", "ほいくえん に はいりたい"),
    ("haha wa 80 sai desu", "はは は 80 さい です"),                  # the particle wa is は
    ("gakkou e ikitakunai", "がっこう へ いきたくない"),               # e is へ; a doubled consonant is っ
    ("onna no hito to hanashitai", "おんな の ひと と はなしたい"),       # n before n+vowel is ん (jaconv reads おんあ)
    ("konnichiwa, soudan shitai", "こんにちわ, そうだん したい"),
    ("shigoto nakunatta. yachin haraenai", "しごと なくなった. やちん はらえない"),
])
def test_a_romaji_message_is_read_in_kana(text, kana):
    assert to_kana(text) == kana


@pytest.mark.parametrize("text", [
    "i lost my job and cannot pay rent this month",    # English: few of its words are romaji
    "i want to die",                                    # i, to, die look like romaji; want does not
    "my father has dementia and i need advice about care",
    "dvで困ってる",                                     # mostly Japanese
    "npo",                                              # one latin word is an abbreviation
    "od しちゃった",
    "hello po. my husband lost his job last month, wala na kaming pera.",
])
def test_english_abbreviations_and_japanese_stay_as_they_are(text):
    assert to_kana(text) == text


def test_romaji_words_are_syllables_to_the_end():
    assert all(is_romaji_word(w) for w in ("shinitai", "kitte", "matcha", "tsurai", "jibun", "n"))
    assert not any(is_romaji_word(w) for w in ("help", "job", "want", "care", "month"))


@pytest.mark.sudachi
@pytest.mark.parametrize(("text", "outcome", "desk"), [
    ("kodomo no hoikuen sagashiteimasu. doko ni soudan sureba ii desu ka", "route", "hoiku_concierge"),
    ("shougai techou no koto de kikitai", "route", "shogai_soudan"),
    ("shigoto nakunatta. yachin haraenai", "route", "jiritsu_soudan"),
    ("otto ni nagurareta", "crisis", None),
])
def test_a_romaji_inquiry_is_routed_like_a_kana_one(fuji_router, text, outcome, desk):
    res = fuji_router.route(text)
    assert res.outcome.value == outcome
    if desk:
        assert res.matches[0].id == desk
    else:
        assert res.crisis is not None and res.crisis.kind == "dv"
