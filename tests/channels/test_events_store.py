"""Webhook dedupe and the outbox, on SQLite and PostgreSQL (two engines stand for two server processes)."""

from __future__ import annotations

import asyncio

from bot.core.messages import Card, CardField, Choice, Reply
from bot.store import events as store
from bot.store.db import make_engine, make_sessions


async def test_an_event_is_claimed_once_even_under_a_race(db_url: str) -> None:
    engines = [make_engine(db_url), make_engine(db_url)]
    try:
        sessions = [make_sessions(e) for e in engines]
        results = await asyncio.gather(*(store.claim_event(sessions[i % 2], "line", "01HZXEVENT")
                                         for i in range(10)))
        assert sorted(results) == [False] * 9 + [True]
        assert await store.claim_event(sessions[0], "telegram", "01HZXEVENT") is True   # per platform
        assert await store.event_status(sessions[1], "line", "01HZXEVENT") == "received"
        await store.finish_event(sessions[1], "line", "01HZXEVENT")
        assert await store.event_status(sessions[0], "line", "01HZXEVENT") == "done"
    finally:
        for e in engines:
            await e.dispose()


async def test_outbox_pending_sent_and_final(db_url: str) -> None:
    engine = make_engine(db_url)
    s = make_sessions(engine)
    try:
        a = await store.enqueue(s, "line:Uaaa", [Reply("a")])
        b = await store.enqueue(s, "line:Ubbb", [Reply("b")])
        c = await store.enqueue(s, "telegram:42", [Reply("c")])
        assert a.retry_key != b.retry_key
        assert [i.id for i in await store.pending(s, "line", 3)] == [a.id, b.id]
        assert [i.id for i in await store.pending(s, "telegram", 3)] == [c.id]
        await store.record_attempt(s, a.id, sent=True)
        await store.record_attempt(s, b.id, sent=False, error="http 500")
        assert [i.id for i in await store.pending(s, "line", 3)] == [b.id]       # retried later
        await store.record_attempt(s, b.id, sent=False, error="http 400", final=True)
        assert await store.pending(s, "line", 3) == []                             # never again
        await store.record_attempt(s, c.id, sent=False, error="x")
        await store.record_attempt(s, c.id, sent=False, error="x")
        assert await store.pending(s, "telegram", 2) == []                         # out of runs
        item, sent_at, err = await store.get_item(s, b.id)
        assert sent_at is None and err == store.FINAL + "http 400" and item.attempts == 2
    finally:
        await engine.dispose()


def test_outbox_body_round_trip() -> None:
    replies = [Reply("受付の状況が変わりました。", choices=(Choice("状況", "status"),)),
               Reply("", card=Card("福祉総務課", "説明", (CardField("電話", "0545-55-2757"),), url="https://x"))]
    assert store.body_to_replies(store.replies_to_body(replies)) == replies


async def test_reachability_defaults_to_true_and_is_remembered(db_url: str) -> None:
    engine = make_engine(db_url)
    s = make_sessions(engine)
    try:
        assert await store.is_reachable(s, "line:Unew") is True
        await store.set_reachable(s, "line:Unew", "line", False)
        assert await store.is_reachable(s, "line:Unew") is False
        await store.set_reachable(s, "line:Unew", "line", True)
        assert await store.is_reachable(s, "line:Unew") is True
    finally:
        await engine.dispose()


async def test_old_event_ids_are_pruned_per_platform(db_url: str) -> None:
    import datetime as dt

    engine = make_engine(db_url)
    s = make_sessions(engine)
    try:
        for platform in ("line", "telegram"):
            assert await store.claim_event(s, platform, "old")
        later = dt.datetime.now(dt.UTC) + store.EVENT_KEEP + dt.timedelta(minutes=1)
        assert await store.prune_events(s, "line", now=later) == 1
        assert await store.claim_event(s, "line", "old") is True          # forgotten, so new again
        assert await store.claim_event(s, "telegram", "old") is False     # other platform kept
        assert await store.prune_events(s, "telegram") == 0               # not old yet
    finally:
        await engine.dispose()


async def test_an_outbox_row_is_leased_to_one_sender(db_url: str) -> None:
    import datetime as dt

    engines = [make_engine(db_url), make_engine(db_url)]
    try:
        a, b = (make_sessions(e) for e in engines)
        item = await store.enqueue(a, "telegram:7", [Reply("お知らせ")])
        won = await asyncio.gather(*(store.claim_item((a, b)[i % 2], item.id) for i in range(6)))
        assert sorted(won) == [False] * 5 + [True]
        assert await store.pending(b, "telegram", 3) == []                 # leased: not offered again
        await store.record_attempt(a, item.id, sent=False, error="http 500")  # released on failure
        assert [i.id for i in await store.pending(b, "telegram", 3)] == [item.id]
        assert await store.claim_item(b, item.id, lease=dt.timedelta(seconds=-1))   # a lease that ran out
        assert await store.claim_item(a, item.id) is True                  # … can be taken again
        await store.record_attempt(a, item.id, sent=True)
        assert await store.claim_item(b, item.id) is False                 # sent rows are never taken
        own = await store.enqueue(a, "line:Uown", [Reply("x")], claim=True)
        assert await store.claim_item(b, own.id) is False                  # the enqueuer sends it itself
    finally:
        for e in engines:
            await e.dispose()


