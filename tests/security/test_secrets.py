"""Secrets come only from the environment: no defaults, none in the repository, no start without them."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAME = re.compile(r"secret|token|key|password", re.I)
# What a committed credential looks like: a Fernet key, a Telegram bot token, a private key, a long
# base64 blob next to a credential-ish name, or a URL with a password in it.
PATTERNS = {
    "fernet key": re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}=(?![A-Za-z0-9_=-])"),
    "telegram token": re.compile(r"\b\d{8,10}:[A-Za-z0-9_-]{35}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "assigned credential": re.compile(
        r"(?i)(secret|access_token|api_key|password)\s*[:=]\s*['\"][A-Za-z0-9+/=_-]{24,}['\"]"),
    "password in a URL": re.compile(  # placeholders (user:password@, ${VAR}, <…>) are fine
        r"postgresql(\+asyncpg)?://[^:/\s]+:(?!password@|\$|<|\*)[^@\s]{6,}@"),
}


def test_secret_settings_have_no_default() -> None:
    secretish = [f for f in dataclasses.fields(Settings) if SECRET_NAME.search(f.name)]
    assert {f.name for f in secretish} >= {"line_channel_secret", "line_channel_access_token", "telegram_bot_token",
                                           "telegram_secret_token", "encryption_key", "admin_token"}
    for f in secretish:
        assert f.default is None, f"{f.name} has a default: secrets come only from SCRUM_{f.name.upper()}"
    assert Settings.from_env({"LINE_CHANNEL_SECRET": "x", "ENCRYPTION_KEY": "y"}).encryption_key is None


def test_no_credentials_committed_outside_tests() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    hits = []
    for name in files:
        path = ROOT / name
        if name.startswith(("tests/", ".git")) or path.suffix in {".png", ".svg", ".ico", ".lock"} or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for what, pattern in PATTERNS.items():
            hits += [f"{name}: {what}: {m.group(0)[:12]}…" for m in pattern.finditer(text)]
    assert not hits, "\n".join(hits)
    assert not [f for f in files if Path(f).name in {".env", "dev-encryption.key"} or f.endswith((".pem", ".key"))]


def test_validate_refuses_postgresql_without_an_encryption_key() -> None:
    settings = Settings(database_url="postgresql+asyncpg://bot@db.internal/scrum")
    with pytest.raises(SettingsError) as err:
        settings.validate()
    assert "SCRUM_ENCRYPTION_KEY" in str(err.value)


def test_serve_refuses_postgresql_without_an_encryption_key_and_writes_no_key_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRUM_")}
    env.update({"SCRUM_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/test", "SCRUM_PORT": "9",
                "SCRUM_CATALOGUE_PATH": str(ROOT / "knowledge/services.yaml")})
    proc = subprocess.run([sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0, "serve started on PostgreSQL without SCRUM_ENCRYPTION_KEY"
    assert "SCRUM_ENCRYPTION_KEY" in proc.stderr
    assert not list(tmp_path.rglob("*.key")), "a key was written to disk instead of coming from the environment"
