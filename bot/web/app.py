"""The aiohttp app factory: wiring only. Each area adds its routes through ``setup(app)``.

Resources (engine, catalogue, router, conversation) are built in ``cleanup_ctx`` and torn down
there; nothing runs at import time. Handlers reach them through ``request.app[DEPS]``.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from bot.settings import Settings
from bot.web.deps import Deps, build_deps

DEPS = web.AppKey("deps", Deps)
SETTINGS = web.AppKey("settings", Settings)

# Modules that define ``setup(app: web.Application) -> None``: each adds its own routes.
# A channel's module adds its webhook only when its credentials are set (read app[SETTINGS]).
SETUP_MODULES: tuple[str, ...] = (
    "bot.web.health",
    "bot.web.try_page",  # GET /try: the browser try-out page and its JSON API
    "bot.web.metrics",   # /metrics and the request-timing middleware (outermost: keep it early)
    "bot.web.reload",    # POST /ops/reload-catalogue and the SIGHUP handler
    "bot.channels.line",      # POST /webhooks/line (only when the LINE credentials are set)
    "bot.channels.telegram",  # POST /webhooks/telegram (only when the Telegram token and secret are set)
    "bot.staff.views",   # the staff console at /staff (sub-app with its own middleware)
)

DepsFactory = Callable[[Settings], Awaitable[Deps]]


def create_app(settings: Settings, deps_factory: DepsFactory | None = None) -> web.Application:
    """Builds the app; ``deps_factory`` lets tests inject fakes at the network edge."""
    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS] = settings
    factory = deps_factory or build_deps

    async def resources(app: web.Application) -> AsyncIterator[None]:
        deps = await factory(settings)
        app[DEPS] = deps
        try:
            yield
        finally:
            await deps.close()

    app.cleanup_ctx.append(resources)
    for name in SETUP_MODULES:
        importlib.import_module(name).setup(app)
    return app
