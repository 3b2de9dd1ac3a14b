"""Stage 5: score every service. BM25 over each service's fields, plus exact and typo-tolerant phrases.

The index is built once from the catalogue: each service is one document whose fields (name,
aliases, keywords, description, eligibility, examples) add weighted term frequencies (a small BM25F).
``score()`` returns per-service totals and per-term contributions, so later stages can explain a
decision and can "explain away" the terms of one need to look for a second one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from bot.routing.literal import LiteralIndex

# How much one occurrence in each field counts.
FIELD_WEIGHTS: Mapping[str, float] = {
    "name": 3.0, "aliases": 3.0, "keywords": 3.0, "examples": 1.0, "description": 1.0, "eligibility": 0.6,
}
K1, B = 1.2, 0.4
PHRASE_BONUS = 1.5        # a whole keyword/alias/name found verbatim
FUZZY_MAX_LEN = 8         # longest phrase matched typo-tolerantly
FUZZY_CUTOFF = 84         # rapidfuzz ratio for a typo'd keyword


@dataclass(frozen=True)
class Doc:
    id: str
    tf: Mapping[str, float]
    length: float
    key: frozenset[str] = frozenset()     # terms of the name, aliases and keywords (declared evidence)


@dataclass(frozen=True)
class Scored:
    totals: dict[str, float]                      # service id -> score
    contrib: dict[str, dict[str, float]]          # service id -> term -> contribution
    phrases: dict[str, list[str]]                 # service id -> phrases found verbatim or fuzzily


class Index:
    def __init__(self, docs: Sequence[Doc], phrases: Mapping[str, Mapping[str, float]]) -> None:
        self.docs = tuple(docs)
        n = len(self.docs)
        df: dict[str, int] = {}
        for d in self.docs:
            for t in d.tf:
                df[t] = df.get(t, 0) + 1
        self.idf = {t: math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.avglen = (sum(d.length for d in self.docs) / n) if n else 1.0
        # term -> list of (doc id, saturated tf part), precomputed: scoring is a dict walk.
        post: dict[str, list[tuple[str, float]]] = {}
        for d in self.docs:
            norm = K1 * (1 - B + B * d.length / self.avglen)
            for t, f in d.tf.items():
                post.setdefault(t, []).append((d.id, self.idf[t] * f * (K1 + 1) / (f + norm)))
        self.postings = post
        self.phrases = {p: dict(s) for p, s in phrases.items()}
        self._phrase_index = LiteralIndex((p, p) for p in self.phrases)
        # typos are looked for in word-sized phrases (4 to 8 characters: ﾎｲｸｴﾝ, 保育えん), not in long ones
        self.fuzzy_choices = [p for p in self.phrases if 4 <= len(p) <= FUZZY_MAX_LEN]

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self.postings)

    def score(self, terms: Mapping[str, float], text: str, hits: Iterable[str] | None = None) -> Scored:
        """BM25 over the terms plus a bonus for every keyword, alias or name found verbatim."""
        totals: dict[str, float] = {}
        contrib: dict[str, dict[str, float]] = {}
        for t, w in terms.items():
            for sid, part in self.postings.get(t, ()):
                c = w * part
                totals[sid] = totals.get(sid, 0.0) + c
                contrib.setdefault(sid, {})[t] = c
        found: dict[str, list[str]] = {}
        seen: set[str] = set()
        phrases = hits if hits is not None else (p for _, p, _p in self._phrase_index.finditer(text))
        for p in phrases:
            if p in seen:
                continue
            seen.add(p)
            for sid, w in self.phrases[p].items():
                totals[sid] = totals.get(sid, 0.0) + PHRASE_BONUS * w
                contrib.setdefault(sid, {})["「" + p + "」"] = PHRASE_BONUS * w
                found.setdefault(sid, []).append(p)
        return Scored(totals, contrib, found)

    def add_fuzzy(self, text: str, scored: Scored) -> Scored:
        """Adds typo-tolerant phrase matches (rapidfuzz partial_ratio); costly, so the router calls
        it only when the exact evidence is weak."""
        totals, contrib, found = dict(scored.totals), {k: dict(v) for k, v in scored.contrib.items()}, \
            {k: list(v) for k, v in scored.phrases.items()}
        if not self.fuzzy_choices or len(text) < 4:
            return scored
        for p, sc, _ in process.extract(text, self._fuzzy_candidates(text), scorer=fuzz.partial_ratio,
                                        score_cutoff=FUZZY_CUTOFF, limit=8):
            if p in text:
                continue
            for sid, w in self.phrases[p].items():
                bonus = PHRASE_BONUS * w * (sc / 100.0) * 0.7
                key = "~「" + p + "」"
                if bonus > contrib.get(sid, {}).get(key, 0.0):
                    totals[sid] = totals.get(sid, 0.0) + bonus
                    contrib.setdefault(sid, {})[key] = bonus
                    found.setdefault(sid, []).append("~" + p)
        return Scored(totals, contrib, found)

    def _fuzzy_candidates(self, text: str) -> list[str]:
        """The choices that can reach FUZZY_CUTOFF against ``text``, in their own order (so ties rank
        as before). partial_ratio is 200·LCS / (n + w) for the shorter string (n characters) and a
        window of the other (w ≥ LCS characters); the window's LCS is at most L, the longest common
        subsequence of the whole choice and the whole text, so a choice with 200·L / (n + L) below the
        cutoff cannot reach it. L is found for every choice in one pass in C (bit-parallel LCS), and
        only the few choices left are scored with partial_ratio."""
        length = len(text)
        least = math.ceil(FUZZY_CUTOFF * min(length, 4) / (200 - FUZZY_CUTOFF)) - 1   # no choice needs less
        found = process.extract(text, self.fuzzy_choices, scorer=LCSseq.similarity, score_cutoff=max(least, 0),
                                limit=None)
        return [p for p, lcs, _i in sorted(found, key=lambda x: x[2])
                if 200 * lcs >= FUZZY_CUTOFF * (min(len(p), length) + lcs)]
