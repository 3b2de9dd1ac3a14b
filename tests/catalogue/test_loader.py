"""A broken catalogue gives a clear message that names the file, the entry and the field."""

from pathlib import Path

import pytest

from bot.catalogue import load_catalogue
from bot.errors import CatalogueError

MINIMAL = """
services:
  - id: soudan
    name: 総合相談
    description: なんでも相談できます。
    examples: [困っています]
"""


def write(tmp_path: Path, text: str, name: str = "services.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_catalogue_of_another_city_loads(tmp_path: Path) -> None:
    cat = load_catalogue(write(tmp_path, MINIMAL))
    assert [s.id for s in cat.services] == ["soudan"]


def test_bad_field_names_file_entry_and_field(tmp_path: Path) -> None:
    text = MINIMAL + "    minimum_age: -3\n"
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(write(tmp_path, text))
    message = str(exc.value)
    assert "services.yaml" in message
    assert "services[soudan].minimum_age" in message


def test_error_in_included_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, "departments:\n  - id: Bad-Id\n    name: x\n", "departments.yaml")
    path = write(tmp_path, "include: [departments.yaml]\n" + MINIMAL)
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path)
    assert "departments.yaml" in str(exc.value)
    assert "departments[Bad-Id].id" in str(exc.value)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"services.yaml: line \d+, column \d+: not valid YAML"):
        load_catalogue(write(tmp_path, "services:\n  - id: [unclosed\n"))


def test_unknown_related_service_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="unknown service 'nowhere'"):
        load_catalogue(write(tmp_path, MINIMAL + "    related: [nowhere]\n"))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"nothere.yaml: file not found"):
        load_catalogue(tmp_path / "nothere.yaml")


def test_missing_included_file_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "include: [crisis.yaml]\n" + MINIMAL)
    with pytest.raises(CatalogueError, match=r"crisis.yaml: file not found"):
        load_catalogue(path)


def test_duplicate_service_id_is_rejected_with_the_id(tmp_path: Path) -> None:
    text = MINIMAL + "  - id: soudan\n    name: 二つ目\n    description: x\n"
    with pytest.raises(CatalogueError, match="services: duplicate id 'soudan'"):
        load_catalogue(write(tmp_path, text))


def test_missing_required_field_names_entry_and_field(tmp_path: Path) -> None:
    text = "services:\n  - id: nodesc\n    name: 説明なし\n"
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(write(tmp_path, text))
    assert "services[nodesc].description: Field required" in str(exc.value)


def test_unknown_field_is_rejected_by_name(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"services\[soudan\]\.phone_number: Extra inputs"):
        load_catalogue(write(tmp_path, MINIMAL + "    phone_number: 0545-00-0000\n"))


def test_bad_confidence_in_included_crisis_file_names_file_line_and_field(tmp_path: Path) -> None:
    write(tmp_path, """crisis_lines:
  - id: hotline
    name: 相談ダイヤル
    kinds: [general]
    phones:
      - number: 0120-000-000
        provenance: {source: x, checked: 2026-11-27, confidence: sure}
""", "crisis.yaml")
    path = write(tmp_path, "include: [crisis.yaml]\n" + MINIMAL)
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path)
    message = str(exc.value)
    assert "crisis.yaml" in message
    assert "crisis_lines[hotline].phones[0120-000-000].provenance.confidence" in message


def test_x_keys_hold_anchors_and_are_ignored(tmp_path: Path) -> None:
    text = """x-sources:
  plan: &plan {source: "plan:第2章", checked: 2026-11-27, confidence: verified}
departments:
  - id: desk
    name: 窓口
    phones: [{number: 0545-00-0000, provenance: *plan}]
""" + MINIMAL
    cat = load_catalogue(write(tmp_path, text))
    assert cat.department("desk").phones[0].provenance.source == "plan:第2章"


def test_top_level_key_defined_twice_across_files_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, "meta:\n  city: 別の市\n", "other.yaml")
    path = write(tmp_path, "include: [other.yaml]\nmeta:\n  city: 富士市\n" + MINIMAL)
    with pytest.raises(CatalogueError, match=r"other.yaml: key 'meta' is already defined"):
        load_catalogue(path)
