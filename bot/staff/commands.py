"""``scrum-bot staff add|passwd|disable``, ``scrum-bot purge [--dry-run]`` and ``scrum-bot db upgrade``.

Passwords are read from the terminal without echo (or one line of stdin with ``--password-stdin``),
never from the command line, where the shell history and ``ps`` would keep them.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.cli import command_group
from bot.errors import IntakeError
from bot.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    staff = sub.add_parser("staff", help="staff console accounts: add, passwd, disable")
    actions = staff.add_subparsers(dest="staff_command", metavar="ACTION")

    add = actions.add_parser("add", help="create a staff account")
    add.add_argument("username")
    add.add_argument("--name", default="", help="display name (default: the user name)")
    add.add_argument("--department", required=True, help="department id from the catalogue, e.g. dept_koreisha")
    add.add_argument("--role", default="desk", choices=("desk", "coordinator", "admin"),
                     help="desk: own department; coordinator (福祉総務課・多機関協働): all tickets; admin: users")
    add.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    add.set_defaults(func=_add)

    pw = actions.add_parser("passwd", help="set a new password (ends the user's sessions, lifts a lockout)")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    pw.set_defaults(func=_passwd)

    dis = actions.add_parser("disable", help="disable an account (its sessions end at once)")
    dis.add_argument("username")
    dis.add_argument("--enable", action="store_true", help="enable it again instead")
    dis.set_defaults(func=_disable)

    purge = sub.add_parser("purge", help="delete tickets closed longer ago than SCRUM_RETENTION_DAYS")
    purge.add_argument("--dry-run", action="store_true", help="only show what would be deleted")
    purge.add_argument("--days", type=int, default=None, help="override SCRUM_RETENTION_DAYS")
    purge.set_defaults(func=_purge)

    db = command_group(sub, "db", help="database: upgrade, backup, wait")
    up = db.add_parser("upgrade", help="apply the Alembic migrations (stamps a database made by create_all)")
    up.add_argument("--revision", default="head")
    up.set_defaults(func=_db_upgrade)


def _settings() -> Settings:
    return Settings.from_env(os.environ)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("パスワード / password: ")
    if getpass.getpass("もう一度 / again: ") != first:
        raise IntakeError("the two passwords differ")
    return first


def _run(work: Callable[[Any], Awaitable[str]]) -> int:
    """Runs one unit of work on the configured database; prints its result or a clear error."""
    from bot.store.db import make_engine, make_sessions

    async def main() -> str:
        engine = make_engine(_settings().database_url)
        try:
            async with make_sessions(engine)() as s, s.begin():
                return await work(s)
        finally:
            await engine.dispose()
    try:
        print(asyncio.run(main()))
    except IntakeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _known_departments() -> set[str]:
    """Department ids of the configured catalogue (empty when it cannot be read: no check then)."""
    from bot.catalogue import load_catalogue
    try:
        return {d.id for d in load_catalogue(_settings().catalogue_path).departments}
    except IntakeError as exc:
        print(f"warning: department not checked ({exc})", file=sys.stderr)
        return set()


def _add(args: argparse.Namespace) -> int:
    from bot.staff import auth
    from bot.store.casework import audit
    known = _known_departments()
    if known and args.department not in known:
        print(f"error: unknown department {args.department!r}; one of: {', '.join(sorted(known))}", file=sys.stderr)
        return 1
    try:
        password = _password(args)
    except IntakeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    async def work(s: Any) -> str:
        user = await auth.add_user(s, args.username, args.name, args.department, args.role, password)
        await audit(s, None, "user_add", None, user=user.id, role=user.role, via="cli")
        return f"added {user.username} ({user.role}, {user.department})"
    return _run(work)


def _passwd(args: argparse.Namespace) -> int:
    from bot.staff import auth
    from bot.store.casework import audit
    try:
        password = _password(args)
    except IntakeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    async def work(s: Any) -> str:
        user = await auth.set_password(s, args.username, password)
        await audit(s, None, "user_passwd", None, user=user.id, via="cli")
        return f"password of {user.username} changed; its sessions ended"
    return _run(work)


def _disable(args: argparse.Namespace) -> int:
    from bot.staff import auth
    from bot.store.casework import audit

    async def work(s: Any) -> str:
        user = await auth.set_disabled(s, args.username, not args.enable)
        await audit(s, None, "user_disable" if user.disabled else "user_enable", None, user=user.id, via="cli")
        return f"{user.username} {'disabled' if user.disabled else 'enabled'}"
    return _run(work)


def _purge(args: argparse.Namespace) -> int:
    from bot.store.casework import purge
    days = args.days if args.days is not None else _settings().retention_days
    if days < 1:
        print("error: the retention period must be at least 1 day", file=sys.stderr)
        return 1

    async def work(s: Any) -> str:
        report = await purge(s, days, dry_run=args.dry_run)
        verb = "would delete" if report.dry_run else "deleted"
        lines = [f"{verb} {len(report.tickets)} ticket(s) closed more than {days} days ago, "
                 f"{report.outbox} sent push(es), {report.sessions} expired session(s)"]
        lines += [f"  {ref}" for ref in report.tickets]
        return "\n".join(lines)
    return _run(work)


def _db_upgrade(args: argparse.Namespace) -> int:
    from bot.store.migrate import upgrade
    done = upgrade(_settings().database_url, args.revision)
    print(f"database {done} to {args.revision}")
    return 0
