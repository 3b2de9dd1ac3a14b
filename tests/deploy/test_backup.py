"""Backups: SQLite's online backup API and pg_dump, retention, the CLI and deploy/pg-backup.sh."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from bot.ops.backup import BackupError, backup, backup_name, pg_env, prune
from bot.store.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("SCRUM_TEST_POSTGRES_URL")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A command in a worker thread, so the event loop of an async test is not blocked."""
    return await asyncio.to_thread(subprocess.run, args, env=env, capture_output=True, text=True, check=False)


async def put_probe(url: str, value: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE backup_probe (v VARCHAR(50))"))
        await conn.execute(text("INSERT INTO backup_probe (v) VALUES (:v)"), {"v": value})
    await engine.dispose()


async def read_probe(url: str) -> list[str]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT v FROM backup_probe"))).scalars().all()
    await engine.dispose()
    return list(rows)


async def test_backup_restores_what_was_stored(db_url: str, tmp_path: Path) -> None:
    """On SQLite and PostgreSQL: back up, restore into a new database, read the row back."""
    await put_probe(db_url, "probe-1")
    out = tmp_path / "backups"
    made = backup(db_url, out, keep=3)
    assert made.path.parent == out and made.size > 0
    assert oct(made.path.stat().st_mode & 0o777) == "0o600" and oct(out.stat().st_mode & 0o777) == "0o700"
    assert not list(out.glob("*.part"))
    if make_url(db_url).get_backend_name() == "sqlite":
        assert made.path.suffix == ".sqlite3"
        restored = tmp_path / "restored.db"
        shutil.copy(made.path, restored)
        assert await read_probe(f"sqlite+aiosqlite:///{restored}") == ["probe-1"]
        # the tables of the real schema came along too
        names = {r[0] for r in sqlite3.connect(restored).execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"backup_probe", "ticket", "ticket_event", "consent_receipt"} <= names
        return
    assert made.path.suffix == ".dump"
    name = f"r_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = make_url(db_url).set(database=name)
    try:
        env = {**os.environ, **pg_env(target)}
        proc = await run(["pg_restore", "--no-owner", "-d", name, str(made.path)], env=env)
        assert proc.returncode == 0, proc.stderr
        assert await read_probe(target.render_as_string(hide_password=False)) == ["probe-1"]
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def test_sqlite_backup_while_writing(tmp_path: Path) -> None:
    """The online backup copies a consistent database while another connection keeps writing."""
    db = tmp_path / "live.db"
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (i INTEGER)")
    con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(20000)])
    con.commit()
    stop = threading.Event()

    def writer() -> None:
        w = sqlite3.connect(db, timeout=30)
        n = 0
        while not stop.is_set() and n < 2000:
            w.execute("INSERT INTO t VALUES (?)", (-n,))
            w.commit()
            n += 1
        w.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        made = backup(f"sqlite+aiosqlite:///{db}", tmp_path / "b", keep=0)
    finally:
        stop.set()
        thread.join()
    copy = sqlite3.connect(made.path)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    count = copy.execute("SELECT count(*) FROM t").fetchone()[0]
    assert 20000 <= count <= con.execute("SELECT count(*) FROM t").fetchone()[0]
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_retention_keeps_the_newest_and_nothing_else_is_touched(tmp_path: Path) -> None:
    out = tmp_path / "b"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "scrum-bot-manual-copy.sqlite3").write_text("mine too")
    db = tmp_path / "x.db"
    sqlite3.connect(db).execute("CREATE TABLE t (i)").connection.commit()
    made = [backup(f"sqlite+aiosqlite:///{db}", out, keep=3, now=T0 + timedelta(hours=h)) for h in range(5)]
    left = sorted(p.name for p in out.iterdir())
    assert left == sorted([m.path.name for m in made[-3:]] + ["notes.txt", "scrum-bot-manual-copy.sqlite3"])
    assert made[-1].removed == (made[1].path,)
    assert prune(out, 0) == ()


def test_backup_names_sort_by_time() -> None:
    names = [backup_name(T0 + timedelta(seconds=s), "dump") for s in (0, 1, 59, 3600)]
    assert names == sorted(names)
    assert names[0] == "scrum-bot-20260101T000000000000Z.dump"


def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no such database file"):
        backup(f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}", tmp_path / "b")
    with pytest.raises(BackupError, match="in-memory"):
        backup("sqlite+aiosqlite://", tmp_path / "b")
    with pytest.raises(BackupError, match="pg_dump not found"):
        backup("postgresql+asyncpg://u@h/d", tmp_path / "b", pg_dump="no-such-pg-dump-here")


def test_pg_password_goes_in_the_environment() -> None:
    env = pg_env(make_url("postgresql+asyncpg://scrum:s3cret@db:5433/scrum"))
    assert env == {"PGDATABASE": "scrum", "PGHOST": "db", "PGPORT": "5433", "PGUSER": "scrum", "PGPASSWORD": "s3cret"}


def test_cli_backup(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import logging

    db = tmp_path / "c.db"
    sqlite3.connect(db).execute("CREATE TABLE t (i)").connection.commit()
    monkeypatch.setenv("SCRUM_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    monkeypatch.setenv("SCRUM_BACKUP_DIR", str(tmp_path / "default"))
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        assert main(["db", "backup"]) == 0
        assert len(list((tmp_path / "default").glob("scrum-bot-*.sqlite3"))) == 1
        assert main(["db", "backup", "--output", str(tmp_path / "o"), "--keep", "1"]) == 0
        assert main(["db", "backup", "--output", str(tmp_path / "o"), "--keep", "1"]) == 0
        assert len(list((tmp_path / "o").iterdir())) == 1
        assert "removed" in capsys.readouterr().out
        monkeypatch.setenv("SCRUM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'gone.db'}")
        assert main(["db", "backup"]) == 1
        assert "no such database file" in capsys.readouterr().err
    finally:
        for h in list(root.handlers):
            if h not in handlers:
                root.removeHandler(h)


def _pg_script_env(db_url: str, out: Path, keep: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], **pg_env(make_url(db_url)), "BACKUP_DIR": str(out), "BACKUP_KEEP": keep}


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_pg_backup_script(db_url: str, tmp_path: Path) -> None:
    await put_probe(db_url, "probe-2")
    out = tmp_path / "pg"
    out.mkdir()
    for old in ("scrum-bot-20200101T000000Z.dump", "scrum-bot-20200102T000000Z.dump", "other.dump"):
        (out / old).write_text("old")
    script = str(ROOT / "deploy" / "pg-backup.sh")
    proc = await run(["sh", script], env=_pg_script_env(db_url, out, "2"))
    assert proc.returncode == 0, proc.stderr
    left = sorted(p.name for p in out.iterdir())
    assert left[0] == "other.dump" and left[1] == "scrum-bot-20200102T000000Z.dump" and len(left) == 3
    listing = await run(["pg_restore", "--list", str(out / left[2])])
    assert "backup_probe" in listing.stdout
    assert oct((out / left[2]).stat().st_mode & 0o777) == "0o600"

    bad = _pg_script_env(db_url, out, "2") | {"PGHOST": "127.0.0.1", "PGPORT": "1"}
    proc = await run(["sh", script], env=bad)
    assert proc.returncode == 1 and "no backup written" in proc.stderr
    assert not list(out.glob("*.part"))
    proc = await run(["sh", script], env=_pg_script_env(db_url, out, "x"))
    assert proc.returncode == 2
