"""The LINE and Telegram APIs fail (500, 429, timeouts): retried with backoff and retry keys, never sent twice.

The whole app runs (real router, conversation, store); only the platform APIs are fake. Waits are
recorded, not slept, so the tests are not timed: they check which waits were asked for.
"""

from __future__ import annotations

import pytest

from bot.channels.line import LINE_CHANNEL
from bot.channels.telegram import TELEGRAM_CHANNEL
from bot.settings import Settings
from bot.store.crypto import Cipher
from bot.web.app import create_app
from tests.fakes import line_events as ev
from tests.fakes import telegram_updates as up
from tests.fakes.line_api import FakeLineApi, Planned
from tests.fakes.telegram_api import FakeTelegramApi
from tests.reliability.line_kit import INQUIRY, ROOT, Resident, line_settings

TG_TOKEN = "654321:FAULT-token_abcdefghijklmnopqrstuv"
TG_SECRET = "tg-fault-secret_0123456789"
REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"


class Waits:
    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


@pytest.fixture
async def fake_line():
    fake = await FakeLineApi(token="test-access-token").start()
    yield fake
    await fake.close()
    assert fake.unexpected == []


@pytest.fixture
async def line(aiohttp_client, db_url, fake_line):
    client = await aiohttp_client(create_app(line_settings(db_url, fake_line, encryption_key=Cipher.generate_key(),
                                                           channel_api_timeout=0.5, channel_api_retries=4)))
    waits = Waits()
    client.app[LINE_CHANNEL].sleep = waits
    return Resident(client, fake_line, n=501), waits


def deliveries(fake: FakeLineApi, uid: str) -> list[dict]:
    return [d for d in fake.delivered if d["to"] == uid]


async def test_line_reply_500s_are_retried_with_backoff_and_shown_once(line, fake_line) -> None:
    resident, waits = line
    fake_line.plan(REPLY, Planned(500), Planned(500))
    shown = await resident.say(INQUIRY)
    assert shown and len(deliveries(fake_line, resident.uid)) == 1
    assert [c.status for c in fake_line.calls_to(REPLY)] == [500, 500, 200]
    assert waits.asked == sorted(waits.asked) and len(waits.asked) == 2 and waits.asked[0] > 0   # backoff grows


async def test_line_429_waits_what_the_platform_asks(line, fake_line) -> None:
    resident, waits = line
    fake_line.plan(REPLY, Planned(429, retry_after=7))
    assert await resident.say(INQUIRY)
    assert waits.asked == [7] and len(deliveries(fake_line, resident.uid)) == 1


async def test_line_reply_accepted_but_answer_lost_is_not_shown_twice(line, fake_line) -> None:
    """The reply reaches LINE, the answer times out; the retry finds the token used: no push on top."""
    resident, _ = line
    fake_line.plan(REPLY, Planned(200, delay=1.5, apply=True))
    await resident.say(INQUIRY)
    assert len(deliveries(fake_line, resident.uid)) == 1
    assert fake_line.calls_to(PUSH) == []


async def test_line_push_retries_keep_one_retry_key_and_deliver_once(line, fake_line) -> None:
    """A stale reply token: the answer is pushed; 500, then a lost answer, then 409 on the same key."""
    resident, _ = line
    tok = fake_line.new_reply_token(resident.uid)
    fake_line.expire(tok)
    fake_line.plan(PUSH, Planned(500), Planned(200, delay=1.5, apply=True))
    assert await resident.post(ev.text(INQUIRY, user=resident.uid, reply_token=tok)) == 200
    pushes = fake_line.calls_to(PUSH)
    keys = {c.headers.get("X-Line-Retry-Key") for c in pushes}
    assert len(pushes) >= 3 and len(keys) == 1 and None not in keys
    assert [d["kind"] for d in deliveries(fake_line, resident.uid)] == ["push"]


async def test_line_down_for_a_while_loses_no_answer(line, fake_line) -> None:
    resident, _ = line
    fake_line.plan(REPLY, *[Planned(500) for _ in range(4)])
    await resident.say(INQUIRY)
    await resident.client.app[LINE_CHANNEL].deliver_outbox()     # LINE is back: the sweeper runs
    assert len(deliveries(fake_line, resident.uid)) == 1


# --- Telegram -----------------------------------------------------------------------------------

@pytest.fixture
async def fake_tg():
    fake = await FakeTelegramApi(token=TG_TOKEN).start()
    yield fake
    await fake.close()
    assert fake.unexpected == []


@pytest.fixture
async def tg(aiohttp_client, db_url, fake_tg):
    settings = Settings(database_url=db_url, catalogue_path=ROOT / "knowledge/services.yaml",
                        public_base_url="https://bot.example.jp", telegram_bot_token=TG_TOKEN,
                        telegram_secret_token=TG_SECRET, telegram_api_base_url=fake_tg.url,
                        channel_api_timeout=0.5, channel_api_retries=4, encryption_key=Cipher.generate_key())
    client = await aiohttp_client(create_app(settings))
    waits = Waits()
    client.app[TELEGRAM_CHANNEL].sleep = waits
    return client, waits


async def tg_say(client, text: str, chat_id: int) -> int:
    resp = await client.post("/webhooks/telegram", data=up.body(up.text(text, chat_id=chat_id)),
                             headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    await client.app[TELEGRAM_CHANNEL].drain()
    return resp.status


async def test_telegram_500_and_429_are_retried_and_sent_once(tg, fake_tg) -> None:
    client, waits = tg
    fake_tg.plan("sendMessage", Planned(500), Planned(429, retry_after=3))
    assert await tg_say(client, INQUIRY, 4242) == 200
    assert len(fake_tg.texts_to(4242)) >= 1
    first = fake_tg.texts_to(4242)[0]
    assert fake_tg.texts_to(4242).count(first) == 1
    assert 3 in waits.asked and len(waits.asked) == 2


async def test_telegram_timeout_is_never_resent_blindly(tg, fake_tg) -> None:
    """Telegram has no retry key: after a timeout the message may be there, so it is not sent again."""
    client, _ = tg
    fake_tg.plan("sendMessage", Planned(200, delay=1.5, apply=True))
    assert await tg_say(client, INQUIRY, 4343) == 200
    texts = fake_tg.texts_to(4343)
    assert len(texts) == len(set(texts)) >= 1
