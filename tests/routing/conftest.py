"""Routing fixtures: a fake tokeniser for pure stage tests, and real-Sudachi routers (built once)."""

from __future__ import annotations

import pytest
from routing_fakes import FUJI, OTHER_CITY, FakeTokeniser

from bot.catalogue import load_catalogue


@pytest.fixture
def fake_tokeniser() -> FakeTokeniser:
    return FakeTokeniser()


@pytest.fixture(scope="session")
def fuji_router():
    from bot.routing.router import build_router
    return build_router(load_catalogue(FUJI))


@pytest.fixture(scope="session")
def other_router():
    from bot.routing.router import build_router
    return build_router(load_catalogue(OTHER_CITY))
