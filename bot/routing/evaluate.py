"""Scores the router on the golden sets (tests/data/golden/*.tsv), beside a plain BM25 baseline.

Definitions (also in docs/routing.md):
- top-1: route → outcome route and matches[0] is the id; multi → outcome multi and every labelled id
  is in ``needed``; clarify → outcome clarify (and, when candidates are labelled, matches[0] is one of
  them); out_of_scope → outcome out_of_scope; crisis → outcome crisis.
- top-3: route → the id is in the first 3 matches; multi → every labelled id (up to 3) is in the first
  3 matches; clarify → outcome clarify or a labelled candidate in the first 3 matches, or (no
  candidates) outcome clarify; out_of_scope and crisis as top-1.
- crisis recall: crisis lines with outcome crisis. False alarms: non-crisis lines with outcome
  crisis, over all non-crisis lines (and over the ``crisis_near_miss`` lines).
- care: lines not alarmed whose answer the crisis lines come with, gently (``RoutingResult.care``), over
  the crisis lines missed and over the other lines not alarmed. Not crisis recall: the answer stays.
- out-of-scope recall ("correctly declined") and precision.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.catalogue.model import Catalogue
from bot.routing.result import Outcome, RoutingResult

GOLDEN_DIR = Path("tests/data/golden")


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    outcome: str
    services: tuple[str, ...]
    crisis_kind: str
    tags: tuple[str, ...]


def load_golden(path: Path) -> list[Item]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [Item(r["id"], r["text"], r["outcome"].strip(),
                 tuple(s.strip() for s in (r.get("services") or "").split(",") if s.strip()),
                 (r.get("crisis_kind") or "").strip(),
                 tuple(t.strip() for t in (r.get("tags") or "").split(",") if t.strip())) for r in rows]


def hit_top1(item: Item, res: RoutingResult) -> bool:
    ids = [m.id for m in res.matches]
    o = res.outcome.value
    if item.outcome == "route":
        return o == "route" and bool(ids) and ids[0] == item.services[0]
    if item.outcome == "multi":
        return o == "multi" and set(item.services) <= set(res.needed)
    if item.outcome == "clarify":
        return o == "clarify" and (not item.services or (bool(ids) and ids[0] in item.services))
    return o == item.outcome


def hit_top3(item: Item, res: RoutingResult) -> bool:
    ids = [m.id for m in res.matches[:3]]
    if item.outcome == "route":
        return item.services[0] in ids
    if item.outcome == "multi":
        return set(item.services[:3]) <= set(ids)
    if item.outcome == "clarify":
        if not item.services:
            return res.outcome is Outcome.CLARIFY
        return res.outcome is Outcome.CLARIFY or any(s in ids for s in item.services)
    return res.outcome.value == item.outcome


@dataclass
class Report:
    n: int = 0
    top1: int = 0
    top3: int = 0
    outcome_ok: int = 0
    by_outcome: Counter = field(default_factory=Counter)
    by_outcome_ok: Counter = field(default_factory=Counter)
    crisis_n: int = 0
    crisis_hit: int = 0
    crisis_kind_ok: int = 0
    non_crisis_n: int = 0
    false_alarms: int = 0
    near_miss_n: int = 0
    near_miss_alarms: int = 0
    care_crisis: int = 0       # crisis lines not alarmed that got the gentle note (RoutingResult.care)
    care_other: int = 0        # other lines not alarmed that got it
    oos_n: int = 0
    oos_declined: int = 0
    oos_predicted: int = 0
    svc_n: Counter = field(default_factory=Counter)
    svc_hit: Counter = field(default_factory=Counter)
    confusion: Counter = field(default_factory=Counter)
    errors: list[tuple[Item, RoutingResult]] = field(default_factory=list)

    def add(self, item: Item, res: RoutingResult) -> None:
        self.n += 1
        t1, t3 = hit_top1(item, res), hit_top3(item, res)
        self.top1 += t1
        self.top3 += t3
        self.by_outcome[item.outcome] += 1
        if res.outcome.value == item.outcome:
            self.outcome_ok += 1
            self.by_outcome_ok[item.outcome] += 1
        if item.outcome == "crisis":
            self.crisis_n += 1
            self.crisis_hit += res.outcome is Outcome.CRISIS
            self.crisis_kind_ok += res.crisis is not None and res.crisis.kind == item.crisis_kind
            self.care_crisis += res.outcome is not Outcome.CRISIS and bool(res.care)
        else:
            self.non_crisis_n += 1
            self.false_alarms += res.outcome is Outcome.CRISIS
            self.care_other += res.outcome is not Outcome.CRISIS and bool(res.care)
            if "crisis_near_miss" in item.tags:
                self.near_miss_n += 1
                self.near_miss_alarms += res.outcome is Outcome.CRISIS
        if item.outcome == "out_of_scope":
            self.oos_n += 1
            self.oos_declined += res.outcome is Outcome.OUT_OF_SCOPE
        self.oos_predicted += res.outcome is Outcome.OUT_OF_SCOPE
        if item.outcome in ("route", "multi"):
            got = {res.matches[0].id} if (item.outcome == "route" and res.matches) else set(res.needed)
            for s in item.services:
                self.svc_n[s] += 1
                self.svc_hit[s] += s in got and t1
        if not t1:
            self.errors.append((item, res))
            exp = item.outcome + (":" + "+".join(sorted(item.services)) if item.outcome in ("route", "multi") else "")
            got_ids = res.needed if res.outcome in (Outcome.ROUTE, Outcome.MULTI) else ()
            got = res.outcome.value + (":" + "+".join(sorted(got_ids)) if got_ids else "")
            self.confusion[(exp, got)] += 1

    # ------------------------------------------------------------------------------------------
    @staticmethod
    def _pct(a: int, b: int) -> str:
        return f"{100.0 * a / b:5.1f}% ({a}/{b})" if b else "  n/a"

    def lines(self, label: str, *, sentences: bool, care: bool = True) -> list[str]:
        """The report; ``care``: whether the router routed with the crisis lines beside an answer
        (RoutingResult.care): the plain baseline has no such step, and its line would always say 0."""
        p = self._pct
        oos_prec = p(self.oos_declined, self.oos_predicted)
        out = [
            f"== {label}: {self.n} inquiries",
            f"top-1                  {p(self.top1, self.n)}",
            f"top-3                  {p(self.top3, self.n)}",
            f"outcome accuracy       {p(self.outcome_ok, self.n)}",
            *(f"  {o:<20} {p(self.by_outcome_ok[o], self.by_outcome[o])}" for o in sorted(self.by_outcome)),
            f"crisis recall          {p(self.crisis_hit, self.crisis_n)}",
            f"crisis kind correct    {p(self.crisis_kind_ok, self.crisis_n)}",
            f"crisis false alarms    {p(self.false_alarms, self.non_crisis_n)}  near-miss lines: "
            f"{p(self.near_miss_alarms, self.near_miss_n)}",
            *([f"crisis lines after the answer (care): missed crisis lines "
               f"{p(self.care_crisis, self.crisis_n - self.crisis_hit)}  other lines "
               f"{p(self.care_other, self.non_crisis_n - self.false_alarms)}"] if care else []),
            f"out-of-scope declined  {p(self.oos_declined, self.oos_n)}  precision {oos_prec}",
            "recall per service (route/multi lines):",
            *(f"  {s:<20} {p(self.svc_hit[s], self.svc_n[s])}" for s in sorted(self.svc_n)),
            "confusion (expected -> got: count):",
            *(f"  {e} -> {g}: {c}" for (e, g), c in self.confusion.most_common()),
        ]
        if sentences:
            out.append("errors:")
            for item, res in self.errors:
                out.append(f"  {item.id} [{item.outcome}:{','.join(item.services)}] -> {res.outcome.value} "
                           f"{[m.id for m in res.matches[:3]]} needed={list(res.needed)} | {item.text}")
        return out


def evaluate(route: Callable[[str], RoutingResult], items: Iterable[Item]) -> Report:
    rep = Report()
    for item in items:
        rep.add(item, route(item.text))
    return rep


# --- a plain BM25 baseline over the same catalogue ------------------------------------------
class Baseline:
    """BM25 over each service's name, aliases, keywords, description, eligibility and examples,
    tokenised by Sudachi normalized forms; no synonyms, cues, crisis screen or decision rules:
    it always routes to its best match (out_of_scope when nothing matches)."""

    def __init__(self, catalogue: Catalogue, analyse: Callable[[str], Sequence[str]]) -> None:
        self.cat = catalogue
        self.analyse = analyse
        docs: list[tuple[str, Counter]] = []
        for s in catalogue.services:
            text = " ".join([s.name, *s.aliases, *s.keywords, s.description,
                             s.eligibility_description or "", *s.examples])
            docs.append((s.id, Counter(analyse(text))))
        n = len(docs)
        df: Counter = Counter()
        for _, tf in docs:
            df.update(tf.keys())
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.avg = sum(sum(tf.values()) for _, tf in docs) / n
        self.docs = docs
        self.names = {s.id: s.name for s in catalogue.services}

    def route(self, text: str) -> RoutingResult:
        from bot.routing.result import Match
        q = self.analyse(text)
        scores = []
        for sid, tf in self.docs:
            dl = sum(tf.values())
            s = sum(self.idf.get(t, 0) * tf[t] * 2.2 / (tf[t] + 1.2 * (0.25 + 0.75 * dl / self.avg))
                    for t in q if t in tf)
            scores.append((sid, s))
        scores.sort(key=lambda x: -x[1])
        matches = tuple(Match(sid, self.names[sid], s) for sid, s in scores[:5] if s > 0)
        if not matches:
            return RoutingResult(text, Outcome.OUT_OF_SCOPE)
        return RoutingResult(text, Outcome.ROUTE, matches, (matches[0].id,))


def baseline_tokens(tokeniser) -> Callable[[str], list[str]]:
    from bot.routing.tokenise import CONTENT_POS

    def analyse(text: str) -> list[str]:
        return [t.norm for t in tokeniser.analyse(text).tokens if t.pos in CONTENT_POS]
    return analyse
