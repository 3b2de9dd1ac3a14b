"""return_freed_memory gives the allocator's free pages back to the kernel (glibc's malloc_trim)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.ops.memory import return_freed_memory

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status; glibc only")


def _rss_anon_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no RssAnon in /proc/self/status")


def test_freed_heap_pages_go_back_to_the_kernel() -> None:
    return_freed_memory()
    size = 2000             # a variable: ``b"x" * 2000`` would be one constant folded by the compiler
    # 40 MB in blocks above pymalloc's limit (so in glibc's heap), each written so its page is resident;
    # one block in 64 stays alive, so the freed ones leave holes of 126 KB between live blocks, which
    # glibc does not give back by itself (it trims only the top of its heap)
    blocks = [b"x" * size for _ in range(20_000)]
    pinned = blocks[::64]
    before = _rss_anon_mb()
    del blocks
    freed_only = _rss_anon_mb()
    assert return_freed_memory() is True
    after = _rss_anon_mb()
    assert len(pinned) == 313
    assert freed_only > before - 10, "glibc trimmed the holes by itself: the test no longer tells"
    assert after < freed_only - 20, (before, freed_only, after)
