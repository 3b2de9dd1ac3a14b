"""Structured logs: JSON or text, and a redaction net for phone numbers, e-mails and long free text."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import pytest

from bot.logging import EMAIL_MARK, PHONE_MARK, TEXT_MARK, configure_logging, redact
from bot.settings import Settings

CONSULTATION = "母の介護のことで相談したいのですが、どこに行けばいいですか"


@pytest.fixture
def root_logger():
    """Restores the root logger after a test that configures it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)
    logging.captureWarnings(False)


@pytest.mark.parametrize("phone", ["0545-55-2757", "090-1234-5678", "09012345678", "+81 90 1234 5678",
                                   "(0545)55-2757", "０９０－１２３４－５６７８", "0120-279-338"])
def test_phone_numbers_are_redacted(phone: str) -> None:
    assert redact(f"call {phone} please") == f"call {PHONE_MARK} please"


@pytest.mark.parametrize("kept", ["ticket FJ-2026-000123", "at 2026-11-27 15:05:38", "user line:U0123456789abcdef0",
                                  "telegram:1234567890", "took 0.0123456789 s", "#7119", "service houkatsu",
                                  "desk 地域包括支援センター", "status 200 in 12 ms"])
def test_ids_refs_dates_and_desk_names_are_kept(kept: str) -> None:
    assert redact(kept) == kept


def test_long_japanese_text_and_emails_are_redacted() -> None:
    assert redact(f"text={CONSULTATION}!") == f"text={TEXT_MARK}!"
    assert redact("from taro.yamada@example.jp") == f"from {EMAIL_MARK}"
    assert CONSULTATION[:8] not in redact(f"mixed {CONSULTATION} 090-1234-5678")


def test_json_lines_hold_no_personal_data(root_logger) -> None:
    stream = io.StringIO()
    configure_logging(Settings(log_level="DEBUG", log_json=True), stream=stream)
    log = logging.getLogger("bot.test")
    log.info("intake %s from %s", CONSULTATION, "090-1234-5678", extra={"ref": "FJ-2026-000001", "note": CONSULTATION})
    try:
        raise ValueError(f"bad input {CONSULTATION} tel 0545-55-2757")
    except ValueError:
        log.exception("handler failed for user %s", "h:1a2b3c")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["level"] for r in lines] == ["INFO", "ERROR"]
    assert lines[0]["logger"] == "bot.test" and lines[0]["ref"] == "FJ-2026-000001"
    assert lines[0]["msg"] == f"intake {TEXT_MARK} from {PHONE_MARK}"
    assert lines[0]["note"] == TEXT_MARK
    assert "ValueError" in lines[1]["exc"] and "h:1a2b3c" in lines[1]["msg"]
    out = stream.getvalue()
    for secret in ("090-1234-5678", "0545-55-2757", "介護のこと", "相談したい"):
        assert secret not in out


def test_text_format_and_level(root_logger) -> None:
    stream = io.StringIO()
    configure_logging(Settings(log_level="WARNING"), stream=stream)
    logging.getLogger("bot.x").info("hidden")
    logging.getLogger("bot.x").warning("shown %s", "0545-55-2757")
    out = stream.getvalue()
    assert "hidden" not in out
    assert "WARNING bot.x: shown [phone]" in out


def test_configuring_twice_keeps_one_handler(root_logger) -> None:
    configure_logging(Settings(), stream=io.StringIO())
    configure_logging(Settings(log_json=True), stream=io.StringIO())
    ours = [h for h in root_logger.handlers if h.get_name() == "scrum-bot"]
    assert len(ours) == 1


def test_nothing_is_configured_or_built_at_import() -> None:
    code = ("import logging, bot.logging, bot.web.metrics, bot.web.reload, bot.ops.commands, bot.settings_check\n"
            "assert logging.getLogger().handlers == [], logging.getLogger().handlers\n"
            "assert bot.web.metrics._metrics is None\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
