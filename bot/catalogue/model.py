"""The catalogue schema: services, desks, areas, meetings and crisis lines as validated data.

Field names follow Open Referral HSDS 3.0 where one fits (``eligibility_description``,
``minimum_age``, ``maximum_age``, ``service_areas``, ``schedules`` with ``byday``/``opens_at``/
``closes_at``, ``phones[].type``). Every contact fact (phone, address, hours) carries its
``provenance``: where it comes from, when it was checked and how sure we are. Only ``verified``
facts are ever shown to a resident.

The schema is deliberately lenient about what is *optional*: a minimal catalogue of another city
with only ids, names, descriptions and example inquiries is valid. ``scrum-bot catalogue check``
lints the stricter expectations of a production catalogue.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-4]):[0-5]\d$")]


# The shared crisis vocabulary (router lexicon <-> crisis_lines[].kinds); the lint warns on others.
CRISIS_KINDS: tuple[str, ...] = (
    "suicide", "self_harm", "dv", "child_abuse", "abuse", "violence", "emergency",
    "medical_adult", "medical_child", "child", "youth", "general",
)


class Confidence(StrEnum):
    VERIFIED = "verified"        # an official page or official publication says so
    SECONDARY = "secondary"      # press, blogs, third-party copies only
    UNVERIFIED = "unverified"    # known to exist, not confirmed (never shown to residents)


class Field_(StrEnum):
    """分野: the plan's fields of support."""

    KOREI = "高齢"
    SHOGAI = "障害"
    KODOMO = "子ども"
    KONKYU = "困窮"
    WAKAMONO = "若者"
    ZEN = "全"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provenance(Strict):
    """Where a fact comes from: a URL or a plan section, the date it was checked, a confidence."""

    source: str = Field(min_length=1)          # URL, or "plan:第2章1(1)"
    title: str | None = None                   # the page or document title
    published: str | None = None               # the date the source itself gives, as written
    checked: dt.date                           # when we checked it
    confidence: Confidence
    note: str | None = None


class Phone(Strict):
    number: Annotated[str, StringConstraints(pattern=r"^(#\d{3,4}|\d{3}|[0-9][0-9-]{8,13})$")]
    type: Literal["voice", "fax", "text", "textphone"] = "voice"
    label: str | None = None                   # e.g. "児童虐待の相談・通告", "IP電話から"
    provenance: Provenance


class Address(Strict):
    text: str
    postal_code: str | None = None
    provenance: Provenance


