"""`catalogue check` lints: each problem kind is found on a small synthetic catalogue, and only then."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.catalogue.lint import Finding, lint_catalogue, months_between, published_date, router_reach
from tests.catalogue.synthetic import always, base, build, phone, prov

TODAY = dt.date(2026, 11, 27)


def codes(data: dict, **kw) -> list[str]:
    return [f.code for f in lint_catalogue(build(data), today=TODAY, check_router=False, **kw)]


def only(data: dict, code: str) -> list[Finding]:
    return [f for f in lint_catalogue(build(data), today=TODAY, check_router=False) if f.code == code]


def test_clean_catalogue_has_no_findings() -> None:
    assert codes(base()) == []


def test_same_id_in_two_kinds_is_a_duplicate() -> None:
    data = base()
    data["departments"].append({"id": "kaigo", "name": "介護課"})
    found = only(data, "duplicate_id")
    assert [(f.level, f.where) for f in found] == [("error", "departments[kaigo]")]
    assert "services[kaigo]" in found[0].message


def test_site_id_used_twice_is_a_duplicate() -> None:
    data = base()
    data["services"].append({"id": "other", "name": "別", "description": "x", "department": "desk",
                             "sites": [{"id": "kaigo_site", "name": "同じid"}]})
    assert [f.where for f in only(data, "duplicate_id")] == ["services[other].sites[kaigo_site]"]


def test_district_centre_that_does_not_exist_is_dangling() -> None:
    data = base()
    data["areas"] = {"districts": [{"name": "吉原", "provenance": prov(), "center": "どこかセンター",
                                    "center_provenance": prov()}],
                     "centers": [{"id": "c1", "name": "本当のセンター", "provenance": prov()}]}
    found = only(data, "dangling_reference")
    assert [f.where for f in found] == ["areas.districts[吉原].center"]
    assert found[0].level == "error"


def test_site_district_not_in_areas_is_flagged() -> None:
    data = base()
    data["areas"] = {"districts": [{"name": "吉原", "provenance": prov()}]}
    data["services"][0]["sites"][0]["districts"] = ["吉原", "存在しない"]
    found = only(data, "unknown_district")
    assert len(found) == 1 and "存在しない" in found[0].message


def test_service_without_any_verified_phone_is_an_error() -> None:
    data = base()
    data["services"].append({"id": "lonely", "name": "孤立", "description": "x", "department": "quiet",
                             "sites": [{"id": "s2", "name": "二次情報だけ", "phones": [phone("0545-00-0009", "secondary")]}]})
    found = only(data, "no_verified_contact")
    assert [(f.level, f.where) for f in found] == [("error", "services[lonely]")]


def test_verified_fallback_desk_makes_a_service_reachable() -> None:
    data = base()
    data["services"].append({"id": "lonely", "name": "孤立", "description": "x", "department": "quiet",
                             "fallback_contact": "desk"})
    assert only(data, "no_verified_contact") == []


def test_fax_alone_is_not_a_reachable_contact() -> None:
    data = base()
    data["departments"].append({"id": "faxonly", "name": "FAXだけ",
                                "phones": [{"number": "0545-00-0008", "type": "fax", "provenance": prov()}]})
    data["services"].append({"id": "f", "name": "F", "description": "x", "department": "faxonly"})
    assert [f.where for f in only(data, "no_verified_contact")] == ["services[f]"]


def test_old_source_is_listed_to_recheck_by_published_date() -> None:
    data = base()
    data["departments"][0]["phones"] = [phone("0545-00-0001", published="2015-03-20")]
    found = only(data, "stale_fact")
    assert [f.where for f in found] == ["departments[desk]"]
    assert found[0].level == "warning"
    assert "to re-check" in found[0].message and "0545-00-0001" in found[0].message
    assert "2015-03-20" in found[0].message


def test_age_falls_back_to_checked_when_published_unknown() -> None:
    data = base()
    data["departments"][0]["phones"] = [phone("0545-00-0001", published="undated")]
    assert only(data, "stale_fact") == []                          # checked 2026-11-27: fresh
    later = lint_catalogue(build(data), today=dt.date(2028, 1, 1), check_router=False)
    assert any(f.code == "stale_fact" and "checked 2026-11-27" in f.message for f in later)


def test_max_age_is_configurable() -> None:
    data = base()
    data["departments"][0]["phones"] = [phone("0545-00-0001", published="2025-05-01掲載")]
    assert codes(data, max_age_months=12).count("stale_fact") == 1
    assert codes(data, max_age_months=24).count("stale_fact") == 0


def test_crisis_line_without_hours_is_flagged() -> None:
    data = base()
    del data["crisis_lines"][0]["hours"]
    found = only(data, "crisis_no_hours")
    assert [f.where for f in found] == [f"crisis_lines[{data['crisis_lines'][0]['id']}]"]


def test_secondary_crisis_line_is_flagged_and_its_kind_left_uncovered() -> None:
    data = base()
    data["crisis_lines"][0]["phones"] = [phone("0120-000-001", "secondary")]
    kind = data["crisis_lines"][0]["kinds"][0]
    assert [f.where for f in only(data, "crisis_unverified")] == [f"crisis_lines[line_{kind}]"]
    uncovered = only(data, "crisis_kind_uncovered")
    assert len(uncovered) == 1 and uncovered[0].level == "error" and repr(kind) in uncovered[0].message


def test_crisis_kind_outside_the_shared_vocabulary_is_flagged() -> None:
    data = base()
    data["crisis_lines"][0]["kinds"].append("police")
    found = only(data, "unknown_crisis_kind")
    assert len(found) == 1 and "'police'" in found[0].message


def test_errors_come_before_warnings() -> None:
    data = base()
    del data["crisis_lines"][1]["hours"]
    data["services"].append({"id": "lonely", "name": "孤立", "description": "x"})
    levels = [f.level for f in lint_catalogue(build(data), today=TODAY, check_router=False)]
    assert levels == sorted(levels, key=["error", "warning", "notice"].index)
    assert levels[0] == "error"


def test_router_stage_is_skipped_with_a_notice_when_not_importable() -> None:
    found = router_reach(build(base()), module="bot.routing.no_such_router")
    assert [(f.level, f.code) for f in found] == [("notice", "router_skipped")]


@pytest.mark.parametrize(("text", "expected"), [
    ("2015-03-20", dt.date(2015, 3, 20)),
    ("2025-05-01掲載", dt.date(2025, 5, 1)),
    ("2025-12", dt.date(2025, 12, 1)),
    ("c.2016", dt.date(2016, 1, 1)),
    ("2018-2019", dt.date(2018, 1, 1)),
    ("snapshot 2025", dt.date(2025, 1, 1)),
    ("1988-04-20 (URL code)", dt.date(1988, 4, 20)),
    ("undated", None),
    ("令和6年度〜令和8年度", None),
    (None, None),
])
def test_published_dates_are_read_as_written(text: str | None, expected: dt.date | None) -> None:
    assert published_date(text) == expected


def test_months_between_counts_whole_months() -> None:
    assert months_between(dt.date(2025, 11, 27), TODAY) == 12
    assert months_between(dt.date(2025, 11, 28), TODAY) == 11
    assert months_between(dt.date(2025, 10, 1), TODAY) == 13


def test_verified_round_the_clock_hours_satisfy_the_hours_check() -> None:
    data = base()
    data["crisis_lines"][0]["hours"] = always()
    assert only(data, "crisis_no_hours") == []


@pytest.mark.sudachi
def test_example_that_routes_elsewhere_is_reported_with_the_real_router() -> None:
    data = base()
    data["services"] = [
        {"id": "kaigo", "name": "介護の相談", "description": "お年寄りの介護の相談です。", "department": "desk",
         "keywords": ["介護", "認知症"], "examples": ["母の介護がつらい", "保育園に空きがあるか知りたい"]},
        {"id": "hoiku", "name": "保育園の相談", "description": "保育園や幼稚園の入園の相談です。", "department": "desk",
         "keywords": ["保育園", "入園"], "examples": ["保育園に入れたい"]},
    ]
    found = router_reach(build(data))
    assert [(f.level, f.code, f.where) for f in found] == [("error", "example_not_routed", "services[kaigo].examples")]
    assert "保育園に空きがあるか知りたい" in found[0].message and "1/2" in found[0].message


def test_fallback_desk_without_verified_phone_is_flagged() -> None:
    data = base()
    data["services"][0]["fallback_contact"] = "quiet"
    found = only(data, "no_verified_contact")
    assert [(f.level, f.where) for f in found] == [("warning", "services[kaigo].fallback_contact")]


def test_welfare_and_area_desks_must_have_a_verified_phone() -> None:
    data = base()
    data["meta"]["welfare_contact"] = "quiet"
    data["areas"] = {"area_contact": "quiet"}
    found = only(data, "no_verified_contact")
    assert [(f.level, f.where) for f in found] == [("error", "meta.welfare_contact"), ("error", "areas.area_contact")]
