"""``scrum-bot route`` and ``scrum-bot eval``: the router on the command line.

``route`` with TEXT routes each argument; without, it reads one inquiry per line from stdin and
writes one JSON object per line, loading everything once. ``eval`` scores the golden sets.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

DEFAULT_CATALOGUE = Path("knowledge/services.yaml")


def register(sub: argparse._SubParsersAction) -> None:
    route = sub.add_parser("route", help="route inquiries (TEXT, or one per line on stdin) to JSON lines")
    route.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE)
    route.add_argument("text", nargs="*", metavar="TEXT")
    route.set_defaults(func=_route)
    ev = sub.add_parser("eval", help="score the router on the golden sets, beside a plain BM25 baseline")
    ev.add_argument("--split", choices=("dev", "heldout", "all", "probes"), default="all",
                    help="probes: the blind probe files of tests/data/probes (never trained on)")
    ev.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE)
    ev.add_argument("--golden", type=Path, default=None, help="folder of dev.tsv/heldout.tsv")
    ev.add_argument("--errors", action="store_true", help="list the dev errors with their sentences")
    ev.set_defaults(func=_eval)


def _build(path: Path):
    from bot.catalogue.loader import load_catalogue
    from bot.errors import CatalogueError
    from bot.routing.router import build_router

    try:
        cat = load_catalogue(path)
    except CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None, None
    return cat, build_router(cat)


def _route(args: argparse.Namespace) -> int:
    _, router = _build(args.catalogue)
    if router is None:
        return 1
    out = sys.stdout
    lines = args.text if args.text else (ln.rstrip("\r\n") for ln in sys.stdin)
    for text in lines:
        if not args.text and not text.strip():
            continue
        out.write(json.dumps(router.route(text).to_json(), ensure_ascii=False) + "\n")
        out.flush()
    return 0


def _eval(args: argparse.Namespace) -> int:
    from bot.routing.evaluate import GOLDEN_DIR, Baseline, baseline_tokens, evaluate, load_golden

    t0 = time.perf_counter()
    cat, router = _build(args.catalogue)
    if router is None:
        return 1
    load_s = time.perf_counter() - t0
    baseline = Baseline(cat, baseline_tokens(router.tokeniser))
    print(f"catalogue {args.catalogue}: {len(cat.services)} services; router built in {load_s:.2f} s")

    def report(label: str, items, sentences: bool) -> None:
        # held-out and blind probes: aggregates and confusion pair counts only, never sentences
        for line in evaluate(router.route, items).lines(f"{label} (router)", sentences=sentences):
            print(line)
        base_lines = evaluate(baseline.route, items).lines(f"{label} (plain BM25 baseline)", sentences=False,
                                                           care=False)
        for line in base_lines[:base_lines.index("recall per service (route/multi lines):")]:
            print(line)

    if args.split == "probes":   # the team's blind probe files (tests/data/probes/blind-*.tsv), never trained on
        from bot.routing.learned import PROBES_DIR
        files = sorted(PROBES_DIR.glob("blind-*.tsv"))
        print(f"blind probe files: {', '.join(p.name for p in files)}")
        report("blind probes", [it for path in files for it in load_golden(path)], sentences=False)
        return 0 if files else 1
    folder = args.golden or GOLDEN_DIR
    status = 0
    for split in ["dev", "heldout"] if args.split == "all" else [args.split]:
        path = folder / f"{split}.tsv"
        if not path.exists():
            print(f"== {split}: {path} not found")
            status = 1
            continue
        report(split, load_golden(path), sentences=args.errors and split == "dev")
    return status
