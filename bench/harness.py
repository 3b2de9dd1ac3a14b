"""What the load scripts share: LINE events, signatures, the fake LINE API, processes, an open-loop driver.

Everything stays on loopback and is bounded: every loop has a count and a deadline, and every
process started here is stopped here (by its own pid).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))                       # tests.fakes is the fake LINE API

from tests.fakes.line_api import FakeLineApi  # noqa: E402

SECRET = "bench-channel-secret"
ACCESS_TOKEN = "test-access-token"                  # what FakeLineApi expects
LOOPBACK = "127.0.0.1"

# Inquiries are built from parts, so the load is varied and no test sentence is replayed.
WHO = ["母", "父", "祖母", "夫", "妻", "息子", "娘", "私", "近所のおばあさん", "兄", "友人", "80代の父", "高校生の息子"]
WHAT = ["の介護が大変で", "が仕事をなくして", "が家にひきこもっていて", "の子育てがつらくて", "がお金に困っていて",
        "が障害のことで悩んでいて", "が認知症かもしれなくて", "が学校に行けなくて", "が家賃を払えなくて",
        "が一人暮らしで心配で", "が妊娠中で不安で", "が仕事を探していて", "が地域で孤立していて"]
ASK = ["相談したいです", "どこに聞けばいいですか", "助けてほしい", "どうしたらいいでしょうか", "窓口を教えて", "話を聞いてほしい"]
EXTRA = ["", "。よろしくお願いします", "😢", "！", "…", "。急ぎではありません", "。ｹｱﾏﾈさんにも相談済み"]


def inquiry(rng: random.Random) -> str:
    return f"{rng.choice(WHO)}{rng.choice(WHAT)}{rng.choice(ASK)}{rng.choice(EXTRA)}"


def user_id(n: int) -> str:
    return "U" + hashlib.md5(f"bench-user-{n}".encode()).hexdigest()


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def ulid_like(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "".join(rng.choice(alphabet) for _ in range(26))


def text_event(uid: str, text: str, reply_token: str, event_id: str, *, redelivery: bool = False) -> dict[str, Any]:
    """A LINE message event in the documented webhook shape."""
    return {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": uid}, "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": redelivery}, "replyToken": reply_token,
        "message": {"id": str(random.getrandbits(60)), "type": "text", "quoteToken": uuid.uuid4().hex, "text": text},
    }


def postback_event(uid: str, data: str, reply_token: str, event_id: str) -> dict[str, Any]:
    return {
        "type": "postback", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": uid}, "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False}, "replyToken": reply_token, "postback": {"data": data},
    }


def webhook_body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "U" + "0" * 32, "events": list(events)}, ensure_ascii=False).encode()


# --- processes -------------------------------------------------------------------------------

@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    url: str
    started_in: float = 0.0
    log: Path | None = None

    def tree(self) -> list[int]:
        """This process and its descendants (serve with SCRUM_WEB_PROCESSES/SCRUM_WORK_PROCESSES forks)."""
        parent: dict[int, int] = {}
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        out, todo = [], [self.popen.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo += [c for c, pp in parent.items() if pp == pid]
        return out

    def rss_mb(self) -> float:
        """Memory of the process, or of the whole tree when serve runs several processes.

        One process: its RSS. Several: the sum of their PSS (proportional set size), so pages they
        share, such as the memory-mapped Sudachi dictionary, count once in all instead of once each.
        """
        pids = self.tree()
        field, path = ("VmRSS:", "status") if len(pids) == 1 else ("Pss:", "smaps_rollup")
        total = 0.0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
                    if line.startswith(field):
                        total += int(line.split()[1]) / 1024
            except OSError:
                pass
        return total or float("nan")

    def cpu_seconds(self) -> float:
        """User + system CPU of the whole process tree so far."""
        total = 0.0
        for pid in self.tree():
            try:
                parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                pass
        return total or float("nan")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


async def wait_http(url: str, deadline: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    async with aiohttp.ClientSession() as s:
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
            try:
                async with s.get(url, timeout=aiohttp.ClientTimeout(total=1)) as r:
                    if r.status == 200:
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not answer in time")


async def start_bare(workdir: Path, max_seconds: float = 900) -> Proc:
    port = free_port()
    log = workdir / "bare.log"
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_aiohttp.py"), "--port", str(port),
                          "--secret", SECRET, "--max-seconds", str(max_seconds)],
                         stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)
    await wait_http(f"http://{LOOPBACK}:{port}/healthz", time.monotonic() + 30, p)
    return Proc("bare", p, f"http://{LOOPBACK}:{port}", time.monotonic() - t0, log)


def serve_env(db_url: str, line_api: str, port: int, encryption_key: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRUM_")}
    env.update({
        "SCRUM_DATABASE_URL": db_url, "SCRUM_HOST": LOOPBACK, "SCRUM_PORT": str(port),
        "SCRUM_LINE_CHANNEL_SECRET": SECRET, "SCRUM_LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "SCRUM_LINE_API_BASE_URL": line_api, "SCRUM_LINE_API_DATA_BASE_URL": line_api,
        "SCRUM_ENCRYPTION_KEY": encryption_key, "SCRUM_LOG_LEVEL": "WARNING",
        "SCRUM_CATALOGUE_PATH": str(ROOT / "knowledge" / "services.yaml"),
        "SCRUM_PUBLIC_BASE_URL": "https://bench.invalid",
    })
    env.update(extra)
    return env


async def start_serve(name: str, workdir: Path, env: dict[str, str]) -> Proc:
    """Starts ``scrum-bot serve`` and waits for /readyz; records how long that took."""
    log = workdir / f"{name}.log"
    port = int(env["SCRUM_PORT"])
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env, cwd=ROOT,
                         stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        await wait_http(f"http://{LOOPBACK}:{port}/readyz", time.monotonic() + 90, p)
    except RuntimeError:
        Proc(name, p, "").stop()
        raise RuntimeError(f"{name} did not start; see {log}:\n{log.read_text()[-3000:]}") from None
    return Proc(name, p, f"http://{LOOPBACK}:{port}", time.monotonic() - t0, log)


# --- the fake LINE API, counting what the bot sends ------------------------------------------

class CountingLineApi(FakeLineApi):
    """The test suite's fake LINE API, started on loopback; the driver issues the reply tokens.

    It also notes when each reply token and each resident's push arrived (``perf_counter``), for
    the time from sending an event to its answer.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reply_at: dict[str, float] = {}
        self.push_at: dict[str, list[float]] = {}

    async def _reply(self, request: Any) -> Any:
        resp = await super()._reply(request)
        if resp.status == 200:
            self.reply_at.setdefault((await request.json()).get("replyToken", ""), time.perf_counter())
        return resp

    async def _push(self, request: Any) -> Any:
        resp = await super()._push(request)
        if resp.status == 200:
            self.push_at.setdefault((await request.json()).get("to", ""), []).append(time.perf_counter())
        return resp

    def replies_per_token(self) -> Counter[str]:
        return Counter(c.body.get("replyToken", "") for c in self.calls
                       if c.path == "/v2/bot/message/reply" and c.status == 200 and isinstance(c.body, dict))

    def status_counts(self) -> Counter[tuple[str, int]]:
        return Counter((c.path, c.status) for c in self.calls)

    def pushes(self) -> int:
        return sum(1 for d in self.delivered if d["kind"] == "push")


