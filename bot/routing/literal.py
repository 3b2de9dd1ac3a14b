"""Finds many literal strings in a short text quickly: an index on each string's first two characters.

Used by the crisis screen, the phrase tables and the synonym phrases, so per-inquiry cost grows
with the length of the inquiry, not with the size of the lexicons.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class LiteralIndex(Generic[T]):
    def __init__(self, items: Iterable[tuple[str, T]]) -> None:
        by_key: dict[str, list[tuple[str, T]]] = {}
        for s, payload in items:
            if s:
                by_key.setdefault(s[:2], []).append((s, payload))
        self._by_key = {k: sorted(v, key=lambda x: -len(x[0])) for k, v in by_key.items()}

    def finditer(self, text: str) -> Iterator[tuple[int, str, T]]:
        """Every occurrence (start, string, payload), by start, longest string first at a start."""
        get = self._by_key.get
        for i in range(len(text)):
            two = get(text[i:i + 2])
            one = get(text[i])
            if two and one:                       # both lists are longest first; merge them
                cands = sorted(two + one, key=lambda x: -len(x[0]))
            else:
                cands = two or one
            if cands:
                for s, payload in cands:
                    if text.startswith(s, i):
                        yield i, s, payload

    def contains_any(self, text: str) -> bool:
        return next(self.finditer(text), None) is not None
