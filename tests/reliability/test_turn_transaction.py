"""One database transaction per conversation turn, and one turn at a time per resident across replicas.

Two Conversations on two engines (two processes' pools) share one database, SQLite file or
PostgreSQL: the turns of one resident landing on both at once must behave as if run one after
the other (no lost session update). And a plain text turn is one transaction, so the cost of a
turn cannot quietly grow back to five.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversation import Conversation
from bot.core import texts
from bot.core.dialogue import step
from bot.core.effects import ConsentGiven, CreateTicket
from bot.core.messages import Inbound, Reply
from bot.core.session import Session, Step
from bot.store.crypto import Cipher
from bot.store.db import create_all, make_engine, make_sessions
from bot.store.sessions import SessionStore
from bot.store.tickets import Pseudonymiser, TicketStore
from tests.conftest import _fresh_pg_database, _need_postgres

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conversation"))
from conv_kit import START, Clock, make_conversation  # noqa: E402

INQUIRIES = ["母の介護のことで相談したい", "息子が学校に行けなくて困っています", "家賃を払えなくて困っています",
             "仕事をなくしてお金がない", "父が認知症かもしれなくて心配です", "子育てがつらくて話を聞いてほしい"]
ANONYMOUS = "匿名"
# The answer each intake step expects, in the order the intake asks: each is right at one step only,
# so two turns that read the same step cannot both have their say.
ANSWERS: dict[Step, tuple[str | None, str | None]] = {
    Step.CONSENT: ("同意する", None), Step.ABOUT: (None, "about:family"), Step.SUMMARY: ("母の介護で疲れています", None),
    Step.CONTACT: (None, "contact:phone"), Step.PHONE: ("090-1234-5678", None), Step.TIMES: ("平日の午前", None),
    Step.NAME: ("山田", None), Step.MEETING: (None, "meeting:yes")}
ORDER = list(ANSWERS)
ROUNDS = 24


def said(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def stored(engine: AsyncEngine, key: str, user_key: str) -> Session | None:
    store = SessionStore(make_sessions(engine), Cipher(key), dt.timedelta(minutes=30))
    return (await store.load(user_key, START)).session


def next_messages(state: Session, start_payload: str | None, r: int) -> list[tuple[str | None, str | None]]:
    """The next three answers of the intake from where the resident is (or a way back into one)."""
    if state.step in ANSWERS:
        i = ORDER.index(state.step)
        return [ANSWERS[s] for s in ORDER[i:i + 3]]
    if state.step == Step.REFERRED and start_payload:
        return [(None, start_payload), ANSWERS[Step.CONSENT], ANSWERS[Step.ABOUT]]
    if state.step == Step.START:
        return [(INQUIRIES[r % len(INQUIRIES)], None)]
    return [("最初から", None)]


@pytest.mark.parametrize("rate_limit", [0, 1000], ids=["no-counter", "counter-first"])
async def test_two_replicas_taking_one_residents_messages_at_once_lose_no_update(db_url: str, rate_limit: int) -> None:
    """Each round, the next three answers of one resident's intake reach two replicas at the same
    instant. Whatever order the database let them in, the stored session must be one that some
    serial order gives: the pure dialogue step applied to the previous state, one message after the
    other. A lost update (two turns reading the same state, the last save winning) leaves a state
    that no order gives, e.g. an answer taken and then overwritten by a turn that refused it.
    With the counter off, SQLite's lock is BEGIN IMMEDIATE; with it on, the counter's upsert."""
    key, clock = Cipher.generate_key(), Clock()
    a, b = make_engine(db_url), make_engine(db_url)
    try:
        replicas = [make_conversation(a, key, clock, rate_limit_messages=rate_limit),
                    make_conversation(b, key, clock, rate_limit_messages=rate_limit)]
        user = "line:Uturnlock0123456789abcdef0123456789"
        ctx = replicas[0].context(clock())
        state = Session(user_key=user, channel="line")
        start_payload: str | None = None
        lost, raced = [], 0
        for r in range(ROUNDS):
            msgs = [Inbound(user, text=t, payload=p, channel="line") for t, p in next_messages(state, start_payload, r)]
            serial = set()
            for order in itertools.permutations(msgs):
                s = state
                for m in order:
                    s = step(s, m, ctx).session
                serial.add(s.to_json())
            replies = await asyncio.gather(*(replicas[i % 2].handle(m) for i, m in enumerate(msgs)))
            assert all(texts.SORRY_TRY_AGAIN not in said(x) for x in replies), replies
            start_payload = next((c.payload for x in replies for rep in x for c in rep.choices
                                  if c.payload.startswith("intake:start")), None)
            now = await stored(a, key, user)
            assert now is not None
            raced += len(msgs) > 1
            if now.to_json() not in serial:
                lost.append((r, state.step.value, now.step.value))
            state = now
        assert raced >= ROUNDS // 2
        assert lost == [], f"rounds with a lost update (round, step before, step after): {lost}"
    finally:
        await a.dispose()
        await b.dispose()


def count_transactions(engine: AsyncEngine) -> dict[str, int]:
    counts = {"begin": 0, "statements": 0}

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(_conn) -> None:  # type: ignore[no-untyped-def]
        counts["begin"] += 1

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _statement(*_args) -> None:  # type: ignore[no-untyped-def]
        counts["statements"] += 1

    return counts


@pytest.mark.parametrize("rate_limit", [20, 0])
async def test_a_text_turn_is_one_transaction(engine: AsyncEngine, rate_limit: int) -> None:
    key, clock = Cipher.generate_key(), Clock()
    conv: Conversation = make_conversation(engine, key, clock, rate_limit_messages=rate_limit)
    await conv.handle(Inbound("line:Uwarm", text="こんにちは", channel="line"))   # pool and caches warm
    counts = count_transactions(engine)
    messages = ["こんにちは", *INQUIRIES[:3], "状況を知りたい", ANONYMOUS]
    for n, m in enumerate(messages):
        replies = await conv.handle(Inbound(f"line:Uone{n % 2}", text=m, channel="line"))
        assert replies and texts.SORRY_TRY_AGAIN not in said(replies)
    assert counts["begin"] == len(messages), counts
    # lock, (count, a new window's clean-up), load, save; a status question reads the tickets too
    assert counts["statements"] <= len(messages) * (5 if rate_limit else 3) + 1, counts


async def test_filing_an_intake_is_one_transaction_and_the_reference_is_stored(engine: AsyncEngine) -> None:
    from conv_kit import ChatBot, payloads

    key, clock = Cipher.generate_key(), Clock()
    bot = ChatBot(make_conversation(engine, key, clock))
    start = next(p for p in payloads(await bot.push("母の介護のことで相談したい")) if p.startswith("intake:start"))
    for text_, payload in [(None, start), ("同意する", None), (None, "about:family"), ("母の介護で疲れています", None),
                           (None, "contact:phone"), ("090-1234-5678", None), ("平日の午前", None), ("山田", None),
                           (None, "meeting:yes")]:
        await bot.push(text_, payload)
    counts = count_transactions(engine)
    shown = await bot.say(payload="preview:send")
    assert counts["begin"] == 1, counts
    async with engine.connect() as conn:
        refs = (await conn.execute(text("SELECT ref FROM ticket"))).scalars().all()
    assert len(refs) == 1 and refs[0] in shown


async def test_the_counter_failing_inside_the_turn_still_answers(engine: AsyncEngine, caplog) -> None:
    """Fail open: the turn is redone without the counter (the rest of the database works)."""
    key, clock = Cipher.generate_key(), Clock()
    conv = make_conversation(engine, key, clock, rate_limit_messages=3)
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE rate_limit_window"))
    caplog.set_level(logging.WARNING, logger="bot.conversation")
    for _ in range(5):                                   # over the limit, but nothing can count
        replies = await conv.handle(Inbound("line:Ucounterdown", text="母の介護のことで相談したい", channel="line"))
        assert replies and texts.SORRY_TRY_AGAIN not in said(replies) and texts.RATE_LIMITED not in said(replies)
    assert any("rate limit not checked" in r.getMessage() for r in caplog.records)
    assert (await stored(engine, key, "line:Ucounterdown")) is not None        # the turns were saved


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database with the schema (SQLite's single writer never lets this race happen)."""
    url, admin = await _fresh_pg_database(_need_postgres())
    engine = make_engine(url)
    await create_all(engine)
    await engine.dispose()
    try:
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        await admin.dispose()


