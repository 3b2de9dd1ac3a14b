"""How much of a result the learned model owes to its training order: the spread over several orders.

Usage:  .venv/bin/python bench/order_spread.py [--orders 6] [--jobs 2] [--split heldout]

The model file is always trained in row order 0 (``python -m bot.routing.learned``). This script
trains the same model, on the same rows, in orders 0 .. N-1 (about 75 s each, ``--jobs`` at a time)
and routes a golden split and the blind probe files with each. It prints aggregates only (top-1,
top-3, crisis recall, false alarms, out-of-scope declined), never a line: the held-out split and the
blind files are never read line by line. A target met in order 0 but not in most orders is met by the
order, not by the router; a change whose gain is within the spread is not told from the order.
Results go to stdout as a Markdown table for docs/routing.md ("Training order").
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.catalogue import load_catalogue  # noqa: E402
from bot.routing import learned  # noqa: E402
from bot.routing.evaluate import evaluate, load_golden  # noqa: E402
from bot.routing.router import build_router  # noqa: E402

_STATE: dict = {}


def _measure(seed: int) -> tuple[int, dict[str, tuple[int, ...]]]:
    cat, base, rows, h, sets = (_STATE[k] for k in ("cat", "base", "rows", "hash", "sets"))
    m = learned.train(rows, learned.classes_for(cat), seed=seed)
    routable = tuple(s.id for s in cat.services if s.routable)
    router = build_router(cat, tokeniser=base.tokeniser,
                          model=learned.Model(m.classes, m.index, m.weights, m.bias, routable, h))
    out = {}
    for name, items in sets.items():
        rep = evaluate(router.route, items)
        out[name] = (rep.n, rep.top1, rep.top3, rep.crisis_hit, rep.crisis_n, rep.false_alarms,
                     rep.non_crisis_n, rep.oos_declined, rep.oos_n)
    return seed, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/order_spread.py")
    ap.add_argument("--catalogue", type=Path, default=ROOT / "knowledge" / "services.yaml")
    ap.add_argument("--orders", type=int, default=6)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--split", default="heldout", choices=["heldout", "dev"])
    args = ap.parse_args(argv)
    cat = load_catalogue(args.catalogue)
    base = build_router(cat, model=None)
    items, h = learned.fingerprint(cat)
    probes = ROOT / "tests" / "data" / "probes"
    blind = [it for p in sorted(probes.glob("blind-*.tsv")) for it in load_golden(p)]
    _STATE.update(cat=cat, base=base, rows=learned.training_rows(base, items), hash=h,
                  sets={args.split: load_golden(ROOT / "tests" / "data" / "golden" / f"{args.split}.tsv"),
                        "blind files": blind})
    # fork: the workers share the dictionary, the catalogue and the training rows read above
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        results = dict(pool.map(_measure, range(args.orders)))
    for name in _STATE["sets"]:
        print(f"\n{name}\n")
        print("| order | top-1 | top-3 | crisis recall | false alarms | out-of-scope declined |")
        print("|---|---|---|---|---|---|")
        cols: list[list[int]] = [[] for _ in range(5)]
        for seed in sorted(results):
            n, t1, t3, ch, cn, fa, nn, od, on = results[seed][name]
            for c, v in zip(cols, (t1, t3, ch, fa, od)):
                c.append(v)
            label = f"{seed} (the file)" if seed == 0 else str(seed)
            print(f"| {label} | {t1}/{n} | {t3}/{n} | {ch}/{cn} | {fa}/{nn} | {od}/{on} |")
        print("| min–max (mean) | " + " | ".join(
            f"{min(c)}–{max(c)} ({statistics.mean(c):.1f})" for c in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
