"""Two app instances on one database: state the replicas share must live in the database.

Two real apps (two Conversations, two LINE channels, two engines) in one test, on SQLite and
PostgreSQL, the resident's events landing on either. bench/two_instances.py does the same with two
``serve`` processes and many residents.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.channels.line import LINE_CHANNEL
from bot.store.crypto import Cipher
from bot.store.db import make_engine, make_sessions
from bot.store.models import Ticket
from bot.web.app import create_app
from tests.fakes import line_events as ev
from tests.fakes.line_api import FakeLineApi
from tests.reliability.line_kit import INQUIRY, NAME, PHONE, SECRET, SUMMARY, Resident, line_settings, payloads_of

RESIDENTS = 4


@pytest.fixture
async def fake_line():
    fake = await FakeLineApi(token="test-access-token").start()
    yield fake
    await fake.close()


@pytest.fixture
async def two(aiohttp_client, db_url, fake_line):
    key = Cipher.generate_key()
    a = await aiohttp_client(create_app(line_settings(db_url, fake_line, encryption_key=key)))
    b = await aiohttp_client(create_app(line_settings(db_url, fake_line, encryption_key=key)))
    return a, b


async def count_tickets(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    try:
        async with make_sessions(engine)() as s:
            rows = (await s.execute(select(Ticket.user_key, func.count()).group_by(Ticket.user_key))).all()
    finally:
        await engine.dispose()
    return {k: n for k, n in rows}


async def to_preview(resident: Resident) -> None:
    card = await resident.say(INQUIRY)
    start = next(p for p in payloads_of(card) if p.startswith("intake:start"))
    for text_, payload in [(None, start), ("同意する", None), (None, "about:family"), (SUMMARY, None),
                           (None, "contact:phone"), (PHONE, None), ("平日の午前", None), (NAME, None),
                           (None, "meeting:yes")]:
        await resident.say(text_, payload=payload)


async def tap(client, fake: FakeLineApi, uid: str, payload: str, event_id: str | None = None) -> int:
    event = ev.postback(payload, user=uid, reply_token=fake.new_reply_token(uid))
    if event_id:
        event["webhookEventId"] = event_id
    body = ev.body(event)
    resp = await client.post("/webhooks/line", data=body, headers={
        "Content-Type": "application/json", "X-Line-Signature": ev.sign(body, SECRET)})
    await client.app[LINE_CHANNEL].drain()
    return resp.status


async def test_a_redelivery_on_the_other_replica_is_answered_once(two, fake_line, db_url) -> None:
    a, b = two
    for n in range(RESIDENTS):
        resident = Resident(a, fake_line, n=700 + n)
        await to_preview(resident)
        event_id = ev.ulid()
        statuses = await asyncio.gather(tap(a, fake_line, resident.uid, "preview:send", event_id),
                                        tap(b, fake_line, resident.uid, "preview:send", event_id))
        assert statuses == [200, 200]
    tickets = await count_tickets(db_url)
    assert sorted(tickets.values()) == [1] * RESIDENTS
    for n in range(RESIDENTS):
        uid = ev.user_id(700 + n)
        assert len([d for d in fake_line.delivered if d["to"] == uid]) == 11   # 11 events, 11 answers


async def test_a_double_tap_split_across_replicas_files_one_ticket(two, fake_line, db_url) -> None:
    a, b = two
    for n in range(RESIDENTS):
        resident = Resident(a, fake_line, n=800 + n)
        await to_preview(resident)
        await asyncio.gather(tap(a, fake_line, resident.uid, "preview:send"),
                             tap(b, fake_line, resident.uid, "preview:send"))
    tickets = await count_tickets(db_url)
    assert sorted(tickets.values()) == [1] * RESIDENTS, tickets


async def test_two_replicas_sweeping_the_outbox_send_a_telegram_message_once(aiohttp_client, db_url) -> None:
    from bot.channels.telegram import TELEGRAM_CHANNEL
    from bot.core.messages import Reply
    from bot.settings import Settings
    from bot.store import events as store
    from tests.fakes.telegram_api import FakeTelegramApi
    from tests.reliability.line_kit import ROOT

    token, secret = "987654:OUTBOX-token_abcdefghijklmnopqrstu", "tg-outbox-secret"
    fake = await FakeTelegramApi(token=token).start()
    try:
        settings = Settings(database_url=db_url, catalogue_path=ROOT / "knowledge/services.yaml",
                            telegram_bot_token=token, telegram_secret_token=secret, telegram_api_base_url=fake.url,
                            encryption_key=Cipher.generate_key())
        a = await aiohttp_client(create_app(settings))
        b = await aiohttp_client(create_app(settings))
        sessions = a.app[TELEGRAM_CHANNEL]._sessions
        for chat in range(5):          # e.g. staff replies, queued by the console
            await store.enqueue(sessions, f"telegram:{5100 + chat}", [Reply("担当者からのお返事があります。")])
        await asyncio.gather(a.app[TELEGRAM_CHANNEL].deliver_outbox(), b.app[TELEGRAM_CHANNEL].deliver_outbox())
        sent = [len(fake.texts_to(5100 + chat)) for chat in range(5)]
    finally:
        await fake.close()
    assert sent == [1] * 5, sent
