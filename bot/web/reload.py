"""Reloads the catalogue without a restart: on SIGHUP, or through ``POST /ops/reload-catalogue``.

``reload_catalogue(app)`` reads and validates the file named by ``SCRUM_CATALOGUE_PATH``, builds a
new router from it (``bot.routing.router.build_router``, reusing the running router's tokeniser so
the Sudachi dictionary is not loaded twice), and only then swaps both into ``deps`` in one step,
with no ``await`` in between. An invalid file is refused: the running catalogue and router stay.

An area that keeps its own reference to the catalogue or router registers a listener::

    deps.extras.setdefault(CATALOGUE_LISTENERS, []).append(lambda catalogue, router: ...)

It is called right after the swap; if one raises, the swap is undone and the reload refused.
The staff console's admin action calls ``reload_catalogue(request.app)`` too.
"""

from __future__ import annotations

import asyncio
import hmac
import importlib
import logging
import signal
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.catalogue import Catalogue, load_catalogue
from bot.errors import CatalogueError
from bot.web import metrics

log = logging.getLogger(__name__)

ROUTER = "router"
CATALOGUE_LISTENERS = "catalogue_listeners"
Listener = Callable[[Catalogue, Any], None]

RELOAD_LOCK = web.AppKey("catalogue_reload_lock", asyncio.Lock)
_SIGNAL_TASKS = web.AppKey("catalogue_reload_tasks", set)
_fallback_locks: dict[int, asyncio.Lock] = {}


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    path: str
    services: int            # services now in use (the old count when refused)
    router_rebuilt: bool
    error: str | None = None


def _build_router(catalogue: Catalogue, old_router: Any) -> Any:
    """Builds a new router when one is running (None otherwise, e.g. in a bare test app)."""
    if old_router is None:
        return None
    try:
        module = importlib.import_module("bot.routing.router")
    except ModuleNotFoundError as exc:
        if exc.name not in {"bot.routing.router", "bot.routing"}:
            raise
        return None
    build_router = getattr(module, "build_router", None)
    if build_router is None:
        return None
    tokeniser = getattr(old_router, "tokeniser", None)
    return build_router(catalogue, tokeniser=tokeniser) if tokeniser is not None else build_router(catalogue)


def _lock_for(app: web.Application) -> asyncio.Lock:
    lock = app.get(RELOAD_LOCK)
    if lock is None:  # an app built without this module's setup()
        lock = _fallback_locks.setdefault(id(app), asyncio.Lock())
    return lock


async def reload_catalogue(app: web.Application, path: Path | None = None) -> ReloadResult:
    """Loads, validates and swaps in the catalogue (and router); refuses an invalid file."""
    from bot.web.app import DEPS

    deps = app[DEPS]
    path = Path(path or deps.settings.catalogue_path)
    async with _lock_for(app):
        old_catalogue, old_router = deps.catalogue, deps.extras.get(ROUTER)
        try:
            # Reading and validating is pure: a worker thread keeps the server answering.
            catalogue = await asyncio.to_thread(load_catalogue, path)
            # The router shares the running tokeniser, which is not thread-safe: build it here.
            router = _build_router(catalogue, old_router)
        except (CatalogueError, ValueError, TypeError, KeyError) as exc:
            return _refused(path, old_catalogue, exc)
        # The swap: no await between these lines, so no request sees half of it.
        deps.catalogue = catalogue
        if router is not None:
            deps.extras[ROUTER] = router
        try:
            for listener in deps.extras.get(CATALOGUE_LISTENERS, ()):
                listener(catalogue, router if router is not None else old_router)
        except Exception as exc:  # noqa: BLE001 - undo, keep serving the old catalogue
            deps.catalogue = old_catalogue
            if router is not None:
                deps.extras[ROUTER] = old_router
            for listener in deps.extras.get(CATALOGUE_LISTENERS, ()):
                listener(old_catalogue, old_router)
            return _refused(path, old_catalogue, exc)
    metrics.record_catalogue_reload(True)
    log.info("catalogue reloaded from %s: %d services, router %s", path, len(catalogue.services),
             "rebuilt" if router is not None else "not running")
    return ReloadResult(True, str(path), len(catalogue.services), router is not None)


def _refused(path: Path, old: Catalogue, exc: BaseException) -> ReloadResult:
    metrics.record_catalogue_reload(False)
    error = str(exc) if isinstance(exc, CatalogueError) else f"{type(exc).__name__}: {exc}"
    log.warning("catalogue reload refused, still using the previous one (%d services): %s",
                len(old.services), error)
    return ReloadResult(False, str(path), len(old.services), False, error)


# --- the admin action: POST /ops/reload-catalogue with the bearer token -----------------------

async def reload_view(request: web.Request) -> web.Response:
    from bot.web.app import SETTINGS

    token = request.app[SETTINGS].admin_token
    if not token:
        raise web.HTTPNotFound()
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token.strip()}".encode()):
        return web.json_response({"error": "unauthorized"}, status=401,
                                 headers={"WWW-Authenticate": 'Bearer realm="ops"'})
    result = await reload_catalogue(request.app)
    return web.json_response(asdict(result), status=200 if result.ok else 422)


# --- SIGHUP ------------------------------------------------------------------------------------

def _on_sighup(app: web.Application) -> None:
    task = asyncio.get_running_loop().create_task(reload_catalogue(app))
    tasks = app[_SIGNAL_TASKS]
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def _install_sighup(app: web.Application) -> None:
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, _on_sighup, app)
    except (NotImplementedError, RuntimeError, ValueError, AttributeError):
        log.info("SIGHUP reload unavailable here; use POST /ops/reload-catalogue")


async def _remove_sighup(app: web.Application) -> None:
    try:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
    except (NotImplementedError, RuntimeError, ValueError, AttributeError):
        pass
    for task in list(app[_SIGNAL_TASKS]):
        await task


def setup(app: web.Application) -> None:
    app[RELOAD_LOCK] = asyncio.Lock()
    app[_SIGNAL_TASKS] = set()
    app.router.add_post("/ops/reload-catalogue", reload_view)
    app.on_startup.append(_install_sighup)
    app.on_shutdown.append(_remove_sighup)  # before cleanup_ctx closes the deps
