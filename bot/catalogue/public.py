"""What a resident may see: only verified facts, and the nearest verified desk when a service has none.

Pure functions over a loaded :class:`Catalogue` (no I/O, no clock). The conversation core uses them
for contact cards; ``scrum-bot catalogue show`` prints them. A fact is shown only when its own
provenance says ``verified``; secondary and unverified facts never leave this module.

    public_contacts(cat, "houkatsu")      -> [PublicContact(高齢者支援課 …)]   # no verified site fact
    public_contacts(cat, "jiritsu_soudan") -> [PublicContact(ユニバーサル就労支援センター …)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.catalogue.model import (
    Address,
    Catalogue,
    Confidence,
    CrisisLine,
    Department,
    Hours,
    Phone,
    Provenance,
    Schedule,
    Service,
    Site,
)

ContactKind = Literal["site", "department", "fallback"]


def is_verified(prov: Provenance | None) -> bool:
    """True when a fact may be shown to a resident."""
    return prov is not None and prov.confidence is Confidence.VERIFIED


@dataclass(frozen=True, slots=True)
class PublicPhone:
    number: str                 # "0545-55-2757", "#7119", "110"
    type: str = "voice"         # voice | fax | text | textphone
    label: str | None = None    # "入園担当（直通）"


@dataclass(frozen=True, slots=True)
class PublicHours:
    text: str                               # 月〜金 8:30〜17:15（祝休日・年末年始を除く）
    always_open: bool = False               # 24時間365日
    schedules: tuple[Schedule, ...] = ()    # only the verified rules, for "open now?"


@dataclass(frozen=True, slots=True)
class PublicContact:
    """One desk or place a resident can contact, with only its verified facts."""

    ref: str                                # site id or department id
    name: str
    kind: ContactKind                       # site | department | fallback (the nearest verified desk)
    phones: tuple[PublicPhone, ...] = ()    # voice numbers first; fax after
    address: str | None = None
    hours: PublicHours | None = None

    @property
    def has_phone(self) -> bool:
        return any(p.type != "fax" for p in self.phones)


@dataclass(frozen=True, slots=True)
class PublicCrisisLine:
    id: str
    name: str
    kinds: tuple[str, ...]
    phones: tuple[PublicPhone, ...]
    hours: PublicHours | None
    for_whom: str | None
    anonymous: bool | None
    priority: int


# ------------------------------------------------------------------------------ fact filters
def _phones(phones: tuple[Phone, ...]) -> tuple[PublicPhone, ...]:
    shown = [PublicPhone(p.number, p.type, p.label) for p in phones if is_verified(p.provenance)]
    return tuple(sorted(shown, key=lambda p: p.type == "fax"))   # stable: voice first


def _address(address: Address | None) -> str | None:
    if address is None or not is_verified(address.provenance):
        return None
    return f"〒{address.postal_code} {address.text}" if address.postal_code else address.text


def _hours(hours: Hours | None) -> PublicHours | None:
    if hours is None or not is_verified(hours.provenance):
        return None
    return PublicHours(hours.text, hours.always_open,
                       tuple(s for s in hours.schedules if is_verified(s.provenance)))


def site_contact(site: Site) -> PublicContact | None:
    """The verified facts of a site, or None when it has none to show."""
    contact = PublicContact(site.id, site.name, "site", _phones(site.phones), _address(site.address),
                            _hours(site.hours))
    return contact if (contact.phones or contact.address or contact.hours) else None


def department_contact(dept: Department, kind: ContactKind = "department") -> PublicContact | None:
    """The verified facts of a department, or None when it has none to show."""
    contact = PublicContact(dept.id, dept.name, kind, _phones(dept.phones), _address(dept.address),
                            _hours(dept.hours))
    return contact if (contact.phones or contact.address or contact.hours) else None


def _dept(cat: Catalogue, dept_id: str | None) -> Department | None:
    if dept_id is None:
        return None
    try:
        return cat.department(dept_id)
    except KeyError:
        return None


# ------------------------------------------------------------------------------ the API
def public_contacts(cat: Catalogue, service_id: str) -> list[PublicContact]:
    """Contacts a resident may be shown for a service, best first; only verified facts.

    Sites with a verified fact come first. When none of them has a verified phone, the service's
    own department follows if it has one; failing that, its ``fallback_contact``, then the
    catalogue's ``meta.welfare_contact`` (the nearest verified welfare desk), then
    ``meta.general_contact``; the first of those with a verified phone is added (kind "fallback"
    unless it is the service's own department). An empty list means nothing verified is reachable
    (``catalogue check`` reports that as an error). Raises KeyError for an unknown service id.
    """
    svc = cat.service(service_id)
    contacts: list[PublicContact] = []
    seen: set[tuple[str, ...]] = set()
    for site in svc.sites:
        contact = site_contact(site)
        if contact is None:
            continue
        key = (contact.name, *(p.number for p in contact.phones), contact.address or "")
        if key in seen:
            continue
        seen.add(key)
        contacts.append(contact)
    if any(c.has_phone for c in contacts):
        return contacts
    for dept_id in (svc.department, svc.fallback_contact, cat.meta.welfare_contact, cat.meta.general_contact):
        dept = _dept(cat, dept_id)
        if dept is None:
            continue
        contact = department_contact(dept, "department" if dept_id == svc.department else "fallback")
        if contact is not None and contact.has_phone:
            contacts.append(contact)
            break
    return contacts


def has_verified_contact(cat: Catalogue, service: Service) -> bool:
    """True when a resident can reach a verified phone for this service (site, desk or fallback)."""
    if any(is_verified(p.provenance) and p.type != "fax" for s in service.sites for p in s.phones):
        return True
    for dept_id in (service.department, service.fallback_contact):
        dept = _dept(cat, dept_id)
        if dept is not None and any(is_verified(p.provenance) and p.type != "fax" for p in dept.phones):
            return True
    return False


def public_department(cat: Catalogue, dept_id: str) -> PublicContact | None:
    """A department's verified facts (None when it has none). Raises KeyError for an unknown id."""
    return department_contact(cat.department(dept_id))


def line_is_verified(line: CrisisLine) -> bool:
    """A crisis line is shown only when at least one of its (non-fax) phones is verified."""
    return any(is_verified(p.provenance) and p.type != "fax" for p in line.phones)


def public_crisis_line(line: CrisisLine) -> PublicCrisisLine | None:
    """A crisis line with only its verified phones and hours; None when no phone is verified."""
    if not line_is_verified(line):
        return None
    return PublicCrisisLine(line.id, line.name, line.kinds, _phones(line.phones), _hours(line.hours),
                            line.for_whom, line.anonymous, line.priority)


def public_crisis_lines(cat: Catalogue, kinds: tuple[str, ...] | None = None,
                        ids: tuple[str, ...] | None = None) -> list[PublicCrisisLine]:
    """Verified crisis lines, by priority; filtered by kind (any of) and/or by id (in that order)."""
    lines = [line for line in cat.crisis_lines
             if (kinds is None or set(kinds) & set(line.kinds)) and (ids is None or line.id in ids)]
    if ids is not None:
        order = {lid: i for i, lid in enumerate(ids)}
        lines.sort(key=lambda line: order[line.id])
    else:
        lines.sort(key=lambda line: line.priority)
    return [p for line in lines if (p := public_crisis_line(line)) is not None]
