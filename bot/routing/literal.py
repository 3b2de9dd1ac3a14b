"""Finds many literal strings in a short text at once: an Aho–Corasick automaton (pyahocorasick).

Used by the crisis screen, the phrase tables, the cue words and the synonym phrases. One pass in C
over the inquiry finds every occurrence of every string, so the cost grows with the length of the
inquiry and the number of occurrences, not with the size of the lexicons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

import ahocorasick

T = TypeVar("T")


def alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regular expression that finds any of these (non-empty) literal words, the longest first at
    a position; None when there are none."""
    ws = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ws))) if ws else None


class LiteralIndex(Generic[T]):
    """Strings with payloads; a string given twice keeps both payloads, in the order given."""

    def __init__(self, items: Iterable[tuple[str, T]]) -> None:
        payloads: dict[str, list[T]] = {}
        for s, payload in items:
            if s:
                payloads.setdefault(s, []).append(payload)
        self._automaton: ahocorasick.Automaton | None = None
        if payloads:
            automaton = ahocorasick.Automaton()
            for s, ps in payloads.items():
                automaton.add_word(s, (len(s) - 1, s, tuple(ps)))
            automaton.make_automaton()
            self._automaton = automaton

    def finditer(self, text: str) -> Iterator[tuple[int, str, T]]:
        """Every occurrence (start, string, payload), by start, longest string first at a start."""
        if self._automaton is None:
            return iter(())
        # the automaton reports by end; (start, -length) orders by start, the longest first there
        found = sorted((end - last, -last, s, ps) for end, (last, s, ps) in self._automaton.iter(text))
        return ((i, s, p) for i, _n, s, ps in found for p in ps)
