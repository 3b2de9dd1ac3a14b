"""``scrum-bot db backup | db wait`` and ``scrum-bot config check``.

All three read the ``SCRUM_*`` settings from the environment and report a bad one by name.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path

from bot.errors import IntakeError, SettingsError
from bot.settings import Settings

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    from bot.cli import command_group

    db = command_group(sub, "db", help="database: upgrade, backup, wait")
    bk = db.add_parser("backup", help="write one backup file, then delete the oldest beyond --keep")
    bk.add_argument("--output", type=Path, default=None, help="folder (default: SCRUM_BACKUP_DIR)")
    bk.add_argument("--keep", type=int, default=None,
                    help="files to keep (default: SCRUM_BACKUP_KEEP; 0 = all)")
    bk.set_defaults(func=_backup)
    wait = db.add_parser("wait", help="wait until the database answers (for container start-up)")
    wait.add_argument("--timeout", type=float, default=None, help="seconds (default: SCRUM_DB_WAIT_TIMEOUT)")
    wait.set_defaults(func=_wait)

    if "keygen" not in sub.choices:
        keygen = sub.add_parser("keygen", help="print a new SCRUM_ENCRYPTION_KEY (or, with --token, an admin token)")
        keygen.add_argument("--token", action="store_true", help="a random token for SCRUM_ADMIN_TOKEN instead")
        keygen.set_defaults(func=_keygen)

    config = command_group(sub, "config", help="check the settings")
    check = config.add_parser("check",
                              help="validate the SCRUM_* settings and the catalogue; non-zero on error")
    check.set_defaults(func=_config_check)


def _settings() -> Settings:
    return Settings.from_env(os.environ)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _backup(args: argparse.Namespace) -> int:
    from bot.logging import configure_logging
    from bot.ops.backup import backup

    try:
        settings = _settings()
        configure_logging(settings)
        out = args.output or settings.backup_dir
        keep = settings.backup_keep if args.keep is None else args.keep
        made = backup(settings.database_url, out, keep)
    except IntakeError as exc:
        return _fail(str(exc))
    for path in made.removed:
        print(f"removed {path}")
    print(f"ok: {made.path} ({made.size} bytes)")
    return 0


async def _ping(url: str) -> None:
    from sqlalchemy import text

    from bot.store.db import make_engine

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def wait_for_database(url: str, timeout: float, *, interval: float = 1.0) -> str | None:
    """Pings until the database answers; returns None, or the last error's class when time runs out."""
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        try:
            asyncio.run(_ping(url))
            return None
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last = type(exc).__name__
        if time.monotonic() + interval > deadline:
            return last
        time.sleep(interval)


def _wait(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    try:
        settings = _settings()
    except SettingsError as exc:
        return _fail(str(exc))
    timeout = settings.db_wait_timeout if args.timeout is None else args.timeout
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    error = wait_for_database(settings.database_url, timeout)
    if error is not None:
        return _fail(f"the database at {where} did not answer within {timeout:g} s ({error})")
    print(f"ok: the database at {where} answers")
    return 0


def _config_check(args: argparse.Namespace) -> int:
    from bot.catalogue import load_catalogue

    try:
        settings = _settings().validate()
        catalogue = load_catalogue(settings.catalogue_path)
    except IntakeError as exc:
        return _fail(str(exc))
    print(f"ok: settings valid; catalogue {settings.catalogue_path}: {len(catalogue.services)} services")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    """Prints one secret on stdout and nothing else, so it can be piped into a secret store."""
    if args.token:
        import secrets

        print(secrets.token_urlsafe(32))
    else:
        from bot.store.crypto import Cipher

        print(Cipher.generate_key())
    return 0
