"""Golden-set targets (issue 3). They run once tests/data/golden/*.tsv exist.

Held-out targets: top-1 ≥ 92 %, top-3 ≥ 98 %, crisis recall 100 %, crisis false alarms ≤ 1 %,
out-of-scope correctly declined ≥ 90 %. Only aggregates are asserted: no held-out sentence is ever
printed (the dev set may be read and tuned on).

The router does not reach every target yet (see docs/routing.md for the measured numbers). So that
the suite stays usable, each target not yet met is a *strict* xfail: it fails the run the day the target
is met (then drop the marker), and ``SCRUM_GOLDEN_STRICT=1`` turns the markers off to enforce the targets.
Crisis recall has been asserted since the fifteenth pass (54 of 54 with the reader's bar at 0.7).
Below them, the FLOOR tests pin today's measured levels so that any regression fails at once.
"""

import os
from pathlib import Path

import pytest

from bot.routing.evaluate import evaluate, load_golden

GOLDEN = Path(__file__).parents[1] / "data" / "golden"
STRICT = os.environ.get("SCRUM_GOLDEN_STRICT", "") == "1"
pytestmark = pytest.mark.sudachi

# Held-out levels measured on 2026-11-28 after the eleventh pass (344 lines: top-1 92.2 %, asserted at
# its target, top-3 98.3 %, asserted at its target, crisis recall 98.1 %, false alarms 2.4 %,
# out-of-scope declined 97.8 %, asserted at its target), minus a margin of a few lines (false alarms:
# the level itself): any larger regression fails at once.
FLOOR = {"top1": 0.91, "top3": 0.975, "crisis_recall": 0.96, "false_alarms": 0.025, "oos": 0.93}
# Dev levels (654 lines, the model trained on them: top-1 97.9 %, top-3 99.5 %; by 5-fold cross-validation
# 93.7 % / 98.8 %, `python -m bot.routing.learned --cv 5`), minus a margin.
DEV_FLOOR = {"top1": 0.95, "top3": 0.985}


def below_target(reason: str):
    return pytest.mark.xfail(not STRICT, reason=f"router below the held-out target: {reason}", strict=True)


def _report(router, split):
    path = GOLDEN / f"{split}.tsv"
    if not path.exists():
        pytest.skip(f"{path} not written yet")
    return evaluate(router.route, load_golden(path))


@pytest.fixture(scope="module")
def heldout(fuji_router):
    rep = _report(fuji_router, "heldout")
    # aggregates only: the errors hold the sentences, and a failing assert prints the whole report
    rep.errors.clear()
    return rep


@pytest.fixture(scope="module")
def dev(fuji_router):
    return _report(fuji_router, "dev")


# --- the targets ----------------------------------------------------------------------------
def test_heldout_crisis_recall_is_total(heldout):
    assert heldout.crisis_hit == heldout.crisis_n, f"crisis recall {heldout.crisis_hit}/{heldout.crisis_n}"


@below_target("crisis false alarms")
def test_heldout_crisis_false_alarms_at_most_1_percent(heldout):
    assert heldout.false_alarms <= 0.01 * heldout.non_crisis_n, \
        f"false alarms {heldout.false_alarms}/{heldout.non_crisis_n}"


def test_heldout_top1_at_least_92_percent(heldout):   # met on 2026-11-28 (eleventh pass), by one line
    assert heldout.top1 >= 0.92 * heldout.n, f"top-1 {heldout.top1}/{heldout.n}"


def test_heldout_top3_at_least_98_percent(heldout):   # met on 2026-11-28 (seventh pass)
    assert heldout.top3 >= 0.98 * heldout.n, f"top-3 {heldout.top3}/{heldout.n}"


def test_heldout_out_of_scope_declined_at_least_90_percent(heldout):   # met on 2026-11-27 (fourth pass)
    assert heldout.oos_declined >= 0.90 * heldout.oos_n, f"declined {heldout.oos_declined}/{heldout.oos_n}"


# --- regression floors (always enforced) -----------------------------------------------------
def test_heldout_does_not_fall_below_the_measured_floor(heldout):
    # plain numbers in the assertions: a failing assert on the Report would print its errors, and with
    # them held-out sentences
    top1, top3, n = heldout.top1, heldout.top3, heldout.n
    hit, crisis_n = heldout.crisis_hit, heldout.crisis_n
    alarms, non_crisis = heldout.false_alarms, heldout.non_crisis_n
    declined, oos_n = heldout.oos_declined, heldout.oos_n
    assert top1 >= FLOOR["top1"] * n, f"top-1 {top1}/{n}"
    assert top3 >= FLOOR["top3"] * n, f"top-3 {top3}/{n}"
    assert hit >= FLOOR["crisis_recall"] * crisis_n, f"crisis recall {hit}/{crisis_n}"
    assert alarms <= FLOOR["false_alarms"] * non_crisis, f"false alarms {alarms}/{non_crisis}"
    assert declined >= FLOOR["oos"] * oos_n, f"declined {declined}/{oos_n}"


def test_dev_does_not_fall_below_the_measured_floor(dev):
    assert dev.top1 >= DEV_FLOOR["top1"] * dev.n, f"dev top-1 {dev.top1}/{dev.n}"
    assert dev.top3 >= DEV_FLOOR["top3"] * dev.n, f"dev top-3 {dev.top3}/{dev.n}"


def test_dev_crisis_recall_stays_near_total(dev):
    missed = [i.id for i, r in dev.errors if i.outcome == "crisis"]
    assert dev.crisis_hit >= 0.97 * dev.crisis_n, f"dev crisis lines missed: {missed}"


def test_dev_crisis_false_alarms_at_most_1_percent(dev):
    assert dev.false_alarms <= 0.01 * dev.non_crisis_n


def test_router_beats_the_plain_bm25_baseline(fuji_router, dev, heldout):
    from bot.routing.evaluate import Baseline, baseline_tokens
    base = Baseline(fuji_router.catalogue, baseline_tokens(fuji_router.tokeniser))
    for split, rep in (("dev", dev), ("heldout", heldout)):
        b = evaluate(base.route, load_golden(GOLDEN / f"{split}.tsv"))
        assert rep.top1 > b.top1 + 0.1 * rep.n, split
