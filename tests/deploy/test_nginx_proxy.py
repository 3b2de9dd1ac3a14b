"""deploy/nginx.conf in front of two real app instances: both answer, one may fail, operator paths hidden.

Runs Debian's nginx when it is installed (apt-get install nginx-light); skipped otherwise.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.catalogue import load_catalogue
from bot.settings import Settings
from bot.store.db import make_engine, make_sessions
from bot.web.app import create_app
from bot.web.deps import Deps

ROOT = Path(__file__).resolve().parents[2]
MINI = Path(__file__).with_name("data") / "mini.yaml"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx not installed (apt-get install nginx-light)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _deps(settings: Settings) -> Deps:
    engine = make_engine(settings.database_url)
    return Deps(settings=settings, catalogue=load_catalogue(settings.catalogue_path), engine=engine,
                sessions=make_sessions(engine))


async def start_replica(name: str, tmp_path: Path) -> tuple[web.AppRunner, int]:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}", catalogue_path=MINI,
                              admin_token="x" * 32), _deps)

    async def whoami(request: web.Request) -> web.Response:
        return web.Response(text=name)

    app.router.add_get("/whoami", whoami)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


def proxy_conf(ports: list[int], listen: int, tmp_path: Path) -> Path:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = "\n        ".join(f"server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;" for p in ports)
    conf, n = re.subn(r"server bot:8080[^;]*;", servers, conf)
    assert n == 1
    conf, n = re.subn(r"listen 8080;", f"listen 127.0.0.1:{listen};", conf)
    assert n == 1
    conf = conf.replace("pid /tmp/nginx.pid;", f"pid {tmp_path / 'nginx.pid'};")
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        conf = conf.replace("http {", f"http {{\n    {temp}_temp_path {tmp_path / temp};", 1)
    path = tmp_path / "nginx.conf"
    path.write_text(conf)
    return path


async def test_two_replicas_behind_nginx(tmp_path: Path) -> None:
    runners = []
    try:
        for name in ("a", "b"):
            runners.append(await start_replica(name, tmp_path))
        listen = free_port()
        conf = proxy_conf([p for _, p in runners], listen, tmp_path)
        check = await asyncio.create_subprocess_exec(NGINX, "-t", "-q", "-p", str(tmp_path), "-c", str(conf),
                                                     stderr=asyncio.subprocess.PIPE)
        _, err = await check.communicate()
        assert check.returncode == 0, err.decode()
        proc = await asyncio.create_subprocess_exec(NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;",
                                                    stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{listen}"
            async with aiohttp.ClientSession() as http:
                for _ in range(200):   # wait for nginx to listen
                    try:
                        async with http.get(f"{base}/healthz") as resp:
                            if resp.status == 200:
                                break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.05)
                seen = []
                for _ in range(10):
                    async with http.get(f"{base}/whoami") as resp:
                        assert resp.status == 200
                        seen.append(await resp.text())
                assert set(seen) == {"a", "b"}, seen
                async with http.get(f"{base}/metrics") as resp:
                    assert resp.status == 404
                async with http.post(f"{base}/ops/reload-catalogue",
                                     headers={"Authorization": "Bearer " + "x" * 32}) as resp:
                    assert resp.status == 404
                # one replica goes away: every request still gets an answer from the other
                await runners[0][0].cleanup()
                for _ in range(6):
                    async with http.get(f"{base}/whoami") as resp:
                        assert resp.status == 200
                        assert await resp.text() == "b"
        finally:
            proc.terminate()
            await proc.wait()
    finally:
        for runner, _ in runners:
            await runner.cleanup()
