"""The probe files of tests/data/probes (README there) are well-formed golden-format files, labelled
with real desks, and none of their sentences is a golden sentence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_golden_format import CRISIS_KINDS, DESKS, FILES, OUTCOMES, read, split

PROBES = Path(__file__).resolve().parents[1] / "data" / "probes"
PROBE_FILES = sorted(PROBES.glob("*.tsv"))


def test_the_probe_files_are_named_for_their_use():
    assert PROBE_FILES, "no probe files"
    named = r"(train|short|blind|crisis|read)-\d{4}-\d{2}-\d{2}-[a-z-]+\.tsv"
    assert all(re.fullmatch(named, p.name) for p in PROBE_FILES)
    assert any(p.name.startswith("blind-") for p in PROBE_FILES)


@pytest.mark.parametrize("path", PROBE_FILES, ids=lambda p: p.name)
def test_each_probe_line_is_valid(path: Path):
    rows = read(path)
    prefixes = {r["id"][:2] for r in rows}
    assert len(prefixes) == 1 and all(re.fullmatch(r"[a-z]{2}\d{4}", r["id"]) for r in rows)
    for r in rows:
        services, outcome, kind = split(r["services"]), r["outcome"], r["crisis_kind"]
        assert r["text"] and outcome in OUTCOMES, r["id"]
        assert set(services) <= DESKS and len(services) == len(set(services)), r["id"]
        assert (len(services) == 1) if outcome == "route" else True, r["id"]
        assert (len(services) >= 2) if outcome == "multi" else True, r["id"]
        assert (not services) if outcome == "out_of_scope" else True, r["id"]
        assert (kind in CRISIS_KINDS) if outcome == "crisis" else kind == "", r["id"]


def test_ids_and_sentences_are_their_own():
    rows = [r for p in PROBE_FILES for r in read(p)]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    golden = {r["text"] for path in FILES.values() for r in read(path)}
    assert not [r["id"] for r in rows if r["text"] in golden]
