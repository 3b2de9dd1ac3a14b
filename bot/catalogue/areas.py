"""Which 地域包括支援センター covers a 地区: answered from the catalogue, honest about what is unknown.

Pure functions. Where the mapping is not known (or known only from a secondary source) the answer
carries no centre for the resident and points to ``areas.area_contact`` instead.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.catalogue.model import Catalogue, District
from bot.catalogue.public import PublicContact, department_contact, is_verified


@dataclass(frozen=True, slots=True)
class CenterAnswer:
    """The answer to "which centre covers 〇〇地区"."""

    query: str
    district: str | None            # the 地区 found (canonical name), None when not a known 地区
    center: str | None              # the centre, only when the mapping is verified (may be shown)
    center_unconfirmed: str | None  # a centre known only from a secondary/unverified source (staff only)
    ken: str | None                 # 日常生活圏域 id, when known
    ask: PublicContact | None       # the desk to ask when ``center`` is None (verified facts only)

    @property
    def known(self) -> bool:
        return self.center is not None


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    for suffix in ("地区", "地域", "ちく"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
    return text


def find_district(cat: Catalogue, name: str) -> District | None:
    """The 地区 named (or aliased, e.g. 大渕 → 大淵; reading in hiragana), "地区" suffix optional."""
    key = _norm(name)
    for d in cat.areas.districts:
        if key in (d.name, *d.aliases) or (d.reading and key == d.reading):
            return d
    return None


def districts_in(cat: Catalogue, text: str) -> list[District]:
    """Every 地区 whose name or alias occurs in free text, longest name first (富士駅北 before 富士)."""
    text = unicodedata.normalize("NFKC", text)
    found: list[District] = []
    taken: list[tuple[int, int]] = []
    names = sorted(((n, d) for d in cat.areas.districts for n in (d.name, *d.aliases)), key=lambda x: -len(x[0]))
    for name, d in names:
        start = text.find(name)
        while start != -1:
            span = (start, start + len(name))
            if not any(a < span[1] and span[0] < b for a, b in taken):
                taken.append(span)
                if d not in found:
                    found.append(d)
            start = text.find(name, start + 1)
    return found


def which_center(cat: Catalogue, name: str) -> CenterAnswer:
    """Which 地域包括支援センター covers the 地区 ``name``; unknown mappings point to the area desk."""
    district = find_district(cat, name)
    ask_dept = None
    if cat.areas.area_contact is not None:
        try:
            ask_dept = department_contact(cat.department(cat.areas.area_contact))
        except KeyError:
            ask_dept = None
    if district is None:
        return CenterAnswer(name, None, None, None, None, ask_dept)
    center = unconfirmed = None
    ken = district.ken
    if district.center is not None:
        if is_verified(district.center_provenance):
            center = district.center
        else:
            unconfirmed = district.center
    elif ken is not None:
        area = next((k for k in cat.areas.daily_life_areas if k.id == ken), None)
        if area is not None and area.center and area.mapping_known and is_verified(area.provenance):
            center = area.center
        elif area is not None and area.center:
            unconfirmed = area.center
    return CenterAnswer(name, district.name, center, unconfirmed, ken, None if center else ask_dept)
