"""/metrics: messages, outcomes, intakes, latency and errors, with closed label sets."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.catalogue import load_catalogue
from bot.routing.result import Outcome
from bot.settings import Settings
from bot.store.db import make_engine, make_sessions
from bot.web import metrics
from bot.web.app import create_app
from bot.web.deps import Deps

MINI = Path(__file__).with_name("data") / "mini.yaml"


async def _deps(settings: Settings) -> Deps:
    engine = make_engine(settings.database_url)
    return Deps(settings=settings, catalogue=load_catalogue(settings.catalogue_path), engine=engine,
                sessions=make_sessions(engine))


async def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=")
    out = {}
    for family in text_string_to_metric_families(await resp.text()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def make_client(aiohttp_client, tmp_path: Path, extra_routes=None):
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", catalogue_path=MINI), _deps)
    for method, path, handler in extra_routes or ():
        app.router.add_route(method, path, handler)
    return await aiohttp_client(app)


async def test_recorded_events_appear(aiohttp_client, tmp_path: Path) -> None:
    client = await make_client(aiohttp_client, tmp_path)
    before = await scrape(client)
    metrics.record_message("line")
    metrics.record_message("telegram")
    metrics.record_message("line")
    metrics.record_outcome("route")
    metrics.record_outcome(Outcome.CRISIS)
    metrics.record_intake()
    metrics.record_error("push_failed")
    with metrics.time_message("line"):
        pass
    after = await scrape(client)
    delta = lambda name, **labels: value(after, name, **labels) - value(before, name, **labels)
    assert delta("scrum_messages_total", channel="line") == 2
    assert delta("scrum_messages_total", channel="telegram") == 1
    assert delta("scrum_routing_outcomes_total", outcome="route") == 1
    assert delta("scrum_routing_outcomes_total", outcome="crisis") == 1
    assert delta("scrum_intakes_total") == 1
    assert delta("scrum_errors_total", kind="push_failed") == 1
    assert delta("scrum_message_seconds_count", channel="line") == 1


async def test_labels_stay_in_closed_sets(aiohttp_client, tmp_path: Path) -> None:
    client = await make_client(aiohttp_client, tmp_path)
    before = await scrape(client)
    metrics.record_message("母の介護 090-1234-5678")
    metrics.record_outcome("something new")
    metrics.record_error("ValueError: 母の介護のことで")
    after = await scrape(client)
    assert value(after, "scrum_messages_total", channel="other") == value(before, "scrum_messages_total", channel="other") + 1
    assert value(after, "scrum_routing_outcomes_total", outcome="other") > value(before, "scrum_routing_outcomes_total", outcome="other")
    assert value(after, "scrum_errors_total", kind="other") > value(before, "scrum_errors_total", kind="other")
    text = await (await client.get("/metrics")).text()
    assert "090-1234-5678" not in text and "介護" not in text


async def test_requests_are_timed_by_route_pattern(aiohttp_client, tmp_path: Path) -> None:
    async def item(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    client = await make_client(aiohttp_client, tmp_path, [("GET", "/items/{id}", item)])
    before = await scrape(client)
    for i in range(3):
        assert (await client.get(f"/items/{i}-secret")).status == 200
    assert (await client.get("/no/such/page-090-1234-5678")).status == 404
    after = await scrape(client)
    assert value(after, "scrum_http_requests_total", route="/items/{id}", status="2xx") - \
        value(before, "scrum_http_requests_total", route="/items/{id}", status="2xx") == 3
    assert value(after, "scrum_http_request_seconds_count", route="/items/{id}") - \
        value(before, "scrum_http_request_seconds_count", route="/items/{id}") == 3
    assert value(after, "scrum_http_requests_total", route="other", status="4xx") > \
        value(before, "scrum_http_requests_total", route="other", status="4xx")
    text = await (await client.get("/metrics")).text()
    assert "secret" not in text and "no/such" not in text


async def test_errors_are_counted(aiohttp_client, tmp_path: Path) -> None:
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("broken")

    async def unavailable(request: web.Request) -> web.Response:
        return web.json_response({}, status=503)

    client = await make_client(aiohttp_client, tmp_path, [("GET", "/boom", boom), ("GET", "/down", unavailable)])
    before = await scrape(client)
    assert (await client.get("/boom")).status == 500
    assert (await client.get("/down")).status == 503
    after = await scrape(client)
    assert value(after, "scrum_errors_total", kind="unhandled") - value(before, "scrum_errors_total", kind="unhandled") == 1
    assert value(after, "scrum_errors_total", kind="http_5xx") - value(before, "scrum_errors_total", kind="http_5xx") == 1
    assert value(after, "scrum_http_requests_total", route="/boom", status="5xx") - \
        value(before, "scrum_http_requests_total", route="/boom", status="5xx") == 1


def test_example_alerts_use_metrics_that_exist() -> None:
    """deploy/prometheus/alerts.yml only names series this process exports (or Prometheus's `up`)."""
    import re

    import yaml

    root = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
    config = yaml.safe_load((root / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    assert config["scrape_configs"][0]["metrics_path"] == "/metrics"
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    exported = {family.name + suffix for family in metrics.get_metrics().registry.collect()
                for suffix in suffixes.get(family.type, ("",))}
    rules = yaml.safe_load((root / "alerts.yml").read_text())["groups"][0]["rules"]
    assert rules
    for rule in rules:
        names = set(re.findall(r"\b(scrum_[a-z_]+)", rule["expr"]))
        assert names <= exported, (rule["alert"], names - exported)
        assert rule["annotations"]["look_at"]
