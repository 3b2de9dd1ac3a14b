"""What the LINE and Telegram adapters share: event bookkeeping, background tasks and the outbox sweep.

``ChannelBase`` holds the machinery that is the same on both platforms: re-running events whose
handler stopped (``recover``), storing an event's final status even through a database outage
(``_finish``, ``_finish_unfinished``), the background tasks (``spawn``, ``drain``), the outbox
(``deliver_item`` up to the send, ``deliver_outbox``, ``run_outbox``) and the call into the
conversation (``_converse``). A subclass says what differs: its platform ``name``, the words its
log lines use (``_label``, ``_event_word``), its logger, how a stored event is decoded and re-run,
and how one outbox row is sent (``_send_item``). Log lines hold ids and exception types only,
never what a resident wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.channels.retry import Sleep
from bot.core import texts
from bot.core.messages import Inbound, Reply
from bot.store import events as store
from bot.store.crypto import Cipher
from bot.store.events import Sessions

OUTBOX_MAX_RUNS = 8         # delivery runs per outbox row before it is left for an operator
OUTBOX_INTERVAL = 2.0       # seconds between sweeps (outbox, event leases, recovery)
WORK_POLL = 0.02           # seconds between looks for waiting events when a worker has none
WORK_AHEAD = 4              # events leased per worker slot ahead of being handled
FINISH_BATCH_DELAY = 0.05   # seconds final statuses gather before one transaction writes them all


class ConversationLike(Protocol):
    async def handle(self, inbound: Inbound) -> list[Reply]: ...


def _where(exc: BaseException) -> str:
    """File and line where an exception was raised: logged instead of its message, which may hold text."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb else "?"


def _lock(locks: "weakref.WeakValueDictionary[str, asyncio.Lock]", key: str) -> asyncio.Lock:
    lock = locks.get(key)
    if lock is None:
        lock = asyncio.Lock()
        locks[key] = lock
    return lock


