"""Part of stage 1 (normalise): a message typed in romaji is read in kana.

Residents whose first language is not Japanese often type Japanese in latin letters ("hoikuen ni
hairitai", "kaigo no soudan shitai"). The lexicon, the synonym list and the dictionary read Japanese,
so such a message found nothing and was declined. When most of a message's words are romaji words,
they are turned into hiragana (jaconv) and the message is read like one typed in kana; an English
message ("I lost my job") is not romaji and stays as it is.

Pure: ``to_kana(text) -> text``. The text is already NFKC-normalised and lower-cased.
"""

from __future__ import annotations

import re

import jaconv

# One romaji syllable: (consonant | consonant cluster)? vowel, a syllabic n, or the first half of a
# doubled consonant (kitte, gakkou). Hepburn and Kunrei spellings both, as residents mix them.
_ROMAJI_WORD = re.compile(r"(?:(?:ky|gy|sh|sy|jy|zy|ch|cy|ty|dy|ts|ny|hy|by|py|my|ry"
                          r"|[kgsztdnhbpmyrwfjv])?[aiueo]"
                          r"|n'?(?![aiueoy])|([kgsztdhbpmrcfj])(?=\1)|t(?=ch))+")
_WORD = re.compile(r"[a-z']+")
_LETTER = re.compile(r"[^\W\d_]")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# jaconv reads "nn" as ん even before a vowel (onna → おんあ): there it is ん + な
_NN = re.compile(r"n(?=n[aiueoy])")
# particles as they are pronounced: は, へ (written ha, he in Kunrei; wa, e by most residents)
_PARTICLES = {"wa": "は", "e": "へ", "wo": "を"}

MIN_WORDS = 2          # a single latin word (DV, OD, NPO) is an abbreviation, not a romaji message
MIN_SHARE = 0.8        # this share of its latin words must be romaji words (I want to die: 3 of 4 look so)


def is_romaji_word(word: str) -> bool:
    return _ROMAJI_WORD.fullmatch(word) is not None


def to_kana(text: str) -> str:
    """``text`` with its romaji words in hiragana, when most of it is romaji; else ``text`` unchanged."""
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS:
        return text
    letters = _LETTER.findall(text)
    if sum(1 for ch in letters if _JAPANESE.match(ch)) * 2 > len(letters):
        return text                                   # mostly Japanese already: DVで, NPOの
    if sum(1 for w in words if is_romaji_word(w)) < MIN_SHARE * len(words):
        return text                                   # English, or another language
    return _WORD.sub(_word_to_kana, text)


def _word_to_kana(m: re.Match[str]) -> str:
    w = m.group(0)
    if w in _PARTICLES:
        return _PARTICLES[w]
    if not is_romaji_word(w):
        return w
    return jaconv.alphabet2kana(_NN.sub("n'", w)).replace("'", "")
