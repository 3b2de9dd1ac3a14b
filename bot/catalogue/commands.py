"""``scrum-bot catalogue check|show``: validate and lint the catalogue, show a service."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.catalogue.loader import load_catalogue
from bot.errors import CatalogueError

DEFAULT_PATH = Path("knowledge/services.yaml")


def register(sub: argparse._SubParsersAction) -> None:
    cat = sub.add_parser("catalogue", help="validate, lint and show the service catalogue")
    cat_sub = cat.add_subparsers(dest="catalogue_command", metavar="ACTION")
    check = cat_sub.add_parser("check", help="validate and lint; non-zero exit on errors")
    check.add_argument("--catalogue", type=Path, default=DEFAULT_PATH)
    check.set_defaults(func=_check)
    show = cat_sub.add_parser("show", help="show a service as a resident would see it")
    show.add_argument("service_id")
    show.add_argument("--catalogue", type=Path, default=DEFAULT_PATH)
    show.set_defaults(func=_show)


def _check(args: argparse.Namespace) -> int:
    try:
        cat = load_catalogue(args.catalogue)
    except CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ok: {len(cat.services)} services, {len(cat.departments)} departments")
    return 0


def _show(args: argparse.Namespace) -> int:
    try:
        cat = load_catalogue(args.catalogue)
        svc = cat.service(args.service_id)
    except CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyError:
        print(f"error: no service {args.service_id!r}", file=sys.stderr)
        return 1
    print(f"{svc.name}\n{svc.description}")
    return 0
