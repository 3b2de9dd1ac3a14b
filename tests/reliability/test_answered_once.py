"""An event whose answer was sent is never run again (finding F9), whatever the database did meanwhile.

The states are driven directly (no timing luck): a lease that ran out is written into the row, the
"other handler" marks the event where a racing replica would, and the database outage is a proxy
taken down at the exact moment the turn is done and the answer is about to go out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from bot.channels.line import LINE_CHANNEL
from bot.core.messages import Inbound, Reply
from bot.store import events as store
from bot.store.crypto import Cipher
from bot.store.db import make_engine, make_sessions
from bot.store.models import ProcessedEvent
from bot.web.app import create_app
from tests.conftest import _fresh_pg_database, _need_postgres
from tests.fakes import line_events as ev
from tests.reliability.line_kit import SECRET, line_settings
from tests.reliability.tcp_proxy import TcpProxy

U1 = ev.user_id(901)



async def expire_leases(sessions) -> None:
    async with sessions() as s, s.begin():
        await s.execute(update(ProcessedEvent).values(claimed_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))


async def post(client, event: dict) -> int:
    body = ev.body(event)
    resp = await client.post("/webhooks/line", data=body, headers={
        "Content-Type": "application/json", "X-Line-Signature": ev.sign(body, SECRET)})
    await client.app[LINE_CHANNEL].drain()
    return resp.status


async def test_only_one_handler_may_answer_and_an_answered_event_is_never_taken_over(db_url: str) -> None:
    engines = [make_engine(db_url), make_engine(db_url)]
    try:
        a, b = (make_sessions(e) for e in engines)
        assert await store.claim_event(a, "line", "e1", b"sealed")
        await expire_leases(a)                      # the first handler's lease ran out while it worked
        assert [e for e, _ in await store.take_stale_events(b, "line")] == ["e1"]   # a second one runs it
        verdicts = await asyncio.gather(*(store.mark_answering([a, b][i % 2], "line", "e1") for i in range(6)))
        assert sorted(verdicts) == [False] * 5 + [True]                  # one of them sends the answer
        async with a() as s:
            row = await s.get(ProcessedEvent, ("line", "e1"))
            assert row.status == "answering" and row.payload_enc is None  # the text is not kept either
        await expire_leases(a)                      # its process dies before it marks the event done
        assert await store.take_stale_events(b, "line") == []            # its answer may be out: not re-run
        assert await store.mark_answering(a, "line", "never-claimed") is True
        assert await store.claim_event(a, "line", "e2", b"sealed")
        await expire_leases(a)
        assert await store.take_stale_events(b, "line", skip=["e2"]) == []   # this process still has it
    finally:
        for e in engines:
            await e.dispose()


class MarksAfterTheTurn:
    """Wraps the real conversation: runs the turn, then does ``after`` (what another handler or the
    database does at that instant) before the channel sends the answer."""

    def __init__(self, real, after) -> None:
        self.real, self.after, self.turns = real, after, 0

    async def handle(self, inbound: Inbound) -> list[Reply]:
        replies = await self.real.handle(inbound)
        self.turns += 1
        await self.after(inbound)
        return replies


async def test_a_re_run_does_not_answer_what_the_first_handler_answered(aiohttp_client, db_url, fake_line) -> None:
    """The lease ran out while the first handler still worked: the event is taken over, and while the
    re-run is in its turn the first handler records its answer. The re-run must not send a second one."""
    key = Cipher.generate_key()
    client = await aiohttp_client(create_app(line_settings(db_url, fake_line, encryption_key=key,
                                                           outbox_interval_seconds=0)))   # recover() by hand
    channel = client.app[LINE_CHANNEL]
    cipher = Cipher(key)
    event = ev.text("こんにちは", user=U1, reply_token=fake_line.new_reply_token(U1))
    event_id = event["webhookEventId"]
    engine = make_engine(db_url)
    sessions = make_sessions(engine)
    try:
        assert await store.claim_event(sessions, "line", event_id, cipher.encrypt(json.dumps(event)))
        await expire_leases(sessions)

        async def first_handler_answers(_inbound: Inbound) -> None:
            assert await store.mark_answering(sessions, "line", event_id)

        channel._conversation = MarksAfterTheTurn(channel._conversation, first_handler_answers)
        assert await channel.recover() == 1
        await channel.drain()
        assert channel._conversation.turns == 1
        assert fake_line.delivered == []            # the first handler's answer is the only one
        await store.finish_event(sessions, "line", event_id)
        await expire_leases(sessions)
        assert await channel.recover() == 0
    finally:
        await engine.dispose()


@pytest.fixture
async def pg() -> AsyncIterator[tuple[str, TcpProxy]]:
    base = _need_postgres()
    url, admin = await _fresh_pg_database(base)
    u = make_url(url)
    proxy = await TcpProxy(u.host or "127.0.0.1", u.port or 5432).up()
    try:
        yield url, proxy
    finally:
        await proxy.down()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
        await admin.dispose()


@pytest.mark.postgres
async def test_answered_while_the_database_was_away_is_not_answered_again(aiohttp_client, pg, fake_line) -> None:
    """The turn is done, then PostgreSQL goes away: the answer still goes out on the reply token, but
    neither the intent nor 'done' can be stored. Back up, with the lease long gone, the sweeper stores
    the status and recover() does not run the event again (F9: a second answer by push)."""
    url, proxy = pg
    via = make_url(url).set(host=proxy.host, port=proxy.port).render_as_string(hide_password=False)
    client = await aiohttp_client(create_app(line_settings(via, fake_line, encryption_key=Cipher.generate_key())))
    channel = client.app[LINE_CHANNEL]

    async def database_goes_away(_inbound: Inbound) -> None:
        await proxy.down()

    wrapped = MarksAfterTheTurn(channel._conversation, database_goes_away)
    channel._conversation = wrapped
    event = ev.text("母の介護のことで相談したい", user=U1, reply_token=fake_line.new_reply_token(U1))
    assert await post(client, event) == 200
    assert wrapped.turns == 1 and len(fake_line.delivered) == 1      # answered on the reply token
    await proxy.up()
    engine = make_engine(url)
    sessions = make_sessions(engine)
    try:
        async with sessions() as s:
            row = await s.get(ProcessedEvent, ("line", event["webhookEventId"]))
            assert row.status == "received" and row.payload_enc is not None   # nothing could be stored
        await expire_leases(sessions)
        assert await channel.recover() == 0
        await channel.drain()
        assert wrapped.turns == 1 and len(fake_line.delivered) == 1 and fake_line.calls_to("/v2/bot/message/push") == []
        assert await store.event_status(sessions, "line", event["webhookEventId"]) == "done"
    finally:
        await engine.dispose()


async def test_telegram_a_re_run_does_not_answer_what_the_first_handler_answered(aiohttp_client, db_url) -> None:
    from bot.channels.telegram import TELEGRAM_CHANNEL
    from bot.settings import Settings
    from tests.fakes import telegram_updates as up
    from tests.fakes.telegram_api import FakeTelegramApi
    from tests.reliability.line_kit import ROOT

    token, chat = "987654:ANSWERED-token_abcdefghijklmnop", 5301
    fake = await FakeTelegramApi(token=token).start()
    engine = make_engine(db_url)
    sessions = make_sessions(engine)
    try:
        key = Cipher.generate_key()
        client = await aiohttp_client(create_app(Settings(
            database_url=db_url, catalogue_path=ROOT / "knowledge/services.yaml", telegram_bot_token=token,
            telegram_secret_token="tg-answered-secret", telegram_api_base_url=fake.url, encryption_key=key,
            outbox_interval_seconds=0)))        # the test calls recover() itself: no sweep racing it
        channel = client.app[TELEGRAM_CHANNEL]
        u = up.text("こんにちは", chat_id=chat)
        update_id = str(u["update_id"])
        assert await store.claim_event(sessions, "telegram", update_id, Cipher(key).encrypt(json.dumps(u)))
        await expire_leases(sessions)

        async def first_handler_answers(_inbound: Inbound) -> None:
            assert await store.mark_answering(sessions, "telegram", update_id)

        channel._conversation = MarksAfterTheTurn(channel._conversation, first_handler_answers)
        assert await channel.recover() == 1
        await channel.drain()
        assert channel._conversation.turns == 1
        assert fake.texts_to(chat) == []             # the first handler's answer is the only one
        assert await store.event_status(sessions, "telegram", update_id) == "done"
    finally:
        await engine.dispose()
        await fake.close()