class Schedule(Strict):
    """A weekly opening rule (HSDS schedule, RFC 5545 BYDAY codes)."""

    byday: tuple[Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"], ...] = Field(min_length=1)
    opens_at: HHMM
    closes_at: HHMM                            # "24:00" allowed; closes_at < opens_at = past midnight
    closed_on_holidays: bool = True            # Japanese public holidays
    closed_new_year: bool = True               # 12/29 – 1/3 (年末年始)
    description: str | None = None
    provenance: Provenance


class Hours(Strict):
    """Opening hours: structured rules where known, and the text a resident reads."""

    text: str                                  # 月〜金 8:30〜17:15（祝休日・年末年始を除く）
    always_open: bool = False                  # 24時間365日
    schedules: tuple[Schedule, ...] = ()
    provenance: Provenance


class Site(Strict):
    """A place or desk where a service is delivered (HSDS location + contact)."""

    id: Id
    name: str
    department: Id | None = None               # the desk behind this site, if a department
    address: Address | None = None
    phones: tuple[Phone, ...] = ()
    hours: Hours | None = None
    service_area: str | None = None            # 市内全域, 日常生活圏域 …
    districts: tuple[str, ...] = ()            # 地区 names served, when known
    url: str | None = None
    kind: str | None = None                    # 直営, 委託, 基幹 … (what this site is)
    provenance: Provenance | None = None       # where the site's existence/name comes from
    notes: tuple[str, ...] = ()                # for staff; never shown to residents


class Service(Strict):
    id: Id
    name: str
    reading: str | None = None
    aliases: tuple[str, ...] = ()              # 愛称, other names (ココカラ, 包括 …)
    fields: tuple[Field_, ...] = ()
    legal_basis: str | None = None             # 社会福祉法第106条の4第2項第1号イ
    plan_section: str | None = None            # 第2章1(1)
    description: str                           # plain, kind Japanese (やさしい日本語)
    eligibility_description: str | None = None
    minimum_age: int | None = Field(default=None, ge=0, le=120)
    maximum_age: int | None = Field(default=None, ge=0, le=120)
    life_stages: tuple[str, ...] = ()          # 妊娠中, 乳幼児, 未就学児, 学齢期, 若者, 成人, 高齢 …
    operator: str | None = None
    method: str | None = None                  # 実施方法: 直営, 委託（…）
    department: Id | None = None               # 所管課
    sites: tuple[Site, ...] = ()
    fallback_contact: Id | None = None         # department to point to when no site fact is verified
    anonymous: bool | None = None              # None: not known
    anonymous_provenance: Provenance | None = None
    staff_count: int | None = None
    related: tuple[Id, ...] = ()
    routable: bool = True                      # False: shown only as part of a referral (多機関協働 etc.)
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()             # real phrasings; they double as regression tests
    url: str | None = None
    notes: tuple[str, ...] = ()                # for staff (gaps, secondary facts); never shown to residents

    @model_validator(mode="after")
    def _ages(self) -> "Service":
        if self.minimum_age is not None and self.maximum_age is not None and self.minimum_age > self.maximum_age:
            raise ValueError("minimum_age is greater than maximum_age")
        return self


class Department(Strict):
    id: Id
    name: str
    reading: str | None = None
    kind: str | None = None                    # 所管課, 市の相談機関 …
    role: str | None = None                    # what it is responsible for in the plan
    address: Address | None = None
    phones: tuple[Phone, ...] = ()
    hours: Hours | None = None
    email: str | None = None
    url: str | None = None
    aliases: tuple[str, ...] = ()              # 旧課名, 通称
    notes: tuple[str, ...] = ()                # for staff; never shown to residents


class Meeting(Strict):
    id: Id
    name: str
    purpose: str
    host: str
    members: tuple[str, ...] = ()
    consent: str                               # what consent sharing a case here needs
    legal_basis: str | None = None
    plan_section: str | None = None
    consent_required: bool | None = None       # True: 本人同意 needed before a case is shared here
    confidentiality: str | None = None         # 守秘義務 that binds the members
    notes: tuple[str, ...] = ()


class District(Strict):
    name: str                                  # 地区 name, e.g. 吉原
    reading: str | None = None
    aliases: tuple[str, ...] = ()              # 大淵 / 大渕
    ken: Id | None = None                      # 日常生活圏域 id, when the mapping is known
    elementary_schools: tuple[str, ...] = ()
    provenance: Provenance
    center: str | None = None                  # 地域包括支援センター covering it, when known
    center_provenance: Provenance | None = None
    notes: tuple[str, ...] = ()


class DailyLifeArea(Strict):
    """日常生活圏域: one 地域包括支援センター each (the mapping may be unknown)."""

    id: Id
    name: str | None = None                    # None where not found
    center: str | None = None                  # 地域包括支援センター name, when known
    districts_known: tuple[str, ...] = ()
    provenance: Provenance | None = None
    mapping_known: bool = False                # False: which 地区 belong here is not known
    notes: tuple[str, ...] = ()


class AreaCenter(Strict):
    """A 地域包括支援センター known by name, with the 地区 it is known to cover (may be partial)."""

    id: Id
    name: str
    ken: Id | None = None
    districts: tuple[str, ...] = ()
    provenance: Provenance
    notes: tuple[str, ...] = ()


class Areas(Strict):
    districts: tuple[District, ...] = ()
    daily_life_areas: tuple[DailyLifeArea, ...] = ()
    area_contact: Id | None = None             # desk to ask when the mapping is not known
    notes: tuple[str, ...] = ()
    districts_provenance: Provenance | None = None   # where the list of 地区 as a whole comes from
    centers: tuple[AreaCenter, ...] = ()       # 地域包括支援センター known by name (partial)


class CrisisLine(Strict):
    id: Id
    name: str
    kinds: tuple[str, ...] = Field(min_length=1)   # see CRISIS_KINDS
    phones: tuple[Phone, ...] = Field(min_length=1)
    hours: Hours | None = None
    for_whom: str | None = None
    anonymous: bool | None = None
    priority: int = 100                        # lower first
    reading: str | None = None
    operator: str | None = None
    url: str | None = None
    notes: tuple[str, ...] = ()                # for staff; never shown to residents


class Meta(Strict):
    city: str | None = None
    program: str | None = None
    version: str | None = None
    compiled: dt.date | None = None
    general_contact: Id | None = None          # department shown for out-of-scope questions
    welfare_contact: Id | None = None          # the nearest verified welfare desk (fallback)
    notes: tuple[str, ...] = ()


class Catalogue(Strict):
    meta: Meta = Meta()
    departments: tuple[Department, ...] = ()
    services: tuple[Service, ...] = Field(min_length=1)
    meetings: tuple[Meeting, ...] = ()
    areas: Areas = Areas()
    crisis_lines: tuple[CrisisLine, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> "Catalogue":
        problems: list[str] = []
        for kind, items in (("services", self.services), ("departments", self.departments),
                            ("meetings", self.meetings), ("crisis_lines", self.crisis_lines)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    problems.append(f"{kind}: duplicate id {item.id!r}")
                seen.add(item.id)
        service_ids = {s.id for s in self.services}
        dept_ids = {d.id for d in self.departments}
        for s in self.services:
            for rel in s.related:
                if rel not in service_ids:
                    problems.append(f"services[{s.id}].related: unknown service {rel!r}")
            for ref, where in ((s.department, "department"), (s.fallback_contact, "fallback_contact")):
                if ref is not None and ref not in dept_ids:
                    problems.append(f"services[{s.id}].{where}: unknown department {ref!r}")
            for site in s.sites:
                if site.department is not None and site.department not in dept_ids:
                    problems.append(f"services[{s.id}].sites[{site.id}].department: unknown department {site.department!r}")
        for ref, where in ((self.meta.general_contact, "meta.general_contact"),
                           (self.meta.welfare_contact, "meta.welfare_contact"),
                           (self.areas.area_contact, "areas.area_contact")):
            if ref is not None and ref not in dept_ids:
                problems.append(f"{where}: unknown department {ref!r}")
        ken_ids = {k.id for k in self.areas.daily_life_areas}
        for d in self.areas.districts:
            if d.ken is not None and d.ken not in ken_ids:
                problems.append(f"areas.districts[{d.name}].ken: unknown 日常生活圏域 {d.ken!r}")
        for c in self.areas.centers:
            if c.ken is not None and c.ken not in ken_ids:
                problems.append(f"areas.centers[{c.id}].ken: unknown 日常生活圏域 {c.ken!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # Look-ups -------------------------------------------------------------------------------
    def service(self, service_id: str) -> Service:
        for s in self.services:
            if s.id == service_id:
                return s
        raise KeyError(service_id)

    def department(self, dept_id: str) -> Department:
        for d in self.departments:
            if d.id == dept_id:
                return d
        raise KeyError(dept_id)

    def crisis_line(self, line_id: str) -> CrisisLine:
        for c in self.crisis_lines:
            if c.id == line_id:
                return c
        raise KeyError(line_id)

    def meeting(self, meeting_id: str) -> Meeting:
        for m in self.meetings:
            if m.id == meeting_id:
                return m
        raise KeyError(meeting_id)
