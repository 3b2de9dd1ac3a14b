"""Giving back to the operating system the memory a start-up step has freed.

Building the router reads YAML, a JSON model and the whole catalogue through Sudachi; when it is done
those temporaries are freed, but glibc's allocator keeps the freed pages for the process (17 MB after
``build_router``, measured in docs/routing.md). ``malloc_trim(0)`` returns the free pages inside its
heaps to the kernel. Elsewhere (musl, macOS, Windows) there is nothing to call, and nothing is done.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim   # the C library the process already runs on
    except (OSError, AttributeError, TypeError):   # not glibc (musl, macOS), or no CDLL(None) (Windows)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def return_freed_memory() -> bool:
    """Returns the allocator's free pages to the kernel. True when it could (glibc), False where the
    allocator offers no such call. No ``gc.collect()`` first: what a build leaves is freed by reference
    counting (the same 17 MB come back without it), and a full collection costs 0.3 s in a process
    holding many objects (a long-running server, the test suite), where the trim costs 1 ms."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
