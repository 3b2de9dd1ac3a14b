"""Several processes for one ``scrum-bot serve``: web processes sharing the port, worker processes.

One Python process answers about one core's worth of messages. ``SCRUM_WEB_PROCESSES=N`` starts N
web processes on one port (the kernel spreads connections, SO_REUSEPORT); ``SCRUM_WORK_PROCESSES=M``
starts M worker processes as well, and then the web processes only acknowledge webhooks
(``SCRUM_ROLE=web``): LINE and Telegram get their 200 at once even when answers queue, and the
events wait in the database until a worker (``SCRUM_ROLE=work``, a lower CPU priority) answers
them. Everything the processes share lives in the database (docs/performance.md lists it).

The supervisor here prepares what must be made once (tables, the development key file), starts
the children with the same command and environment, passes SIGTERM, SIGINT and SIGHUP on to them,
and restarts a child that died (at most ``MAX_RESTARTS`` in ``RESTART_WINDOW`` seconds; then it
stops them all and exits 1, so the container or systemd unit restarts the whole). A child gets
SIGTERM when the supervisor itself dies (Linux ``PR_SET_PDEATHSIG``), even by SIGKILL. It imports no
application code of its own beyond the settings, the store and the cipher.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.settings import Settings

log = logging.getLogger("bot.processes")

WORK_NICENESS = 5           # workers yield the CPU to the web processes that acknowledge webhooks
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
PR_SET_PDEATHSIG = 1        # prctl(2): the signal a child gets when its parent dies
STOP_GRACE = 40.0           # seconds children get to drain after SIGTERM (the channels drain in 30 s)


@dataclass
class Child:
    role: str
    index: int
    proc: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.role}-{self.index}"


def needs_supervisor(settings: Settings) -> bool:
    return settings.role == "all" and (settings.web_processes > 1 or settings.work_processes > 0)


def prepare(settings: Settings) -> None:
    """What must exist before several processes start at once: the tables, the development key."""
    from bot.conversation import load_cipher
    from bot.store.db import create_all, make_engine

    load_cipher(settings)                       # writes the dev key file once (not N different ones)

    async def tables() -> None:
        engine = make_engine(settings.database_url)
        try:
            await create_all(engine)
        finally:
            await engine.dispose()

    asyncio.run(tables())


def _command(host: str | None, port: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "bot", "serve", "--reuse-port"]
    if host:
        cmd += ["--host", host]
    if port:
        cmd += ["--port", str(port)]
    return cmd


def _child_setup(niceness: int) -> Callable[[], None]:
    """Runs in the child before exec: its priority, and SIGTERM when the supervisor dies (Linux), so
    a supervisor killed with SIGKILL leaves no orphan behind that still holds the port."""
    def setup() -> None:
        if niceness:
            os.nice(niceness)
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass
    return setup


def _start(child: Child, cmd: list[str], settings: Settings) -> None:
    env = dict(os.environ, SCRUM_ROLE=child.role, SCRUM_WEB_PROCESSES="1", SCRUM_WORK_PROCESSES="0")
    if child.role == "web" and settings.work_processes == 0:
        env["SCRUM_ROLE"] = "all"               # no workers: each web process answers what it takes
    setup = _child_setup(WORK_NICENESS if child.role == "work" else 0)
    child.proc = subprocess.Popen(cmd, env=env, preexec_fn=setup)  # noqa: S603 - our own command
    log.info("started %s (pid %d)", child.name, child.proc.pid)


def supervise(settings: Settings, host: str | None, port: int | None) -> int:
    """Runs the children until a signal stops them; returns the exit code for ``serve``."""
    prepare(settings)
    cmd = _command(host, port)
    children = ([Child("web", i) for i in range(settings.web_processes)]
                + [Child("work", i) for i in range(settings.work_processes)])
    stopping: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        if signum != signal.SIGHUP:
            stopping.append(signum)
        for c in children:
            if c.proc is not None and c.proc.poll() is None:
                c.proc.send_signal(signal.SIGTERM if signum != signal.SIGHUP else signal.SIGHUP)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    for c in children:
        _start(c, cmd, settings)
    code = 0
    while not stopping:
        time.sleep(0.2)
        for c in children:
            if stopping or c.proc is None or c.proc.poll() is None:
                continue
            now = time.monotonic()
            c.restarts = [t for t in c.restarts if now - t < RESTART_WINDOW] + [now]
            log.error("%s exited with %s", c.name, c.proc.returncode)
            if len(c.restarts) > MAX_RESTARTS:
                log.error("%s died %d times in %.0f s: stopping", c.name, len(c.restarts), RESTART_WINDOW)
                stopping.append(signal.SIGTERM)
                forward(signal.SIGTERM, None)
                code = 1
                break
            _start(c, cmd, settings)
    deadline = time.monotonic() + STOP_GRACE
    for c in children:
        if c.proc is None:
            continue
        try:
            c.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("%s did not stop in %.0f s: killed", c.name, STOP_GRACE)
            c.proc.kill()
            c.proc.wait()
    return code
