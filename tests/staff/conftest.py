"""Fixtures for the staff console: an app on a fresh database (SQLite and PostgreSQL), a small
catalogue, staff of three desks, tickets, and logged-in clients."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.catalogue.model import Catalogue, Department, Meeting, Service
from bot.settings import Settings
from bot.staff import auth
from bot.store.crypto import Cipher
from bot.store.db import make_engine, make_sessions
from bot.store.models import ConsentReceipt, Ticket
from bot.web.app import create_app
from bot.web.deps import Deps

PASSWORD = "correct horse battery"
SUMMARY_KORE = "母の介護で眠れない 秘密A"
SUMMARY_SHO = "弟の障害のことで困っている 秘密B"


def small_catalogue() -> Catalogue:
    return Catalogue(
        services=(Service(id="houkatsu", name="地域包括支援センター", description="高齢の方の相談"),),
        departments=(Department(id="dept_fukushi_somu", name="福祉総務課"),
                     Department(id="dept_koreisha", name="高齢者支援課"),
                     Department(id="dept_shogai", name="障害福祉課")),
        meetings=(Meeting(id="shien_chosei_kaigi", name="支援調整会議", purpose="p", host="h", consent="c"),
                  Meeting(id="juso_shien_kaigi", name="重層的支援会議", purpose="p", host="h", consent="c")),
    )


@dataclass
class World:
    settings: Settings
    cipher: Cipher
    sessions: object
    users: dict[str, int]
    kore: int          # a dept_koreisha ticket (chat contact, meeting consent)
    sho: int           # a dept_shogai ticket


async def seed(db_url: str, cipher: Cipher) -> tuple[dict[str, int], int, int]:
    engine = make_engine(db_url)
    sessions = make_sessions(engine)
    users: dict[str, int] = {}
    async with sessions() as s, s.begin():
        for name, dept, role in (("kore", "dept_koreisha", "desk"), ("sho", "dept_shogai", "desk"),
                                 ("coord", "dept_fukushi_somu", "coordinator"), ("admin", "dept_fukushi_somu", "admin")):
            users[name] = (await auth.add_user(s, name, f"{name}さん", dept, role, PASSWORD)).id
        r = ConsentReceipt(user_key="line:Ukore", scope="meeting_share", text_version="m-1", text_sha256="0" * 64)
        s.add(r)
        await s.flush()
        kore = Ticket(user_key="line:Ukore", pseudonym="相談者K", channel="line", desk="dept_koreisha",
                      fields=["高齢"], summary_enc=cipher.encrypt(SUMMARY_KORE), phone_enc=cipher.encrypt("090-1111-2222"),
                      consent_meeting_id=r.id, routing={"outcome": "route", "matches": [{"id": "houkatsu", "score": 0.9}],
                                                        "explanation": {"keywords": ["介護"]}},
                      created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=100))
        sho = Ticket(user_key="line:Usho", pseudonym="相談者S", channel="line", desk="dept_shogai", fields=["障害"],
                     summary_enc=cipher.encrypt(SUMMARY_SHO),
                     routing={"outcome": "route", "matches": ["houkatsu"], "needed": ["houkatsu"]})
        s.add_all([kore, sho])
        await s.flush()
        kore.ref, sho.ref = f"FJ-2026-{kore.id:06d}", f"FJ-2026-{sho.id:06d}"
        kore_id, sho_id = kore.id, sho.id
    await engine.dispose()
    return users, kore_id, sho_id


def make_deps_factory(cipher: Cipher):
    async def factory(settings: Settings) -> Deps:
        engine = make_engine(settings.database_url)
        deps = Deps(settings=settings, catalogue=small_catalogue(), engine=engine, sessions=make_sessions(engine))
        deps.extras["cipher"] = cipher
        return deps
    return factory


@pytest.fixture
async def world(db_url: str, cipher: Cipher, tmp_path: Path) -> World:
    users, kore, sho = await seed(db_url, cipher)
    settings = Settings(database_url=db_url, staff_lockout_failures=3, staff_overdue_hours=72)
    return World(settings, cipher, None, users, kore, sho)


@pytest.fixture
async def app_client(aiohttp_client, world: World):
    async def make(**overrides) -> TestClient:
        settings = world.settings.replace(**overrides) if overrides else world.settings
        return await aiohttp_client(create_app(settings, make_deps_factory(world.cipher)))
    return make


CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


async def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Logs in through the form; returns the session's CSRF token."""
    page = await client.get("/staff/login")
    token = CSRF_RE.search(await page.text()).group(1)
    resp = await client.post("/staff/login", data={"csrf": token, "username": username, "password": password,
                                                   "next": "/staff/tickets"}, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    queue = await client.get("/staff/tickets")
    return CSRF_RE.search(await queue.text()).group(1)
