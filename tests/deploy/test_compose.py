"""compose.yaml, compose.replicas.yaml, deploy/nginx.conf and deploy/env.example agree with the settings."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from bot.settings import Settings, env_var

ROOT = Path(__file__).resolve().parents[2]
SETTING_VARS = {env_var(f.name) for f in fields(Settings)}


class ComposeLoader(yaml.SafeLoader):
    """Compose's merge tags (!reset, !override) on top of safe YAML."""


ComposeLoader.add_constructor("!reset", lambda loader, node: {"!reset": loader.construct_sequence(node)
                                                              if isinstance(node, yaml.SequenceNode) else None})
ComposeLoader.add_constructor("!override", lambda loader, node: loader.construct_object(node))


def load(name: str) -> dict:
    return yaml.load((ROOT / name).read_text(encoding="utf-8"), Loader=ComposeLoader)


@pytest.fixture(scope="module")
def compose() -> dict:
    return load("compose.yaml")


@pytest.fixture(scope="module")
def replicas() -> dict:
    return load("compose.replicas.yaml")


def test_bot_and_postgres_with_volume_and_healthcheck(compose) -> None:
    services = compose["services"]
    db, bot = services["db"], services["bot"]
    assert db["image"].startswith("postgres:") and re.search(r":\d+\.\d+", db["image"]), "pin the postgres tag"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"], "PostgreSQL data lives in a named volume"
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["build"] == "."


def test_bot_environment_names_only_real_settings(compose, replicas) -> None:
    for spec in (compose["services"]["bot"], replicas["services"]["bot"], replicas["services"]["migrate"]):
        env = spec.get("environment", {})
        unknown = {k for k in env if k.startswith("SCRUM_")} - SETTING_VARS
        assert not unknown, f"not settings: {unknown}"


def test_production_essentials_are_required(compose) -> None:
    env = compose["services"]["bot"]["environment"]
    assert env["SCRUM_DATABASE_URL"].startswith("postgresql+asyncpg://") and "@db:5432/" in env["SCRUM_DATABASE_URL"]
    # ${VAR:?message}: compose refuses to start without the key.
    assert re.fullmatch(r"\$\{SCRUM_ENCRYPTION_KEY:\?.+\}", env["SCRUM_ENCRYPTION_KEY"])
    assert ":?" in env["SCRUM_DATABASE_URL"], "the database password is required too"
    assert env["SCRUM_MIGRATE_ON_START"] == "true"
    assert any(v.startswith("./knowledge:/app/knowledge") for v in compose["services"]["bot"]["volumes"])


def test_port_published_on_loopback_only(compose, replicas) -> None:
    assert all(p.startswith("127.0.0.1:") for p in compose["services"]["bot"]["ports"])
    assert all(p.startswith("127.0.0.1:") for p in replicas["services"]["proxy"]["ports"])


def test_two_replicas_behind_the_proxy_and_one_migration(replicas) -> None:
    s = replicas["services"]
    assert s["bot"]["deploy"]["replicas"] == 2
    assert s["bot"]["ports"] == {"!reset": []}, "replicas publish no port; the proxy does"
    assert s["bot"]["environment"]["SCRUM_MIGRATE_ON_START"] == "false"
    assert s["bot"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert s["migrate"]["command"] == ["db", "upgrade"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in s["proxy"]["volumes"]
    assert re.search(r"nginx:\d+\.\d+", s["proxy"]["image"])


def test_nginx_routes_to_the_bot_and_hides_operator_paths() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"upstream scrum_bot \{[^}]*server bot:8080", conf)
    assert "proxy_pass http://scrum_bot;" in conf
    assert re.search(r"location = /metrics \{\s*return 404;", conf)
    assert re.search(r"location \^~ /ops/ \{\s*return 404;", conf)
    fmt = re.search(r"log_format scrum (.*?);", conf, re.DOTALL).group(1)
    assert "$request_uri" not in fmt and "$args" not in fmt and "$request " not in fmt, "no query strings in logs"
    assert conf.count("{") == conf.count("}")


def test_backup_service_runs_the_script(compose) -> None:
    s = compose["services"]["pg-backup"]
    assert s["profiles"] == ["backup"]
    assert "./deploy/pg-backup.sh:/usr/local/bin/pg-backup.sh:ro" in s["volumes"]
    assert s["image"] == compose["services"]["db"]["image"], "pg_dump matches the server's major version"


def test_env_example_lists_real_settings() -> None:
    keys = [line.split("=", 1)[0] for line in (ROOT / "deploy" / "env.example").read_text().splitlines()
            if line and not line.startswith("#")]
    assert "SCRUM_ENCRYPTION_KEY" in keys and "POSTGRES_PASSWORD" in keys
    assert not {k for k in keys if k.startswith("SCRUM_")} - SETTING_VARS
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if line.startswith(("POSTGRES_PASSWORD", "SCRUM_ENCRYPTION_KEY", "SCRUM_ADMIN_TOKEN")):
            assert line.endswith("="), "the example holds no secret"


def test_container_logs_rotate(compose, replicas) -> None:
    for spec in (compose["services"]["bot"], compose["services"]["db"], replicas["services"]["proxy"]):
        options = spec["logging"]["options"]
        assert options["max-size"].endswith("m") and int(options["max-file"]) >= 2
