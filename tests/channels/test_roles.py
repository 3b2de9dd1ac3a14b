"""SCRUM_ROLE: a ``web`` process only acknowledges; a ``work`` process answers what it acknowledged.

Two apps on one database (SQLite file and PostgreSQL), as two processes would be: the web app gets
the webhooks and answers 200 without working on them; the worker app (no webhook reaches it) takes
the queued events from the database and answers each exactly once, a resident's in order.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.channels.line import LINE_CHANNEL
from bot.store.db import make_engine, make_sessions
from bot.store.models import ProcessedEvent
from tests.channels.conftest import LINE_SECRET
from tests.fakes import line_events as ev

U1, U2 = ev.user_id(41), ev.user_id(42)


async def post(client, body: bytes) -> int:
    resp = await client.post("/webhooks/line", data=body, headers={
        "Content-Type": "application/json", "X-Line-Signature": ev.sign(body, LINE_SECRET)})
    return resp.status


async def statuses(db_url: str) -> dict[str, tuple[str, bool]]:
    engine = make_engine(db_url)
    try:
        async with make_sessions(engine)() as s:
            rows = (await s.execute(select(ProcessedEvent))).scalars().all()
            return {r.event_id: (r.status, r.payload_enc is not None) for r in rows}
    finally:
        await engine.dispose()


async def wait_for(predicate, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def test_web_acknowledges_only_and_the_worker_answers_each_event_once_in_order(
        db_url, aiohttp_client, make_app, channel_settings, fake_line, conversation):
    web = await aiohttp_client(make_app(channel_settings.replace(role="web")))
    sent: list[tuple[str, str, str]] = []            # (user, text, event id)
    for i, (user, words) in enumerate([(U1, "一"), (U2, "あ"), (U1, "二"), (U1, "三"), (U2, "い")]):
        event = ev.text(words, user=user, reply_token=fake_line.new_reply_token(user), event_id=f"01ROLE{i:020d}")
        assert await post(web, ev.body(event)) == 200
        sent.append((user, words, event["webhookEventId"]))
    redelivered = ev.text("二", user=U1, reply_token="unused", event_id=sent[2][2], redelivery=True)
    assert await post(web, ev.body(redelivered)) == 200
    await web.app[LINE_CHANNEL].drain()
    await asyncio.sleep(0.2)
    assert conversation.seen == [] and fake_line.delivered == [], "a web process must not answer"
    queued = await statuses(db_url)
    assert set(queued) == {e for _, _, e in sent}
    assert all(status == "received" and kept for status, kept in queued.values())

    worker = await aiohttp_client(make_app(channel_settings.replace(role="work", outbox_interval_seconds=0.2)))
    await wait_for(lambda: len(fake_line.delivered) >= len(sent))
    await asyncio.sleep(0.3)                          # nothing more may come
    assert len(fake_line.delivered) == len(sent)
    assert all(d["kind"] == "reply" for d in fake_line.delivered)
    tokens = [c.body["replyToken"] for c in fake_line.calls_to("/v2/bot/message/reply") if c.status == 200]
    assert len(tokens) == len(set(tokens)) == len(sent), "one reply per event"
    order = {u: [i.text for i in conversation.seen if i.user_key == f"line:{u}"] for u in (U1, U2)}
    assert order == {U1: ["一", "二", "三"], U2: ["あ", "い"]}
    await worker.app[LINE_CHANNEL].drain()
    done = await statuses(db_url)
    assert all(status == "done" and not kept for status, kept in done.values()), done


async def test_an_all_process_still_answers_what_a_web_process_queued(
        aiohttp_client, make_app, channel_settings, fake_line, conversation):
    """A mixed deployment (one web, one all) loses nothing: the all process's sweep takes the queue."""
    web = await aiohttp_client(make_app(channel_settings.replace(role="web")))
    assert await post(web, ev.body(ev.text("こんにちは", user=U1, reply_token=fake_line.new_reply_token(U1)))) == 200
    assert fake_line.delivered == []
    both = await aiohttp_client(make_app(channel_settings.replace(role="all", outbox_interval_seconds=0.1)))
    await wait_for(lambda: len(fake_line.delivered) == 1)
    await both.app[LINE_CHANNEL].drain()
    assert [i.text for i in conversation.seen] == ["こんにちは"]


async def test_telegram_updates_are_queued_by_web_and_answered_by_the_worker(
        db_url, aiohttp_client, make_app, channel_settings, fake_telegram, conversation):
    from bot.channels.telegram import TELEGRAM_CHANNEL
    from tests.channels.conftest import TG_SECRET
    from tests.fakes import telegram_updates as up

    web = await aiohttp_client(make_app(channel_settings.replace(role="web")))
    chat = 555000222
    for words in ("ひとつ", "ふたつ"):
        resp = await web.post("/webhooks/telegram", data=up.body(up.text(words, chat_id=chat)), headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
        assert resp.status == 200
    await web.app[TELEGRAM_CHANNEL].drain()
    assert conversation.seen == [] and fake_telegram.sent == []
    worker = await aiohttp_client(make_app(channel_settings.replace(role="work", outbox_interval_seconds=0.2)))
    await wait_for(lambda: len(fake_telegram.sent) >= 2)
    await worker.app[TELEGRAM_CHANNEL].drain()
    assert [i.text for i in conversation.seen] == ["ひとつ", "ふたつ"]
    assert len(fake_telegram.sent) == 2 and all(m["chat_id"] == chat for m in fake_telegram.sent)
