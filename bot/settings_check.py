"""Checks a ``Settings`` for a real start: each problem is one line that names the variable.

``Settings.validate()`` calls ``problems(settings)`` and raises ``SettingsError`` when any is found.
The checks are cheap and offline (no database connection, no catalogue parse). Secret values are
never echoed back: a message names the variable and what is wrong, not what it holds.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from bot.settings import Settings

# SQLAlchemy URL backends we support, with the async driver each needs.
DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
MIN_ADMIN_TOKEN = 24
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def problems(s: Settings) -> list[str]:
    """Returns every problem found, one line each, naming the ``SCRUM_*`` variable."""
    found: list[str] = []
    backend = _check_database(s, found)
    _check_server(s, found)
    _check_catalogue(s, found)
    _check_secrets(s, backend, found)
    _check_ops(s, found)
    _check_channels(s, found)
    return found


def is_postgres(url: str) -> bool:
    return url.strip().lower().startswith("postgresql")


def _check_database(s: Settings, found: list[str]) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(s.database_url)
    except ArgumentError:
        found.append("SCRUM_DATABASE_URL: not a database URL (expected sqlite+aiosqlite:///path "
                     "or postgresql+asyncpg://user:password@host/name)")
        return None
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend not in DRIVERS:
        found.append(f"SCRUM_DATABASE_URL: {backend!r} is not supported (use sqlite or postgresql)")
        return None
    if driver != DRIVERS[backend]:
        found.append(f"SCRUM_DATABASE_URL: use the async driver {backend}+{DRIVERS[backend]}:// "
                     f"(got {backend}+{driver}://)")
    if backend == "sqlite" and not url.database:
        found.append("SCRUM_DATABASE_URL: the SQLite URL names no file (e.g. sqlite+aiosqlite:///var/scrum-bot.db)")
    if backend == "postgresql" and not (url.host or (url.query or {}).get("host")):
        found.append("SCRUM_DATABASE_URL: the PostgreSQL URL names no host")
    return backend


def _check_server(s: Settings, found: list[str]) -> None:
    if not 1 <= s.port <= 65535:
        found.append(f"SCRUM_PORT: {s.port} is not a port (1-65535)")
    if not s.host.strip():
        found.append("SCRUM_HOST: empty (use 0.0.0.0 in a container, 127.0.0.1 on a laptop)")
    if s.log_level.strip().upper() not in LOG_LEVELS:
        found.append(f"SCRUM_LOG_LEVEL: {s.log_level!r} is not one of {', '.join(LOG_LEVELS)}")


def _check_catalogue(s: Settings, found: list[str]) -> None:
    path = s.catalogue_path
    if not path.exists():
        found.append(f"SCRUM_CATALOGUE_PATH: {path}: file not found")
    elif not path.is_file():
        found.append(f"SCRUM_CATALOGUE_PATH: {path}: not a file")


def _check_secrets(s: Settings, backend: str | None, found: list[str]) -> None:
    key = (s.encryption_key or "").strip()
    if not key:
        if backend == "postgresql":
            found.append("SCRUM_ENCRYPTION_KEY: required with PostgreSQL (personal fields are encrypted); "
                         "generate one with `scrum-bot keygen` and keep it outside the database backups")
        return
    from bot.errors import SettingsError
    from bot.store.crypto import Cipher

    try:
        Cipher(key)
    except SettingsError:
        found.append("SCRUM_ENCRYPTION_KEY: not a valid Fernet key (44 characters of url-safe base64; "
                     "several keys are separated by commas)")


def _check_ops(s: Settings, found: list[str]) -> None:
    token = s.admin_token
    if token is not None and len(token.strip()) < MIN_ADMIN_TOKEN:
        found.append(f"SCRUM_ADMIN_TOKEN: too short (at least {MIN_ADMIN_TOKEN} characters; "
                     "e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
    if s.db_wait_timeout < 0:
        found.append(f"SCRUM_DB_WAIT_TIMEOUT: {s.db_wait_timeout} must be 0 or more seconds")
    if s.backup_keep < 0:
        found.append(f"SCRUM_BACKUP_KEEP: {s.backup_keep} must be 0 (keep all) or more")


def _check_channels(s: Settings, found: list[str]) -> None:
    """Channel settings, read with getattr so this check works before and after they exist."""
    _pair(s, found, "line_channel_secret", "line_channel_access_token")
    _pair(s, found, "telegram_bot_token", "telegram_secret_token")
    secret = _get(s, "telegram_secret_token")
    if secret and not TELEGRAM_SECRET.fullmatch(secret):
        found.append("SCRUM_TELEGRAM_SECRET_TOKEN: only A-Z, a-z, 0-9, _ and - are allowed "
                     "(1-256 characters)")
    base = _get(s, "public_base_url")
    if base:
        parts = urlsplit(base)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            found.append("SCRUM_PUBLIC_BASE_URL: not an address like https://bot.example.city")
        elif parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
            found.append("SCRUM_PUBLIC_BASE_URL: LINE and Telegram only call https:// addresses")
    timeout = _get(s, "channel_api_timeout")
    if timeout is not None and timeout <= 0:
        found.append(f"SCRUM_CHANNEL_API_TIMEOUT: {timeout} must be more than 0 seconds")
    retries = _get(s, "channel_api_retries")
    if retries is not None and retries < 1:
        found.append(f"SCRUM_CHANNEL_API_RETRIES: {retries} must be 1 or more")
    pool = _get(s, "db_pool_size")
    if pool is not None and not 1 <= pool <= 100:
        found.append(f"SCRUM_DB_POOL_SIZE: {pool} must be between 1 and 100")
    role = _get(s, "role")
    if role is not None and role not in {"all", "web", "work"}:
        found.append(f"SCRUM_ROLE: {role!r} is not one of all, web, work")
    web_n, work_n = _get(s, "web_processes"), _get(s, "work_processes")
    if web_n is not None and not 1 <= web_n <= 64:
        found.append(f"SCRUM_WEB_PROCESSES: {web_n} must be between 1 and 64")
    if work_n is not None and not 0 <= work_n <= 64:
        found.append(f"SCRUM_WORK_PROCESSES: {work_n} must be between 0 and 64")
    loading = _get(s, "line_loading_after_seconds")
    if loading is not None and not 0 <= loading <= 50:
        found.append(f"SCRUM_LINE_LOADING_AFTER_SECONDS: {loading} must be between 0 and 50 seconds")


def _get(s: Settings, name: str) -> Any:
    value = getattr(s, name, None)
    return value.strip() if isinstance(value, str) else value


def _pair(s: Settings, found: list[str], a: str, b: str) -> None:
    if not (hasattr(s, a) and hasattr(s, b)):
        return
    has_a, has_b = bool(_get(s, a)), bool(_get(s, b))
    if has_a != has_b:
        present, missing = (a, b) if has_a else (b, a)
        found.append(f"SCRUM_{missing.upper()}: required when SCRUM_{present.upper()} is set")
