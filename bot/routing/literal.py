"""Finds many literal strings in a short text quickly: an index on each string's first two characters.

Used by the crisis screen, the phrase tables and the synonym phrases, so per-inquiry cost grows
with the length of the inquiry, not with the size of the lexicons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


def alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regular expression that finds any of these (non-empty) literal words, the longest first at
    a position; None when there are none."""
    ws = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ws))) if ws else None


class LiteralIndex(Generic[T]):
    def __init__(self, items: Iterable[tuple[str, T]]) -> None:
        by_key: dict[str, list[tuple[str, T]]] = {}
        for s, payload in items:
            if s:
                by_key.setdefault(s[:2], []).append((s, payload))
        self._by_key = {k: sorted(v, key=lambda x: -len(x[0])) for k, v in by_key.items()}
        self._firsts = frozenset(k[0] for k in self._by_key)
        self._singles = frozenset(k for k in self._by_key if len(k) == 1)
        # both lists (one-character key and two-character key) merged once, longest first
        self._merged = {k: sorted(v + self._by_key[k[0]], key=lambda x: -len(x[0]))
                        for k, v in self._by_key.items() if len(k) == 2 and k[0] in self._singles}

    def finditer(self, text: str) -> Iterator[tuple[int, str, T]]:
        """Every occurrence (start, string, payload), by start, longest string first at a start."""
        get, firsts, singles, merged = self._by_key.get, self._firsts, self._singles, self._merged
        for i, ch in enumerate(text):
            if ch not in firsts:
                continue
            two = text[i:i + 2]
            cands = merged.get(two) if ch in singles else None
            if cands is None:
                cands = get(two) or (get(ch) if ch in singles else None)
            if cands:
                for s, payload in cands:
                    if text.startswith(s, i):
                        yield i, s, payload

    def contains_any(self, text: str) -> bool:
        return next(self.finditer(text), None) is not None
