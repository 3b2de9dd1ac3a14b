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
