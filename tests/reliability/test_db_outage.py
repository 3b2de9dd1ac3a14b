"""PostgreSQL "restarts" mid-intake (a proxy cuts every connection): no intake lost, a confirmed ticket durable.

The app talks to the real PostgreSQL through tests/reliability/tcp_proxy.py; the shared server
itself is never stopped. PostgreSQL only: it is the production store and the one that restarts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.channels.line import LINE_CHANNEL
from bot.store.crypto import Cipher
from bot.store.db import make_engine, make_sessions
from bot.store.models import Ticket
from bot.web.app import create_app
from tests.conftest import _fresh_pg_database, _need_postgres
from tests.fakes import line_events as ev
from tests.fakes.line_api import Planned
from tests.reliability.line_kit import INQUIRY, NAME, PHONE, REF, SUMMARY, Resident, line_settings, payloads_of, texts_of
from tests.reliability.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg() -> AsyncIterator[tuple[str, TcpProxy]]:
    """A fresh PostgreSQL database and a proxy in front of it; yields (direct url, proxy)."""
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


def via(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(host=proxy.host, port=proxy.port).render_as_string(hide_password=False)



async def to_preview(resident: Resident) -> None:
    card = await resident.say(INQUIRY)
    start = next(p for p in payloads_of(card) if p.startswith("intake:start"))
    for text_, payload in [(None, start), ("同意する", None), (None, "about:family"), (SUMMARY, None),
                           (None, "contact:phone"), (PHONE, None), ("平日の午前", None), (NAME, None),
                           (None, "meeting:yes")]:
        await resident.say(text_, payload=payload)


async def tickets(url: str) -> list[Ticket]:
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as s:
            return list((await s.execute(select(Ticket))).scalars())
    finally:
        await engine.dispose()


async def test_db_down_at_the_webhook_answers_503_and_the_redelivery_files_one_ticket(aiohttp_client, pg, fake_line):
    url, proxy = pg
    app = create_app(line_settings(via(url, proxy), fake_line, encryption_key=Cipher.generate_key()))
    client = await aiohttp_client(app)
    resident = Resident(client, fake_line, n=601)
    await to_preview(resident)

    await proxy.down()                                       # the database restarts
    event_id = ev.ulid()
    tok = fake_line.new_reply_token(resident.uid)
    send = ev.postback("preview:send", user=resident.uid, reply_token=tok)
    send["webhookEventId"] = event_id
    status = await resident.post(send)
    assert status == 503, f"a webhook must answer 503 (LINE redelivers), not {status}"

    await proxy.up()                                         # back; LINE redelivers the same event
    again = dict(send, replyToken=fake_line.new_reply_token(resident.uid), deliveryContext={"isRedelivery": True})
    assert await resident.post(again) == 200
    shown = "\n".join(texts_of(fake_line.messages_to(resident.uid)))
    refs = set(REF.findall(shown))
    assert len(refs) == 1, shown[-500:]
    [ticket] = await tickets(url)
    assert ticket.ref in refs


async def test_db_lost_after_the_claim_keeps_the_intake_for_a_second_tap(aiohttp_client, pg, fake_line):
    """The event is claimed, then the database goes away while the bot works: the resident is told,
    the intake stays, and the next tap files exactly one ticket."""
    url, proxy = pg
    app = create_app(line_settings(via(url, proxy), fake_line, encryption_key=Cipher.generate_key(),
                                   line_loading_after_seconds=0))      # the indicator first: the hook below
    client = await aiohttp_client(app)
    resident = Resident(client, fake_line, n=602)
    await to_preview(resident)

    fake_line.plan("/v2/bot/chat/loading/start", Planned(202, delay=0.5, apply=True))   # the bot is mid-work
    tok = fake_line.new_reply_token(resident.uid)
    body = ev.body(ev.postback("preview:send", user=resident.uid, reply_token=tok))
    resp = await client.post("/webhooks/line", data=body, headers={
        "Content-Type": "application/json", "X-Line-Signature": ev.sign(body, "f0e1d2c3b4a5968778695a4b3c2d1e0f")})
    assert resp.status == 200
    await proxy.down()
    await client.app[LINE_CHANNEL].drain()
    told = texts_of(fake_line.messages_to(resident.uid))[-1]
    assert not REF.search(told), "a reference was shown for a ticket that could not be stored"
    assert await tickets(url) == []

    await proxy.up()
    await asyncio.sleep(0)
    shown = await resident.say(payload="preview:send")
    found = REF.search("\n".join(texts_of(shown)))
    assert found, texts_of(shown)
    [ticket] = await tickets(url)
    assert ticket.ref == found.group(0)


async def test_a_confirmed_ticket_survives_the_database_going_away(aiohttp_client, pg, fake_line):
    url, proxy = pg
    app = create_app(line_settings(via(url, proxy), fake_line, encryption_key=Cipher.generate_key()))
    client = await aiohttp_client(app)
    ref = await Resident(client, fake_line, n=603).file_intake()
    await proxy.down()                                       # the instant the resident saw the number
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as s:
            assert (await s.execute(select(func.count()).select_from(Ticket).where(Ticket.ref == ref))).scalar_one() == 1
    finally:
        await engine.dispose()
