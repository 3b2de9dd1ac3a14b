"""The server answers health and readiness checks."""

from pathlib import Path

from bot.settings import Settings
from bot.web.app import create_app


async def test_healthz_and_readyz(aiohttp_client, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    client = await aiohttp_client(create_app(settings))
    assert (await client.get("/healthz")).status == 200
    resp = await client.get("/readyz")
    assert resp.status == 200
    assert (await resp.json())["database"] == "up"


async def test_readyz_reports_a_dead_database(aiohttp_client, tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")

    async def deps_without_create(s: Settings):
        from bot.catalogue import load_catalogue
        from bot.store.db import make_engine, make_sessions
        from bot.web.deps import Deps
        engine = make_engine(s.database_url)
        return Deps(settings=s, catalogue=load_catalogue(s.catalogue_path), engine=engine,
                    sessions=make_sessions(engine))

    client = await aiohttp_client(create_app(settings, deps_without_create))
    resp = await client.get("/readyz")
    assert resp.status == 503
