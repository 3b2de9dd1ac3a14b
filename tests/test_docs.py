"""The README's settings table is the one checked list: every setting is in it, and nothing else."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from bot.settings import Settings, env_var

README = Path(__file__).resolve().parents[1] / "README.md"


def settings_table(text: str) -> list[str]:
    """The `SCRUM_*` names in the first column of the table under the `## Settings` heading."""
    section = re.search(r"^## Settings\s*$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert section, "README.md has a '## Settings' section"
    names = []
    for line in section.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.lstrip().startswith("|") else []
        if cells and (m := re.fullmatch(r"`(SCRUM_[A-Z0-9_]+)`", cells[0])):
            names.append(m.group(1))
    return names


def test_parser_reads_only_the_settings_table() -> None:
    text = "## Settings\n| variable | d |\n| --- | --- |\n| `SCRUM_A` | 1 |\n| `SCRUM_B` | 2 |\n\n## Next\n| `SCRUM_C` | x |\n"
    assert settings_table(text) == ["SCRUM_A", "SCRUM_B"]


def test_every_setting_is_documented() -> None:
    documented = set(settings_table(README.read_text(encoding="utf-8")))
    missing = [env_var(f.name) for f in fields(Settings) if env_var(f.name) not in documented]
    assert not missing, f"add a row to the README settings table for: {missing}"


def test_every_documented_setting_exists() -> None:
    real = {env_var(f.name) for f in fields(Settings)}
    rows = settings_table(README.read_text(encoding="utf-8"))
    unknown = [name for name in rows if name not in real]
    assert not unknown, f"README settings rows that are not settings: {unknown}"
    assert len(rows) == len(set(rows)), "a setting is listed twice"
