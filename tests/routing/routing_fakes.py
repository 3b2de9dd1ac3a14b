"""Test helpers for the routing tests (imported by module name: tests have no packages)."""

from __future__ import annotations

from pathlib import Path

from bot.routing.normalise import to_hiragana
from bot.routing.tokenise import Analysis, Token

HERE = Path(__file__).parent
OTHER_CITY = HERE / "data" / "other_city.yaml"
FUJI = Path(__file__).parents[2] / "knowledge" / "services.yaml"


class FakeTokeniser:
    """Splits on a fixed word list (longest first); everything else is one character per token."""

    def __init__(self, words: dict[str, str] | None = None) -> None:
        self.words = dict(words or {})     # surface -> reading (katakana or hiragana)

    def analyse(self, text: str) -> Analysis:
        tokens: list[Token] = []
        reading: list[str] = []
        starts: set[int] = set()
        i, rpos = 0, 0
        ordered = sorted(self.words, key=len, reverse=True)
        while i < len(text):
            w = next((w for w in ordered if text.startswith(w, i)), text[i])
            r = to_hiragana(self.words.get(w, w))
            tokens.append(Token(w, w, "名詞" if w in self.words else "記号", (), r, i))
            starts.add(rpos)
            reading.append(r)
            rpos += len(r)
            i += len(w)
        return Analysis(text, tuple(tokens), "".join(reading), frozenset(starts))
