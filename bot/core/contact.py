"""Resident-visible contact facts: only what the catalogue marks ``verified``, else a verified desk.

Pure functions over the catalogue. A fact whose provenance is secondary or unverified is never
returned; where a service has no verified phone, the card points to its fallback desk, then its
department, then ``meta.welfare_contact`` (福祉総務課).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from bot.catalogue.model import Catalogue, Confidence, Department, Hours, Phone, Provenance, Service, Site


def is_verified(prov: Provenance | None) -> bool:
    return prov is not None and prov.confidence == Confidence.VERIFIED


@dataclass(frozen=True, slots=True)
class PhoneFact:
    number: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """A desk or site as a resident may see it: every field verified or absent."""

    name: str
    phones: tuple[PhoneFact, ...] = ()
    hours: Hours | None = None
    address: str | None = None

    @property
    def map_url(self) -> str | None:
        if not self.address:
            return None
        return "https://www.google.com/maps/search/?api=1&query=" + quote(self.address)


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    id: str
    name: str
    description: str
    eligibility: str | None
    anonymous: bool | None
    place: Place | None          # the one place to show on the card (None: see fallback)
    sites: tuple[Place, ...]     # all sites with a verified phone (for 「もっと詳しく」)
    fallback: Place | None       # verified desk to ask when the service itself has no verified phone
    desk_id: str | None          # the department in charge (for the ticket)
    url: str | None


def _phones(phones: tuple[Phone, ...]) -> tuple[PhoneFact, ...]:
    return tuple(PhoneFact(p.number, p.label) for p in phones
                 if p.type in ("voice", "textphone") and is_verified(p.provenance))


def _hours(hours: Hours | None) -> Hours | None:
    return hours if hours is not None and is_verified(hours.provenance) else None


def site_place(site: Site) -> Place:
    addr = site.address.text if site.address is not None and is_verified(site.address.provenance) else None
    return Place(site.name, _phones(site.phones), _hours(site.hours), addr)


def department_place(dept: Department) -> Place:
    addr = dept.address.text if dept.address is not None and is_verified(dept.address.provenance) else None
    return Place(dept.name, _phones(dept.phones), _hours(dept.hours), addr)


def _dept(cat: Catalogue, dept_id: str | None) -> Department | None:
    if dept_id is None:
        return None
    try:
        return cat.department(dept_id)
    except KeyError:
        return None


def welfare_desk(cat: Catalogue) -> Place | None:
    """The nearest verified welfare desk (meta.welfare_contact, then meta.general_contact)."""
    for dept_id in (cat.meta.welfare_contact, cat.meta.general_contact):
        dept = _dept(cat, dept_id)
        if dept is not None and (place := department_place(dept)).phones:
            return place
    return None


def general_desk(cat: Catalogue) -> Place | None:
    """The city's general contact for out-of-scope questions (meta.general_contact, then welfare)."""
    for dept_id in (cat.meta.general_contact, cat.meta.welfare_contact):
        dept = _dept(cat, dept_id)
        if dept is not None and (place := department_place(dept)).phones:
            return place
    return None


def desk_id_of(cat: Catalogue, service: Service) -> str | None:
    """The department in charge of a service, for the ticket's ``desk``."""
    for dept_id in (service.department, service.fallback_contact,
                    *(s.department for s in service.sites)):
        if dept_id is not None and _dept(cat, dept_id) is not None:
            return dept_id
    return cat.meta.welfare_contact


def service_facts(cat: Catalogue, service_id: str) -> ServiceFacts:
    service = cat.service(service_id)
    sites = tuple(p for p in (site_place(s) for s in service.sites) if p.phones)
    place = sites[0] if len(sites) == 1 else None
    fallback: Place | None = None
    if place is None:
        for dept_id in (service.fallback_contact, service.department):
            dept = _dept(cat, dept_id)
            if dept is not None and (cand := department_place(dept)).phones:
                fallback = cand
                break
        else:
            fallback = welfare_desk(cat)
    anonymous = service.anonymous if is_verified(service.anonymous_provenance) else None
    return ServiceFacts(id=service.id, name=service.name, description=service.description,
                        eligibility=service.eligibility_description, anonymous=anonymous, place=place,
                        sites=sites, fallback=fallback, desk_id=desk_id_of(cat, service), url=service.url)


def first_phone(facts: ServiceFacts) -> PhoneFact | None:
    for place in (facts.place, facts.fallback):
        if place is not None and place.phones:
            return place.phones[0]
    return None
