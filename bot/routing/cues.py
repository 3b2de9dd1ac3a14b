"""Stage 6: cues that words alone miss: ages, life stages, and who the inquiry is about.

``Cues.extract(text)`` reads "19歳", "80代の母", "生後3か月", "高校生", "妊娠中" into age ranges
and life stages; ``fit(cues, service)`` compares them with the service's minimum_age, maximum_age
and life_stages (data-driven: no service ids here).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.catalogue.model import Service
from bot.routing.literal import LiteralIndex


STAGE_MISMATCH = -0.5     # life stages named, none of them the desk's (no age stated)
_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 1}   # 十代 = the 10s


@dataclass(frozen=True, slots=True)
class Found:
    ages: tuple[tuple[int, int], ...]      # age ranges of the people mentioned
    stages: tuple[str, ...]                # life stages mentioned
    about: str                             # 本人 | 家族 | 近所
    words: tuple[str, ...]                 # what was read (for the explanation)
    stated_ages: tuple[tuple[int, int], ...] = ()   # ages written as numbers (19歳, 80代)
    people: int = 0                        # how many different people (family/neighbour words) are named


class Cues:
    def __init__(self, data: Mapping[str, Any], normalise: Callable[[str], str]) -> None:
        self.stage_ages: dict[str, tuple[int, int] | None] = {
            k: (tuple(v["ages"]) if v and v.get("ages") else None) for k, v in data["stages"].items()}
        self.words = sorted(((normalise(k), tuple(v.get("stages", ())), tuple(v["ages"]) if v.get("ages") else None,
                              bool(v.get("stated"))) for k, v in data["words"].items()), key=lambda x: -len(x[0]))
        self.age_patterns = [(re.compile(a["pattern"]), a["kind"], int(a.get("base", 0)), a.get("stage"))
                             for a in data["ages"]]
        self.about = [(label, tuple(normalise(w) for w in words)) for label, words in data["about"].items()]
        self.groups = frozenset(normalise(w) for w in data.get("group_words", ()))
        # labels of ``about`` whose words all name one relation (隣, 近所, 町内の: the neighbour), not people
        self.one_person = frozenset(data.get("one_person_labels", ()))
        self._words_index = LiteralIndex((w, (w, st, rng, is_stated)) for w, st, rng, is_stated in self.words)
        # most age patterns need a digit: those that do not are read in every text
        self._patterns_without_digits = [p for p in self.age_patterns if "\\d" not in p[0].pattern]
        # every word of ``about`` found in a text in one pass (then read label by label, in order)
        self._about_index = LiteralIndex((w, w) for _label, ws in self.about for w in ws)

    def extract(self, text: str, hits: Iterable[tuple[int, tuple]] | None = None) -> Found:
        ages: list[tuple[int, int]] = []
        stages: list[str] = []
        words: list[str] = []
        stated: list[tuple[int, int]] = []
        has_digit = any(map(str.isdigit, text))
        for rx, kind, base, stage in self.age_patterns if has_digit else self._patterns_without_digits:
            for m in rx.finditer(text):
                g = m.group(1)
                n = int(g) if g.isdigit() else _KANJI_DIGITS.get(g, -1)
                if n < 0:
                    continue
                if kind == "years" and n <= 120:
                    ages.append((n, n))
                    stated.append((n, n))
                elif kind == "decade":
                    ages.append((n * 10, n * 10 + 9))
                    stated.append((n * 10, n * 10 + 9))
                elif kind == "infant":
                    ages.append((0, 0 if n < 12 else 1))
                    stages.append("乳幼児")
                elif kind == "grade":          # 小4, 中2, 高1: school year n starts at age base + n
                    ages.append((base + n, base + n))
                    stated.append((base + n, base + n))
                    if stage:
                        stages.append(stage)
                elif kind in ("over", "under", "around", "mid"):   # 40過ぎ, 40手前, 40前後, 40半ば
                    lo, hi = {"over": (n, n + 9), "under": (n - 4, n - 1), "around": (n - 3, n + 3),
                              "mid": (n + 3, n + 7)}[kind]
                    ages.append((lo, hi))
                    stated.append((lo, hi))
                elif kind == "pregnancy":
                    stages.append("妊娠中")
                else:
                    continue
                words.append(m.group(0))
        taken_until = -1
        found = hits if hits is not None else ((i, entry) for i, _w, entry in self._words_index.finditer(text))
        for i, (w, st, rng, is_stated) in found:
            if i < taken_until:
                continue                        # 高校 inside 高校生 is the same word
            taken_until = i + len(w)
            stages.extend(st)
            if rng:
                ages.append(rng)
                if is_stated:
                    stated.append(rng)
            words.append(w)
        about = "本人"
        people: set[str] = set()
        present = {w for _i, w, _w in self._about_index.unordered(text)}
        for label, ws in self.about:
            # 親として, 家族として: the writer's own role, not another person
            named = [w for w in ws if w in present and text.replace(w + "として", "").count(w) > 0] if present else []
            if named and about == "本人":
                about = label
            if label in self.one_person and len(named) > 1:
                named = named[:1]             # 隣の人 … 近所とも: words of one relation, one person
            people.update(named)
        # 母 inside 祖母 is one person: keep only names not contained in a longer one
        people = {p for p in people if not any(p != q and p in q for q in people)}
        if len(people) > 1:   # 家族 beside 弟 is the household, not one more person to tell apart
            people -= self.groups
        return Found(tuple(dict.fromkeys(ages)), tuple(dict.fromkeys(stages)), about, tuple(words),
                     tuple(dict.fromkeys(stated)), len(people))

    def service_range(self, svc: Service) -> tuple[int, int] | None:
        if svc.minimum_age is None and svc.maximum_age is None:
            return None
        return (svc.minimum_age or 0, svc.maximum_age if svc.maximum_age is not None else 120)

    def fit(self, found: Found, svc: Service) -> float:
        """+1 when a mentioned person fits the service's ages/stages; -1 when a stated age (19歳, 80代)
        fits none and the message names at most one person; ``STAGE_MISMATCH`` (-0.5) when no age is
        given and the life stages named fit none of the desk's own; else 0 (unknown, or several people)."""
        if not found.ages and not found.stages:
            return 0.0
        rng = self.service_range(svc)
        svc_stages = set(svc.life_stages)
        verdicts: list[bool] = []
        if rng is not None:
            for lo, hi in found.ages:
                verdicts.append(lo <= rng[1] and hi >= rng[0])
        if svc_stages:
            for st in found.stages:
                verdicts.append(st in svc_stages)
            if rng is None:
                for lo, hi in found.ages:
                    verdicts.append(any(r is not None and lo <= r[1] and hi >= r[0]
                                        for s in svc_stages if (r := self.stage_ages.get(s)) is not None))
        elif rng is not None and not found.stated_ages:   # a stated age is more precise than a stage
            for st in found.stages:
                r = self.stage_ages.get(st)
                if r is not None:
                    verdicts.append(r[0] <= rng[1] and r[1] >= rng[0])
        if not verdicts:
            return 0.0
        if any(verdicts):
            return 1.0
        # a stated age that fits none: penalise when it is the only person, or when every person's
        # age is stated (80代の父と50代の兄: a youth desk fits neither)
        # an age range read from a word (年金, 要介護: 65+) that holds a stated age is that same person
        stated_only = not [a for a in found.ages if a not in found.stated_ages
                           and not any(a[0] <= s[1] and s[0] <= a[1] for s in found.stated_ages)]
        if found.stated_ages and (found.people <= 1 and len(found.stated_ages) == 1 or
                                  len(found.stated_ages) >= 2 and stated_only):
            rng_ok = rng is not None or bool(svc_stages)
            return -1.0 if rng_ok else 0.0
        # no age stated, but the only life stages named belong to other desks (子ども向けの料理教室 is
        # not for a desk of older people): a milder doubt than a stated age
        if not found.ages and found.people <= 1 and svc_stages and found.stages:
            return STAGE_MISMATCH
        return 0.0
