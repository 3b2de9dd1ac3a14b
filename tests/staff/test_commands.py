"""``scrum-bot staff add|passwd|disable``, ``purge`` and ``db upgrade`` on a real SQLite file."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.cli import main
from bot.staff import auth
from bot.store.db import make_engine, make_sessions
from bot.store.models import StaffSession, StaffUser, Ticket


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SCRUM_DATABASE_URL", url)
    catalogue = tmp_path / "services.yaml"
    catalogue.write_text("services:\n  - {id: houkatsu, name: 地域包括支援センター, description: 高齢の方の相談}\n"
                         "departments:\n  - {id: dept_koreisha, name: 高齢者支援課}\n", encoding="utf-8")
    monkeypatch.setenv("SCRUM_CATALOGUE_PATH", str(catalogue))
    assert main(["db", "upgrade"]) == 0
    return url


def _stdin(monkeypatch: pytest.MonkeyPatch, line: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(line + "\n"))


def _query(url: str, fn):
    async def run():
        engine = make_engine(url)
        try:
            async with make_sessions(engine)() as s, s.begin():
                return await fn(s)
        finally:
            await engine.dispose()
    return asyncio.run(run())


def test_staff_add_passwd_disable(db: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    _stdin(monkeypatch, "a very long password")
    assert main(["staff", "add", "tanaka", "--name", "田中", "--department", "dept_koreisha", "--password-stdin"]) == 0
    _stdin(monkeypatch, "short")
    assert main(["staff", "add", "yamada", "--department", "dept_koreisha", "--password-stdin"]) == 1
    assert "at least 12" in capsys.readouterr().err
    _stdin(monkeypatch, "another long password")
    assert main(["staff", "add", "yamada", "--department", "dept_typo", "--password-stdin"]) == 1
    assert "unknown department 'dept_typo'" in capsys.readouterr().err
    _stdin(monkeypatch, "another long password")
    assert main(["staff", "add", "tanaka", "--department", "dept_koreisha", "--password-stdin"]) == 1
    assert "already exists" in capsys.readouterr().err

    async def user(s):
        return (await s.execute(select(StaffUser).where(StaffUser.username == "tanaka"))).scalar_one()
    u = _query(db, user)
    assert (u.display_name, u.role, u.disabled) == ("田中", "desk", False)
    assert u.password_hash.startswith("$argon2id$") and "very long" not in u.password_hash

    async def log_in(s):
        return await auth.login(s, "tanaka", "a very long password", auth.LoginPolicy())
    assert _query(db, log_in).token

    _stdin(monkeypatch, "a brand new password")
    assert main(["staff", "passwd", "tanaka", "--password-stdin"]) == 0

    async def sessions(s):
        return list((await s.execute(select(StaffSession))).scalars())
    assert _query(db, sessions) == []                       # the old session ended
    assert _query(db, log_in).reason == "bad_credentials"

    assert main(["staff", "disable", "tanaka"]) == 0
    assert _query(db, user).disabled
    assert main(["staff", "disable", "nobody"]) == 1
    assert main(["staff", "disable", "tanaka", "--enable"]) == 0
    assert not _query(db, user).disabled


def test_purge_dry_run_then_for_real(db: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    now = dt.datetime.now(dt.UTC)

    async def seed(s):
        s.add_all([Ticket(ref="FJ-2024-000001", user_key="line:U1", pseudonym="A", channel="line", desk="d",
                          status="完了", outcome="支援につながった", closed_at=now - dt.timedelta(days=40)),
                   Ticket(ref="FJ-2026-000002", user_key="line:U2", pseudonym="B", channel="line", desk="d",
                          status="完了", outcome="支援につながった", closed_at=now - dt.timedelta(days=5))])
    _query(db, seed)
    monkeypatch.setenv("SCRUM_RETENTION_DAYS", "30")
    assert main(["purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would delete 1 ticket" in out and "FJ-2024-000001" in out and "FJ-2026-000002" not in out

    async def refs(s):
        return sorted((await s.execute(select(Ticket.ref))).scalars())
    assert _query(db, refs) == ["FJ-2024-000001", "FJ-2026-000002"]
    assert main(["purge"]) == 0
    assert "deleted 1 ticket" in capsys.readouterr().out
    assert _query(db, refs) == ["FJ-2026-000002"]
    assert main(["purge", "--days", "0"]) == 1


def test_db_upgrade_is_recorded(db: str) -> None:
    async def version(s):
        return (await s.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    from alembic.script import ScriptDirectory

    from bot.store.migrate import alembic_config
    assert _query(db, version) == ScriptDirectory.from_config(alembic_config(db)).get_current_head()
    assert main(["db", "upgrade"]) == 0
