"""Summarises a py-spy ``--format raw`` profile: the functions with the most samples, self and total.

    .venv/bin/python bench/profile_top.py /tmp/serve.prof [N]
"""

from __future__ import annotations

import sys
from collections import Counter


def main(path: str, n: int = 25) -> None:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in open(path, encoding="utf-8"):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack:
            continue
        c = int(count)
        samples += c
        frames = stack.split(";")
        own[frames[-1]] += c
        for f in set(frames):
            total[f] += c
    print(f"{samples} samples")
    print("-- self --")
    for f, c in own.most_common(n):
        print(f"{100 * c / samples:5.1f}%  {f}")
    print("-- total --")
    for f, c in total.most_common(n):
        print(f"{100 * c / samples:5.1f}%  {f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25)
