"""Telegram webhook over the real app and python-telegram-bot, against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.channels.telegram import TELEGRAM_CHANNEL
from bot.core import texts
from bot.core.messages import Reply
from bot.store import events as store
from bot.store.db import make_engine, make_sessions
from bot.store.models import Conversation, Outbox
from tests.channels.conftest import TG_SECRET
from tests.fakes import telegram_updates as up
from tests.fakes.line_api import Planned

CHAT = 555000111


async def post(client, update_or_raw, secret: str | None = TG_SECRET):
    raw = update_or_raw if isinstance(update_or_raw, bytes) else up.body(update_or_raw)
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    resp = await client.post("/webhooks/telegram", data=raw, headers=headers)
    await client.app[TELEGRAM_CHANNEL].drain()
    return resp


@pytest.fixture
async def client(aiohttp_client, make_app, sleeps):
    c = await aiohttp_client(make_app())
    c.app[TELEGRAM_CHANNEL].sleep = sleeps
    return c


async def test_text_gets_a_reply_with_an_inline_keyboard(client, fake_telegram, conversation):
    resp = await post(client, up.text("子どものことで相談したい", chat_id=CHAT))
    assert resp.status == 200
    [inbound] = conversation.seen
    assert inbound.user_key == f"telegram:{CHAT}" and inbound.channel == "telegram"
    assert inbound.text == "子どものことで相談したい"
    [sent] = fake_telegram.sent
    assert sent["chat_id"] == CHAT and sent["text"] == "どんなことでこまっていますか。"
    assert sent["reply_markup"] == {"inline_keyboard": [[{"text": "はい", "callback_data": "yes"}],
                                                        [{"text": "いいえ", "callback_data": "no"}]]}


async def test_callback_query_is_answered_and_reaches_the_core(client, fake_telegram, conversation):
    await post(client, up.callback("svc:houkatsu", chat_id=CHAT, query_id="cbq-1"))
    assert fake_telegram.answered == ["cbq-1"]
    assert conversation.seen[0].payload == "svc:houkatsu"
    assert fake_telegram.texts_to(CHAT) == ["えらびました: svc:houkatsu"]


async def test_card_is_sent_as_text_with_a_map_button(client, fake_telegram):
    await post(client, up.text("card", chat_id=CHAT))
    [sent] = fake_telegram.sent
    assert "福祉総務課" in sent["text"] and "0545-55-2757" in sent["text"]
    rows = sent["reply_markup"]["inline_keyboard"]
    assert rows[-1][0]["url"].startswith("https://")
    assert [r[0].get("callback_data") for r in rows[:-1]] == ["intake:start", "other"]


@pytest.mark.parametrize("secret", [None, "", "wrong", TG_SECRET + "x"])
async def test_wrong_secret_is_403_and_nothing_happens(client, fake_telegram, conversation, secret):
    resp = await post(client, up.text("こんにちは", chat_id=CHAT), secret=secret)
    assert resp.status == 403
    assert conversation.seen == [] and fake_telegram.calls == []


async def test_repeated_update_id_is_handled_once(client, fake_telegram, conversation):
    update = up.text("こんにちは", chat_id=CHAT)
    for _ in range(3):
        assert (await post(client, update)).status == 200
    assert len(conversation.seen) == 1 and len(fake_telegram.sent) == 1


async def test_429_waits_retry_after_then_sends_once(client, fake_telegram, sleeps):
    fake_telegram.plan("sendMessage", Planned(429, retry_after=5))
    await post(client, up.text("こんにちは", chat_id=CHAT))
    assert sleeps.waits == [5.0]
    assert [c.status for c in fake_telegram.calls_to("sendMessage")] == [429, 200]
    assert len(fake_telegram.sent) == 1


async def test_500s_are_retried_with_backoff(client, fake_telegram, sleeps):
    fake_telegram.plan("sendMessage", Planned(500), Planned(502))
    await post(client, up.text("こんにちは", chat_id=CHAT))
    assert [c.status for c in fake_telegram.calls_to("sendMessage")] == [500, 502, 200]
    assert sleeps.waits == [0.5, 1.0]
    assert len(fake_telegram.sent) == 1


async def test_read_timeout_is_not_resent(client, fake_telegram, channel_settings):
    """Telegram has no retry key: a send whose answer never came may have arrived, so it is not repeated."""
    fake_telegram.plan("sendMessage", Planned(apply=True, delay=3.0))
    await post(client, up.text("こんにちは", chat_id=CHAT))
    assert len(fake_telegram.calls_to("sendMessage")) == 1
    engine = make_engine(channel_settings.database_url)
    try:
        async with make_sessions(engine)() as s:
            [row] = (await s.scalars(select(Outbox))).all()
            assert row.sent_at is None and row.last_error.startswith(store.FINAL)
            assert "こんにちは" not in str(row.body) and "こまって" not in str(row.body)
    finally:
        await engine.dispose()
    assert await client.app[TELEGRAM_CHANNEL].deliver_outbox() == 0


async def test_blocked_user_is_marked_unreachable_and_not_pushed_again(client, fake_telegram, channel_settings):
    fake_telegram.blocked.add(CHAT)
    await post(client, up.text("こんにちは", chat_id=CHAT))
    engine = make_engine(channel_settings.database_url)
    sessions = make_sessions(engine)
    try:
        async with sessions() as s:
            assert (await s.get(Conversation, f"telegram:{CHAT}")).reachable is False
        await store.enqueue(sessions, f"telegram:{CHAT}", [Reply("お知らせがあります。")])
        assert await client.app[TELEGRAM_CHANNEL].deliver_outbox() == 0
        assert len(fake_telegram.calls_to("sendMessage")) == 1
        fake_telegram.blocked.discard(CHAT)
        await post(client, up.text("もう一度", chat_id=CHAT))          # writing again unblocks
        async with sessions() as s:
            assert (await s.get(Conversation, f"telegram:{CHAT}")).reachable is True
        assert fake_telegram.texts_to(CHAT) == ["どんなことでこまっていますか。"]
    finally:
        await engine.dispose()


async def test_outbox_rows_from_other_areas_are_sent_once(client, fake_telegram, channel_settings):
    engine = make_engine(channel_settings.database_url)
    sessions = make_sessions(engine)
    try:
        await store.enqueue(sessions, f"telegram:{CHAT}", [Reply("受付の状況が変わりました。")])
        assert await client.app[TELEGRAM_CHANNEL].deliver_outbox() == 1
        assert await client.app[TELEGRAM_CHANNEL].deliver_outbox() == 0
        assert fake_telegram.texts_to(CHAT) == ["受付の状況が変わりました。"]
    finally:
        await engine.dispose()


async def test_sticker_gets_a_kind_reply(client, fake_telegram, conversation):
    await post(client, up.sticker(chat_id=CHAT))
    assert fake_telegram.texts_to(CHAT) == [texts.NON_TEXT] and conversation.seen == []


async def test_group_chats_are_not_served(client, fake_telegram, conversation):
    assert (await post(client, up.text("こんにちは", chat_id=CHAT, chat_type="group"))).status == 200
    assert conversation.seen == [] and fake_telegram.sent == []


@pytest.mark.parametrize("raw", [b"{oops", b"[]", b"{}", b'{"update_id": "x"}', b"\xff\xfe",
                                 b'{"update_id": 5, "message": {"chat": 3}}'])
async def test_malformed_bodies_are_400_never_500(client, fake_telegram, raw):
    resp = await post(client, raw)
    assert resp.status == 400


async def test_oversized_body_is_413(client, fake_telegram):
    big = b'{"update_id": 1, "pad": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    resp = await post(client, big)
    assert resp.status == 413
    assert fake_telegram.calls == []


async def test_staff_group_announcements_are_sent_to_the_group(client, fake_telegram, channel_settings):
    """The staff console queues new-ticket notices for a staff group (telegram:-100…): sent as they are."""
    engine = make_engine(channel_settings.database_url)
    sessions = make_sessions(engine)
    try:
        await store.enqueue(sessions, "telegram:-1001234567890", [Reply("新しい相談票 FJ-2026-000001")])
        assert await client.app[TELEGRAM_CHANNEL].deliver_outbox() == 1
        assert fake_telegram.texts_to(-1001234567890) == ["新しい相談票 FJ-2026-000001"]
    finally:
        await engine.dispose()


async def test_an_update_whose_handler_died_is_taken_over_once(client, fake_telegram, conversation, cipher,
                                                                channel_settings):
    import datetime as dt
    import json

    from sqlalchemy import update

    from bot.store.models import ProcessedEvent

    u = up.text("こんにちは", chat_id=CHAT)
    engine = make_engine(channel_settings.database_url)
    sessions = make_sessions(engine)
    try:
        assert await store.claim_event(sessions, "telegram", str(u["update_id"]), cipher.encrypt(json.dumps(u)))
        async with sessions() as s, s.begin():
            await s.execute(update(ProcessedEvent).values(claimed_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        channel = client.app[TELEGRAM_CHANNEL]
        assert await channel.recover() == 1
        await channel.drain()
        assert await channel.recover() == 0
        assert fake_telegram.texts_to(CHAT) == ["どんなことでこまっていますか。"]
        assert (await post(client, u)).status == 200            # Telegram repeating it: skipped
        assert len(conversation.seen) == 1
    finally:
        await engine.dispose()
