"""Encrypted columns are unreadable in a raw database dump, on SQLite (the file itself) and PostgreSQL (pg_dump).

Each test also finds a plain column's value in the same dump, so a dump that reads nothing fails.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.store.db import make_sessions
from bot.store.models import ConsentReceipt, Conversation, Ticket, TicketEvent

SUMMARY = "母の介護で夜も眠れず、仕事も続けられそうにありません"
NAME = "富士川花子"
PHONE = "090-1234-5678"
NOTE = "長男が同居、週に二回デイサービス利用"
STATE = '{"summary": "ひきこもりの息子について相談したい"}'
PLAIN_DESK = "houkatsu_plaintext_marker"


async def _store(engine, cipher) -> None:  # type: ignore[no-untyped-def]
    async with make_sessions(engine)() as s, s.begin():
        consent = ConsentReceipt(user_key="line:Uprivacy", scope="intake", desks=["houkatsu"],
                                 text_version="intake-test", text_sha256="0" * 64)
        s.add(consent)
        await s.flush()
        ticket = Ticket(user_key="line:Uprivacy", pseudonym="相談者-7Q2K", channel="line", desk=PLAIN_DESK,
                        summary_enc=cipher.encrypt(SUMMARY), name_enc=cipher.encrypt(NAME),
                        phone_enc=cipher.encrypt(PHONE), preferred_times_enc=cipher.encrypt("平日の午前"),
                        consent_intake_id=consent.id)
        s.add(ticket)
        await s.flush()
        s.add(TicketEvent(ticket_id=ticket.id, actor="staff:1", kind="note", body_enc=cipher.encrypt(NOTE)))
        s.add(Conversation(user_key="line:Uother", channel="line", step="ask_summary",
                           state_enc=cipher.encrypt(STATE)))


def _assert_unreadable(dump: bytes) -> None:
    assert PLAIN_DESK.encode() in dump, "the dump did not read the data at all"
    for secret in (SUMMARY, NAME, PHONE, NOTE, "ひきこもりの息子", "平日の午前"):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be", "shift_jis", "euc_jp"):
            assert secret.encode(encoding) not in dump, f"{secret!r} readable ({encoding}) in the raw dump"
    assert b"09012345678" not in dump and b"1234-5678" not in dump


def _raw_dump(db_url: str) -> bytes:
    """The bytes an attacker with the database (not the key) would read."""
    u = make_url(db_url)
    if u.get_backend_name() == "sqlite":
        db = Path(u.database or "")
        raw = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))
        conn = sqlite3.connect(db)
        try:
            return raw + "\n".join(conn.iterdump()).encode()
        finally:
            conn.close()
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is not installed (Debian: postgresql-client)")
    out = subprocess.run([pg_dump, "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres",
                          "--no-owner", "--data-only", u.database or ""], capture_output=True, check=True, timeout=60)
    # bytea comes out as \\x<hex>: decode it too, as anyone reading the dump would
    decoded = b"".join(bytes.fromhex(h.decode()) for h in re.findall(rb"\\\\x((?:[0-9a-f]{2})+)", out.stdout))
    return out.stdout + b"\n" + decoded


async def test_raw_dump_holds_no_plaintext(db_url: str, engine, cipher) -> None:  # type: ignore[no-untyped-def]
    await _store(engine, cipher)
    await engine.dispose()
    _assert_unreadable(_raw_dump(db_url))
    async with make_sessions(engine)() as s:
        summary_enc = (await s.execute(select(Ticket.summary_enc))).scalar_one()
    assert cipher.decrypt(summary_enc) == SUMMARY        # encrypted, not lost


async def test_a_wrong_key_reads_nothing(engine, cipher) -> None:  # type: ignore[no-untyped-def]
    from bot.errors import SettingsError
    from bot.store.crypto import Cipher

    await _store(engine, cipher)
    async with make_sessions(engine)() as s:
        name_enc = (await s.execute(select(Ticket.name_enc))).scalar_one()
    with pytest.raises(SettingsError) as err:
        Cipher(Cipher.generate_key()).decrypt(name_enc)
    assert NAME not in str(err.value)