@pytest.mark.postgres
async def test_an_intake_key_conflict_inside_a_turn_returns_the_winners_reference(pg_url: str) -> None:
    """PostgreSQL: another transaction files the same intake and commits while ours waits on the
    UNIQUE index. Ours gets the winner's reference from a SAVEPOINT and can still commit."""
    engine = make_engine(pg_url)
    try:
        sessions = make_sessions(engine)
        cipher = Cipher(Cipher.generate_key())
        tickets = TicketStore(sessions, cipher, Pseudonymiser.from_encryption_key("k"))
        consent = ConsentGiven("intake", "intake-2026-11-27", "0" * 64, START.isoformat(), ("dept_fukushi_somu",))
        cmd = CreateTicket(user_key="line:Urace", channel="line", desk="dept_fukushi_somu",
                           service_ids=("jiritsu_soudan",), fields=("困窮",), about="self", summary="s",
                           contact_method="chat", phone=None, preferred_times=None, name=None, anonymous=True,
                           crisis=False, routing={}, intake_consent=consent, meeting_consent=None)
        sessions_store = SessionStore(sessions, cipher, dt.timedelta(minutes=30))
        async with sessions() as winner, sessions() as loser:
            await winner.begin()
            won = await tickets.open(cmd, START, winner)             # inserted, not committed yet
            await loser.begin()
            waiting = asyncio.create_task(tickets.open(cmd, START, loser))
            await asyncio.sleep(0.3)
            assert not waiting.done()                                 # blocked on the unique index
            await winner.commit()
            assert await asyncio.wait_for(waiting, 10) == won
            await sessions_store.save(Session(user_key="line:Urace", channel="line"), START, loser)
            await loser.commit()                                      # the transaction is still usable
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM ticket"))).scalar_one() == 1
    finally:
        await engine.dispose()
