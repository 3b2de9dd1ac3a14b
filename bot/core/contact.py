"""Resident-visible contact facts for cards, built on ``bot.catalogue.public`` (verified facts only).

``bot.catalogue.public`` decides what a resident may see (a fact is shown only when its own
provenance says ``verified``; else the nearest verified desk). This module shapes those facts for
the dialogue: one place for the card, every site for 「もっと詳しく」, and the desk for the ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from bot.catalogue.model import Catalogue, Service
from bot.catalogue.public import (PublicContact, PublicHours, is_verified, public_contacts,
                                  public_department)

__all__ = ["Place", "PhoneFact", "ServiceFacts", "desk_id_of", "first_phone", "general_desk", "is_verified",
           "service_facts", "welfare_desk"]


@dataclass(frozen=True, slots=True)
class PhoneFact:
    number: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """A desk or site as a resident may see it: every field verified or absent."""

    name: str
    phones: tuple[PhoneFact, ...] = ()
    hours: PublicHours | None = None
    address: str | None = None

    @property
    def map_url(self) -> str | None:
        if not self.address:
            return None
        return "https://www.google.com/maps/search/?api=1&query=" + quote(self.address)


def _place(contact: PublicContact | None) -> Place | None:
    if contact is None:
        return None
    phones = tuple(PhoneFact(p.number, p.label) for p in contact.phones if p.type != "fax")
    return Place(contact.name, phones, contact.hours, contact.address)


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    id: str
    name: str
    description: str
    eligibility: str | None
    anonymous: bool | None
    place: Place | None          # the one place to show on the card (None: see fallback)
    sites: tuple[Place, ...]     # all sites with a verified phone (for 「もっと詳しく」)
    fallback: Place | None       # verified desk to ask when the service has no single verified place
    desk_id: str | None          # the department in charge (for the ticket)
    url: str | None


def _department_place(cat: Catalogue, dept_id: str | None) -> Place | None:
    if dept_id is None:
        return None
    try:
        place = _place(public_department(cat, dept_id))
    except KeyError:
        return None
    return place if place is not None and place.phones else None


def welfare_desk(cat: Catalogue) -> Place | None:
    """The nearest verified welfare desk (meta.welfare_contact, then meta.general_contact)."""
    for dept_id in (cat.meta.welfare_contact, cat.meta.general_contact):
        if (place := _department_place(cat, dept_id)) is not None:
            return place
    return None


def general_desk(cat: Catalogue) -> Place | None:
    """The city's general contact for out-of-scope questions (meta.general_contact, then welfare)."""
    for dept_id in (cat.meta.general_contact, cat.meta.welfare_contact):
        if (place := _department_place(cat, dept_id)) is not None:
            return place
    return None


def _known(cat: Catalogue, dept_id: str | None) -> bool:
    if dept_id is None:
        return False
    try:
        cat.department(dept_id)
    except KeyError:
        return False
    return True


def desk_id_of(cat: Catalogue, service: Service) -> str | None:
    """The department in charge of a service, for the ticket's ``desk``."""
    for dept_id in (service.department, service.fallback_contact, *(s.department for s in service.sites)):
        if _known(cat, dept_id):
            return dept_id
    return cat.meta.welfare_contact


def service_facts(cat: Catalogue, service_id: str) -> ServiceFacts:
    """A service as a card shows it; raises KeyError for an unknown id."""
    service = cat.service(service_id)
    contacts = public_contacts(cat, service_id)
    sites = tuple(p for c in contacts if c.kind == "site" and (p := _place(c)) is not None and p.phones)
    place = sites[0] if len(sites) == 1 else None
    fallback: Place | None = None
    if place is None:
        fallback = next((p for c in contacts if c.kind != "site" and (p := _place(c)) is not None and p.phones), None)
        if fallback is None:
            fallback = (_department_place(cat, service.department) or _department_place(cat, service.fallback_contact)
                        or welfare_desk(cat))
    anonymous = service.anonymous if is_verified(service.anonymous_provenance) else None
    return ServiceFacts(id=service.id, name=service.name, description=service.description,
                        eligibility=service.eligibility_description, anonymous=anonymous, place=place,
                        sites=sites, fallback=fallback, desk_id=desk_id_of(cat, service), url=service.url)


def first_phone(facts: ServiceFacts) -> PhoneFact | None:
    for place in (facts.place, facts.fallback):
        if place is not None and place.phones:
            return place.phones[0]
    return None
