"""`scrum-bot catalogue check|show|area` on the real catalogue and on broken ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from tests.catalogue.synthetic import base

CATALOGUE = str(Path(__file__).resolve().parents[2] / "knowledge" / "services.yaml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_service_prints_only_verified_facts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalogue", "show", "houkatsu", "--catalogue", CATALOGUE)
    assert code == 0
    assert "地域包括支援センター" in out and "0545-55-2741" in out
    assert "0545-66-3405" not in out                       # 2009 number, unverified


def test_show_fallback_desk_is_labelled(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalogue", "show", "kosodate_shien", "--catalogue", CATALOGUE)
    assert code == 0 and "こども家庭課" in out and "こちらにご相談ください" in out
    assert "0545-66-4129" not in out                       # カスタネット 2007, unverified


def test_show_department_and_crisis_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalogue", "show", "dept_fukushi_somu", "--catalogue", CATALOGUE)
    assert code == 0 and "0545-55-2757" in out and "wikipedia" not in out.lower()
    code, out, _ = run(capsys, "catalogue", "show", "kodomo_kyukyu_8000", "--catalogue", CATALOGUE)
    assert code == 0 and "#8000" in out and "24時間365日" in out
    code, out, _ = run(capsys, "catalogue", "show", "yorisoi", "--catalogue", CATALOGUE)
    assert code == 0 and "0120-279-338" not in out and "表示しません" in out


def test_show_unknown_id_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "catalogue", "show", "nowhere", "--catalogue", CATALOGUE)
    assert code == 1 and "'nowhere'" in err


def test_check_json_is_machine_readable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalogue", "check", "--json", "--no-router", "--today", "2026-11-27",
                       "--catalogue", CATALOGUE)
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["errors"] == []
    assert report["counts"]["services"] == 16
    assert report["by_code"].get("stale_fact", 0) > 0     # old sources are listed to re-check


def test_check_fails_on_lint_error_and_names_the_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = base()
    data["services"].append({"id": "lonely", "name": "孤立", "description": "x"})
    path = tmp_path / "services.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, _, err = run(capsys, "catalogue", "check", "--no-router", "--catalogue", str(path))
    assert code == 1 and "no_verified_contact: services[lonely]" in err


def test_check_fails_on_schema_error_naming_file_entry_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = base()
    data["crisis_lines"][0]["phones"][0]["number"] = "call me"
    path = tmp_path / "services.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, _, err = run(capsys, "catalogue", "check", "--catalogue", str(path))
    line_id = data["crisis_lines"][0]["id"]
    assert code == 1 and "services.yaml" in err and f"crisis_lines[{line_id}].phones[call me].number" in err


def test_check_warns_but_passes_on_old_facts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = base()
    data["departments"][0]["phones"][0]["provenance"]["published"] = "2010-01-01"
    path = tmp_path / "services.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, out, _ = run(capsys, "catalogue", "check", "--no-router", "--today", "2026-11-27", "--catalogue", str(path))
    assert code == 0 and "stale_fact: departments[desk]" in out and "1 warnings" in out


def test_area_command_points_to_the_desk(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalogue", "area", "鷹岡", "--catalogue", CATALOGUE)
    assert code == 0 and "まだ確認できていません" in out and "高齢者支援課 0545-55-2741" in out
