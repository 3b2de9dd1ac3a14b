"""Fixtures for transcript tests (helpers in conv_kit.py): run on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from conv_kit import Clock, ChatBot, make_conversation

from bot.store.crypto import Cipher


@pytest.fixture
def key() -> str:
    return Cipher.generate_key()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def conversation(engine, key, clock):  # type: ignore[no-untyped-def]
    return make_conversation(engine, key, clock)


@pytest.fixture
def testbot(conversation) -> ChatBot:  # type: ignore[no-untyped-def]
    return ChatBot(conversation)
