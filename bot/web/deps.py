"""What the web shell shares between its routes: built once per app, closed on shutdown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.catalogue import Catalogue, load_catalogue
from bot.settings import Settings
from bot.store.db import create_all, make_engine, make_sessions


@dataclass
class Deps:
    settings: Settings
    catalogue: Catalogue
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # Filled in by the areas that own them (router, conversation, channels …), keyed by name.
    extras: dict[str, Any] = field(default_factory=dict)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        for close in reversed(self.closers):
            await close()
        await self.engine.dispose()


async def build_deps(settings: Settings) -> Deps:
    """Loads the catalogue and opens the store; areas extend this as they land."""
    catalogue = load_catalogue(settings.catalogue_path)
    engine = make_engine(settings.database_url)
    await create_all(engine)
    return Deps(settings=settings, catalogue=catalogue, engine=engine, sessions=make_sessions(engine))
