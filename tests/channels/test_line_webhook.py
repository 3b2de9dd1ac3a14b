"""LINE webhook over the real app and the real SDK, against the fake LINE API on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.channels.line import LINE_CHANNEL
from bot.core import texts
from bot.store import events as store
from bot.store.db import make_engine, make_sessions
from bot.store.models import Conversation, Outbox, ProcessedEvent, Ticket, TicketEvent
from tests.channels.conftest import LINE_SECRET
from tests.fakes import line_events as ev
from tests.fakes.line_api import Planned

U1 = ev.user_id(1)


async def post(client, body: bytes, signature: str | None = None):
    headers = {"Content-Type": "application/json",
               "X-Line-Signature": signature if signature is not None else ev.sign(body, LINE_SECRET)}
    resp = await client.post("/webhooks/line", data=body, headers=headers)
    await client.app[LINE_CHANNEL].drain()
    return resp


@pytest.fixture
async def client(aiohttp_client, make_app, sleeps):
    c = await aiohttp_client(make_app())
    c.app[LINE_CHANNEL].sleep = sleeps
    return c


async def test_text_message_is_answered_on_the_reply_token_with_quick_replies(client, fake_line, conversation):
    tok = fake_line.new_reply_token(U1)
    resp = await post(client, ev.body(ev.text("母の介護のことで相談したい", user=U1, reply_token=tok)))
    assert resp.status == 200
    assert [i.text for i in conversation.seen] == ["母の介護のことで相談したい"]
    assert conversation.seen[0].user_key == f"line:{U1}" and conversation.seen[0].channel == "line"
    [delivery] = fake_line.delivered
    assert delivery["kind"] == "reply"
    [msg] = delivery["messages"]
    assert msg["text"] == "どんなことでこまっていますか。"
    items = msg["quickReply"]["items"]
    assert [(i["action"]["type"], i["action"]["label"], i["action"]["data"]) for i in items] == [
        ("postback", "はい", "yes"), ("postback", "いいえ", "no")]
    assert fake_line.loading == [], "a quick answer needs no loading indicator"


async def test_a_slow_answer_shows_the_loading_indicator_first(aiohttp_client, make_app, channel_settings,
                                                               fake_line):
    client = await aiohttp_client(make_app(channel_settings.replace(line_loading_after_seconds=0.05)))
    tok = fake_line.new_reply_token(U1)
    await post(client, ev.body(ev.text("slow", user=U1, reply_token=tok)))
    await client.app[LINE_CHANNEL].drain()
    assert fake_line.loading == [{"chatId": U1, "loadingSeconds": 20}]
    paths = [c.path for c in fake_line.calls]
    assert paths.index("/v2/bot/chat/loading/start") < paths.index("/v2/bot/message/reply")
    assert [m["text"] for d in fake_line.delivered for m in d["messages"]] == ["おそくなりました。"]


async def test_with_zero_delay_the_loading_indicator_comes_before_every_answer(aiohttp_client, make_app,
                                                                               channel_settings, fake_line):
    client = await aiohttp_client(make_app(channel_settings.replace(line_loading_after_seconds=0)))
    await post(client, ev.body(ev.text("こんにちは", user=U1, reply_token=fake_line.new_reply_token(U1))))
    await client.app[LINE_CHANNEL].drain()
    assert fake_line.loading == [{"chatId": U1, "loadingSeconds": 20}]


async def test_card_is_a_flex_message_with_a_text_fallback(client, fake_line):
    tok = fake_line.new_reply_token(U1)
    await post(client, ev.body(ev.text("card", user=U1, reply_token=tok)))
    text_msg, flex = fake_line.delivered[0]["messages"]
    assert text_msg["type"] == "text"
    assert flex["type"] == "flex"
    assert "福祉総務課" in flex["altText"] and "0545-55-2757" in flex["altText"]
    assert flex["contents"]["type"] == "bubble"
    uris = [b["action"]["uri"] for b in flex["contents"]["footer"]["contents"]]
    assert "tel:0545552757" in uris
    assert [i["action"]["data"] for i in flex["quickReply"]["items"]] == ["intake:start", "other"]


async def test_postback_reaches_the_core_as_a_payload(client, fake_line, conversation):
    tok = fake_line.new_reply_token(U1)
    await post(client, ev.body(ev.postback("svc:houkatsu", user=U1, reply_token=tok)))
    assert conversation.seen[0].payload == "svc:houkatsu" and conversation.seen[0].text is None
    assert fake_line.texts_to(U1) == ["えらびました: svc:houkatsu"]


async def test_bad_signature_is_400_and_nothing_happens(client, fake_line, conversation):
    tok = fake_line.new_reply_token(U1)
    body = ev.body(ev.text("こんにちは", user=U1, reply_token=tok))
    for sig in ["x", "", ev.sign(body, "wrong-secret")]:
        resp = await post(client, body, signature=sig)
        assert resp.status == 400
    resp = await client.post("/webhooks/line", data=body)  # no header at all
    assert resp.status == 400
    assert conversation.seen == [] and fake_line.calls == []


async def test_redelivery_and_replay_give_one_reply_only(client, fake_line, conversation, channel_settings):
    tok = fake_line.new_reply_token(U1)
    event = ev.text("こんにちは", user=U1, reply_token=tok)
    assert (await post(client, ev.body(event))).status == 200
    redelivered = {**event, "deliveryContext": {"isRedelivery": True}}
    assert (await post(client, ev.body(redelivered))).status == 200
    assert (await post(client, ev.body(event))).status == 200      # a plain replay
    assert len(conversation.seen) == 1
    assert len(fake_line.delivered) == 1
    engine = make_engine(channel_settings.database_url)
    try:
        async with make_sessions(engine)() as s:
            row = await s.get(ProcessedEvent, ("line", event["webhookEventId"]))
            assert row is not None and row.status == "done"
    finally:
        await engine.dispose()


async def test_stale_reply_token_falls_back_to_one_push_with_a_retry_key(client, fake_line, channel_settings):
    tok = fake_line.new_reply_token(U1)
    fake_line.expire(tok)
    await post(client, ev.body(ev.text("こんにちは", user=U1, reply_token=tok)))
    [delivery] = fake_line.delivered
    assert delivery["kind"] == "push" and delivery["to"] == U1
    assert delivery["retry_key"]
    engine = make_engine(channel_settings.database_url)
    try:
        async with make_sessions(engine)() as s:
            [row] = (await s.scalars(select(Outbox))).all()
            assert row.retry_key == delivery["retry_key"] and row.sent_at is not None
            assert "こまって" not in json.dumps(row.body, ensure_ascii=False)   # stored encrypted
    finally:
        await engine.dispose()


async def test_push_500s_are_retried_with_the_same_retry_key(client, fake_line, sleeps):
    tok = fake_line.new_reply_token(U1)
    fake_line.expire(tok)
    fake_line.plan("/v2/bot/message/push", Planned(500), Planned(500))
    await post(client, ev.body(ev.text("こんにちは", user=U1, reply_token=tok)))
    pushes = fake_line.calls_to("/v2/bot/message/push")
    assert [c.status for c in pushes] == [500, 500, 200]
    assert len({c.headers["X-Line-Retry-Key"] for c in pushes}) == 1
    assert len(fake_line.delivered) == 1
    assert sleeps.waits == [0.5, 1.0]                     # exponential backoff


async def test_push_accepted_but_answer_lost_is_not_shown_twice(client, fake_line):
    """The first push is taken but its answer times out; the retry gets 409 and nothing new is shown."""
    tok = fake_line.new_reply_token(U1)
    fake_line.expire(tok)
    fake_line.plan("/v2/bot/message/push", Planned(apply=True, delay=3.0))
    await post(client, ev.body(ev.text("こんにちは", user=U1, reply_token=tok)))
    assert [c.status for c in fake_line.calls_to("/v2/bot/message/push")] == [200, 409]
    assert len(fake_line.delivered) == 1


async def test_429_honours_retry_after(client, fake_line, sleeps):
    tok = fake_line.new_reply_token(U1)
    fake_line.plan("/v2/bot/message/reply", Planned(429, retry_after=7))
    await post(client, ev.body(ev.text("こんにちは", user=U1, reply_token=tok)))
    assert sleeps.waits == [7.0]
    assert [d["kind"] for d in fake_line.delivered] == ["reply"]


async def test_reply_timeout_then_used_token_does_not_push_a_duplicate(client, fake_line):
    tok = fake_line.new_reply_token(U1)
    fake_line.plan("/v2/bot/message/reply", Planned(apply=True, delay=3.0))
    await post(client, ev.body(ev.text("こんにちは", user=U1, reply_token=tok)))
    assert [d["kind"] for d in fake_line.delivered] == ["reply"]
    assert fake_line.calls_to("/v2/bot/message/push") == []


async def test_more_than_five_messages_spill_into_a_push(client, fake_line):
    tok = fake_line.new_reply_token(U1)
    await post(client, ev.body(ev.text("many", user=U1, reply_token=tok)))
    assert [(d["kind"], len(d["messages"])) for d in fake_line.delivered] == [("reply", 5), ("push", 2)]
    assert fake_line.texts_to(U1) == [str(i) for i in range(7)]


async def test_follow_greets_and_unfollow_stops_pushes(client, fake_line, channel_settings):
    tok = fake_line.new_reply_token(U1)
    await post(client, ev.body(ev.follow(user=U1, reply_token=tok)))
    assert fake_line.texts_to(U1) == [texts.GREETING]
    await post(client, ev.body(ev.unfollow(user=U1)))
    engine = make_engine(channel_settings.database_url)
    sessions = make_sessions(engine)
    try:
        async with sessions() as s:
            assert (await s.get(Conversation, f"line:{U1}")).reachable is False
        from bot.core.messages import Reply
        item = await store.enqueue(sessions, f"line:{U1}", [Reply("担当者からお知らせがあります。")])
        assert await client.app[LINE_CHANNEL].deliver_outbox() == 0
        _, sent_at, error = await store.get_item(sessions, item.id)
        assert sent_at is None and error.endswith("unreachable")
        assert len(fake_line.delivered) == 1                    # only the greeting
        assert await store.pending(sessions, "line", 8) == []    # never retried
    finally:
        await engine.dispose()


async def test_outbox_rows_from_other_areas_are_pushed_once(client, fake_line, channel_settings):
    from bot.core.messages import Choice, Reply
    engine = make_engine(channel_settings.database_url)
    sessions = make_sessions(engine)
    try:
        item = await store.enqueue(sessions, f"line:{U1}", [Reply("受付の状況が変わりました。", choices=(Choice("状況", "status"),))])
        assert await client.app[LINE_CHANNEL].deliver_outbox() == 1
        assert await client.app[LINE_CHANNEL].deliver_outbox() == 0
        [delivery] = fake_line.delivered
        assert delivery["retry_key"] == item.retry_key
        assert delivery["messages"][0]["quickReply"]["items"][0]["action"]["data"] == "status"
    finally:
        await engine.dispose()


async def test_unsend_redacts_the_stored_message(client, fake_line, channel_settings, cipher):
    engine = make_engine(channel_settings.database_url)
    sessions = make_sessions(engine)
    try:
        async with sessions() as s, s.begin():
            t = Ticket(user_key=f"line:{U1}", pseudonym="相談者A", channel="line", desk="fukushi_soumu")
            s.add(t)
            await s.flush()
            s.add(TicketEvent(ticket_id=t.id, actor="resident", kind="message", body_enc=cipher.encrypt("秘密の話"),
                              data={"message_id": "4800001"}))
            s.add(TicketEvent(ticket_id=t.id, actor="resident", kind="message", body_enc=cipher.encrypt("のこす話"),
                              data={"message_id": "4800002"}))
            other = Ticket(user_key=f"line:{ev.user_id(2)}", pseudonym="相談者B", channel="line", desk="fukushi_soumu")
            s.add(other)
            await s.flush()
            s.add(TicketEvent(ticket_id=other.id, actor="resident", kind="message", body_enc=cipher.encrypt("他人の話"),
                              data={"message_id": "4800001"}))       # same id, someone else's ticket
        await post(client, ev.body(ev.unsend("4800001", user=U1)))
        await post(client, ev.body(ev.unsend("4800001", user=U1)))   # a second unsend changes nothing
        async with sessions() as s:
            rows = (await s.scalars(select(TicketEvent).order_by(TicketEvent.id))).all()
        assert rows[0].body_enc is None and rows[0].data["redacted"] is True
        assert cipher.decrypt(rows[1].body_enc) == "のこす話"
        assert cipher.decrypt(rows[2].body_enc) == "他人の話"
        assert [r.kind for r in rows[3:]] == ["redacted"]
    finally:
        await engine.dispose()
    assert fake_line.delivered == []


@pytest.mark.parametrize("make", [ev.sticker, ev.image])
async def test_non_text_gets_a_kind_reply(client, fake_line, conversation, make):
    tok = fake_line.new_reply_token(U1)
    await post(client, ev.body(make(user=U1, reply_token=tok)))
    assert fake_line.texts_to(U1) == [texts.NON_TEXT]
    assert conversation.seen == []


async def test_group_messages_are_not_served(client, fake_line, conversation):
    tok = fake_line.new_reply_token()
    assert (await post(client, ev.body(ev.group_text("こんにちは", reply_token=tok)))).status == 200
    assert conversation.seen == [] and fake_line.delivered == []


async def test_core_failure_still_gets_a_kind_answer(client, fake_line):
    tok = fake_line.new_reply_token(U1)
    await post(client, ev.body(ev.text("boom", user=U1, reply_token=tok)))
    assert fake_line.texts_to(U1) == [texts.SORRY_TRY_AGAIN]


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'{"events": 3}', b'{"destination": "x"}', b"\xff\xfe",
                                 b'{"events": [{"no": "type"}]}'])
async def test_malformed_signed_bodies_are_400_not_500(client, raw, fake_line):
    resp = await post(client, raw)
    assert resp.status == 400
    assert fake_line.calls == []


async def test_unknown_event_types_are_acknowledged(client, fake_line):
    event = {"type": "somethingNew", "mode": "active", "timestamp": 1, "webhookEventId": ev.ulid(),
             "deliveryContext": {"isRedelivery": False}, "source": {"type": "user", "userId": U1}}
    assert (await post(client, ev.body(event))).status == 200
    assert fake_line.delivered == []


async def test_empty_event_list_verification_is_200(client, fake_line):
    assert (await post(client, ev.body())).status == 200


async def test_oversized_body_is_413(client, fake_line):
    big = b'{"destination":"x","events":[],"pad":"' + b"a" * (1024 * 1024 + 10) + b'"}'
    resp = await client.post("/webhooks/line", data=big, headers={"X-Line-Signature": ev.sign(big, LINE_SECRET)})
    assert resp.status == 413
    assert fake_line.calls == []


async def test_standby_events_are_left_to_the_active_channel(client, fake_line, conversation):
    tok = fake_line.new_reply_token(U1)
    event = {**ev.text("こんにちは", user=U1, reply_token=tok), "mode": "standby"}
    assert (await post(client, ev.body(event))).status == 200
    assert conversation.seen == [] and fake_line.delivered == []


async def test_logs_hold_ids_never_what_the_resident_wrote(client, fake_line, caplog):
    caplog.set_level("DEBUG")
    secret_words = "秘密の相談内容XYZ"
    tok = fake_line.new_reply_token(U1)
    fake_line.plan("/v2/bot/message/reply", Planned(500), Planned(400))
    await post(client, ev.body(ev.text(secret_words, user=U1, reply_token=tok)))
    await post(client, ev.body(ev.text("boom", user=U1, reply_token=fake_line.new_reply_token(U1))))
    assert caplog.records
    assert all(secret_words not in r.getMessage() and "boom" not in r.getMessage() for r in caplog.records)


async def test_messages_are_counted_for_metrics(client, fake_line):
    import re as _re

    async def count() -> float:
        text = await (await client.get("/metrics")).text()
        m = _re.search(r'^scrum_messages_total\{channel="line"\} ([0-9.e+]+)$', text, _re.M)
        return float(m.group(1)) if m else 0.0

    before = await count()
    await post(client, ev.body(ev.text("こんにちは", user=U1, reply_token=fake_line.new_reply_token(U1))))
    await post(client, ev.body(ev.sticker(user=U1, reply_token=fake_line.new_reply_token(U1))))
    assert await count() == before + 1          # the sticker is answered but is not an inquiry


async def test_line_down_for_every_reply_attempt_pushes_later_once(client, fake_line):
    """Every reply attempt gets 5xx and LINE stays down for the first push: the answer waits in the
    outbox and is pushed once, with its retry key, when the sweeper runs after LINE is back."""
    tok = fake_line.new_reply_token(U1)
    fake_line.plan("/v2/bot/message/reply", *[Planned(500) for _ in range(3)])
    fake_line.plan("/v2/bot/message/push", *[Planned(503) for _ in range(3)])
    await post(client, ev.body(ev.text("こんにちは", user=U1, reply_token=tok)))
    assert fake_line.delivered == []
    assert await client.app[LINE_CHANNEL].deliver_outbox() == 1
    assert await client.app[LINE_CHANNEL].deliver_outbox() == 0
    assert [d["kind"] for d in fake_line.delivered] == ["push"]
    assert len({c.headers["X-Line-Retry-Key"] for c in fake_line.calls_to("/v2/bot/message/push")}) == 1


async def test_messages_line_refuses_are_not_pushed(client, fake_line):
    tok = fake_line.new_reply_token(U1)
    fake_line.plan("/v2/bot/message/reply", Planned(400))
    await post(client, ev.body(ev.text("こんにちは", user=U1, reply_token=tok)))
    assert fake_line.calls_to("/v2/bot/message/push") == [] and fake_line.delivered == []


async def test_an_event_whose_handler_died_is_taken_over_once(client, fake_line, conversation, cipher,
                                                               channel_settings):
    """A 200 was given, then the process died: the event is kept (encrypted) and re-run when its lease ends."""
    import datetime as dt

    from sqlalchemy import update

    event = ev.text("こんにちは", user=U1, reply_token=fake_line.new_reply_token(U1))
    engine = make_engine(channel_settings.database_url)
    sessions = make_sessions(engine)
    try:
        assert await store.claim_event(sessions, "line", event["webhookEventId"],
                                       cipher.encrypt(json.dumps(event, ensure_ascii=False)))
        async with sessions() as s:
            row = await s.get(ProcessedEvent, ("line", event["webhookEventId"]))
            assert b"\\u3053" not in row.payload_enc and "こんにちは".encode() not in row.payload_enc
        channel = client.app[LINE_CHANNEL]
        assert await channel.recover() == 0                  # its handler may still be working
        async with sessions() as s, s.begin():
            await s.execute(update(ProcessedEvent).values(claimed_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        assert await channel.recover() == 1
        await channel.drain()
        assert await channel.recover() == 0
        assert [i.text for i in conversation.seen] == ["こんにちは"]
        assert len(fake_line.delivered) == 1
        async with sessions() as s:
            row = await s.get(ProcessedEvent, ("line", event["webhookEventId"]))
            assert row.status == "done" and row.payload_enc is None     # the text is not kept once done
        body = ev.body(event)                                   # and a redelivery is still skipped
        await post(client, body)
        assert len(conversation.seen) == 1
    finally:
        await engine.dispose()


async def test_webhook_events_are_kept_encrypted_only_until_done(client, fake_line, channel_settings):
    event = ev.text("ひみつ", user=U1, reply_token=fake_line.new_reply_token(U1))
    await post(client, ev.body(event))
    engine = make_engine(channel_settings.database_url)
    try:
        async with make_sessions(engine)() as s:
            row = await s.get(ProcessedEvent, ("line", event["webhookEventId"]))
            assert row.status == "done" and row.payload_enc is None and row.claimed_until is None
    finally:
        await engine.dispose()


async def test_an_old_event_is_answered_by_push_not_on_its_reply_token(client, fake_line):
    tok = fake_line.new_reply_token(U1)
    event = {**ev.text("こんにちは", user=U1, reply_token=tok), "timestamp": ev.text("x", user=U1, reply_token="t")[
        "timestamp"] - 55_000}
    await post(client, ev.body(event))
    assert fake_line.calls_to("/v2/bot/message/reply") == []
    assert [d["kind"] for d in fake_line.delivered] == ["push"]
