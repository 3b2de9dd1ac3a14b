"""The ``scrum-bot`` command line. Each area registers its own sub-commands here.

Nothing runs at import time: every command builds what it needs inside its own function.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules that define ``register(subparsers)``; each adds its own sub-commands.
COMMAND_MODULES: tuple[str, ...] = (
    "bot.catalogue.commands",   # catalogue check | show
    "bot.routing.commands",     # route | eval
    "bot.ops.commands",         # db backup | db wait, config check (the `db` group is shared: command_group)
    "bot.web.commands",         # serve | chat
    "bot.channels.commands",    # line setup | telegram setup | telegram poll
    "bot.staff.commands",       # staff add | passwd | disable, purge, db upgrade
)


def command_group(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """Returns the sub-commands of group ``name`` (e.g. ``db``), creating it only the first time.

    Several areas add actions to one group (``db upgrade``, ``db backup``): call this instead of
    ``sub.add_parser(name)``, which Python 3.11+ refuses twice ("conflicting subparser").
    """
    parser = sub.choices.get(name) or sub.add_parser(name, help=help)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=f"{name}_command", metavar="ACTION")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scrum-bot", description="思いやりスクラムサポート intake and referral bot")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    return int(args.func(args) or 0)
