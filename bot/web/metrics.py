"""Prometheus metrics at ``/metrics`` (prometheus-client), and small functions other areas call.

    from bot.web import metrics
    metrics.record_message("line")          # one inbound resident message
    metrics.record_outcome(result.outcome)   # route | multi | clarify | out_of_scope | crisis
    metrics.record_intake()                  # one consented intake ticket filed
    metrics.record_error("push_failed")      # an error we handled (short snake_case kind)
    with metrics.time_message("line"): ...   # seconds from receiving a message to the reply

Labels are closed sets, so a stray value cannot blow up the series count; none ever holds text,
user ids or anything personal. The registry is the process's own (one per replica; Prometheus
scrapes each replica) and is made on first use, never at import time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

CHANNELS = ("line", "telegram", "console", "try")
OUTCOMES = ("route", "multi", "clarify", "out_of_scope", "crisis")
OTHER = "other"
# Seconds; a reply should leave well inside LINE's reply-token window.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    messages: Counter
    outcomes: Counter
    intakes: Counter
    errors: Counter
    message_seconds: Histogram
    http_requests: Counter
    http_seconds: Histogram
    catalogue_reloads: Counter


_lock = threading.Lock()
_metrics: Metrics | None = None


def get_metrics() -> Metrics:
    """The process's metrics, made on first use."""
    global _metrics
    with _lock:
        if _metrics is None:
            _metrics = _build()
        return _metrics


def _build() -> Metrics:
    reg = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=reg)
    PlatformCollector(registry=reg)
    GCCollector(registry=reg)
    return Metrics(
        registry=reg,
        messages=Counter("scrum_messages", "Inbound resident messages, by channel", ["channel"],
                         registry=reg),
        outcomes=Counter("scrum_routing_outcomes", "Router decisions, by outcome", ["outcome"], registry=reg),
        intakes=Counter("scrum_intakes", "Consented intake tickets filed", registry=reg),
        errors=Counter("scrum_errors", "Errors, by kind (http_5xx, unhandled, or one an area records)",
                       ["kind"], registry=reg),
        message_seconds=Histogram("scrum_message_seconds", "Seconds from an inbound message to its reply",
                                  ["channel"], buckets=LATENCY_BUCKETS, registry=reg),
        http_requests=Counter("scrum_http_requests", "HTTP requests, by route and status class",
                              ["route", "status"], registry=reg),
        http_seconds=Histogram("scrum_http_request_seconds", "Seconds per HTTP request, by route",
                               ["route"], buckets=LATENCY_BUCKETS, registry=reg),
        catalogue_reloads=Counter("scrum_catalogue_reloads", "Catalogue reloads, by result (ok, refused)",
                                  ["result"], registry=reg),
    )


def _one_of(value: str, allowed: tuple[str, ...]) -> str:
    value = str(value)
    return value if value in allowed else OTHER


def _kind(value: str) -> str:
    """Error kinds are short snake_case words chosen in code; anything else becomes 'other'."""
    value = str(value)
    return value if len(value) <= 40 and value.replace("_", "").isalnum() and value.isascii() else OTHER


def record_message(channel: str) -> None:
    get_metrics().messages.labels(_one_of(channel, CHANNELS)).inc()


def record_outcome(outcome: object) -> None:
    """Counts a routing outcome (a str or an Enum whose value is one of OUTCOMES)."""
    get_metrics().outcomes.labels(_one_of(getattr(outcome, "value", outcome), OUTCOMES)).inc()


def record_intake() -> None:
    get_metrics().intakes.inc()


def record_error(kind: str) -> None:
    get_metrics().errors.labels(_kind(kind)).inc()


def observe_message_latency(channel: str, seconds: float) -> None:
    get_metrics().message_seconds.labels(_one_of(channel, CHANNELS)).observe(max(0.0, seconds))


@contextmanager
def time_message(channel: str) -> Iterator[None]:
    """Times the block as one message's handling (also when it raises)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        observe_message_latency(channel, time.perf_counter() - start)


def record_catalogue_reload(ok: bool) -> None:
    get_metrics().catalogue_reloads.labels("ok" if ok else "refused").inc()


def _route_label(request: web.Request) -> str:
    """The route's pattern (/webhooks/line, /staff/tickets/{id}), never the raw path."""
    info = request.match_info
    resource = info.route.resource if info is not None and info.route is not None else None
    canonical = resource.canonical if resource is not None else None
    if not canonical or getattr(info, "http_exception", None) is not None:
        return OTHER
    return canonical


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    m = get_metrics()
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except Exception:
        m.errors.labels("unhandled").inc()  # aiohttp answers 500; counted once, as unhandled
        status = -500
        raise
    finally:
        route = _route_label(request)
        m.http_seconds.labels(route).observe(time.perf_counter() - start)
        m.http_requests.labels(route, f"{abs(status) // 100}xx").inc()
        if status >= 500:
            m.errors.labels("http_5xx").inc()


async def metrics_view(request: web.Request) -> web.Response:
    body = generate_latest(get_metrics().registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(app: web.Application) -> None:
    app.middlewares.append(metrics_middleware)
    app.router.add_get("/metrics", metrics_view)
