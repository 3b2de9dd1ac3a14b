"""Part of stage 1 (normalise): a message written in English gets the Japanese words it stands for.

Foreign residents who cannot write Japanese write in English ("I lost my job and can't pay the
rent"). The lexicon, the synonym list and the catalogue read Japanese, so such a message found nothing
and was declined as out of scope. When a message is mostly English, the words of a reviewed glossary
(data/english.yaml: mother → 母, rent → 家賃, lost my job → 失業) and the ages it states (82 years old →
82歳, in her 80s → 80代) are added after it, and the router reads those. The English text stays, so the
crisis screen's English patterns still read it, and staff see what was written.

Pure: ``Glossary(table)(text) -> text``. The text is already NFKC-normalised, lower-cased, and romaji
is already kana (bot.routing.romaji), so a romaji message is not taken for English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_WORD = re.compile(r"[a-z][a-z'-]*")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[a-z]")
# the last word of a key may be inflected: care → cares, cared; visit → visiting; mother → mother's
_SUFFIX = r"(?:s|es|ed|d|ing|'s)?"
# ages as residents write them: 82 years old, 82-year-old, 82 y/o, 82yo, aged 82, age 17, in her 80s
_AGE = re.compile(r"\b(\d{1,3})\s*(?:-|\s)?(?:years?|yrs?)(?:\s*-?\s*old)?\b|\b(\d{1,3})\s*y/?o\b"
                  r"|\bage[d]?\s+(\d{1,3})\b")
_DECADE = re.compile(r"\b([1-9]0)'?s\b")
# "I am 24", "he's 19", "my son is 3": a person's age said with a verb
_AGE_IS = re.compile(r"\b(?:i am|i'm|im|he is|he's|she is|she's|is|turned|turning)\s+(\d{1,3})\b(?!\s*(?:%|yen|man|am|pm|:|times?))")

MIN_WORDS = 3          # fewer English words: an abbreviation or a name in a Japanese message (DVで, NPOの)
JAPANESE_SHARE = 0.5   # at least this share of the letters latin: a mostly Japanese message is left as it is
SEPARATOR = "。"


def is_english(text: str) -> bool:
    """Mostly latin letters (after romaji was read as kana), and at least three words of them."""
    if len(_WORD.findall(text)) < MIN_WORDS:
        return False
    letters = _LETTER.findall(text)
    latin = sum(1 for ch in letters if _LATIN.match(ch))
    return latin >= JAPANESE_SHARE * len(letters)


class Glossary:
    """English words and phrases → Japanese words, for messages written in English."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table = {self._key(k): v for k, v in table.items() if k and v}
        keys = sorted(self._table, key=len, reverse=True)
        alts = "|".join(r"\s+".join(map(re.escape, k.split())) for k in keys)
        # group 1 is the key as written (any spaces); the inflection stays outside it
        self._pattern = re.compile(rf"(?<![a-z'])({alts}){_SUFFIX}(?![a-z])") if keys else None

    @staticmethod
    def _key(k: str) -> str:
        return " ".join(str(k).lower().split())

    def words(self, text: str) -> list[str]:
        """The Japanese words an English text stands for, in order, each once (ages first)."""
        found: list[str] = []
        for m in _AGE.finditer(text):
            found.append(f"{next(g for g in m.groups() if g)}歳")
        for m in _DECADE.finditer(text):
            found.append(f"{m.group(1)}代")
        for m in _AGE_IS.finditer(text):
            found.append(f"{m.group(1)}歳")
        if self._pattern is not None:
            for m in self._pattern.finditer(text):
                found.append(self._table[self._key(m.group(1))])
        return list(dict.fromkeys(found))

    def __call__(self, text: str) -> str:
        """``text``, and after it the Japanese words it stands for, when it is English; else ``text``."""
        if not is_english(text):
            return text
        words = self.words(text)
        return f"{text}{SEPARATOR}{'、'.join(words)}" if words else text
