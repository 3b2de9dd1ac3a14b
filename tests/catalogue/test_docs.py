"""The staff guide documents every lint code `catalogue check` can print (Datasette-style docs test)."""

from pathlib import Path

import pytest

from bot.catalogue.lint import CODES

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "catalogue.md"


@pytest.mark.parametrize("code", CODES)
def test_every_lint_code_is_explained_in_the_guide(code: str) -> None:
    assert f": {code}`" in GUIDE.read_text(encoding="utf-8")


def test_codes_listed_are_the_codes_emitted() -> None:
    source = (Path(__file__).resolve().parents[2] / "bot" / "catalogue" / "lint.py").read_text(encoding="utf-8")
    for code in CODES:
        assert source.count(f'"{code}"') >= 2, code     # in CODES and in at least one Finding(...)
