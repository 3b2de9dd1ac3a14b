"""Lints a loaded catalogue: what the schema cannot say, as errors (exit 1) and warnings (to fix or re-check).

Pure: the date is passed in, nothing is read from the clock or the network. The one optional stage
that needs more (``router_reach``) builds the router lazily and is skipped with a notice when
``bot.routing.router.build_router`` is not importable yet.

Codes (stable, used by tests and tools):
  errors   duplicate_id, dangling_reference, no_verified_contact, crisis_kind_uncovered
  warnings stale_fact ("to re-check"), crisis_no_hours, crisis_unverified, unknown_crisis_kind,
           unknown_district, example_not_routed
  notices  router_skipped
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.catalogue.model import CRISIS_KINDS, Catalogue, Confidence, Provenance
from bot.catalogue.public import has_verified_contact, line_is_verified

Level = Literal["error", "warning", "notice"]

CODES: tuple[str, ...] = (
    "duplicate_id", "dangling_reference", "no_verified_contact", "crisis_kind_uncovered",
    "stale_fact", "crisis_no_hours", "crisis_unverified", "unknown_crisis_kind", "unknown_district",
    "example_not_routed", "router_skipped", "router_failed",
)


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    code: str
    where: str          # services[houkatsu].sites[x].phones[0545-…]
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.level}: {self.code}: {self.where}: {self.message}"


# ------------------------------------------------------------------------------ dates
_DATE = re.compile(r"(?<!\d)(\d{4})(?:[-/.](\d{1,2})(?!\d)(?:[-/.](\d{1,2})(?!\d))?)?")


def published_date(text: str | None) -> dt.date | None:
    """The first date in a source's ``published`` text: '2015-03-20', '2025-05-01掲載', '2025-12', 'c.2016'.

    Month or day missing → the 1st (the oldest reading, so a fact is re-checked sooner rather than later).
    """
    if not text:
        return None
    for m in _DATE.finditer(text):
        year = int(m.group(1))
        month = int(m.group(2) or 1)
        day = int(m.group(3) or 1)
        if not 1900 <= year <= 2100 or not 1 <= month <= 12:
            continue
        try:
            return dt.date(year, month, day)
        except ValueError:
            return dt.date(year, month, 1)
    return None


def months_between(earlier: dt.date, later: dt.date) -> int:
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    if later.day < earlier.day:
        months -= 1
    return months


def fact_date(prov: Provenance) -> tuple[dt.date, str]:
    """The date a fact's age is counted from: the source's published date when known, else checked."""
    published = published_date(prov.published)
    return (published, "published") if published else (prov.checked, "checked")


# ------------------------------------------------------------------------------ walking facts
def _facts(cat: Catalogue) -> Iterator[tuple[str, str, Provenance]]:
    """(where, what, provenance) for every contact fact in the catalogue."""
    def holder(prefix: str, obj: Any) -> Iterator[tuple[str, str, Provenance]]:
        for p in obj.phones:
            yield f"{prefix}.phones[{p.number}]", "phone", p.provenance
        if getattr(obj, "address", None) is not None:
            yield f"{prefix}.address", "address", obj.address.provenance
        if obj.hours is not None:
            yield f"{prefix}.hours", "hours", obj.hours.provenance
            for i, s in enumerate(obj.hours.schedules):
                yield f"{prefix}.hours.schedules[{i}]", "schedule", s.provenance

    for s in cat.services:
        for site in s.sites:
            yield from holder(f"services[{s.id}].sites[{site.id}]", site)
        if s.anonymous_provenance is not None:
            yield f"services[{s.id}].anonymous", "anonymous", s.anonymous_provenance
    for d in cat.departments:
        yield from holder(f"departments[{d.id}]", d)
    for c in cat.crisis_lines:
        yield from holder(f"crisis_lines[{c.id}]", c)


# ------------------------------------------------------------------------------ the checks
def _duplicates(cat: Catalogue) -> Iterator[Finding]:
    owners: dict[str, str] = {}
    for kind, ids in (("services", [s.id for s in cat.services]),
                      ("departments", [d.id for d in cat.departments]),
                      ("meetings", [m.id for m in cat.meetings]),
                      ("crisis_lines", [c.id for c in cat.crisis_lines])):
        for i in ids:
            where = f"{kind}[{i}]"
            if i in owners:
                yield Finding("error", "duplicate_id", where, f"id {i!r} is also used by {owners[i]}")
            else:
                owners[i] = where
    sites: dict[str, str] = {}
    for s in cat.services:
        for site in s.sites:
            where = f"services[{s.id}].sites[{site.id}]"
            if site.id in sites:
                yield Finding("error", "duplicate_id", where, f"site id {site.id!r} is also used by {sites[site.id]}")
            else:
                sites[site.id] = where
    names: dict[str, str] = {}
    for d in cat.areas.districts:
        for n in (d.name, *d.aliases):
            if n in names:
                yield Finding("error", "duplicate_id", f"areas.districts[{d.name}]",
                              f"地区 name {n!r} is also used by areas.districts[{names[n]}]")
            else:
                names[n] = d.name


def _dangling(cat: Catalogue) -> Iterator[Finding]:
    """References the schema validator does not check (it already rejects unknown services/departments)."""
    districts = {n for d in cat.areas.districts for n in (d.name, *d.aliases)}
    centers = {c.name for c in cat.areas.centers}
    if districts:
        for s in cat.services:
            for site in s.sites:
                for n in site.districts:
                    if n not in districts:
                        yield Finding("warning", "unknown_district", f"services[{s.id}].sites[{site.id}].districts",
                                      f"no 地区 named {n!r} in areas.districts")
        for c in cat.areas.centers:
            for n in c.districts:
                if n not in districts:
                    yield Finding("warning", "unknown_district", f"areas.centers[{c.id}].districts",
                                  f"no 地区 named {n!r} in areas.districts")
    for d in cat.areas.districts:
        if d.center is not None and centers and d.center not in centers:
            yield Finding("error", "dangling_reference", f"areas.districts[{d.name}].center",
                          f"no centre named {d.center!r} in areas.centers")
        if d.center is not None and d.center_provenance is None:
            yield Finding("error", "dangling_reference", f"areas.districts[{d.name}].center_provenance",
                          "a centre is given without its provenance")


def _dept_has_verified_phone(cat: Catalogue, dept_id: str) -> bool:
    try:
        dept = cat.department(dept_id)
    except KeyError:
        return False
    return any(p.provenance.confidence is Confidence.VERIFIED and p.type != "fax" for p in dept.phones)


def _contacts(cat: Catalogue) -> Iterator[Finding]:
    for s in cat.services:
        if not has_verified_contact(cat, s):
            yield Finding("error", "no_verified_contact", f"services[{s.id}]",
                          "no verified phone: no site phone, department or fallback_contact with a verified phone")
        elif s.fallback_contact is not None and not _dept_has_verified_phone(cat, s.fallback_contact):
            yield Finding("warning", "no_verified_contact", f"services[{s.id}].fallback_contact",
                          f"{s.fallback_contact!r} has no verified phone: a fallback should be the nearest verified desk")
    for where, ref in (("meta.welfare_contact", cat.meta.welfare_contact),
                       ("meta.general_contact", cat.meta.general_contact),
                       ("areas.area_contact", cat.areas.area_contact)):
        if ref is not None and not _dept_has_verified_phone(cat, ref):
            yield Finding("error", "no_verified_contact", where,
                          f"{ref!r} has no verified phone: residents are sent here when nothing else is known")


def _stale(cat: Catalogue, today: dt.date, max_age_months: int) -> Iterator[Finding]:
    """One "to re-check" warning per entry and source: the facts it supports and how old it is."""
    groups: dict[tuple[str, str], tuple[Provenance, list[str]]] = {}
    for where, what, prov in _facts(cat):
        when, _ = fact_date(prov)
        if months_between(when, today) <= max_age_months:
            continue
        entry = where.split(".")[0] if where.startswith(("departments", "crisis_lines")) else ".".join(where.split(".")[:2])
        key = (entry, prov.source)
        label = f"{what}[{where.rsplit('[', 1)[1]}" if what == "phone" else what
        if key not in groups:
            groups[key] = (prov, [])
        if label not in groups[key][1]:
            groups[key][1].append(label)
    for (entry, source), (prov, whats) in groups.items():
        when, basis = fact_date(prov)
        age = months_between(when, today)
        written = prov.published if basis == "published" else when.isoformat()
        yield Finding("warning", "stale_fact", entry,
                      f"to re-check: {', '.join(whats)} ({prov.confidence.value}); source {basis} {written}, "
                      f"{age} months ago (max {max_age_months}): {source}")


def _crisis(cat: Catalogue) -> Iterator[Finding]:
    covered: set[str] = set()
    for c in cat.crisis_lines:
        where = f"crisis_lines[{c.id}]"
        if c.hours is None:
            yield Finding("warning", "crisis_no_hours", where, "no hours: residents cannot tell when it answers")
        if not line_is_verified(c):
            levels = sorted({p.provenance.confidence.value for p in c.phones})
            yield Finding("warning", "crisis_unverified", where,
                          f"no verified phone ({', '.join(levels)}): kept for staff, never shown to residents")
        else:
            covered.update(c.kinds)
        for k in c.kinds:
            if k not in CRISIS_KINDS:
                yield Finding("warning", "unknown_crisis_kind", f"{where}.kinds",
                              f"{k!r} is not in the shared vocabulary: {', '.join(CRISIS_KINDS)}")
    for k in CRISIS_KINDS:
        if k not in covered:
            yield Finding("error", "crisis_kind_uncovered", "crisis_lines",
                          f"no verified crisis line of kind {k!r}: the bot would have no number to give")


ROUTER_MODULE = "bot.routing.router"


def router_reach(cat: Catalogue, module: str = ROUTER_MODULE) -> list[Finding]:
    """Routes every service's own examples; an example that does not reach its service is an error.

    Examples double as regression tests: a catalogue whose own phrasings go to another desk would
    send residents astray, so ``catalogue check`` fails on it (router built lazily).
    """
    try:
        build_router = importlib.import_module(module).build_router
    except (ImportError, AttributeError) as exc:
        return [Finding("notice", "router_skipped", "services[*].examples",
                        f"router not available yet ({type(exc).__name__}); example reach not checked")]
    try:
        router = build_router(cat)
    except Exception as exc:  # noqa: BLE001 - the router is another area's code; report, don't crash
        return [Finding("error", "router_failed", "services[*].examples",
                        f"build_router failed ({type(exc).__name__}: {exc}); example reach not checked")]
    try:   # the router area's own definition of "reaches", when it has one
        problems = importlib.import_module("bot.routing.lint").examples_not_reaching(router, cat)
    except (ImportError, AttributeError):
        problems = _not_reaching(router, cat)
    missed: dict[str, list[str]] = {}
    for service_id, example, got in problems:
        missed.setdefault(service_id, []).append(f"{example!r} → {got}")
    totals = {s.id: len(s.examples) for s in cat.services}
    return [Finding("error", "example_not_routed", f"services[{sid}].examples",
                    f"{len(items)}/{totals.get(sid, 0)} not routed here: " + "; ".join(items))
            for sid, items in missed.items()]


def _not_reaching(router: Any, cat: Catalogue) -> list[tuple[str, str, str]]:
    """(service id, example, outcome) for examples whose route/multi/crisis desks do not include the service."""
    problems: list[tuple[str, str, str]] = []
    for s in cat.services:
        if not s.routable:          # offered only alongside other desks (多機関協働), never routed to alone
            continue
        for example in s.examples:
            result = router.route(example)
            outcome = getattr(result.outcome, "value", result.outcome)
            reached = set(result.needed)
            if outcome == "route" and result.matches:
                reached.add(result.matches[0].id)
            if s.id not in reached:
                top = result.matches[0].id if result.matches else "-"
                problems.append((s.id, example, f"{outcome}:{top}"))
    return problems


def lint_catalogue(cat: Catalogue, *, today: dt.date, max_age_months: int = 12,
                   check_router: bool = True) -> list[Finding]:
    """Every finding, errors first; ``check_router`` also routes each service's examples."""
    findings = [*_duplicates(cat), *_dangling(cat), *_contacts(cat), *_crisis(cat),
                *_stale(cat, today, max_age_months)]
    if check_router:
        findings.extend(router_reach(cat))
    order = {"error": 0, "warning": 1, "notice": 2}
    return sorted(findings, key=lambda f: order[f.level])
