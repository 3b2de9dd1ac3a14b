"""Stage 1: normalise. NFKC, width, invisible characters, a message in romaji, the Japanese words of a
message in English, kana/kanji variants and colloquial words.

Pure: ``Normaliser(table, english)(text) -> str``. The table comes from data/normalise.yaml, the
English glossary (optional) from data/english.yaml.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from bot.routing.english import Glossary
from bot.routing.literal import alternation
from bot.routing.romaji import to_kana

_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad\u061c\u180e\u2066-\u2069\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u3000]+")
_NEWLINES = re.compile(r"[\r\n\u2028\u2029]+")
_LONG_RUN = re.compile(r"(.)\1{3,}")          # ーーーー, ！！！！, ああああ → two of them
_KATA = "".join(chr(c) for c in range(0x30A1, 0x30F7))
_HIRA = "".join(chr(c) for c in range(0x3041, 0x3097))
_TO_HIRA = str.maketrans(_KATA, _HIRA)
# Wave dashes and tildes typed as long vowel marks or separators.
_DASHES = str.maketrans({"〜": "~", "～": "~", "−": "-", "‐": "-", "―": "ー", "─": "ー"})


def to_hiragana(text: str) -> str:
    """Katakana → hiragana (other characters unchanged)."""
    return text.translate(_TO_HIRA)


class Normaliser:
    """Folds the ways residents type the same thing into one form."""

    def __init__(self, table: Mapping[str, str], english: Glossary | None = None) -> None:
        pairs = {unicodedata.normalize("NFKC", k).lower(): unicodedata.normalize("NFKC", v).lower() for k, v in table.items() if k}
        self._table = pairs
        self._pattern = alternation(pairs)
        self.english = english      # the router reads the same glossary (bot.routing.router)

    def __call__(self, text: str) -> str:
        # Invisible marks go before NFKC too: removed afterwards, they would leave combining marks
        # side by side in an order NFKC had not put them in (and a second pass would reorder them).
        t = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
        t = _INVISIBLE.sub("", t).translate(_DASHES)
        t = _NEWLINES.sub("。", t)
        t = _SPACES.sub(" ", t).strip().lower()
        t = to_kana(t)              # "hoikuen ni hairitai" is read as ほいくえん に はいりたい
        if self.english is not None:
            t = self.english(t)     # "i lost my job" is read with 。失業 after it
        t = _LONG_RUN.sub(r"\1\1", t)
        if self._pattern is not None:
            t = self._pattern.sub(self._swap, t)
        return t

    def _swap(self, m: re.Match[str]) -> str:
        """The table's form, unless the text there already is it (ケアマネジャー stays, never ケアマネジャージャー;
        アルバイト stays, never アルアルバイト)."""
        key, replacement = m.group(0), self._table[m.group(0)]
        i = replacement.find(key)       # the key may sit inside its form: バイト in アルバイト stays
        while i >= 0:
            if m.start() >= i and m.string.startswith(replacement, m.start() - i):
                return key
            i = replacement.find(key, i + 1)
        return replacement
