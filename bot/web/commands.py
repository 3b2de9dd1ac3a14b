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

    settings = _settings().validate()    # refuse a bad start, e.g. PostgreSQL without SCRUM_ENCRYPTION_KEY
    configure_logging(settings)           # the redacting handler (bot/logging.py), not a bare basicConfig
    web.run_app(create_app(settings), host=args.host or settings.host, port=args.port or settings.port,
                print=lambda msg: print(msg, file=sys.stderr))
    return 0


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
