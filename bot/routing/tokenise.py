"""Stage 3: tokenise. One Sudachi pass (mode C) gives normalized forms, mode-A sub-words, readings.

The tokeniser sits behind a small Protocol so pure stage tests can inject a fake one. Sudachi is
loaded in ``SudachiTokeniser()``, never at import.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from bot.routing.normalise import to_hiragana

# Parts of speech (first level) whose words carry meaning for routing.
CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞", "代名詞", "感動詞"})


class Token(NamedTuple):
    """One word; a named tuple, not a frozen dataclass: an inquiry makes tens of them, and a tuple is
    built in a third of the time."""
    surface: str
    norm: str                    # Sudachi normalized form (mode C): 子供, 引き籠もり, 為る
    pos: str                     # first-level part of speech
    subs: tuple[str, ...] = ()   # normalized forms of the mode-A parts when C splits further
    reading: str = ""            # hiragana
    start: int = 0               # offset of the surface in the analysed text
    adverbial: bool = False      # a noun that can stand as an adverb (昨日, 先週, 最近, いつも: 副詞可能)


@dataclass(frozen=True, slots=True)
class Analysis:
    text: str
    tokens: tuple[Token, ...]
    reading: str                          # the whole text read in hiragana
    reading_starts: frozenset[int]        # offsets in ``reading`` where a token starts


class Tokeniser(Protocol):
    def analyse(self, text: str) -> Analysis: ...


SEEN_MAX = 50_000          # words remembered by the tokeniser
SYNTHETIC_IDS = 0x0FFFFFFF  # word ids from here up are Sudachi's made-up morphemes, not dictionary entries


class SudachiTokeniser:
    """SudachiPy with sudachidict-core; built once (≈0.1 s) and shared."""

    def __init__(self) -> None:
        import sudachipy  # imported here: nothing heavy at import time

        self._mode_c = sudachipy.SplitMode.C
        self._mode_a = sudachipy.SplitMode.A
        self._dict = sudachipy.Dictionary()
        self._tok = self._dict.create(self._mode_c)
        self._pos: dict[int, tuple[str, bool]] = {}   # part-of-speech id -> (first level, 副詞可能), as met
        # (dictionary entry, surface) -> (normalized form, pos, mode-A sub-words, reading): the same word
        # is analysed once; bounded, so a flood of odd input cannot grow it without end
        self._seen: dict[tuple[int, str], tuple[str, str, tuple[str, ...], str, bool]] = {}

    def analyse(self, text: str) -> Analysis:
        tokens: list[Token] = []
        reading_parts: list[str] = []
        starts: list[int] = []
        pos_in_reading = 0
        pos_cache = self._pos
        seen = self._seen
        for m in self._tok.tokenize(text):
            surface = m.surface()
            wid = m.word_id()
            # only dictionary entries: unknown and numeric words (一 read いち or ひと) depend on context
            key = (wid, surface) if wid < SYNTHETIC_IDS and not m.is_oov() else None
            known = seen.get(key) if key is not None else None
            if known is None:
                pid = m.part_of_speech_id()
                pos_of = pos_cache.get(pid)
                if pos_of is None:
                    full = self._dict.pos_of(pid)
                    pos_of = pos_cache[pid] = (full[0], full[0] == "名詞" and full[2] == "副詞可能")
                pos, adverbial = pos_of
                rf = m.reading_form()
                reading = to_hiragana(rf if rf and pos not in ("補助記号", "空白") else surface)
                subs: tuple[str, ...] = ()
                if len(surface) > 2 and pos == "名詞":
                    parts = m.split(self._mode_a)
                    if len(parts) > 1:
                        subs = tuple(p.normalized_form() for p in parts)
                known = (m.normalized_form(), pos, subs, reading, adverbial)
                if key is not None and len(seen) < SEEN_MAX:
                    seen[key] = known
            norm, pos, subs, reading, adverbial = known
            tokens.append(Token(surface, norm, pos, subs, reading, m.begin(), adverbial))
            starts.append(pos_in_reading)
            reading_parts.append(reading)
            pos_in_reading += len(reading)
        return Analysis(text, tuple(tokens), "".join(reading_parts), frozenset(starts))


@functools.cache
def shared_tokeniser() -> SudachiTokeniser:
    """The process's one Sudachi dictionary: every router built in a process reads with it (each
    dictionary maps the 200 MB system.dic anew and keeps its own structures; an app built per test
    would hold one each)."""
    return SudachiTokeniser()
