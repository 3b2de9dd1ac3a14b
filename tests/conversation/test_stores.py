"""The ticket and session stores on SQLite and PostgreSQL: references, concurrency, privacy."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest
from conv_kit import ChatBot
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.effects import ConsentGiven, CreateTicket
from bot.core.session import Session, Step
from bot.store.crypto import Cipher
from bot.store.db import make_sessions
from bot.store.models import Base
from bot.store.sessions import SessionStore
from bot.store.tickets import Pseudonymiser, TicketStore, make_ref

NOW = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
SECRET_SUMMARY = "借金の取り立てが怖くて眠れない"
SECRET_NAME = "富士見つばさ"
SECRET_PHONE = "090-8765-4321"


def command(user_key: str, i: int = 0) -> CreateTicket:
    consent = ConsentGiven("intake", "intake-2026-11-27", "0" * 64, NOW.isoformat(), ("dept_fukushi_somu",))
    return CreateTicket(user_key=user_key, channel="test", desk="dept_fukushi_somu", service_ids=("jiritsu_soudan",),
                        fields=("困窮",), about="self", summary=f"{SECRET_SUMMARY}{i}", contact_method="phone",
                        phone="09087654321", preferred_times="夜", name=SECRET_NAME, anonymous=False, crisis=False,
                        routing={"outcome": "route"}, intake_consent=consent, meeting_consent=None)


def store(engine: AsyncEngine, cipher: Cipher) -> TicketStore:
    return TicketStore(make_sessions(engine), cipher, Pseudonymiser.from_encryption_key("k"))


async def test_references_are_unique_under_concurrency(engine: AsyncEngine, cipher: Cipher) -> None:
    tickets = store(engine, cipher)
    refs = await asyncio.gather(*(tickets.open(command(f"test:{i}", i), NOW) for i in range(40)))
    assert len(set(refs)) == 40
    assert all(r.startswith("FJ-2026-") and len(r) == len("FJ-2026-000123") for r in refs)
    async with engine.connect() as conn:
        ids = (await conn.execute(text("SELECT id, ref FROM ticket"))).all()
    assert {ref for _id, ref in ids} == set(refs) and all(ref == f"FJ-2026-{i:06d}" for i, ref in ids)


async def test_the_same_intake_sent_twice_gives_one_ticket(engine: AsyncEngine, cipher: Cipher) -> None:
    tickets = store(engine, cipher)
    first = await tickets.open(command("test:twice"), NOW)
    assert await tickets.open(command("test:twice"), NOW + dt.timedelta(seconds=5)) == first
    assert len(await tickets.statuses("test:twice")) == 1
    assert await tickets.open(command("test:other"), NOW) != first


async def test_a_new_ticket_is_announced_to_the_staff_chat_without_content(engine: AsyncEngine, cipher: Cipher) -> None:
    tickets = TicketStore(make_sessions(engine), cipher, Pseudonymiser.from_encryption_key("k"),
                          staff_chat="telegram:-1001", base_url="https://bot.example")
    ref = await tickets.open(command("test:announce"), NOW)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT user_key, body FROM outbox"))).all()
    assert len(rows) == 1 and rows[0][0] == "telegram:-1001"
    body = str(rows[0][1])
    assert ref in body and SECRET_SUMMARY not in body and SECRET_NAME not in body


def test_the_year_of_a_reference_is_the_year_in_japan() -> None:
    assert make_ref(7, dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)) == "FJ-2027-000007"
    assert make_ref(123, dt.datetime(2026, 12, 31, 14, 0, tzinfo=dt.UTC)) == "FJ-2026-000123"


def test_pseudonyms_are_keyed_and_stable() -> None:
    a, b = Pseudonymiser.from_encryption_key("one"), Pseudonymiser.from_encryption_key("two")
    assert a("line:Uabc") == a("line:Uabc") != a("line:Uabd")
    assert a("line:Uabc") != b("line:Uabc")
    assert "Uabc" not in a("line:Uabc") and "Uabc" not in a.log_id("line:Uabc")


async def test_withdraw_of_someone_without_tickets_deletes_nothing(engine: AsyncEngine, cipher: Cipher) -> None:
    tickets = store(engine, cipher)
    await tickets.open(command("test:keep"), NOW)
    assert await tickets.withdraw("test:nobody", NOW) == 0
    assert [t.ref for t in await tickets.statuses("test:keep")] == ["FJ-2026-000001"]


async def test_session_state_is_encrypted_and_expires(engine: AsyncEngine, cipher: Cipher) -> None:
    sessions = SessionStore(make_sessions(engine), cipher, dt.timedelta(minutes=30))
    session = Session(user_key="test:s", step=Step.SUMMARY).with_draft(summary=SECRET_SUMMARY)
    await sessions.save(session, NOW)
    await sessions.save(session, NOW)                          # an upsert, not a second row
    loaded = await sessions.load("test:s", NOW + dt.timedelta(minutes=29))
    assert loaded.session == session and not loaded.expired
    async with engine.connect() as conn:
        (raw,) = (await conn.execute(text("SELECT state_enc FROM conversation"))).one()
    assert SECRET_SUMMARY.encode() not in bytes(raw)
    expired = await sessions.load("test:s", NOW + dt.timedelta(minutes=31))
    assert expired.session is None and expired.expired
    assert (await sessions.load("test:s", NOW + dt.timedelta(minutes=32))).expired is False


async def _dump(engine: AsyncEngine) -> str:
    out = []
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in (await conn.execute(table.select())).all():
                out.append(repr(tuple(row)))
    return "\n".join(out)


async def test_personal_data_never_reaches_logs_or_plain_columns(
        testbot: ChatBot, engine: AsyncEngine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await testbot.say("仕事がなくて家賃が払えない")
    await testbot.say(payload="intake:start:jiritsu_soudan")
    await testbot.say(payload="consent:yes")
    await testbot.say(payload="about:self")
    await testbot.say(SECRET_SUMMARY)
    await testbot.say(payload="contact:phone")
    await testbot.say(SECRET_PHONE)
    await testbot.say("水曜の午後")
    await testbot.say(SECRET_NAME)
    await testbot.say(payload="meeting:yes")
    assert "FJ-2026-" in await testbot.say(payload="preview:send")
    await testbot.say("状況")
    logged = "\n".join(r.getMessage() + repr(r.args) + str(r.exc_text or "") for r in caplog.records)
    assert caplog.records                                       # the shell does log (ids only)
    secrets = (SECRET_SUMMARY, SECRET_NAME, SECRET_PHONE, "09087654321", "水曜の午後", "仕事がなくて家賃が払えない",
               testbot.user_key)
    for secret in secrets[:-1]:
        assert secret not in logged                              # every logger, SQL drivers' included
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    assert testbot.user_key not in ours                         # our logs name people by a keyed hash
    dump = await _dump(engine)
    for secret in secrets[:-1]:
        assert secret not in dump
