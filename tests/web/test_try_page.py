"""/try and its JSON API, in process (aiohttp test client): the same conversation core as LINE."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from bot.store.crypto import Cipher
from bot.web.app import create_app

HEADERS = {"X-Scrum-Try": "1"}


@pytest.fixture
async def client(aiohttp_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'try.db'}", encryption_key=Cipher.generate_key())
    return await aiohttp_client(create_app(settings))


async def test_page_sets_a_random_pseudonymous_key(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/try")
    assert resp.status == 200 and "相談案内ボット" in await resp.text()
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    cookie = resp.cookies["scrum_try"]
    assert cookie.value.startswith("web:") and len(cookie.value) > 20 and cookie["httponly"]
    assert (await client.get("/try/static/try.js")).status == 200
    assert (await client.get("/try/static/../deps.py")).status == 404


async def test_message_api_answers_with_a_card_and_choices(client) -> None:  # type: ignore[no-untyped-def]
    await client.get("/try")
    resp = await client.post("/try/api/message", json={"text": "母の介護のことで相談したい"}, headers=HEADERS)
    assert resp.status == 200
    replies = (await resp.json())["replies"]
    card = replies[0]["card"]
    assert card["title"] and card["fields"]
    assert [c["label"] for c in replies[0]["choices"]][-1] == "担当者から連絡がほしい"
    tapped = await client.post("/try/api/message", json={"payload": replies[0]["choices"][-1]["payload"]}, headers=HEADERS)
    assert "送ってもよいですか" in (await tapped.json())["replies"][0]["text"]


async def test_message_api_refuses_what_it_should(client) -> None:  # type: ignore[no-untyped-def]
    url = "/try/api/message"
    assert (await client.post(url, json={"text": "こんにちは"})).status == 403                       # no header: CSRF
    assert (await client.post(url, json={"text": "こんにちは"},
                              headers={**HEADERS, "Origin": "https://evil.example"})).status == 403
    assert (await client.post(url, data="not json", headers=HEADERS)).status == 400
    assert (await client.post(url, json=["x"], headers=HEADERS)).status == 400
    assert (await client.post(url, json={"payload": "x" * 65}, headers=HEADERS)).status == 400
    assert (await client.post(url, json={"text": "あ" * 2001}, headers=HEADERS)).status == 400
    assert (await client.post(url, json={"text": "  "}, headers=HEADERS)).status == 400


async def test_each_browser_has_its_own_conversation(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'try.db'}", encryption_key=Cipher.generate_key())
    app = create_app(settings)
    one = await aiohttp_client(app)
    await one.post("/try/api/message", json={"payload": "intake:start:houkatsu"}, headers=HEADERS)
    first = await one.post("/try/api/message", json={"payload": "consent:yes"}, headers=HEADERS)
    assert (await first.json())["replies"][0]["text"] == "どなたのことですか。"
    one.session.cookie_jar.clear()                              # another browser: a new random key
    other = await one.post("/try/api/message", json={"payload": "consent:yes"}, headers=HEADERS)
    assert (await other.json())["replies"][0]["text"] != "どなたのことですか。"


async def test_inbox_delivers_pushes_for_this_browser_once(client) -> None:  # type: ignore[no-untyped-def]
    from bot.core.messages import Choice, Reply
    from bot.store.events import enqueue
    from bot.web.app import DEPS

    await client.get("/try")
    key = client.session.cookie_jar.filter_cookies(client.make_url("/try"))["scrum_try"].value
    sessions = client.server.app[DEPS].sessions
    await enqueue(sessions, key, [Reply("担当者からお知らせがあります。", (Choice("読む", "staff:read"),))])
    await enqueue(sessions, "web:someone-else-entirely", [Reply("ほかの人あて")])
    assert (await client.get("/try/api/inbox")).status == 403
    first = (await (await client.get("/try/api/inbox", headers=HEADERS)).json())["replies"]
    assert [r["text"] for r in first] == ["担当者からお知らせがあります。"] and first[0]["choices"][0]["payload"] == "staff:read"
    assert (await (await client.get("/try/api/inbox", headers=HEADERS)).json())["replies"] == []
