"""What the web shell shares between its routes: built once per app, closed on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.catalogue import Catalogue, load_catalogue
from bot.settings import Settings
from bot.store.db import create_all, make_engine, make_sessions

log = logging.getLogger("bot.web.deps")


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
    """Loads the catalogue, opens the store, builds the router, the cipher and the conversation.

    ``extras["router"]``, ``extras["cipher"]`` and ``extras["conversation"]`` are what the channels
    and the staff console use. A background task discards abandoned intakes every minute.
    """
    from bot.conversation import build_conversation, load_cipher
    from bot.routing.router import build_router

    catalogue = load_catalogue(settings.catalogue_path)
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    await create_all(engine)
    deps = Deps(settings=settings, catalogue=catalogue, engine=engine, sessions=make_sessions(engine))
    router = await asyncio.to_thread(build_router, catalogue)       # Sudachi loads once, off the loop
    cipher, primary_key = load_cipher(settings)
    conversation = build_conversation(engine, settings, catalogue, router, cipher, primary_key)
    deps.extras.update(router=router, cipher=cipher, conversation=conversation)

    def _swap(new_catalogue: Catalogue, new_router: Any) -> None:    # POST /ops/reload-catalogue
        conversation.catalogue = new_catalogue
        if new_router is not None:
            conversation.router = new_router

    deps.extras.setdefault("catalogue_listeners", []).append(_swap)
    purger = asyncio.get_running_loop().create_task(_purge_loop(conversation), name="intake-purge")

    async def _stop() -> None:
        purger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purger

    deps.closers.append(_stop)
    return deps


async def _purge_loop(conversation: Any, every: float = 60.0) -> None:
    """Discards abandoned intakes, with their text, once a minute."""
    while True:
        try:
            count = await conversation.purge()
            if count:
                log.info("discarded %d abandoned intakes", count)
        except Exception as exc:  # noqa: BLE001 - keep purging; the database may come back
            log.warning("intake purge failed: %s", type(exc).__name__)
        await asyncio.sleep(every)
