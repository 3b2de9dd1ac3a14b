"""``scrum-bot serve`` is killed (SIGKILL) mid-intake and started again: the conversation resumes.

A real server process on 127.0.0.1 with a SQLite file; the fake LINE API runs in the test. Every
wait is bounded (the server's start, each answer).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.store.crypto import Cipher
from bot.store.db import make_engine, make_sessions
from bot.store.models import Ticket
from tests.fakes import line_events as ev
from tests.fakes.line_api import FakeLineApi, Planned
from tests.reliability.line_kit import INQUIRY, NAME, PHONE, REF, ROOT, SECRET, SUMMARY, TOKEN, payloads_of, texts_of

ANSWER_WAIT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One ``python -m bot serve`` process; start() waits for /readyz, kill() is SIGKILL."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.url = f"http://127.0.0.1:{env['SCRUM_PORT']}"
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=self.env, cwd=ROOT,
                                         stdout=out, stderr=subprocess.STDOUT)
        async with aiohttp.ClientSession() as s:
            for _ in range(300):                       # ≤ 60 s
                if self.proc.poll() is not None:
                    pytest.fail(f"serve exited ({self.proc.returncode}):\n{self.log.read_text()[-2000:]}")
                try:
                    async with s.get(self.url + "/readyz", timeout=aiohttp.ClientTimeout(total=1)) as r:
                        if r.status == 200:
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(0.2)
        pytest.fail("serve did not become ready")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()



@pytest.fixture
async def server(tmp_path: Path, fake_line: FakeLineApi) -> AsyncIterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRUM_")}
    env.update({"SCRUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}", "SCRUM_HOST": "127.0.0.1",
                "SCRUM_PORT": str(free_port()), "SCRUM_LINE_CHANNEL_SECRET": SECRET,
                "SCRUM_LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "SCRUM_LINE_API_BASE_URL": fake_line.url,
                "SCRUM_LINE_API_DATA_BASE_URL": fake_line.url, "SCRUM_ENCRYPTION_KEY": Cipher.generate_key(),
                "SCRUM_LINE_LOADING_AFTER_SECONDS": "0",      # the indicator first: a hook for "mid-work"
                "SCRUM_PUBLIC_BASE_URL": "https://bot.example.jp", "SCRUM_LOG_LEVEL": "WARNING",
                "SCRUM_CATALOGUE_PATH": str(ROOT / "knowledge/services.yaml")})
    srv = Server(env, tmp_path / "serve.log")
    await srv.start()
    yield srv
    srv.stop()


async def say(server: Server, fake: FakeLineApi, uid: str, text: str | None = None, payload: str | None = None,
              *, wait: bool = True) -> list[dict]:
    before = len(fake.messages_to(uid))
    tok = fake.new_reply_token(uid)
    event = ev.postback(payload, user=uid, reply_token=tok) if payload else ev.text(text or "", user=uid, reply_token=tok)
    body = ev.body(event)
    async with aiohttp.ClientSession() as s:
        async with s.post(server.url + "/webhooks/line", data=body, timeout=aiohttp.ClientTimeout(total=10),
                          headers={"Content-Type": "application/json", "X-Line-Signature": ev.sign(body, SECRET)}) as r:
            assert r.status == 200
    if not wait:
        return []
    for _ in range(int(ANSWER_WAIT / 0.05)):
        if len(fake.messages_to(uid)) > before:
            await asyncio.sleep(0.1)                # the rest of a multi-message reply
            return fake.messages_to(uid)[before:]
        await asyncio.sleep(0.05)
    pytest.fail(f"no answer to {text or payload!r} within {ANSWER_WAIT:g} s")


async def test_killed_mid_intake_the_conversation_resumes(server: Server, fake_line: FakeLineApi) -> None:
    uid = ev.user_id(901)
    card = await say(server, fake_line, uid, INQUIRY)
    start = next(p for p in payloads_of(card) if p.startswith("intake:start"))
    await say(server, fake_line, uid, payload=start)
    await say(server, fake_line, uid, "同意する")
    await say(server, fake_line, uid, payload="about:family")
    await say(server, fake_line, uid, SUMMARY)

    server.kill()                                     # SIGKILL: no shutdown, no flush
    await server.start()

    await say(server, fake_line, uid, payload="contact:phone")
    await say(server, fake_line, uid, PHONE)
    await say(server, fake_line, uid, "平日の午前")
    await say(server, fake_line, uid, NAME)
    preview = await say(server, fake_line, uid, payload="meeting:yes")
    assert any(SUMMARY in t for t in texts_of(preview)), "the summary given before the kill is gone"
    done = await say(server, fake_line, uid, payload="preview:send")
    found = REF.search("\n".join(texts_of(done)))
    assert found, texts_of(done)
    engine = make_engine(server.env["SCRUM_DATABASE_URL"])
    try:
        async with make_sessions(engine)() as s:
            [ticket] = (await s.execute(select(Ticket))).scalars().all()
    finally:
        await engine.dispose()
    assert ticket.ref == found.group(0)
    assert Cipher(server.env["SCRUM_ENCRYPTION_KEY"]).decrypt(ticket.summary_enc) == SUMMARY


async def test_killed_between_the_200_and_the_answer_loses_no_message(server: Server, fake_line: FakeLineApi) -> None:
    uid = ev.user_id(902)
    fake_line.plan("/v2/bot/chat/loading/start", Planned(202, delay=2.5, apply=True))   # the bot is mid-work
    await say(server, fake_line, uid, INQUIRY, wait=False)
    await asyncio.sleep(0.5)
    server.kill()
    await server.start()
    for _ in range(100):                                # ≤ 10 s for a recovery to answer
        if fake_line.messages_to(uid):
            break
        await asyncio.sleep(0.1)
    assert fake_line.messages_to(uid), "the message taken with a 200 before the kill was never answered"
