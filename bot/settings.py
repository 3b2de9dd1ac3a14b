"""All settings, read from environment variables into one frozen dataclass.

Every field ``name`` is set by the environment variable ``SCRUM_<NAME>`` (upper case) and must be
documented in the README's settings table (tests/test_docs.py checks this). Nothing is read at
import time: call ``Settings.from_env(os.environ)`` in the command that needs it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from bot.errors import SettingsError

PREFIX = "SCRUM_"


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///var/scrum-bot.db"
    catalogue_path: Path = Path("knowledge/services.yaml")
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    log_json: bool = False
    encryption_key: str | None = field(default=None, repr=False)   # secrets stay out of reprs/logs
    admin_token: str | None = field(default=None, repr=False)
    migrate_on_start: bool = False
    db_pool_size: int = 10                          # PostgreSQL connections kept open per process (as many again in bursts)
    db_wait_timeout: int = 60
    backup_dir: Path = Path("var/backups")
    backup_keep: int = 14
    public_base_url: str | None = None              # https://bot.example.city: where LINE/Telegram reach us
    line_channel_secret: str | None = None          # LINE routes are on only when secret and token are set
    line_channel_access_token: str | None = None
    line_api_base_url: str = "https://api.line.me"
    line_api_data_base_url: str = "https://api-data.line.me"
    telegram_bot_token: str | None = None           # Telegram route is on only when token and secret are set
    telegram_secret_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    channel_api_timeout: float = 10.0               # seconds per platform API call
    channel_api_retries: int = 4                    # attempts per message on 5xx/429/network errors
    role: str = "all"                               # all | web (acknowledge only) | work (answer only, no listener)
    web_processes: int = 1                          # serve processes sharing the port (SO_REUSEPORT)
    work_processes: int = 0                         # worker processes started by serve (0: web processes answer)
    line_loading_after_seconds: float = 1.0         # LINE loading indicator only for answers slower than this (0: always)
    outbox_interval_seconds: float = 2.0            # background outbox/recovery sweep (0: off, e.g. a worker does it)
    rate_limit_messages: int = 20                   # messages per user per window (0: off); shared via the DB
    rate_limit_window: float = 60.0                 # seconds per rate-limit window
    staff_session_hours: int = 8                    # console sessions expire after this many hours
    staff_lockout_failures: int = 5                 # failed logins in a row before a lockout
    staff_lockout_minutes: int = 15                 # how long a lockout lasts
    staff_cookie_secure: bool = False               # true behind TLS: Secure cookies and HSTS
    staff_overdue_hours: int = 72                   # default time target for first contact
    staff_overdue_by_desk: str = ""                 # per-desk targets: "dept_kodomo_katei=24,dept_koreisha=48"
    staff_chat: str | None = None                   # user key of a staff group told of new tickets ("telegram:-100…")
    retention_days: int = 365                       # closed tickets are purged this many days after closing
    intake_timeout_minutes: int = 30                # an abandoned intake (and its text) is discarded after this

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        """Builds settings from ``SCRUM_*`` variables; raises SettingsError naming a bad variable."""
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in fields(cls):
            var = PREFIX + f.name.upper()
            if var in env:
                values[f.name] = _coerce(var, hints[f.name], env[var])
        return cls(**values)

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    def validate(self) -> "Settings":
        """Checks the settings for a real start; raises SettingsError listing every bad variable.

        Cheap and offline: it does not connect to the database or parse the catalogue (the
        start-up loads it and fails on CatalogueError). Returns ``self`` so it can be chained.
        """
        from bot.settings_check import problems  # lazy: keeps this module light

        found = problems(self)
        if found:
            raise SettingsError("invalid settings:\n  " + "\n  ".join(found))
        return self


def env_var(name: str) -> str:
    return PREFIX + name.upper()


def _coerce(var: str, typ: Any, raw: str) -> Any:
    text = raw.strip()
    optional = type(None) in getattr(typ, "__args__", ())
    base = next((a for a in getattr(typ, "__args__", ()) if a is not type(None)), typ) if optional else typ
    if optional and text == "":
        return None
    try:
        if base is bool:
            if text.lower() in {"1", "true", "yes", "on"}:
                return True
            if text.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true or false")
        if base is int:
            return int(text)
        if base is float:
            return float(text)
        if base is Path:
            return Path(text)
        return text
    except ValueError as exc:
        raise SettingsError(f"{var}={raw!r}: {exc}") from None