# --- the driver ------------------------------------------------------------------------------

@dataclass
class Shot:
    scheduled: float
    sent: float
    done: float
    status: int
    error: str | None = None

    @property
    def latency(self) -> float:
        return self.done - self.sent


@dataclass
class RunResult:
    label: str
    shots: list[Shot] = field(default_factory=list)
    wall: float = 0.0
    max_lag: float = 0.0         # how far behind schedule the driver fell (coordinated omission check)
    unsent: int = 0              # left unsent when the time bound ran out

    @property
    def ok(self) -> int:
        return sum(1 for s in self.shots if s.status == 200)

    def throughput(self) -> float:
        return self.ok / self.wall if self.wall else 0.0

    def pct(self, q: float) -> float:
        lat = sorted(s.latency for s in self.shots if s.status == 200)
        if not lat:
            return float("nan")
        return lat[min(len(lat) - 1, int(q * len(lat)))]

    def errors(self) -> Counter[str]:
        return Counter(s.error or str(s.status) for s in self.shots if s.status != 200)

    def summary(self) -> dict[str, Any]:
        return {"label": self.label, "sent": len(self.shots), "ok": self.ok, "wall_s": round(self.wall, 2),
                "throughput_eps": round(self.throughput(), 1), "p50_ms": round(self.pct(0.50) * 1000, 2),
                "p90_ms": round(self.pct(0.90) * 1000, 2), "p99_ms": round(self.pct(0.99) * 1000, 2),
                "max_ms": round(self.pct(1.0) * 1000, 2), "max_driver_lag_ms": round(self.max_lag * 1000, 1),
                "unsent_at_time_bound": self.unsent, "errors": dict(self.errors())}


