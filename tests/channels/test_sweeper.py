"""The background sweep pushes outbox rows on its own, and SCRUM_OUTBOX_INTERVAL_SECONDS=0 turns it off."""

from __future__ import annotations

import asyncio

from bot.core.messages import Reply
from bot.store import events as store
from bot.store.db import make_engine, make_sessions
from tests.fakes import line_events as ev

U1 = ev.user_id(1)


async def _enqueue(url: str) -> str:
    engine = make_engine(url)
    try:
        item = await store.enqueue(make_sessions(engine), f"line:{U1}", [Reply("担当者からお知らせがあります")])
    finally:
        await engine.dispose()
    return item.retry_key


async def test_sweeper_pushes_a_queued_row_once_without_being_asked(aiohttp_client, make_app, channel_settings,
                                                                   fake_line):
    await aiohttp_client(make_app(channel_settings.replace(outbox_interval_seconds=0.05)))
    retry_key = await _enqueue(channel_settings.database_url)
    for _ in range(200):                      # bounded wait for the sweep (10 s at most), not a timing assertion
        if fake_line.delivered:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)                  # a few more sweeps: the row must not go out again
    assert [d["retry_key"] for d in fake_line.delivered] == [retry_key]


async def test_interval_zero_leaves_the_outbox_to_someone_else(aiohttp_client, make_app, channel_settings,
                                                               fake_line):
    await _enqueue(channel_settings.database_url)    # queued before start: a running sweep takes it at once
    await aiohttp_client(make_app(channel_settings.replace(outbox_interval_seconds=0)))
    await asyncio.sleep(0.5)
    assert fake_line.delivered == []
