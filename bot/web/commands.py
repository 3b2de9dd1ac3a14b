"""``scrum-bot serve`` (the aiohttp server, /try included) and ``scrum-bot chat`` (the console)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = sub.add_parser("serve", help="run the web server (webhooks, staff console, /try)")
    serve.add_argument("--host", help="address to listen on (default: SCRUM_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default: SCRUM_PORT)")
    serve.add_argument("--reuse-port", action="store_true",
                       help="share the port with other serve processes (SO_REUSEPORT; SCRUM_WEB_PROCESSES does it)")
    serve.set_defaults(func=_serve)
    chat = sub.add_parser("chat", help="chat with the bot in this terminal (SQLite, no account, no network)")
    chat.add_argument("--user", default="console:dev", help="who you are to the bot (default: console:dev)")
    chat.set_defaults(func=_chat)


def _settings():  # type: ignore[no-untyped-def]
    from bot.settings import Settings

    return Settings.from_env(os.environ)


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.logging import configure_logging
    from bot.web.app import create_app

    from bot.web.processes import needs_supervisor, supervise

    settings = _settings().validate()    # refuse a bad start, e.g. PostgreSQL without SCRUM_ENCRYPTION_KEY
    configure_logging(settings)           # the redacting handler (bot/logging.py), not a bare basicConfig
    if needs_supervisor(settings):        # SCRUM_WEB_PROCESSES > 1 or SCRUM_WORK_PROCESSES > 0
        return supervise(settings, args.host, args.port)
    if settings.role == "work":           # answers what web processes acknowledged; no listener
        asyncio.run(_work(create_app(settings)))
        return 0
    web.run_app(create_app(settings), host=args.host or settings.host, port=args.port or settings.port,
                reuse_port=args.reuse_port or None, print=lambda msg: print(msg, file=sys.stderr))
    return 0


async def _work(app) -> None:  # type: ignore[no-untyped-def]
    """Runs the app's resources and channels without a listener until SIGTERM or SIGINT."""
    import signal

    from aiohttp import web

    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()                  # the same start-up as serve: store, router, channels, SIGHUP
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("worker ready: answering acknowledged events (SCRUM_ROLE=work)", file=sys.stderr)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()            # stops taking events and drains the ones under way


async def _chat_main(user: str, echo: bool) -> int:
    from bot.channels.console import repl
    from bot.web.deps import build_deps

    deps = await build_deps(_settings())
    try:
        conversation = deps.extras["conversation"]
        await conversation.purge()
        read = (lambda: (sys.stdin.readline() or None)) if echo else None
        await repl(conversation, user, echo=echo, read=read)
    finally:
        await deps.close()
    return 0


def _chat(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    return asyncio.run(_chat_main(args.user if ":" in args.user else f"console:{args.user}",
                                  echo=not sys.stdin.isatty()))
