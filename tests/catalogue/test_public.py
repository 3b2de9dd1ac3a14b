"""What a resident may see: only verified facts, with the nearest verified desk when a service has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalogue import load_catalogue
from bot.catalogue.areas import districts_in, find_district, which_center
from bot.catalogue.model import Catalogue, Confidence
from bot.catalogue.public import (
    PublicContact,
    public_contacts,
    public_crisis_lines,
    public_department,
)
from tests.catalogue.synthetic import base, build, phone, prov

CATALOGUE = Path(__file__).resolve().parents[2] / "knowledge" / "services.yaml"


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(CATALOGUE)


def _shown_texts(contacts: list[PublicContact]) -> set[str]:
    texts: set[str] = set()
    for c in contacts:
        texts |= {p.number for p in c.phones}
        if c.address:
            texts.add(c.address)
        if c.hours:
            texts.add(c.hours.text)
    return texts


def _unverified_texts(cat: Catalogue) -> set[str]:
    """Every phone/address/hours text in the catalogue that is NOT verified anywhere."""
    verified: set[str] = set()
    other: set[str] = set()
    holders = [*cat.departments, *(site for s in cat.services for site in s.sites)]
    for h in holders:
        for p in h.phones:
            (verified if p.provenance.confidence is Confidence.VERIFIED else other).add(p.number)
        if h.address is not None:
            text = h.address.text
            (verified if h.address.provenance.confidence is Confidence.VERIFIED else other).add(text)
        if h.hours is not None:
            (verified if h.hours.provenance.confidence is Confidence.VERIFIED else other).add(h.hours.text)
    return other - verified


def test_no_unverified_fact_reaches_a_resident(cat: Catalogue) -> None:
    hidden = _unverified_texts(cat)
    assert "0545-66-3405" in hidden and "0545-66-4129" in hidden      # the test can fail: such facts exist
    for s in cat.services:
        shown = _shown_texts(public_contacts(cat, s.id))
        leaked = {t for t in shown for h in hidden if h in t}
        assert leaked == set(), s.id


def test_every_service_has_a_verified_phone_to_show(cat: Catalogue) -> None:
    for s in cat.services:
        contacts = public_contacts(cat, s.id)
        assert any(c.has_phone for c in contacts), s.id


def test_site_with_verified_facts_comes_first(cat: Catalogue) -> None:
    (first, *rest) = public_contacts(cat, "jiritsu_soudan")
    assert (first.kind, first.name) == ("site", "富士市ユニバーサル就労支援センター")
    assert [p.number for p in first.phones] == ["0545-64-6969"]
    assert first.address == "富士市本市場432-1 富士市フィランセ東館1階"
    assert first.hours is not None and first.hours.schedules[0].opens_at == "08:30"
    assert rest == []


def test_service_without_verified_site_shows_its_department(cat: Catalogue) -> None:
    contacts = public_contacts(cat, "houkatsu")
    assert [(c.kind, c.ref) for c in contacts] == [("department", "dept_koreisha")]
    assert "0545-55-2741" in [p.number for p in contacts[0].phones]


def test_department_without_facts_falls_back_to_the_verified_desk(cat: Catalogue) -> None:
    contacts = public_contacts(cat, "kosodate_shien")       # こども未来課 has no verified phone
    assert [(c.kind, c.ref) for c in contacts] == [("fallback", "dept_kodomo_katei")]


def test_secondary_address_is_not_shown(cat: Catalogue) -> None:
    welfare = public_department(cat, "dept_fukushi_somu")
    assert welfare is not None and welfare.address is None            # Wikipedia only
    assert [p.number for p in welfare.phones] == ["0545-55-2757", "0545-52-2290"]


def test_synthetic_fallback_chain_ends_at_the_welfare_desk() -> None:
    data = base()
    data["services"] = [{"id": "x", "name": "X", "description": "x", "department": "quiet",
                         "sites": [{"id": "sx", "name": "二次情報の窓口",
                                    "phones": [phone("0545-99-0001", "secondary")],
                                    "address": {"text": "どこか", "provenance": prov("unverified")}}]}]
    contacts = public_contacts(build(data), "x")
    assert [(c.kind, c.ref) for c in contacts] == [("fallback", "desk")]
    assert "0545-99-0001" not in _shown_texts(contacts) and "どこか" not in _shown_texts(contacts)


def test_synthetic_unverified_fax_is_dropped_but_verified_phone_kept() -> None:
    data = base()
    data["services"][0]["sites"][0]["phones"].append(
        {"number": "0545-00-0099", "type": "fax", "provenance": prov("secondary")})
    (site,) = public_contacts(build(data), "kaigo")
    assert [p.number for p in site.phones] == ["0545-00-0002"]


def test_unknown_service_raises_key_error(cat: Catalogue) -> None:
    with pytest.raises(KeyError):
        public_contacts(cat, "nowhere")


def test_public_crisis_lines_are_verified_only_and_by_priority(cat: Catalogue) -> None:
    lines = public_crisis_lines(cat)
    ids = [line.id for line in lines]
    assert "yorisoi" not in ids and "inochi_sos" not in ids and "kokoro_toitsu" not in ids
    assert ids[:2] == ["police_110", "fire_119"]
    assert [line.priority for line in lines] == sorted(line.priority for line in lines)
    suicide = public_crisis_lines(cat, kinds=("suicide",))
    assert suicide and all("suicide" in line.kinds for line in suicide)
    inochi = next(line for line in suicide if line.id == "inochi_denwa")
    assert inochi.hours is not None
    assert [s.description for s in inochi.hours.schedules] == ["ナビダイヤル 0570-783-556"]


def test_secondary_schedule_rule_is_dropped_from_verified_hours() -> None:
    data = base()
    rule = {"byday": ["MO"], "opens_at": "09:00", "closes_at": "12:00"}
    data["services"][0]["sites"][0]["hours"] = {
        "text": "月 9:00〜12:00", "provenance": prov(),
        "schedules": [{**rule, "description": "ok", "provenance": prov()},
                      {**rule, "description": "rumour", "provenance": prov("secondary")}]}
    (site,) = public_contacts(build(data), "kaigo")
    assert site.hours is not None and [s.description for s in site.hours.schedules] == ["ok"]


def test_hours_with_secondary_provenance_are_not_shown() -> None:
    data = base()
    data["services"][0]["sites"][0]["hours"] = {"text": "うわさの時間", "provenance": prov("secondary")}
    (site,) = public_contacts(build(data), "kaigo")
    assert site.hours is None


def test_public_crisis_lines_by_id_keep_the_order_asked(cat: Catalogue) -> None:
    ids = ("kodomo_kyukyu_8000", "fire_119", "yorisoi")
    assert [line.id for line in public_crisis_lines(cat, ids=ids)] == ["kodomo_kyukyu_8000", "fire_119"]


# ------------------------------------------------------------------------------ areas
def test_which_center_is_honest_about_a_secondary_mapping(cat: Catalogue) -> None:
    ans = which_center(cat, "富士見台地区")
    assert ans.district == "富士見台" and ans.center is None and not ans.known
    assert ans.center_unconfirmed == "吉原中部包括支援センター"
    assert ans.ask is not None and ans.ask.ref == "dept_koreisha"


def test_which_center_unknown_mapping_points_to_the_area_desk(cat: Catalogue) -> None:
    ans = which_center(cat, "大渕")
    assert ans.district == "大淵" and ans.center is None and ans.center_unconfirmed is None
    assert ans.ask is not None and "0545-55-2741" in [p.number for p in ans.ask.phones]


def test_which_center_with_a_verified_mapping_names_it() -> None:
    data = base()
    data["meta"] = {"welfare_contact": "desk"}
    data["areas"] = {"area_contact": "desk",
                     "daily_life_areas": [{"id": "k1", "name": "北", "center": "北センター", "mapping_known": True,
                                           "provenance": prov()}],
                     "districts": [{"name": "吉原", "ken": "k1", "provenance": prov()}]}
    ans = which_center(build(data), "吉原")
    assert (ans.center, ans.ken, ans.ask) == ("北センター", "k1", None)


def test_district_lookup_by_reading_and_in_free_text(cat: Catalogue) -> None:
    district = find_district(cat, "たごのうら")
    assert district is not None and district.name == "田子浦"
    assert find_district(cat, "東京") is None
    assert [d.name for d in districts_in(cat, "富士駅北に住んでいます")] == ["富士駅北"]
    assert [d.name for d in districts_in(cat, "大渕と吉永北の間")] == ["吉永北", "大淵"]