async def test_event_leases_are_renewed_and_stale_ones_taken_once(db_url: str) -> None:
    import datetime as dt

    from sqlalchemy import update

    from bot.store.models import ProcessedEvent

    engines = [make_engine(db_url), make_engine(db_url)]
    try:
        a, b = (make_sessions(e) for e in engines)
        assert await store.claim_event(a, "line", "e1", b"sealed")
        assert await store.claim_event(a, "line", "e2", None)            # no payload: cannot be re-run
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        async with a() as s, s.begin():
            await s.execute(update(ProcessedEvent).values(claimed_until=past))
        await store.renew_events(a, "line", ["e1"])                        # a live handler's heartbeat
        assert await store.take_stale_events(b, "line") == []
        async with a() as s, s.begin():
            await s.execute(update(ProcessedEvent).values(claimed_until=past))
        taken = await asyncio.gather(store.take_stale_events(a, "line"), store.take_stale_events(b, "line"))
        assert sorted(len(t) for t in taken) == [0, 1] and [e for t in taken for e, _ in t] == ["e1"]
        await store.finish_event(a, "line", "e1")
        async with a() as s, s.begin():
            await s.execute(update(ProcessedEvent).values(claimed_until=past))
        assert await store.take_stale_events(b, "line") == []              # done events never come back
    finally:
        for e in engines:
            await e.dispose()


async def test_concurrent_claims_share_a_transaction_and_each_event_is_claimed_once(db_url):
    """Claimer: 60 webhooks at once, each event twice (a redelivery racing its original)."""
    from sqlalchemy import event as sa_event

    engine = make_engine(db_url)
    commits = []
    sa_event.listen(engine.sync_engine, "commit", lambda conn: commits.append(1))
    try:
        sessions = make_sessions(engine)
        claimer = store.Claimer(sessions)
        ids = [f"01CLAIM{i:019d}" for i in range(30)]
        got = await asyncio.gather(*(claimer.claim("line", e, b"sealed", lease=False) for e in ids + ids))
        won = {e: 0 for e in ids}
        for e, ok in zip(ids + ids, got):
            won[e] += ok
        assert set(won.values()) == {1}
        assert len(commits) < 10, f"{len(commits)} transactions for 60 claims"
        assert not any(await asyncio.gather(*(claimer.claim("line", e) for e in ids)))
        assert await store.event_status(sessions, "line", ids[0]) == "received"
    finally:
        await engine.dispose()


async def test_marking_answering_together_lets_one_handler_per_event_send(db_url):
    """AnsweringMarker: two handlers of each of 20 events mark at once: one of each may send."""
    engine = make_engine(db_url)
    try:
        sessions = make_sessions(engine)
        ids = [f"01MARK{i:020d}" for i in range(20)]
        claimer, marker = store.Claimer(sessions), store.AnsweringMarker(sessions)
        assert all(await asyncio.gather(*(claimer.claim("line", e, b"sealed") for e in ids)))
        got = await asyncio.gather(*(marker.mark("line", e) for e in ids + ids))
        assert [a + b for a, b in zip(got[:20], got[20:])] == [1] * 20
        assert not any(await asyncio.gather(*(marker.mark("line", e) for e in ids)))   # later: never again
        assert await marker.mark("line", "01NEVERCLAIMED000000000000")                   # no row: answered
        assert await store.event_status(sessions, "line", ids[0]) == "answering"
        assert await store.take_stale_events(sessions, "line") == []
    finally:
        await engine.dispose()


async def test_a_residents_newer_event_waits_while_another_worker_holds_an_older_one(db_url):
    """Two workers: A holds a resident's first event; B may take others, not that resident's second."""
    engine_a, engine_b = make_engine(db_url), make_engine(db_url)
    try:
        a, b = make_sessions(engine_a), make_sessions(engine_b)
        u, v = store.part_of("line:U-first"), store.part_of("line:U-second")
        assert u != v
        for event_id, part in (("01ORDER-1", u), ("01ORDER-2", u), ("01ORDER-3", v)):
            assert await store.claim_event(a, "line", event_id, b"sealed", lease=False, part=part)
            await asyncio.sleep(0.01)                    # distinct received_at, oldest first
        assert [e for e, _, _ in await store.take_events(a, "line", limit=1)] == ["01ORDER-1"]
        assert [e for e, _, _ in await store.take_events(b, "line")] == ["01ORDER-3"]   # not 01ORDER-2
        await store.finish_events(a, "line", {"01ORDER-1": "done"})
        assert [e for e, _, _ in await store.take_events(b, "line")] == ["01ORDER-2"]   # now it may
        # the holder itself (skip = what it works on) is never kept waiting by its own lease
        assert await store.claim_event(a, "line", "01ORDER-4", b"sealed", lease=False, part=v)
        assert [e for e, _, _ in await store.take_events(b, "line", skip=["01ORDER-3"])] == ["01ORDER-4"]
    finally:
        await engine_a.dispose()
        await engine_b.dispose()
