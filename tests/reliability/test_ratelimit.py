"""The per-user rate limit: counts in the shared database, so two replicas count together."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.ratelimit import RATE_LIMITED, RateLimiter, bucket_of, build_rate_limiter
from bot.settings import Settings
from bot.store.db import make_engine, make_sessions
from bot.store.models import RateLimitWindow


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_allows_up_to_the_limit_then_refuses_politely(engine) -> None:
    clock = Clock()
    limiter = RateLimiter(make_sessions(engine), limit=3, window=60, clock=clock)
    decisions = [await limiter.check("line:Ualice") for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.first_refusal for d in decisions] == [False, False, False, True, False]
    assert decisions[3].count == 4
    assert 0 < decisions[3].retry_after <= 60
    assert RATE_LIMITED.endswith("。") and len(RATE_LIMITED) < 60


async def test_users_are_counted_apart(engine) -> None:
    limiter = RateLimiter(make_sessions(engine), limit=1, window=60, clock=Clock())
    assert (await limiter.check("line:Ua")).allowed
    assert (await limiter.check("telegram:1")).allowed
    assert not (await limiter.check("line:Ua")).allowed


async def test_a_new_window_allows_again_and_old_windows_are_dropped(engine) -> None:
    clock = Clock()
    sessions = make_sessions(engine)
    limiter = RateLimiter(sessions, limit=1, window=10, clock=clock)
    assert (await limiter.check("u")).allowed
    assert not (await limiter.check("u")).allowed
    clock.now += 10
    assert (await limiter.check("u")).allowed
    clock.now += 10
    assert (await limiter.check("u")).allowed
    async with sessions() as s:
        windows = (await s.execute(select(RateLimitWindow.window))).scalars().all()
    assert len(windows) == 2          # current and previous only


async def test_stores_a_hash_never_the_user_id(engine) -> None:
    sessions = make_sessions(engine)
    await RateLimiter(sessions, limit=5, window=60, clock=Clock()).check("line:U4af4980629")
    async with sessions() as s:
        buckets = (await s.execute(select(RateLimitWindow.bucket))).scalars().all()
    assert buckets == [bucket_of("line:U4af4980629")]
    assert "U4af4980629" not in buckets[0]


async def test_limit_zero_turns_it_off(engine) -> None:
    sessions = make_sessions(engine)
    limiter = RateLimiter(sessions, limit=0, window=60, clock=Clock())
    assert all([(await limiter.check("u")).allowed for _ in range(50)])
    async with sessions() as s:
        assert (await s.execute(select(func.count()).select_from(RateLimitWindow))).scalar_one() == 0


async def test_two_replicas_share_one_count(db_url: str) -> None:
    """Two engines (two processes' pools) hammer one user at once: exactly ``limit`` get through."""
    clock = Clock()
    a, b = make_engine(db_url), make_engine(db_url)
    try:
        la = RateLimiter(make_sessions(a), limit=10, window=60, clock=clock)
        lb = RateLimiter(make_sessions(b), limit=10, window=60, clock=clock)
        decisions = await asyncio.gather(*[(la if i % 2 else lb).check("line:Ushared") for i in range(30)])
    finally:
        await a.dispose()
        await b.dispose()
    assert sum(d.allowed for d in decisions) == 10
    assert sorted(d.count for d in decisions) == list(range(1, 31))   # no lost increment
    assert sum(d.first_refusal for d in decisions) == 1


async def test_purge_keeps_only_recent_windows(engine) -> None:
    clock = Clock()
    limiter = RateLimiter(make_sessions(engine), limit=5, window=10, clock=clock)
    for user in ("a", "b", "c"):
        await limiter.check(user)
    clock.now += 100
    await limiter.check("d")
    assert await limiter.purge() == 3


def test_built_from_settings() -> None:
    settings = Settings.from_env({"SCRUM_RATE_LIMIT_MESSAGES": "7", "SCRUM_RATE_LIMIT_WINDOW": "30"})
    limiter = build_rate_limiter(settings, sessions=None)  # type: ignore[arg-type]
    assert (limiter.limit, limiter.window) == (7, 30.0)
    with pytest.raises(ValueError):
        RateLimiter(None, limit=-1, window=60)  # type: ignore[arg-type]


async def test_fails_open_when_the_database_is_unreachable(tmp_path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'no-tables.db'}")   # no tables created
    try:
        decision = await RateLimiter(make_sessions(engine), limit=1, window=60, clock=Clock()).check("u")
    finally:
        await engine.dispose()
    assert decision.allowed


async def test_the_conversation_answers_politely_over_the_limit_but_never_hides_a_crisis(aiohttp_client, db_url) -> None:
    """Wired end to end: LINE webhook → conversation → limiter in the DB."""
    from bot.store.crypto import Cipher
    from bot.web.app import create_app
    from tests.fakes.line_api import FakeLineApi
    from tests.reliability.line_kit import Resident, line_settings, texts_of

    fake = await FakeLineApi(token="test-access-token").start()
    try:
        settings = line_settings(db_url, fake, encryption_key=Cipher.generate_key(), rate_limit_messages=3,
                                 rate_limit_window=3600)
        resident = Resident(await aiohttp_client(create_app(settings)), fake, n=4040)
        answers = [texts_of(await resident.say("こんにちは")) for _ in range(3)]
        assert all(a and RATE_LIMITED not in a for a in answers)
        assert texts_of(await resident.say("母の介護のことで相談したい")) == [RATE_LIMITED]
        crisis = texts_of(await resident.say("もう死にたい"))
        assert crisis and RATE_LIMITED not in crisis
        other = Resident(resident.client, fake, n=4041)
        assert RATE_LIMITED not in texts_of(await other.say("こんにちは"))
    finally:
        await fake.close()
