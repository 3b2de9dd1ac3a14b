"""``scrum-bot serve`` with SCRUM_WEB_PROCESSES=2 and SCRUM_WORK_PROCESSES=1, as real processes.

The supervisor starts two web processes on one port and a worker at a lower CPU priority; residents
are answered (by the worker); a worker killed with SIGKILL is started again and answers what waited;
SIGTERM stops every process. On SQLite and PostgreSQL; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store.crypto import Cipher
from tests.fakes import line_events as ev
from tests.fakes.line_api import FakeLineApi
from tests.reliability.line_kit import INQUIRY, ROOT, SECRET, TOKEN
from tests.reliability.test_kill import Server, free_port, say


def children_of(pid: int) -> dict[int, str]:
    """Child pid → its SCRUM_ROLE."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) != pid:
                continue
            env = dict(kv.split("=", 1) for kv in (d / "environ").read_bytes().decode(errors="replace").split("\0")
                       if "=" in kv)
        except OSError:
            continue
        out[int(d.name)] = env.get("SCRUM_ROLE", "?")
    return out


def niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])



@pytest.fixture
async def server(db_url: str, tmp_path: Path, fake_line: FakeLineApi) -> AsyncIterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRUM_")}
    env.update({"SCRUM_DATABASE_URL": db_url, "SCRUM_HOST": "127.0.0.1",
                "SCRUM_PORT": str(free_port()), "SCRUM_LINE_CHANNEL_SECRET": SECRET,
                "SCRUM_LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "SCRUM_LINE_API_BASE_URL": fake_line.url,
                "SCRUM_LINE_API_DATA_BASE_URL": fake_line.url, "SCRUM_ENCRYPTION_KEY": Cipher.generate_key(),
                "SCRUM_PUBLIC_BASE_URL": "https://bot.example.jp", "SCRUM_LOG_LEVEL": "WARNING",
                "SCRUM_CATALOGUE_PATH": str(ROOT / "knowledge/services.yaml"),
                "SCRUM_WEB_PROCESSES": "2", "SCRUM_WORK_PROCESSES": "1"})
    srv = Server(env, tmp_path / "serve.log")
    await srv.start()
    yield srv
    srv.stop()


async def wait_until(predicate, seconds: float = 60.0):  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.1)):
        found = predicate()
        if found:
            return found
        await asyncio.sleep(0.1)
    pytest.fail("timed out")


async def test_web_and_worker_processes_answer_restart_and_stop(server: Server, fake_line: FakeLineApi) -> None:
    assert server.proc is not None
    sup = server.proc.pid
    roles = await wait_until(lambda: (c := children_of(sup)) and sorted(c.values()) == ["web", "web", "work"] and c)
    [worker] = [pid for pid, role in roles.items() if role == "work"]
    assert niceness(worker) == 5 and all(niceness(p) == 0 for p, r in roles.items() if r == "web")

    for n in range(3):                                  # residents are answered, through the worker
        uid = ev.user_id(700 + n)
        [*shown] = await say(server, fake_line, uid, INQUIRY)
        assert shown, "no answer"
    assert all(c.path != "/v2/bot/message/push" for c in fake_line.calls), "answered on the reply token"

    os.kill(worker, signal.SIGKILL)                     # the worker dies: it is started again
    await wait_until(lambda: [p for p, r in children_of(sup).items() if r == "work" and p != worker])
    uid = ev.user_id(799)
    assert await say(server, fake_line, uid, "こんにちは")

    server.proc.send_signal(signal.SIGTERM)             # stopping the supervisor stops everyone
    assert await asyncio.to_thread(server.proc.wait, 45) == 0
    assert children_of(sup) == {}


async def test_children_stop_when_the_supervisor_is_killed(server: Server) -> None:
    assert server.proc is not None
    sup = server.proc.pid
    children = await wait_until(lambda: (c := children_of(sup)) and len(c) == 3 and c)
    server.kill()                                       # SIGKILL: the supervisor cannot pass anything on
    await wait_until(lambda: not any(Path(f"/proc/{pid}").exists() and _alive(pid) for pid in children), 45)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
