"""Retrying platform API calls: exponential backoff, ``retry_after`` honoured, never a blind resend.

Each adapter classifies its own errors into an ``Outcome``: ``retry`` (the message was certainly not
taken, or the platform deduplicates it by retry key), ``done`` (the platform says it already has
it, e.g. LINE's 409 for a known retry key) or ``fail`` (retrying cannot help: bad request,
blocked user, or a timeout on a platform without a retry key, where a resend could duplicate).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
MAX_WAIT = 60.0


@dataclass(frozen=True, slots=True)
class Outcome:
    action: Literal["retry", "done", "fail"]
    reason: str                    # a status or class name for logs and the outbox: never message text
    wait: float | None = None      # seconds the platform asked us to wait (429 retry_after)
    final: bool = False            # for "fail": never try this message again (blocked, rejected)


@dataclass(frozen=True, slots=True)
class Result:
    ok: bool
    reason: str = ""
    final: bool = False
    attempts: int = 0


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (0.5, 1, 2, 4 … capped)."""
    return min(cap, base * (2 ** attempt))


async def call_with_retries(call: Callable[[], Awaitable[object]], classify: Callable[[BaseException], Outcome],
                            *, attempts: int, sleep: Sleep, what: str) -> Result:
    """Runs ``call`` until it succeeds, a ``done``/``fail`` outcome, or ``attempts`` run out."""
    last = "no attempt"
    for n in range(max(1, attempts)):
        try:
            await call()
            return Result(True, attempts=n + 1)
        except Exception as exc:  # noqa: BLE001 - classified below; unknown errors are failures
            outcome = classify(exc)
        last = outcome.reason
        if outcome.action == "done":
            return Result(True, reason=outcome.reason, attempts=n + 1)
        if outcome.action == "fail":
            log.warning("%s failed (%s), not retried", what, outcome.reason)
            return Result(False, reason=outcome.reason, final=outcome.final, attempts=n + 1)
        if n + 1 < attempts:
            # A long retry_after is honoured up to MAX_WAIT per attempt, so one delivery stays
            # well inside the outbox lease (bot.store.events.LEASE).
            wait = min(MAX_WAIT, outcome.wait) if outcome.wait is not None else backoff(n)
            log.info("%s: %s, retry %d/%d in %.1fs", what, outcome.reason, n + 1, attempts - 1, wait)
            await sleep(wait)
    log.warning("%s gave up after %d attempts (%s)", what, attempts, last)
    return Result(False, reason=last, attempts=attempts)
