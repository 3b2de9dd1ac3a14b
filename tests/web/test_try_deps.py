"""build_deps wires the router, the cipher and the conversation; a catalogue reload reaches the conversation."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.settings import Settings
from bot.store.crypto import Cipher
from bot.web.deps import build_deps


async def test_build_deps_wires_the_conversation(tmp_path: Path) -> None:
    key = Cipher.generate_key()
    deps = await build_deps(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}", encryption_key=key))
    try:
        conversation = deps.extras["conversation"]
        assert conversation.router is deps.extras["router"] and conversation.catalogue is deps.catalogue
        assert deps.extras["cipher"].decrypt(Cipher(key).encrypt("x")) == "x"
        purger = [t for t in asyncio.all_tasks() if t.get_name() == "intake-purge"]
        assert len(purger) == 1 and not purger[0].done()
        sentinel_router = object()
        for listener in deps.extras["catalogue_listeners"]:          # what POST /ops/reload-catalogue calls
            listener(deps.catalogue, sentinel_router)
        assert conversation.router is sentinel_router
    finally:
        await deps.close()
    assert purger[0].cancelled()
    assert not (tmp_path / "dev-encryption.key").exists()            # a key was set: no dev key file
