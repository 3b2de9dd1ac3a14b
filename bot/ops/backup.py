"""Backups of the store: SQLite through its online backup API, PostgreSQL through ``pg_dump``.

A backup is one file named ``scrum-bot-<UTC time>.sqlite3`` or ``.dump`` (pg_dump's custom format,
restored with ``pg_restore``), readable by its owner only. Retention keeps the newest ``keep``
files of that name pattern in the folder and deletes older ones; other files are never touched.
The files hold personal data encrypted with SCRUM_ENCRYPTION_KEY: keep the key elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bot.errors import IntakeError

PREFIX = "scrum-bot-"
NAME = re.compile(r"^scrum-bot-\d{8}T\d{6}(?:\d{6})?Z\.(?:sqlite3|dump)$")


class BackupError(IntakeError):
    """A backup could not be made; the message says why (never any stored data)."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    removed: tuple[Path, ...]


def backup_name(now: datetime, suffix: str) -> str:
    return f"{PREFIX}{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.{suffix}"


def backup(database_url: str, out_dir: Path, keep: int = 14, *, now: datetime | None = None,
           pg_dump: str = "pg_dump") -> Backup:
    """Writes one backup of ``database_url`` into ``out_dir``, then applies retention."""
    url = make_url(database_url)
    now = now or datetime.now(UTC)
    out_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(out_dir, 0o700)
    backend = url.get_backend_name()
    if backend == "sqlite":
        dest = out_dir / backup_name(now, "sqlite3")
        backup_sqlite(_sqlite_path(url), dest)
    elif backend == "postgresql":
        dest = out_dir / backup_name(now, "dump")
        backup_postgres(url, dest, pg_dump=pg_dump)
    else:
        raise BackupError(f"SCRUM_DATABASE_URL: no backup method for {backend!r}")
    removed = prune(out_dir, keep)
    return Backup(dest, dest.stat().st_size, removed)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("SCRUM_DATABASE_URL: an in-memory SQLite database has nothing to back up")
    path = Path(url.database)
    if not path.is_file():
        raise BackupError(f"{path}: no such database file")
    return path


def backup_sqlite(source: Path, dest: Path) -> None:
    """Copies a live SQLite database with the online backup API, then checks the copy."""
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=1024)  # in steps: writers are blocked only briefly
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            (status,) = dst.execute("PRAGMA integrity_check").fetchone()
        finally:
            dst.close()
    finally:
        src.close()
    if status != "ok":
        tmp.unlink(missing_ok=True)
        raise BackupError(f"{dest.name}: integrity check of the copy failed")
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)


def pg_env(url: URL) -> dict[str, str]:
    """libpq variables for ``url``: the password goes in the environment, never on argv."""
    env = {"PGDATABASE": url.database or "", "PGHOST": url.host or "", "PGPORT": str(url.port or 5432),
           "PGUSER": url.username or ""}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    query = url.query or {}
    if "host" in query and not url.host:
        env["PGHOST"] = str(query["host"])
    if "ssl" in query or "sslmode" in query:
        env["PGSSLMODE"] = str(query.get("sslmode") or query.get("ssl"))
    return {k: v for k, v in env.items() if v}


def backup_postgres(url: URL, dest: Path, *, pg_dump: str = "pg_dump") -> None:
    """Runs ``pg_dump --format=custom`` into ``dest`` (restore with ``pg_restore``)."""
    exe = shutil.which(pg_dump)
    if exe is None:
        raise BackupError("pg_dump not found: install the PostgreSQL client (same major version as the "
                          "server), or run deploy/pg-backup.sh in the database container")
    tmp = dest.with_name(dest.name + ".part")
    env = {**os.environ, **pg_env(url)}
    proc = subprocess.run([exe, "--format=custom", "--no-owner", "--no-privileges", f"--file={tmp}"],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        detail = proc.stderr.strip().splitlines()[-1:] or ["(no message)"]
        raise BackupError(f"pg_dump failed (exit {proc.returncode}): {detail[0]}")
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)


def prune(out_dir: Path, keep: int) -> tuple[Path, ...]:
    """Deletes all but the newest ``keep`` backups (by the time in the name); 0 keeps all."""
    if keep <= 0:
        return ()
    ours = sorted((p for p in out_dir.iterdir() if p.is_file() and NAME.match(p.name)), key=lambda p: p.name)
    old = ours[:-keep]
    for path in old:
        path.unlink()
    return tuple(old)
