"""Authenticated but odd payloads: every field of a real event removed or retyped gives 200 or 400, never 500.

Each mutation is signed (LINE) or carries the secret (Telegram), so it passes authentication and
reaches the parser, the dedupe and the background handler. After all of them the server still
answers a good event normally.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from bot.channels.line import LINE_CHANNEL
from bot.channels.telegram import TELEGRAM_CHANNEL
from tests.channels.conftest import LINE_SECRET, TG_SECRET
from tests.fakes import line_events as ev
from tests.fakes import telegram_updates as up

ODD_VALUES: tuple[Any, ...] = (None, 123, "", [], {"x": 1}, True)


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,)
            yield from paths(v, prefix + (k,))


def mutations(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path in paths(obj):
        for value in ("<delete>",) + ODD_VALUES:
            m = copy.deepcopy(obj)
            parent = m
            for k in path[:-1]:
                parent = parent[k]
            if value == "<delete>":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
            yield m


@pytest.fixture
async def client(aiohttp_client, make_app, sleeps):
    c = await aiohttp_client(make_app())
    c.app[LINE_CHANNEL].sleep = sleeps
    c.app[TELEGRAM_CHANNEL].sleep = sleeps
    return c


async def test_line_mutations_never_500(client, fake_line) -> None:
    uid = ev.user_id(5)
    statuses = set()
    base = ev.text("こんにちは", user=uid, reply_token=fake_line.new_reply_token(uid))
    for event in mutations(base):
        event["webhookEventId"] = ev.ulid() if isinstance(event.get("webhookEventId"), str) else event.get(
            "webhookEventId")
        body = ev.body(event)
        resp = await client.post("/webhooks/line", data=body, headers={"X-Line-Signature": ev.sign(body, LINE_SECRET)})
        statuses.add(resp.status)
    await client.app[LINE_CHANNEL].drain()
    assert statuses == {200, 400}
    tok = fake_line.new_reply_token(uid)
    body = ev.body(ev.text("こんにちは", user=uid, reply_token=tok))
    resp = await client.post("/webhooks/line", data=body, headers={"X-Line-Signature": ev.sign(body, LINE_SECRET)})
    await client.app[LINE_CHANNEL].drain()
    assert resp.status == 200
    assert any(d["kind"] == "reply" and d["to"] == uid for d in fake_line.delivered)


async def test_telegram_mutations_never_500(client, fake_telegram) -> None:
    chat = 99001
    statuses = set()
    for update in list(mutations(up.text("こんにちは", chat_id=chat))) + list(mutations(up.callback("yes", chat_id=chat))):
        if isinstance(update.get("update_id"), int):
            update["update_id"] = up.next_update_id()
        resp = await client.post("/webhooks/telegram", data=up.body(update),
                                 headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
        statuses.add(resp.status)
    await client.app[TELEGRAM_CHANNEL].drain()
    assert statuses == {200, 400}
    resp = await client.post("/webhooks/telegram", data=up.body(up.text("もう一度", chat_id=chat + 1)),
                             headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    await client.app[TELEGRAM_CHANNEL].drain()
    assert resp.status == 200
    assert fake_telegram.texts_to(chat + 1)
