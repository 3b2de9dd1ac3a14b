"""The whole app as it is served (every SETUP_MODULES entry, channels on, real deps), with staff of two
desks and one ticket each, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import Settings
from bot.staff import auth
from bot.store.crypto import Cipher
from bot.store.models import ConsentReceipt, Ticket
from bot.web.app import DEPS, create_app

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Kamome-Fuji-2026!"
ADMIN_TOKEN = "ops-token-0123456789abcdefghijklmnop"
SECRET_A = "高齢の母の物忘れ 機密ＡＡ"
SECRET_B = "弟の障害年金のこと 機密ＢＢ"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class World:
    client: TestClient
    users: dict[str, int]
    ticket_a: int        # dept_koreisha
    ticket_b: int        # dept_shogai


def full_settings(db_url: str, **changes) -> Settings:  # type: ignore[no-untyped-def]
    base = dict(database_url=db_url, catalogue_path=ROOT / "knowledge/services.yaml",
                public_base_url="https://bot.example.jp", encryption_key=Cipher.generate_key(),
                line_channel_secret="0" * 32, line_channel_access_token="line-token",
                line_api_base_url="http://127.0.0.1:9", line_api_data_base_url="http://127.0.0.1:9",
                telegram_bot_token="123:abc", telegram_secret_token="tg-secret", telegram_api_base_url="http://127.0.0.1:9",
                admin_token=ADMIN_TOKEN, staff_lockout_failures=3)
    return Settings(**{**base, **changes})


async def seed(client: TestClient) -> World:
    deps = client.app[DEPS]
    cipher = deps.extras["cipher"]
    users: dict[str, int] = {}
    async with deps.sessions() as s, s.begin():
        for name, dept, role in (("kore", "dept_koreisha", "desk"), ("sho", "dept_shogai", "desk"),
                                 ("coord", "dept_fukushi_somu", "coordinator"), ("admin", "dept_fukushi_somu", "admin")):
            users[name] = (await auth.add_user(s, name, f"{name}さん", dept, role, PASSWORD)).id
        consent = ConsentReceipt(user_key="line:Ua", scope="meeting_share", text_version="m", text_sha256="0" * 64)
        s.add(consent)
        await s.flush()
        a = Ticket(user_key="line:Ua", pseudonym="相談者A", channel="line", desk="dept_koreisha", fields=["高齢"],
                   summary_enc=cipher.encrypt(SECRET_A), consent_meeting_id=consent.id, meeting="shien_chosei_kaigi")
        b = Ticket(user_key="line:Ub", pseudonym="相談者B", channel="line", desk="dept_shogai", fields=["障害"],
                   summary_enc=cipher.encrypt(SECRET_B))
        s.add_all([a, b])
        await s.flush()
        a.ref, b.ref = f"FJ-2026-{a.id:06d}", f"FJ-2026-{b.id:06d}"
        ids = a.id, b.id
    return World(client, users, *ids)


@pytest.fixture
async def make_world(aiohttp_client, db_url):  # type: ignore[no-untyped-def]
    async def make(**changes) -> World:  # type: ignore[no-untyped-def]
        client = await aiohttp_client(create_app(full_settings(db_url, **changes)))
        return await seed(client)
    return make


@pytest.fixture
async def world(make_world) -> World:  # type: ignore[no-untyped-def]
    return await make_world()


async def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Logs in through the form; returns the session's CSRF token."""
    page = await client.get("/staff/login")
    token = CSRF_RE.search(await page.text()).group(1)
    resp = await client.post("/staff/login", data={"csrf": token, "username": username, "password": password},
                             allow_redirects=False)
    assert resp.status == 303, (resp.status, (await resp.text())[:300])
    queue = await client.get("/staff/tickets")
    return CSRF_RE.search(await queue.text()).group(1)
