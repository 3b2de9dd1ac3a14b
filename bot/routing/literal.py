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
        found = [(end - last, -last, s, ps) for end, (last, s, ps) in self._automaton.iter(text)]
        if not found:
            return iter(())
        found.sort()
        return ((i, s, p) for i, _n, s, ps in found for p in ps)

    def unordered(self, text: str) -> Iterator[tuple[int, str, T]]:
        """Every occurrence (start, string, payload) in the automaton's order (by end): for questions
        that do not need them in order, without sorting them first."""
        if self._automaton is None:
            return iter(())
        return ((end - last, s, p) for end, (last, s, ps) in self._automaton.iter(text) for p in ps)


# --- what a regular expression's matches start with ------------------------------------------------
try:                       # the standard library's own parser and opcodes (Python 3.11+); private, so
    from re import _constants as _sre, _parser as _sre_parser    # without them every pattern is tried
except ImportError:        # pragma: no cover - a Python that moved them
    _sre = _sre_parser = None

_MAX_PREFIXES = 4096       # beyond this many, a pattern is simply always tried
_MAX_RANGE = 256           # a character range wider than this is "any character"


def prefixes(pattern: re.Pattern[str], k: int = 2) -> frozenset[str] | None:
    """A set of strings of at most ``k`` characters such that every match of ``pattern`` starts with
    one of them; None when no such small set can be read from the pattern (a match may start with any
    character, may be empty, or the pattern ignores case). A text that holds none of these strings
    holds no match, so the pattern need not be tried on it.

    Read from the pattern's parse tree (``re._parser``, the standard library's own parser): literals,
    character classes, groups, alternatives and repeats; anchors and lookarounds take no room.
    """
    if _sre is None or pattern.flags & (re.IGNORECASE | re.LOCALE):
        return None
    try:
        found = _sequence(_sre_parser.parse(pattern.pattern, pattern.flags), k)
    except Exception:          # noqa: BLE001 - an unknown construct: the pattern is always tried
        return None
    if found is None:
        return None
    out = frozenset(s for s, _complete in found)
    return None if "" in out or len(out) > _MAX_PREFIXES else out


def _sequence(items, k: int) -> set[tuple[str, bool]] | None:
    """(prefix, complete) pairs for a sequence of parse items: complete means the whole sequence
    matched with exactly these characters, so what follows it may extend the prefix."""
    done: set[tuple[str, bool]] = set()
    frontier = {""}
    for op, av in items:
        nxt: set[str] = set()
        for p in frontier:
            starts = _element(op, av, k - len(p))
            if starts is None:
                if not p:
                    return None
                done.add((p, False))
                continue
            for s, complete in starts:
                q = p + s
                if len(q) >= k:
                    done.add((q[:k], False))
                elif complete:
                    nxt.add(q)
                else:
                    done.add((q, False))
        if len(done) + len(nxt) > _MAX_PREFIXES:
            return None
        frontier = nxt
        if not frontier:
            break
    return done | {(p, True) for p in frontier}


def _element(op, av, k: int) -> set[tuple[str, bool]] | None:
    c = _sre
    if op is c.LITERAL:
        return {(chr(av), True)}
    if op is c.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is c.LITERAL:
                chars.add(chr(value))
            elif kind is c.RANGE and value[1] - value[0] < _MAX_RANGE:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            else:                  # NEGATE, CATEGORY (\w, \d), a wide range
                return None
        return {(ch, True) for ch in chars}
    if op is c.AT or op is c.ASSERT or op is c.ASSERT_NOT:
        return {("", True)}        # zero-width: anchors, \b, lookahead and lookbehind
    if op is c.SUBPATTERN:
        _group, add_flags, _del_flags, items = av
        return None if add_flags & (re.IGNORECASE | re.LOCALE) else _sequence(items, k)
    if op is c.ATOMIC_GROUP:
        return _sequence(av, k)
    if op is c.BRANCH:
        out: set[tuple[str, bool]] = set()
        for branch in av[1]:
            starts = _sequence(branch, k)
            if starts is None:
                return None
            out |= starts
        return out
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, high, items = av
        once = _sequence(items, k)
        if once is None:
            return None
        if high != 1:              # after one round another may follow: stop reading there
            once = {(s, False) for s, _complete in once}
        return once | {("", True)} if low == 0 else once
    return None                    # any character, a back-reference, a conditional group
