"""Production settings: start-up fails fast, and every message names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import SettingsError
from bot.settings import Settings
from bot.store.crypto import Cipher

MINI = Path(__file__).with_name("data") / "mini.yaml"
PG = "postgresql+asyncpg://scrum:pw@db:5432/scrum"


def ok(**changes) -> Settings:
    return Settings(catalogue_path=MINI).replace(**changes)


def error_of(settings: Settings) -> str:
    with pytest.raises(SettingsError) as info:
        settings.validate()
    return str(info.value)


def test_defaults_are_valid_with_a_catalogue() -> None:
    assert ok().validate() == ok()


def test_postgres_with_a_key_is_valid() -> None:
    ok(database_url=PG, encryption_key=Cipher.generate_key()).validate()


def test_postgres_without_encryption_key() -> None:
    message = error_of(ok(database_url=PG))
    assert "SCRUM_ENCRYPTION_KEY: required with PostgreSQL" in message


def test_bad_encryption_key_is_named_but_not_echoed() -> None:
    message = error_of(ok(encryption_key="not-a-fernet-key-secret-value"))
    assert "SCRUM_ENCRYPTION_KEY: not a valid Fernet key" in message
    assert "secret-value" not in message


def test_several_keys_for_rotation_are_accepted() -> None:
    ok(database_url=PG, encryption_key=f"{Cipher.generate_key()},{Cipher.generate_key()}").validate()


@pytest.mark.parametrize("port", [0, -1, 65536, 99999])
def test_bad_port(port: int) -> None:
    assert f"SCRUM_PORT: {port} is not a port" in error_of(ok(port=port))


@pytest.mark.parametrize("seconds", [-1.0, 51.0])
def test_loading_indicator_delay_out_of_range(seconds: float) -> None:
    assert "SCRUM_LINE_LOADING_AFTER_SECONDS" in error_of(ok(line_loading_after_seconds=seconds))
    ok(line_loading_after_seconds=0).validate()


def test_port_that_is_not_a_number_is_named_by_from_env() -> None:
    with pytest.raises(SettingsError, match=r"SCRUM_PORT='http'"):
        Settings.from_env({"SCRUM_PORT": "http"})


def test_missing_catalogue(tmp_path: Path) -> None:
    message = error_of(ok(catalogue_path=tmp_path / "nope.yaml"))
    assert f"SCRUM_CATALOGUE_PATH: {tmp_path / 'nope.yaml'}: file not found" in message


@pytest.mark.parametrize(("url", "expected"), [
    ("mysql+aiomysql://u@h/d", "'mysql' is not supported"),
    ("postgresql://u:pw@db/scrum", "use the async driver postgresql+asyncpg://"),
    ("sqlite:///var/x.db", "use the async driver sqlite+aiosqlite://"),
    ("not a url", "not a database URL"),
    ("sqlite+aiosqlite://", "names no file"),
])
def test_bad_database_urls(url: str, expected: str) -> None:
    message = error_of(ok(database_url=url, encryption_key=Cipher.generate_key()))
    assert "SCRUM_DATABASE_URL" in message and expected in message


def test_database_password_is_not_echoed() -> None:
    message = error_of(ok(database_url="postgresql://u:hunter2secret@db/x"))
    assert "hunter2secret" not in message


def test_all_problems_are_listed_at_once(tmp_path: Path) -> None:
    message = error_of(ok(port=0, log_level="loud", catalogue_path=tmp_path / "x.yaml", backup_keep=-1))
    for var in ("SCRUM_PORT", "SCRUM_LOG_LEVEL", "SCRUM_CATALOGUE_PATH", "SCRUM_BACKUP_KEEP"):
        assert var in message


def test_short_admin_token() -> None:
    assert "SCRUM_ADMIN_TOKEN: too short" in error_of(ok(admin_token="abc"))
    ok(admin_token="x" * 32).validate()


def test_channel_credentials_come_in_pairs() -> None:
    if not hasattr(Settings, "line_channel_secret"):
        pytest.skip("channel settings not in Settings yet")
    message = error_of(ok(line_channel_secret="s"))
    assert "SCRUM_LINE_CHANNEL_ACCESS_TOKEN: required when SCRUM_LINE_CHANNEL_SECRET is set" in message
    message = error_of(ok(telegram_bot_token="t"))
    assert "SCRUM_TELEGRAM_SECRET_TOKEN: required when SCRUM_TELEGRAM_BOT_TOKEN is set" in message
    message = error_of(ok(telegram_bot_token="t", telegram_secret_token="bad secret!"))
    assert "SCRUM_TELEGRAM_SECRET_TOKEN: only A-Z" in message
    assert "https://" in error_of(ok(public_base_url="http://bot.example.city"))
    ok(public_base_url="https://bot.example.city").validate()


def test_secrets_stay_out_of_repr() -> None:
    key = Cipher.generate_key()
    assert key not in repr(ok(encryption_key=key, admin_token="t" * 30))
    assert "t" * 30 not in repr(ok(admin_token="t" * 30))


def test_config_check_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                              tmp_path: Path) -> None:
    monkeypatch.setenv("SCRUM_CATALOGUE_PATH", str(MINI))
    monkeypatch.setenv("SCRUM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    assert main(["config", "check"]) == 0
    assert "2 services" in capsys.readouterr().out
    monkeypatch.setenv("SCRUM_PORT", "70000")
    assert main(["config", "check"]) == 1
    assert "SCRUM_PORT: 70000 is not a port" in capsys.readouterr().err


def test_config_check_fails_on_an_invalid_catalogue(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "services.yaml"
    broken.write_text("services:\n  - id: kaigo\n    name: 介護\n", encoding="utf-8")   # no description
    monkeypatch.setenv("SCRUM_CATALOGUE_PATH", str(broken))
    monkeypatch.setenv("SCRUM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    assert main(["config", "check"]) == 1
    err = capsys.readouterr().err
    assert "invalid catalogue" in err and "services[kaigo].description" in err


def test_keygen_prints_keys_that_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["keygen"]) == 0
    second = capsys.readouterr().out.strip()
    assert first != second
    ok(database_url=PG, encryption_key=f"{first},{second}").validate()
    assert main(["keygen", "--token"]) == 0
    ok(admin_token=capsys.readouterr().out.strip()).validate()