async def post(session: aiohttp.ClientSession, url: str, body: bytes, scheduled: float, timeout: float) -> Shot:
    sent = time.perf_counter()
    try:
        async with session.post(url, data=body, timeout=aiohttp.ClientTimeout(total=timeout),
                                headers={"Content-Type": "application/json", "X-Line-Signature": sign(body)}) as r:
            await r.read()
            return Shot(scheduled, sent, time.perf_counter(), r.status)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return Shot(scheduled, sent, time.perf_counter(), 0, type(exc).__name__)


async def open_loop(label: str, url: str, bodies: list[tuple[str, bytes]], rate: float, *,
                    max_inflight: int = 512, timeout: float = 10.0, connections: int = 64,
                    max_seconds: float | None = None) -> RunResult:
    """Sends ``bodies`` (target url, body) at ``rate`` per second, whatever the answers; bounded by
    count and, with ``max_seconds``, by time (what is left unsent is counted in ``unsent``).

    ``url`` is the default base; an entry's own url, when not empty, wins (two instances).
    """
    result = RunResult(label)
    sem = asyncio.Semaphore(max_inflight)
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks: list[asyncio.Task[Shot]] = []
        t0 = time.perf_counter()
        for i, (target, body) in enumerate(bodies):
            if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
                result.unsent = len(bodies) - i
                break
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                result.max_lag = max(result.max_lag, -delay)
            await sem.acquire()
            task = asyncio.create_task(post(session, target or url, body, due, timeout))
            task.add_done_callback(lambda _t: sem.release())
            tasks.append(task)
        result.shots = list(await asyncio.gather(*tasks))
        result.wall = max(s.done for s in result.shots) - t0 if result.shots else 0.0
    return result


async def closed_loop(label: str, url: str, bodies: list[bytes], *, concurrency: int = 64,
                      max_seconds: float = 20.0, timeout: float = 10.0) -> RunResult:
    """``concurrency`` workers send back to back: the saturation throughput. Bounded by count and time."""
    result = RunResult(label)
    it = iter(bodies)
    deadline = time.perf_counter() + max_seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker() -> None:
            for body in it:
                if time.perf_counter() > deadline:
                    return
                now = time.perf_counter()
                result.shots.append(await post(session, url, body, now, timeout))
        t0 = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        result.wall = time.perf_counter() - t0
    return result


async def drain(api: CountingLineApi, expected: int, max_seconds: float) -> float:
    """Waits until ``expected`` replies arrived or nothing new came for 3 s; returns the wait."""
    t0 = time.monotonic()
    last, last_change = -1, t0
    while time.monotonic() - t0 < max_seconds:
        n = sum(api.replies_per_token().values()) + api.pushes()
        if n >= expected:
            break
        if n != last:
            last, last_change = n, time.monotonic()
        elif time.monotonic() - last_change > 3:
            break
        await asyncio.sleep(0.25)
    return time.monotonic() - t0


def write_report(out: str | None, report: dict[str, Any]) -> None:
    """Writes a run's JSON report to ``out`` (its folder made), or nothing without a path."""
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


def machine_conditions() -> dict[str, Any]:
    load1, load5, _ = os.getloadavg()
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "bot"], cwd=ROOT, capture_output=True,
                           text=True).stdout.splitlines()
    return {"cpus": os.cpu_count(), "loadavg_1m_before": round(load1, 2), "loadavg_5m_before": round(load5, 2),
            "python": sys.version.split()[0], "utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            "git_head": git, "uncommitted_in_bot": [line[3:] for line in dirty]}
