"""Catalogue reload without a restart: on SIGHUP and through the admin endpoint; bad files refused."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path

import pytest

from bot.catalogue import load_catalogue
from bot.routing.router import build_router
from bot.settings import Settings
from bot.store.db import make_engine, make_sessions
from bot.web import metrics
from bot.web.app import DEPS, create_app
from bot.web.deps import Deps
from bot.web.reload import CATALOGUE_LISTENERS, reload_catalogue

MINI = Path(__file__).with_name("data") / "mini.yaml"
TOKEN = "t0ken-for-tests-0123456789abcdef"
NEW_SERVICE = """  - id: shigoto
    name: 仕事の相談
    description: 仕事を さがす 相談です。
    keywords: [仕事, 就職]
"""


@pytest.fixture
def catalogue_file(tmp_path: Path) -> Path:
    path = tmp_path / "services.yaml"
    shutil.copy(MINI, path)
    return path


async def _deps(settings: Settings) -> Deps:
    """The real catalogue loader and router; no conversation (not needed to test the swap)."""
    catalogue = load_catalogue(settings.catalogue_path)
    engine = make_engine(settings.database_url)
    deps = Deps(settings=settings, catalogue=catalogue, engine=engine, sessions=make_sessions(engine))
    deps.extras["router"] = await asyncio.to_thread(build_router, catalogue)
    return deps


@pytest.fixture
async def client(aiohttp_client, tmp_path: Path, catalogue_file: Path):
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", catalogue_path=catalogue_file,
                        admin_token=TOKEN)
    return await aiohttp_client(create_app(settings, _deps))


def reloads(result: str) -> float:
    return metrics.get_metrics().registry.get_sample_value("scrum_catalogue_reloads_total", {"result": result}) or 0.0


def top(deps: Deps, text: str) -> str | None:
    result = deps.extras["router"].route(text)
    return result.matches[0].id if result.matches else None


async def test_a_valid_file_is_swapped_in_with_a_new_router(client, catalogue_file: Path) -> None:
    deps = client.server.app[DEPS]
    old_router = deps.extras["router"]
    seen = []
    deps.extras.setdefault(CATALOGUE_LISTENERS, []).append(lambda cat, router: seen.append((cat, router)))
    assert top(deps, "仕事が見つからなくて困っています") != "shigoto"
    before = reloads("ok")
    catalogue_file.write_text(catalogue_file.read_text(encoding="utf-8") + NEW_SERVICE, encoding="utf-8")

    result = await reload_catalogue(client.server.app)

    assert result.ok and result.services == 3 and result.router_rebuilt
    assert [s.id for s in deps.catalogue.services] == ["kaigo", "kosodate", "shigoto"]
    assert deps.extras["router"] is not old_router
    assert deps.extras["router"].tokeniser is old_router.tokeniser, "Sudachi is not loaded twice"
    assert top(deps, "仕事が見つからなくて困っています") == "shigoto"
    assert seen == [(deps.catalogue, deps.extras["router"])]
    assert reloads("ok") == before + 1


@pytest.mark.parametrize("broken", [
    "services: [\n  - id: kaigo\n",                                  # not YAML
    "services:\n  - id: kaigo\n    name: 介護\n",                      # no description
    "services:\n  - {id: a, name: A, description: x}\n  - {id: a, name: B, description: y}\n",  # duplicate id
])
async def test_an_invalid_file_is_refused_and_the_old_one_kept(client, catalogue_file: Path, broken: str) -> None:
    deps = client.server.app[DEPS]
    old_catalogue, old_router = deps.catalogue, deps.extras["router"]
    before = reloads("refused")
    catalogue_file.write_text(broken, encoding="utf-8")

    result = await reload_catalogue(client.server.app)

    assert not result.ok and result.services == 2
    assert str(catalogue_file) in result.error or "duplicate id" in result.error
    assert deps.catalogue is old_catalogue and deps.extras["router"] is old_router
    assert top(deps, "母の介護がたいへん") == "kaigo", "the old router still answers"
    assert reloads("refused") == before + 1


async def test_a_missing_file_is_refused(client, catalogue_file: Path) -> None:
    deps = client.server.app[DEPS]
    old = deps.catalogue
    catalogue_file.unlink()
    result = await reload_catalogue(client.server.app)
    assert not result.ok and "file not found" in result.error
    assert deps.catalogue is old


async def test_a_failing_listener_undoes_the_swap(client, catalogue_file: Path) -> None:
    deps = client.server.app[DEPS]
    old_catalogue, old_router = deps.catalogue, deps.extras["router"]
    calls = []

    def picky(cat, router) -> None:
        calls.append(len(cat.services))
        if len(cat.services) == 3:
            raise RuntimeError("cannot take this one")

    deps.extras.setdefault(CATALOGUE_LISTENERS, []).append(picky)
    catalogue_file.write_text(catalogue_file.read_text(encoding="utf-8") + NEW_SERVICE, encoding="utf-8")
    result = await reload_catalogue(client.server.app)
    assert not result.ok and "cannot take this one" in result.error
    assert deps.catalogue is old_catalogue and deps.extras["router"] is old_router
    assert calls == [3, 2], "listeners are told of the rollback"


async def test_admin_endpoint_needs_the_token(client, catalogue_file: Path) -> None:
    url = "/ops/reload-catalogue"
    assert (await client.post(url)).status == 401
    assert (await client.post(url, headers={"Authorization": "Bearer wrong"})).status == 401
    catalogue_file.write_text(catalogue_file.read_text(encoding="utf-8") + NEW_SERVICE, encoding="utf-8")
    resp = await client.post(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200
    body = await resp.json()
    assert body["ok"] is True and body["services"] == 3
    catalogue_file.write_text("services: []\n", encoding="utf-8")
    resp = await client.post(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 422
    body = await resp.json()
    assert body["ok"] is False and body["services"] == 3 and "services" in body["error"]
    assert (await client.get(url)).status == 405


async def test_admin_endpoint_is_off_without_a_token(aiohttp_client, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'o.db'}", catalogue_path=MINI)
    client = await aiohttp_client(create_app(settings, _deps))
    assert (await client.post("/ops/reload-catalogue", headers={"Authorization": "Bearer "})).status == 404


async def test_sighup_reloads(client, catalogue_file: Path) -> None:
    deps = client.server.app[DEPS]
    # Our handler is installed by the app's start-up; never send SIGHUP to a process without one.
    assert signal.getsignal(signal.SIGHUP) not in (signal.SIG_DFL, signal.SIG_IGN, None)
    catalogue_file.write_text(catalogue_file.read_text(encoding="utf-8") + NEW_SERVICE, encoding="utf-8")
    os.kill(os.getpid(), signal.SIGHUP)
    for _ in range(500):
        if len(deps.catalogue.services) == 3:
            break
        await asyncio.sleep(0.01)
    assert [s.id for s in deps.catalogue.services][-1] == "shigoto"
    assert top(deps, "就職したい") == "shigoto"
