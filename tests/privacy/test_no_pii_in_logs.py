"""The whole flow at DEBUG: no consultation text, name or phone number in any log record.

Records are checked raw, before any redaction filter: redaction is a safety net, the rule is that
nothing personal is logged in the first place. Every logger is on at DEBUG, SQLAlchemy's included.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

import pytest

from bot.web.app import create_app
from tests.fakes.line_api import FakeLineApi
from tests.reliability.line_kit import INQUIRY, NAME, PHONE, SUMMARY, Resident, line_settings

SECRETS = (INQUIRY, "介護のことで相談したいです", SUMMARY, NAME, PHONE, PHONE.replace("-", ""), "物忘れがひどく", "火の始末", "富士見")


class Everything(logging.Handler):
    """Keeps every record, with all it could print: message, args, traceback, stack, extras."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> Iterator[tuple[logging.LogRecord, str]]:
        for r in self.records:
            try:
                msg = r.getMessage()
            except Exception:  # noqa: BLE001
                msg = f"{r.msg!r} {r.args!r}"
            parts = [msg, repr(r.args), str(r.msg)]
            if r.exc_info:
                parts.append("".join(traceback.format_exception(*r.exc_info)))
            parts += [r.exc_text or "", r.stack_info or ""]
            parts += [repr(v) for k, v in vars(r).items() if k not in logging.LogRecord("", 0, "", 0, "", None, None).__dict__]
            yield r, "\n".join(parts)


@pytest.fixture
def everything() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.fixture
async def fake_line():
    fake = await FakeLineApi(token="test-access-token").start()
    yield fake
    await fake.close()


async def test_whole_line_flow_at_debug_logs_nothing_personal(aiohttp_client, db_url, fake_line, everything,
                                                              monkeypatch) -> None:
    from bot.store.crypto import Cipher

    monkeypatch.setenv("SCRUM_ENCRYPTION_KEY", Cipher.generate_key())
    settings = line_settings(db_url, fake_line, log_level="DEBUG",
                             encryption_key=Cipher.generate_key())
    client = await aiohttp_client(create_app(settings))
    resident = Resident(client, fake_line, n=77)
    await resident.say("こんにちは")
    ref = await resident.file_intake()
    await resident.say("状況")
    await resident.say("もう死にたい")             # the crisis path logs too
    await resident.say("取り消し")
    assert ref and len(everything.records) > 20, "the flow logged (almost) nothing: is DEBUG really on?"
    leaks = [(r.name, r.levelname, secret, text[:300]) for r, text in everything.texts()
             for secret in SECRETS if secret in text]
    assert not leaks, "\n".join(map(repr, leaks[:10]))


async def test_whole_line_flow_leaves_no_plaintext_in_a_raw_dump(aiohttp_client, db_url, fake_line) -> None:
    """After a real intake, a crisis message and a status look-up, the dump (not the key) reads nothing."""
    from bot.store.crypto import Cipher
    from tests.privacy.test_raw_dump import _raw_dump

    settings = line_settings(db_url, fake_line, encryption_key=Cipher.generate_key())
    client = await aiohttp_client(create_app(settings))
    resident = Resident(client, fake_line, n=78)
    ref = await resident.file_intake()
    await resident.say("もう死にたい")
    await resident.say("状況")
    await client.close()
    dump = _raw_dump(db_url)
    assert ref.encode() in dump, "the dump did not read the ticket at all"
    found = [s for s in SECRETS if s.encode() in dump]
    assert not found, found
