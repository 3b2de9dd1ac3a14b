"""Fingerprint of the router's results: one line per golden or probe file, with a hash of the full
JSON result (explanation included) of every line in it. Nothing of the lines themselves is printed, so
it may be run on the held-out and blind files.

Usage:  .venv/bin/python bench/routing_fingerprint.py > after.txt   (then ``diff before.txt after.txt``)

A change meant to make routing faster, not different (a new index, a cheaper loop), must leave every
line of this output as it was.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path

FILES = ("tests/data/golden/*.tsv", "tests/data/probes/*.tsv")


def main() -> int:
    from bot.catalogue import load_catalogue
    from bot.routing.router import build_router
    router = build_router(load_catalogue(Path("knowledge/services.yaml")))
    for path in sorted(p for pattern in FILES for p in Path().glob(pattern)):
        digest, n = hashlib.sha256(), 0
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                result = router.route(row["text"]).to_json()
                digest.update(json.dumps(result, ensure_ascii=False, sort_keys=True, default=str).encode())
                digest.update(b"\n")
                n += 1
        print(f"{path}\t{n}\t{digest.hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
