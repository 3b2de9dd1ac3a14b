"""Fixtures shared by the reliability tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.line_api import FakeLineApi
from tests.reliability.line_kit import TOKEN


@pytest.fixture
async def fake_line() -> AsyncIterator[FakeLineApi]:
    """The fake LINE API on 127.0.0.1 (a test module may define its own, stricter one)."""
    fake = await FakeLineApi(token=TOKEN).start()
    yield fake
    await fake.close()