class ChannelBase:
    """The event and outbox machinery one platform adapter needs; see the module docstring."""

    name: str                                   # platform name in the store ("line", "telegram")
    _label: str                                 # platform name in log lines ("LINE", "Telegram")
    _event_word: str                            # "event" or "update" in log lines
    _log: logging.Logger                        # the adapter module's logger
    _decode_errors: tuple[type[BaseException], ...] = (ValueError, TypeError, KeyError)
    outbox_max_runs: int = OUTBOX_MAX_RUNS

    def __init__(self, *, conversation: ConversationLike | None, sessions: Sessions, cipher: Cipher | None,
                 retries: int, sleep: Sleep, workers: int) -> None:
        self._conversation, self._sessions, self._cipher = conversation, sessions, cipher
        self._retries = retries
        self.sleep = sleep
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._inflight: set[int] = set()
        # Few events are worked on at once, so the loop stays free to acknowledge webhooks in time.
        self._workers = asyncio.Semaphore(workers)
        self._worker_count = workers
        self._running = 0                   # handlers started by work()/recover() not yet finished
        self._room = asyncio.Event()
        # "all": answer what this process acknowledges; "web": acknowledge only (queued for a worker);
        # "work": answer what others acknowledged (no webhook here). SCRUM_ROLE, see running().
        self.role = "all"
        self._active: set[str] = set()      # event ids being handled here (their leases are renewed)
        # Events answered here whose final status the database did not take (it was down): written
        # by the sweeper once it is back, and never taken over by recover() meanwhile.
        self._unfinished: dict[str, str] = {}
        self._claimer = store.Claimer(sessions)     # webhooks' claims, committed together
        self._marker = store.AnsweringMarker(sessions)  # handlers' intents to answer, likewise
        self._flush_scheduled = False

    # what a subclass supplies -------------------------------------------------------------

    def _decode(self, raw: str) -> Any:
        """The platform event from its stored JSON; raises one of ``_decode_errors`` when it cannot."""
        raise NotImplementedError

    def _rerun(self, event: Any) -> Any:
        """A coroutine that handles an event taken over from a handler that stopped."""
        raise NotImplementedError

    async def _send_item(self, item: Any) -> bool:
        """Sends one outbox row already claimed, unsent and to a reachable person; records the attempt."""
        raise NotImplementedError

    # events ---------------------------------------------------------------------------------

    async def recover(self) -> int:
        """Re-runs events acknowledged with a 200 whose handler died (lease ran out); returns how many."""
        if self._cipher is None:
            return 0
        await self._finish_unfinished()
        return await self._take(20)

    async def _take(self, limit: int) -> int:
        """Leases up to ``limit`` waiting events (queued or abandoned) and starts their handlers."""
        assert self._cipher is not None
        taken = await store.take_events(self._sessions, self.name, limit,
                                        skip=self._active | set(self._unfinished))
        for event_id, payload, queued in taken:
            try:
                event = self._decode(self._cipher.decrypt(payload) or "{}")
            except self._decode_errors:
                await store.finish_event(self._sessions, self.name, event_id, "failed")
                continue
            if not queued:
                self._log.warning(f"{self._label} {self._event_word} %s taken over from a handler that stopped",
                                  event_id)
            self._active.add(event_id)         # leased here: renewed by the sweeper until finished
            self.spawn(self._counted(self._rerun(event)))
        return len(taken)

    @property
    def queue_only(self) -> bool:
        """True when this process only acknowledges: events wait in the database for a worker."""
        return self.role == "web" and self._cipher is not None

    async def _counted(self, coro: Any) -> None:
        self._running += 1
        try:
            await coro
        finally:
            self._running -= 1
            self._room.set()

    async def work(self, poll: float = WORK_POLL) -> None:
        """Answers the events other processes acknowledged (``SCRUM_ROLE=work``), oldest first.

        Takes events from the database as handlers free up (at most ``WORK_AHEAD`` × workers are
        leased here at once, so a backlog stays in the database, not in memory); when none wait,
        looks again every ``poll`` seconds. Events of one resident run in order (one lock each).
        """
        if self._cipher is None:
            self._log.error(f"{self._label}: no cipher, so no stored events to work on")
            return
        ahead = WORK_AHEAD * self._worker_count
        while True:
            try:
                if self._running > ahead // 2:       # take in batches, not one event per finished one
                    self._room.clear()
                    await self._room.wait()
                    continue
                room = ahead - self._running
                if await self._take(room):
                    await asyncio.sleep(0)
                    continue
            except Exception as exc:  # noqa: BLE001 - a worker keeps working (the database may come back)
                self._log.warning(f"{self._label}: events not taken (%s at %s); trying again",
                                  type(exc).__name__, _where(exc))
                await asyncio.sleep(1.0)
                continue
            await asyncio.sleep(poll)

    async def _finish(self, event_id: str, status: str) -> None:
        """Records an event's final status; written with others in one transaction a moment later.

        Until it is stored the event stays in ``_unfinished`` (``recover`` never takes it over); the
        flush runs as a background task, so ``drain`` waits for it, and when the database is away
        the sweeper writes it once it is back.
        """
        self._unfinished[event_id] = status
        self._active.discard(event_id)      # handled: no more lease renewals, and the flush may write it
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.spawn(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FINISH_BATCH_DELAY)
        self._flush_scheduled = False
        await self._finish_unfinished(raise_errors=False)

    async def _finish_unfinished(self, raise_errors: bool = True) -> None:
        """Stores the final status of answered events (batched; retried after a database outage)."""
        batch = {e: st for e, st in self._unfinished.items() if e not in self._active}
        if not batch:
            return
        try:
            await store.finish_events(self._sessions, self.name, batch)
        except (SQLAlchemyError, OSError) as exc:
            if raise_errors:           # the sweeper's call: its loop logs and tries again
                raise
            self._log.warning(f"{self._label}: status of %d {self._event_word}s not stored (%s); "
                              "retried by the sweeper", len(batch), type(exc).__name__)
            return
        for event_id, status in batch.items():
            if self._unfinished.get(event_id) == status:
                del self._unfinished[event_id]

    async def _converse(self, inbound: Inbound) -> list[Reply]:
        if self._conversation is None:
            self._log.error(f"{self._label}: no conversation configured")
            return [Reply(texts.SORRY_TRY_AGAIN)]
        try:
            return list(await self._conversation.handle(inbound))
        except Exception as exc:  # noqa: BLE001 - the resident still gets an answer
            self._log.error(f"{self._label}: conversation failed for {self._event_word} %s: %s at %s",
                            inbound.event_id, type(exc).__name__, _where(exc))
            return [Reply(texts.SORRY_TRY_AGAIN)]

    # background tasks -------------------------------------------------------------------------

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float = 30.0) -> None:
        """Waits for the background work (shutdown, tests)."""
        while self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            if pending:
                self._log.warning(f"{self._label}: %d tasks still running at shutdown; cancelled",
                                  len(pending))
                for t in pending:
                    t.cancel()
                return

    # outbox ---------------------------------------------------------------------------------

    async def deliver_item(self, outbox_id: int, *, owned: bool = False) -> bool:
        """Delivers one outbox row once (``owned``: the caller has claimed it); True when it was sent."""
        if outbox_id in self._inflight:              # the sweeper has it: wait for its verdict
            while outbox_id in self._inflight:
                await asyncio.sleep(0.05)
            return (await store.get_item(self._sessions, outbox_id))[1] is not None
        self._inflight.add(outbox_id)
        try:
            if not owned and not await store.claim_item(self._sessions, outbox_id):
                return False                         # another sender (replica) has it
            item, sent_at, _ = await store.get_item(self._sessions, outbox_id)
            if sent_at is not None:
                return True
            if not await store.is_reachable(self._sessions, item.user_key):
                await store.record_attempt(self._sessions, item.id, sent=False, error="unreachable",
                                           final=True)
                return False
            return await self._send_item(item)
        finally:
            self._inflight.discard(outbox_id)

    async def deliver_outbox(self) -> int:
        """Delivers every pending row of this platform once; returns how many were delivered."""
        n = 0
        for item in await store.pending(self._sessions, self.name, self.outbox_max_runs):
            if await self.deliver_item(item.id):
                n += 1
        return n

    async def run_outbox(self, interval: float = OUTBOX_INTERVAL) -> None:
        """Sweeps the outbox every ``interval`` seconds; once an hour, forgets old event ids."""
        sweeps = 0
        while True:
            try:
                if sweeps % int(3600 / interval) == 0:
                    await store.prune_events(self._sessions, self.name)
                sweeps += 1
                await store.renew_events(self._sessions, self.name, set(self._active))
                await self.recover()
                await self.deliver_outbox()
            except Exception as exc:  # noqa: BLE001 - keep sweeping
                self._log.error(f"{self._label} outbox sweep failed: %s at %s",
                                type(exc).__name__, _where(exc))
            await asyncio.sleep(interval)

    @contextlib.asynccontextmanager
    async def running(self, interval: float, role: str = "all") -> AsyncIterator[None]:
        """Runs the background work while the app runs; drains it on exit.

        ``role`` "all": the sweep every ``interval`` seconds (0: none); "web": no sweep (workers do
        it); "work": the sweep and the ``work()`` loop.
        """
        self.role = role
        loop = asyncio.get_running_loop()
        tasks = []
        if interval > 0 and role != "web":
            tasks.append(loop.create_task(self.run_outbox(interval)))
        if role == "work":
            tasks.append(loop.create_task(self.work()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.drain()
