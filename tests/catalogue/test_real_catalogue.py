"""The real catalogue (knowledge/services.yaml + includes) holds everything the plan lists, and no invented number."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.catalogue import load_catalogue
from bot.catalogue.model import CRISIS_KINDS, Catalogue, Confidence
from bot.catalogue.public import line_is_verified
from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "knowledge" / "services.yaml"
FACTS = Path("/work/shared/reference/fuji-facts.yaml")

SERVICE_IDS = ["houkatsu", "shogai_soudan", "kodomo_katei", "hoiku_concierge", "boshi_hoken", "jiritsu_soudan",
               "sanka_shuro", "wakamono_kokokara", "kaigo_yobou", "seikatsu_shien", "chiiki_katsudou",
               "kosodate_shien", "chiku_fukushi", "outreach_universal", "outreach_kokokara", "takikan_kyoudou"]
DEPARTMENTS = {"dept_koreisha": "高齢者支援課", "dept_shogai": "障害福祉課", "dept_kodomo_katei": "こども家庭課",
               "dept_hoiku": "保育幼稚園課", "dept_seikatsu_shien": "生活支援課", "dept_seishonen": "青少年相談センター",
               "dept_kodomo_mirai": "こども未来課", "dept_fukushi_somu": "福祉総務課", "dept_chiiki_hoken": "地域保健課",
               "dept_shimin_anzen": "市民安全課", "city_hall": "富士市役所（代表）"}
DISTRICTS_26 = ["吉原", "伝法", "今泉", "青葉台", "吉永", "元吉原", "須津", "浮島", "原田", "富士見台", "神戸", "吉永北",
                "大淵", "富士駅北", "富士北", "富士駅南", "田子浦", "富士南", "岩松", "岩松北", "富士川", "松野", "鷹岡",
                "広見", "天間", "丘"]
# crisis line → a number it must carry
CRISIS_NUMBERS = {"police_110": "110", "fire_119": "119", "jisou_189": "189", "kyukyu_7119": "#7119",
                  "kodomo_kyukyu_8000": "#8000", "inochi_denwa": "0570-783-556", "yorisoi": "0120-279-338",
                  "dv_navi_8008": "#8008", "dv_plus": "0120-279-889", "kodomo_sos_24": "0120-0-78310",
                  "childline": "0120-99-7777", "shizuoka_wakamono_kokoro": "0800-200-2326",
                  "fuji_jisou_gyakutai": "0545-62-4199", "inochi_sos": "0120-061-338",
                  "kokoro_toitsu": "0570-064-556", "fuji_police": "0545-51-0110"}


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(CATALOGUE)


def test_every_service_of_the_plan_is_present(cat: Catalogue) -> None:
    assert [s.id for s in cat.services] == SERVICE_IDS


def test_every_service_has_the_fields_the_bot_and_staff_need(cat: Catalogue) -> None:
    for s in cat.services:
        assert s.reading and s.fields and s.description, s.id
        assert s.legal_basis and s.legal_basis.startswith("社会福祉法第106条の4第2項第"), s.id
        assert s.plan_section and s.plan_section.startswith("第2章"), s.id
        assert s.operator and s.method and s.department and s.fallback_contact, s.id
        assert s.eligibility_description, s.id
        assert 8 <= len(s.examples) <= 15, (s.id, len(s.examples))
        assert len(s.keywords) >= 8, s.id


def test_ages_and_staff_counts_come_from_the_plan(cat: Catalogue) -> None:
    for sid in ("wakamono_kokokara", "outreach_kokokara"):
        assert (cat.service(sid).minimum_age, cat.service(sid).maximum_age) == (15, 39)
    counts = {s.id: s.staff_count for s in cat.services if s.staff_count is not None}
    assert counts == {"hoiku_concierge": 1, "sanka_shuro": 7, "wakamono_kokokara": 5, "outreach_universal": 8,
                      "outreach_kokokara": 3, "takikan_kyoudou": 1}


def test_departments_are_present_and_meta_points_to_verified_desks(cat: Catalogue) -> None:
    for did, name in DEPARTMENTS.items():
        assert cat.department(did).name == name
    hall = cat.department(cat.meta.general_contact or "")
    assert hall.id == "city_hall"
    assert [(p.number, p.provenance.confidence) for p in hall.phones] == [("0545-51-0123", Confidence.VERIFIED)]
    welfare = cat.department(cat.meta.welfare_contact or "")
    assert welfare.id == "dept_fukushi_somu"
    assert ("0545-55-2757", Confidence.VERIFIED) in [(p.number, p.provenance.confidence) for p in welfare.phones]


def test_the_three_meetings_and_their_consent(cat: Catalogue) -> None:
    chosei, juso, shien = (cat.meeting(i) for i in ("shien_chosei_kaigi", "juso_shien_kaigi", "shien_kaigi"))
    assert (chosei.name, juso.name, shien.name) == ("支援調整会議", "重層的支援会議", "支援会議")
    assert juso.consent_required is True and "本人の同意" in juso.consent
    assert shien.consent_required is False and "106条の6" in (shien.confidentiality or "")
    assert "守秘義務" in (chosei.confidentiality or "")
    assert "福祉総務課" in chosei.host and "社会福祉協議会" in juso.host and "福祉総務課" in shien.host
    assert "市民安全課" in chosei.members


def test_all_26_districts_with_provenance(cat: Catalogue) -> None:
    names = [d.name for d in cat.areas.districts]
    assert sorted(names) == sorted(DISTRICTS_26) and len(names) == 26
    by_name = {d.name: d for d in cat.areas.districts}
    assert "大渕" in by_name["大淵"].aliases
    assert by_name["岩松北"].provenance.confidence is Confidence.SECONDARY
    assert by_name["吉原"].provenance.confidence is Confidence.VERIFIED
    fujimidai = by_name["富士見台"]
    assert fujimidai.center == "吉原中部包括支援センター"
    assert fujimidai.center_provenance is not None
    assert fujimidai.center_provenance.confidence is Confidence.SECONDARY


def test_eight_daily_life_areas_say_the_mapping_is_unknown(cat: Catalogue) -> None:
    areas = cat.areas.daily_life_areas
    assert len(areas) == 8
    assert all(not a.mapping_known and a.center is None for a in areas)
    assert cat.areas.area_contact == "dept_koreisha"


def test_every_crisis_line_is_present(cat: Catalogue) -> None:
    for line_id, number in CRISIS_NUMBERS.items():
        assert number in [p.number for p in cat.crisis_line(line_id).phones], line_id


def test_every_crisis_kind_has_a_verified_line(cat: Catalogue) -> None:
    for kind in CRISIS_KINDS:
        assert any(kind in line.kinds and line_is_verified(line) for line in cat.crisis_lines), kind


def test_crisis_lines_use_only_the_shared_vocabulary(cat: Catalogue) -> None:
    assert {k for line in cat.crisis_lines for k in line.kinds} <= set(CRISIS_KINDS)


def test_secondary_crisis_lines_are_kept_but_not_verified(cat: Catalogue) -> None:
    for line_id in ("yorisoi", "inochi_sos", "kokoro_toitsu"):
        assert not line_is_verified(cat.crisis_line(line_id))


def _digits(number: str) -> str:
    return re.sub(r"[^0-9#]", "", number)


def _all_phones(cat: Catalogue) -> list[str]:
    numbers = [p.number for d in cat.departments for p in d.phones]
    numbers += [p.number for s in cat.services for site in s.sites for p in site.phones]
    numbers += [p.number for line in cat.crisis_lines for p in line.phones]
    return numbers


def test_every_phone_number_appears_in_fuji_facts(cat: Catalogue) -> None:
    """Stops invented numbers: each number must be in the fact sheet (広報 numbers there carry the 0545 area code)."""
    facts = FACTS.read_text(encoding="utf-8")
    fact_numbers = {_digits(m) for m in re.findall(r"#?\d[\d-]{1,13}\d|#\d{3,4}|\b\d{3}\b", facts)}
    missing = [n for n in _all_phones(cat) if _digits(n) not in fact_numbers]
    assert missing == []


def test_every_contact_fact_was_checked_on_the_sheet_date(cat: Catalogue) -> None:
    provs = [p.provenance for d in cat.departments for p in d.phones]
    provs += [p.provenance for line in cat.crisis_lines for p in line.phones]
    assert provs and {p.checked.isoformat() for p in provs} == {"2026-11-27"}


def test_catalogue_check_on_the_real_catalogue_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalogue", "check", "--catalogue", str(CATALOGUE)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^ok: 16 services, 13 departments, 3 meetings, 26 districts, 19 crisis_lines; 0 errors",
                     out, re.M)
