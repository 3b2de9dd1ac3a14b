"""Fixtures for the channel tests: fake platform servers, the app wired to them, a tiny conversation.

The app is the real one (``create_app``) on SQLite and PostgreSQL (``db_url``); only LINE and
Telegram are fake, as local HTTP servers driven by the real SDKs. Until the conversation core is
wired into ``build_deps``, ``EchoConversation`` stands in for it: it records what it was handed and
answers with text, choices and a card.
"""

from __future__ import annotations

import asyncio

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.core.messages import Card, CardField, Choice, Inbound, Reply
from bot.catalogue import load_catalogue
from bot.settings import Settings
from bot.store.db import create_all, make_engine, make_sessions
from bot.store.crypto import Cipher
from bot.web.app import create_app
from bot.web.deps import Deps, build_deps
from tests.fakes.line_api import FakeLineApi
from tests.fakes.telegram_api import FakeTelegramApi

LINE_SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
LINE_TOKEN = "test-access-token"
TG_TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuv"
TG_SECRET = "tg-secret_0123456789"
ROOT = Path(__file__).resolve().parents[2]


class EchoConversation:
    """A stand-in core: "card" → a contact card, "many" → 7 messages, "slow" → an answer after 0.3 s, anything else → text + 2 choices."""

    def __init__(self) -> None:
        self.seen: list[Inbound] = []

    async def handle(self, inbound: Inbound) -> list[Reply]:
        self.seen.append(inbound)
        if inbound.payload:
            return [Reply(f"えらびました: {inbound.payload}")]
        if inbound.text == "card":
            return [Reply("窓口はこちらです。", card=Card(
                "福祉総務課", "福祉の相談をうけます。",
                (CardField("電話", "0545-55-2757"), CardField("受付時間", "平日 8:30-17:15")),
                url="https://www.city.fuji.shizuoka.jp/"),
                choices=(Choice("担当者から連絡がほしい", "intake:start"), Choice("ほかの相談", "other")))]
        if inbound.text == "many":
            return [Reply(f"{i}") for i in range(7)]
        if inbound.text == "slow":
            await asyncio.sleep(0.3)
            return [Reply("おそくなりました。")]
        if inbound.text == "boom":
            raise RuntimeError("core failure")
        return [Reply("どんなことでこまっていますか。", choices=(Choice("はい", "yes"), Choice("いいえ", "no")))]


@pytest.fixture
async def fake_line() -> AsyncIterator[FakeLineApi]:
    fake = await FakeLineApi(token=LINE_TOKEN).start()
    yield fake
    await fake.close()
    assert fake.unexpected == [], f"unexpected LINE API calls: {fake.unexpected}"
    assert not [c for c in fake.calls if "/profile" in c.path], "the profile API must never be called"


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegramApi]:
    fake = await FakeTelegramApi(token=TG_TOKEN).start()
    yield fake
    await fake.close()
    assert fake.unexpected == [], f"unexpected Telegram API calls: {fake.unexpected}"


@pytest.fixture
def conversation() -> EchoConversation:
    return EchoConversation()


@pytest.fixture
def channel_settings(db_url: str, fake_line: FakeLineApi, fake_telegram: FakeTelegramApi) -> Settings:
    return Settings(database_url=db_url, catalogue_path=ROOT / "knowledge/services.yaml",
                    public_base_url="https://bot.example.jp",
                    line_channel_secret=LINE_SECRET, line_channel_access_token=LINE_TOKEN,
                    line_api_base_url=fake_line.url, line_api_data_base_url=fake_line.url,
                    telegram_bot_token=TG_TOKEN, telegram_secret_token=TG_SECRET,
                    telegram_api_base_url=fake_telegram.url,
                    channel_api_timeout=2.0, channel_api_retries=3,
                    outbox_interval_seconds=0)   # tests drive deliver_outbox() themselves: no racing sweep


DepsHook = Callable[[Deps], Any]


@pytest.fixture
def make_app(channel_settings: Settings, conversation: EchoConversation, cipher: Cipher
             ) -> Callable[..., web.Application]:
    """Builds the real app on the fakes; ``conversation=None`` keeps whatever build_deps wires."""

    def build(settings: Settings | None = None, *, use_echo: bool = True) -> web.Application:
        async def echo_deps(s: Settings) -> Deps:
            engine = make_engine(s.database_url)
            await create_all(engine)
            return Deps(settings=s, catalogue=load_catalogue(s.catalogue_path), engine=engine,
                        sessions=make_sessions(engine), extras={"cipher": cipher, "conversation": conversation})
        return create_app(settings or channel_settings, echo_deps if use_echo else build_deps)

    return build


class Sleeps:
    """Records the waits a channel asked for, without waiting (no timed tests)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
