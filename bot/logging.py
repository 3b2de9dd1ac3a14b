"""Structured logs (plain text or one JSON object per line) with a redaction safety net.

The rule is still: never log what a resident wrote or who they are; log ids and hashes. The
``RedactFilter`` is only the net under that rule: on every handler it installs, it rewrites any
run that looks like a phone number, an e-mail address or a long stretch of Japanese text, in the
message, its arguments, the traceback and string ``extra`` fields.

Nothing is configured at import time: the CLI entrypoints call ``configure_logging(settings)``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings

PHONE_MARK = "[phone]"
EMAIL_MARK = "[email]"
TEXT_MARK = "[text]"
# A stretch of Japanese (kana, kanji, full-width forms and Japanese punctuation) this long is taken
# to be free text from a resident. Our own log messages are English and name desks by id.
LONG_TEXT_CHARS = 12

_DIGIT = r"[0-9０-９]"
_SEP = r"[-‐‑–—−ー－ (（)）.]"
# Japanese numbers start with 0 (or +81); 10-11 digits in all. The digit count is checked below,
# so that ticket refs (FJ-2026-000123), dates and ids are left alone.
_PHONE = re.compile(
    rf"(?<![0-9A-Za-z０-９._/])(?:[+＋]81{_SEP}?|[(（]?[0０])(?:{_DIGIT}{_SEP}?){{7,11}}{_DIGIT}(?![0-9A-Za-z０-９])"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_JA = r"\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uffef"
_LONG_JA = re.compile(rf"[{_JA}](?:[{_JA}\s0-9A-Za-z、。,.!?！？]*[{_JA}])?")

# LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    if match.group(0).lstrip("+＋").startswith(("81", "８１")):
        digits -= 1  # +81 stands for the leading 0
    return PHONE_MARK if 10 <= digits <= 11 else match.group(0)


def _long_text(match: re.Match[str]) -> str:
    text = match.group(0)
    return TEXT_MARK if sum(1 for ch in text if not ch.isascii()) >= LONG_TEXT_CHARS else text


def redact(text: str) -> str:
    """Replaces phone numbers, e-mail addresses and long Japanese text with markers."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _PHONE.sub(_phone, text)
    return _LONG_JA.sub(_long_text, text)


class RedactFilter(logging.Filter):
    """Redacts the formatted message, traceback and string extras of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = f"{record.msg!s} (unformattable arguments)"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, scalar extras, and exc when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                plain = isinstance(value, (str, int, float, bool)) or value is None
                out[key] = value if plain else repr(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def build_handler(*, json_lines: bool = False, stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactFilter())
    handler.set_name("scrum-bot")
    return handler


def configure_logging(settings: Settings | None = None, *, level: str | None = None,
                      json_lines: bool | None = None, stream: IO[str] | None = None) -> logging.Handler:
    """Installs one redacting handler on the root logger (replacing ours, keeping others').

    Called by the CLI entrypoints only. Explicit ``level``/``json_lines`` win over the settings.
    """
    lvl = (level or (settings.log_level if settings else "INFO")).upper()
    as_json = json_lines if json_lines is not None else bool(settings and settings.log_json)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "scrum-bot"]:
        root.removeHandler(old)
    handler = build_handler(json_lines=as_json, stream=stream)
    root.addHandler(handler)
    root.setLevel(lvl)
    logging.captureWarnings(True)
    return handler
