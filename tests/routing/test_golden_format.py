"""The golden inquiry sets are well-formed, labelled with real ids and big enough to judge a router.

The rules these checks enforce are written in tests/data/golden/README.md.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from bot.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "golden"
CATALOGUE = ROOT / "knowledge" / "services.yaml"
FILES = {"dev": GOLDEN / "dev.tsv", "heldout": GOLDEN / "heldout.tsv"}
PREFIX = {"dev": "d", "heldout": "h"}

COLUMNS = ["id", "text", "outcome", "services", "crisis_kind", "tags"]
OUTCOMES = {"route", "multi", "clarify", "out_of_scope", "crisis"}
CRISIS_KINDS = {"suicide", "self_harm", "dv", "child_abuse", "abuse", "violence", "emergency",
                "medical_adult", "medical_child", "child", "youth", "general"}
IMPLIED_ONLY = "takikan_kyoudou"          # 多機関協働: implied by multi, never labelled
DESKS = {"houkatsu", "shogai_soudan", "kodomo_katei", "hoiku_concierge", "boshi_hoken",
         "jiritsu_soudan", "sanka_shuro", "wakamono_kokokara", "kaigo_yobou", "seikatsu_shien",
         "chiiki_katsudou", "kosodate_shien", "chiku_fukushi", "outreach_universal",
         "outreach_kokokara"}

# Minimum sizes over both files (the brief of the golden set).
MIN_TOTAL = 480
MIN_PER_OUTCOME = {"multi": 45, "clarify": 30, "out_of_scope": 50, "crisis": 50}
MIN_CRISIS_NEAR_MISS = 40
MIN_ROUTE_PER_DESK = 15
# In the held-out file alone, so that its numbers mean something per outcome and per desk.
MIN_HELDOUT_PER_OUTCOME = {"route": 80, "multi": 15, "clarify": 10, "out_of_scope": 18, "crisis": 18}
MIN_HELDOUT_ROUTE_PER_DESK = 5
MIN_HELDOUT_CRISIS_NEAR_MISS = 14


def split(field: str) -> list[str]:
    return [part for part in field.split(",") if part] if field else []


def read(path: Path) -> list[dict[str, str]]:
    """Parse strictly: header first, six tab-separated fields a line, no quoting."""
    text = path.read_text(encoding="utf-8")
    assert not text.startswith("\ufeff"), f"{path.name}: no byte-order mark"
    lines = text.split("\n")
    assert lines[-1] == "", f"{path.name}: must end with a newline"
    lines = lines[:-1]
    assert lines[0].split("\t") == COLUMNS, f"{path.name}: header must be {COLUMNS}"
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        assert "\r" not in line, f"{path.name}:{number}: carriage return"
        fields = line.split("\t")
        assert len(fields) == len(COLUMNS), f"{path.name}:{number}: {len(fields)} fields, not 6"
        assert fields == [f.strip() for f in fields], f"{path.name}:{number}: stray spaces"
        rows.append(dict(zip(COLUMNS, fields, strict=True)) | {"_where": f"{path.name}:{number}"})
    # csv agrees with the plain split (nothing csv would read differently, e.g. quotes).
    with path.open(encoding="utf-8", newline="") as handle:
        parsed = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert [r["text"] for r in parsed] == [r["text"] for r in rows]
    return rows


@pytest.fixture(scope="module")
def sets() -> dict[str, list[dict[str, str]]]:
    return {name: read(path) for name, path in FILES.items()}


@pytest.fixture(scope="module")
def rows(sets: dict[str, list[dict[str, str]]]) -> list[dict[str, str]]:
    return sets["dev"] + sets["heldout"]


def test_ids_are_unique_and_prefixed_by_file(sets: dict[str, list[dict[str, str]]]) -> None:
    seen: set[str] = set()
    for name, file_rows in sets.items():
        for row in file_rows:
            assert row["id"].startswith(PREFIX[name]) and row["id"][1:].isdigit(), row["_where"]
            assert row["id"] not in seen, f"{row['_where']}: duplicate id {row['id']}"
            seen.add(row["id"])


def test_no_duplicate_texts_across_files(rows: list[dict[str, str]]) -> None:
    def key(text: str) -> str:
        return "".join(text.split())
    counts = Counter(key(row["text"]) for row in rows)
    duplicates = [row["_where"] for row in rows if counts[key(row["text"])] > 1]
    assert not duplicates, duplicates


def test_every_field_is_valid_for_its_outcome(rows: list[dict[str, str]]) -> None:
    for row in rows:
        where, outcome, kind = row["_where"], row["outcome"], row["crisis_kind"]
        services = split(row["services"])
        assert row["text"], f"{where}: empty text"
        assert outcome in OUTCOMES, f"{where}: unknown outcome {outcome!r}"
        assert len(services) == len(set(services)), f"{where}: a service twice"
        assert IMPLIED_ONLY not in services, f"{where}: {IMPLIED_ONLY} is implied by multi, never listed"
        assert set(services) <= DESKS, f"{where}: unknown desk in {services}"
        if outcome == "route":
            assert len(services) == 1, f"{where}: route needs exactly one desk"
        elif outcome == "multi":
            assert len(services) >= 2, f"{where}: multi needs two desks or more"
        elif outcome == "clarify":
            assert len(services) <= 5, f"{where}: clarify offers at most 5 choices"
        elif outcome == "out_of_scope":
            assert not services, f"{where}: out_of_scope has no desk"
        if outcome == "crisis":
            assert kind in CRISIS_KINDS, f"{where}: crisis kind {kind!r} not in the shared vocabulary"
        else:
            assert kind == "", f"{where}: crisis_kind set on a {outcome} line"
        tags = split(row["tags"])
        assert tags, f"{where}: no tags"
        assert all(tag.replace("_", "").isalnum() and tag.isascii() for tag in tags), f"{where}: bad tag"
        if "crisis_near_miss" in tags:
            assert outcome != "crisis", f"{where}: a crisis near-miss is labelled crisis"


def test_every_labelled_desk_is_in_the_catalogue(rows: list[dict[str, str]]) -> None:
    catalogue = load_catalogue(CATALOGUE)
    known = {service.id for service in catalogue.services}
    used = {sid for row in rows for sid in split(row["services"])}
    assert used <= known, f"labelled but not in the catalogue: {sorted(used - known)}"
    # Every routable desk of the catalogue is exercised by the golden set.
    routable = {s.id for s in catalogue.services if s.routable and s.id != IMPLIED_ONLY}
    assert routable <= used, f"in the catalogue but never labelled: {sorted(routable - used)}"


def test_minimum_sizes_over_both_files(rows: list[dict[str, str]]) -> None:
    assert len(rows) >= MIN_TOTAL
    outcomes = Counter(row["outcome"] for row in rows)
    for outcome, minimum in MIN_PER_OUTCOME.items():
        assert outcomes[outcome] >= minimum, f"{outcome}: {outcomes[outcome]} < {minimum}"
    near = sum("crisis_near_miss" in split(row["tags"]) for row in rows)
    assert near >= MIN_CRISIS_NEAR_MISS
    routes = Counter(split(row["services"])[0] for row in rows if row["outcome"] == "route")
    short = {desk: routes[desk] for desk in DESKS if routes[desk] < MIN_ROUTE_PER_DESK}
    assert not short, f"desks with too few route lines: {short}"


def test_heldout_is_a_real_share_with_the_same_mix(sets: dict[str, list[dict[str, str]]]) -> None:
    dev, held = sets["dev"], sets["heldout"]
    share = len(held) / (len(dev) + len(held))
    assert 0.33 <= share <= 0.47, f"held-out share {share:.2f}, expected about 0.4"
    outcomes = Counter(row["outcome"] for row in held)
    for outcome, minimum in MIN_HELDOUT_PER_OUTCOME.items():
        assert outcomes[outcome] >= minimum, f"held-out {outcome}: {outcomes[outcome]} < {minimum}"
    routes = Counter(split(row["services"])[0] for row in held if row["outcome"] == "route")
    short = {desk: routes[desk] for desk in DESKS if routes[desk] < MIN_HELDOUT_ROUTE_PER_DESK}
    assert not short, f"held-out desks with too few route lines: {short}"
    near = sum("crisis_near_miss" in split(row["tags"]) for row in held)
    assert near >= MIN_HELDOUT_CRISIS_NEAR_MISS
    dev_kinds = {row["crisis_kind"] for row in dev if row["crisis_kind"]}
    held_kinds = {row["crisis_kind"] for row in held if row["crisis_kind"]}
    assert {"suicide", "self_harm", "dv", "child_abuse", "abuse", "emergency", "medical_child"} <= held_kinds
    assert {"suicide", "self_harm", "dv", "child_abuse", "abuse", "emergency", "medical_child"} <= dev_kinds


def test_registers_are_varied_in_both_files(sets: dict[str, list[dict[str, str]]]) -> None:
    wanted = {"polite", "casual", "elderly", "slang", "hiragana", "halfwidth", "typo", "long",
              "child", "about_family", "about_neighbour", "age_cue", "near_miss"}
    for name, file_rows in sets.items():
        tags = {tag for row in file_rows for tag in split(row["tags"])}
        assert wanted <= tags, f"{name}: missing registers {sorted(wanted - tags)}"


def test_tags_match_the_text_where_checkable(rows: list[dict[str, str]]) -> None:
    """Half-width and hiragana tags are claims about the text: check them."""
    for row in rows:
        tags, text = split(row["tags"]), row["text"]
        if "halfwidth" in tags:
            assert any("\uff61" <= ch <= "\uff9f" for ch in text), f"{row['_where']}: no half-width kana"
        if "hiragana" in tags:
            kana = sum("\u3041" <= ch <= "\u309f" for ch in text)
            kanji = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
            assert kana > 0 and kanji <= 2, f"{row['_where']}: not a hiragana-only message"


def test_heldout_sentences_are_not_in_the_catalogue(sets: dict[str, list[dict[str, str]]]) -> None:
    """The held-out part is never tuned on: none of its sentences may become a catalogue example."""
    def key(text: str) -> str:
        return "".join(text.split())
    catalogue = load_catalogue(CATALOGUE)
    taught = {key(text) for service in catalogue.services for text in (*service.examples, *service.keywords)}
    leaked = [row["id"] for row in sets["heldout"] if key(row["text"]) in taught]
    assert not leaked, f"held-out inquiries copied into the catalogue: {leaked}"


def test_readme_counts_match_the_files(sets: dict[str, list[dict[str, str]]]) -> None:
    """The README's table of outcomes per split says what the files hold."""
    readme = (GOLDEN / "README.md").read_text(encoding="utf-8")
    table: dict[str, tuple[int, int, int]] = {}
    for line in readme.splitlines():
        cells = [cell.strip().strip("*") for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in OUTCOMES | {"all"} and all(c.isdigit() for c in cells[1:]):
            table[cells[0]] = (int(cells[1]), int(cells[2]), int(cells[3]))
    assert set(table) == OUTCOMES | {"all"}, "README lacks the table of outcomes per split"
    for outcome in OUTCOMES:
        dev = sum(row["outcome"] == outcome for row in sets["dev"])
        held = sum(row["outcome"] == outcome for row in sets["heldout"])
        assert table[outcome] == (dev, held, dev + held), f"README row {outcome} is stale"
    assert table["all"] == (len(sets["dev"]), len(sets["heldout"]), len(sets["dev"]) + len(sets["heldout"]))
