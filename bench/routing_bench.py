"""Routing benchmark: load time, per-inquiry latency (p50/p99), RSS, and the ratio to bare Sudachi.

Usage:  .venv/bin/python bench/routing_bench.py [--catalogue knowledge/services.yaml] [--rounds 20] [--no-model]

Runs on one core (``os.sched_setaffinity`` to CPU 0 where available). The inquiries are the golden
dev set's texts (or a built-in sample when it is missing); each is routed ``--rounds`` times after
a warm-up. "Bare Sudachi" is ``tokenize(text)`` in mode C on the same texts, the floor of any router
that reads Japanese with Sudachi. Its memory is measured in a child process that loads only Sudachi
and tokenises the same texts as often: the RSS floor, for the dictionary file pages it maps depend on
the kernel and its page cache, not on the router (docs/routing.md, "Speed", thirteenth pass). Results go to stdout as a
Markdown table for docs/routing.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SAMPLE = ["母の介護のことで相談したい", "しにたい", "保育園に入りたい", "25歳の息子がひきこもり", "住民票がほしい",
          "相談したい", "80代の母と50代の兄の二人暮らしで、お金も健康も心配です"]


def _texts(path: Path) -> list[str]:
    if not path.exists():
        return SAMPLE
    with path.open(encoding="utf-8", newline="") as f:
        return [r["text"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _memory() -> dict[str, float]:
    out = {"VmRSS": 0.0, "RssAnon": 0.0, "RssFile": 0.0}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, val = line.partition(":")
            if key in out:
                out[key] = int(val.split()[0]) / 1024.0
    except OSError:
        out["VmRSS"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def _bare_memory(golden: Path, rounds: int) -> dict[str, float]:
    """RSS of a process that only loads Sudachi and tokenises the texts, as the router's run does."""
    out = subprocess.run([sys.executable, __file__, "--bare-memory", "--golden", str(golden),
                          "--rounds", str(rounds)], capture_output=True, text=True, check=True).stdout
    return {k: float(v) for k, v in (item.split("=") for item in out.split())}


def _bare_memory_child(golden: Path, rounds: int) -> int:
    from bot.routing.tokenise import SudachiTokeniser
    tok = SudachiTokeniser()._tok
    texts = _texts(golden)
    for _ in range(rounds + 1):
        for t in texts:
            tok.tokenize(t)
    print(" ".join(f"{k}={v:.1f}" for k, v in _memory().items()))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalogue", type=Path, default=Path("knowledge/services.yaml"))
    ap.add_argument("--golden", type=Path, default=Path("tests/data/golden/dev.tsv"))
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--no-model", action="store_true", help="without the learned weights (A/B)")
    ap.add_argument("--bare-memory", action="store_true", help=argparse.SUPPRESS)   # the child process
    args = ap.parse_args()
    if args.bare_memory:
        return _bare_memory_child(args.golden, args.rounds)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})

    t0 = time.perf_counter()
    from bot.catalogue import load_catalogue
    from bot.routing.router import build_router
    cat = load_catalogue(args.catalogue)
    router = build_router(cat, model=None) if args.no_model else build_router(cat)
    load_s = time.perf_counter() - t0

    texts = _texts(args.golden)
    for t in texts:                      # warm-up
        router.route(t)
    per: list[float] = []
    for _ in range(args.rounds):
        for t in texts:
            s = time.perf_counter()
            router.route(t)
            per.append(time.perf_counter() - s)
    screen: list[float] = []
    for t in texts:
        s = time.perf_counter()
        router.screen(t)
        screen.append(time.perf_counter() - s)

    mem = _memory()
    bare_mem = _bare_memory(args.golden, args.rounds)
    tok = router.tokeniser._tok          # the router's own Sudachi tokenizer (mode C): no second dictionary
    bare: list[float] = []
    for _ in range(args.rounds):
        for t in texts:
            s = time.perf_counter()
            tok.tokenize(t)
            bare.append(time.perf_counter() - s)

    ms = 1000.0
    n = len(texts)
    # per inquiry: its median over the rounds (filters out preemption on a shared machine)
    med = [statistics.median(per[r * n + i] for r in range(args.rounds)) for i in range(n)]
    bmed = [statistics.median(bare[r * n + i] for r in range(args.rounds)) for i in range(n)]
    p50, p99 = _pct(med, 0.50) * ms, _pct(med, 0.99) * ms
    b50, b99 = _pct(bmed, 0.50) * ms, _pct(bmed, 0.99) * ms
    print(f"<!-- {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
          f"{len(texts)} inquiries x {args.rounds} rounds, one core, "
          f"{'without' if router.model is None else 'with'} the learned model -->")
    print("| measure | target | measured |")
    print("|---|---|---|")
    print(f"| load (catalogue + dictionary + indexes) | ≤ 1.5 s | {load_s:.2f} s |")
    print(f"| per inquiry p50 (median of rounds) | ≤ 0.5 ms | {p50:.3f} ms |")
    print(f"| per inquiry p99 (median of rounds) | ≤ 2 ms | {p99:.3f} ms |")
    print(f"| every call p50 / p99 / max (raw, incl. preemption) | | {_pct(per, .5) * ms:.3f} / "
          f"{_pct(per, .99) * ms:.3f} / {max(per) * ms:.3f} ms |")
    print(f"| crisis screen alone p50 / p99 | | {_pct(screen, .5) * ms:.3f} / {_pct(screen, .99) * ms:.3f} ms |")
    print(f"| bare Sudachi tokenize (mode C) p50 / p99 | floor | {b50:.3f} / {b99:.3f} ms |")
    print(f"| ratio router / bare Sudachi (p50) | | {p50 / b50:.1f}× |")
    print(f"| RSS after load and routing | ≤ 250 MB | {mem['VmRSS']:.0f} MB "
          f"(private {mem['RssAnon']:.0f} MB, file pages {mem['RssFile']:.0f} MB, mostly the dictionary) |")
    print(f"| RSS of bare Sudachi on the same texts (child process) | floor | {bare_mem['VmRSS']:.0f} MB "
          f"(private {bare_mem['RssAnon']:.0f} MB, file pages {bare_mem['RssFile']:.0f} MB) |")
    print(f"| peak RSS | | {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
