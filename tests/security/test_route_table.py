"""Walks the app's whole route table, sub-apps included: every route is either a staff route that needs a
session, or on a short list of public routes, each with its own check. A new route that is neither
fails here until someone decides which it is."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.web_urldispatcher import PrefixedSubAppResource

from tests.security.conftest import ADMIN_TOKEN, SECRET_A, SECRET_B, World, login

# (method, path template) -> why it is public and what guards it instead of a staff session.
PUBLIC = {
    ("GET", "/healthz"): "liveness, no data",
    ("GET", "/readyz"): "readiness, counts only",
    ("GET", "/metrics"): "counters with closed labels (deploy tests)",
    ("POST", "/ops/reload-catalogue"): "bearer admin token",
    ("POST", "/webhooks/line"): "X-Line-Signature",
    ("POST", "/webhooks/telegram"): "X-Telegram-Bot-Api-Secret-Token",
    ("GET", "/try"): "residents' try-out page, no staff data",
    ("GET", "/try/static/{name}"): "static files",
    ("POST", "/try/api/message"): "a resident's own chat (cookie key)",
    ("GET", "/try/api/inbox"): "a resident's own pushes (cookie key, X-Scrum-Try header)",
    ("GET", "/staff"): "redirect to the console",
    ("GET", "/staff/login"): "login form",
    ("POST", "/staff/login"): "login (login CSRF cookie)",
    ("GET", "/staff/static/console.css"): "stylesheet",
}


def routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, path template) of every route, sub-apps included (their templates carry the prefix
    once mounted); HEAD twins of GET left out."""
    found: list[tuple[str, str]] = []
    for resource in app.router.resources():
        if isinstance(resource, PrefixedSubAppResource):
            found += routes(resource._app)
            continue
        info = resource.get_info()
        template = info.get("formatter") or info.get("path") or info.get("prefix") or ""
        for route in resource:
            if route.method != "HEAD":
                found.append((route.method, template))
    return sorted(set(found))


def concrete(template: str, world: World) -> str:
    values = {"id": str(world.ticket_b), "meeting": "shien_chosei_kaigi", "uid": str(world.users["sho"]),
              "name": "app.js"}
    return re.sub(r"\{(\w+)[^}]*\}", lambda m: values.get(m.group(1), "1"), template)


async def test_every_route_is_classified_and_staff_routes_need_a_session(world: World) -> None:
    table = routes(world.client.app)
    assert len(table) > 20, table                      # the walk did find the console
    unclassified = [r for r in table if r not in PUBLIC and not r[1].startswith("/staff/")]
    assert not unclassified, f"routes neither public nor under /staff: {unclassified}"
    assert not [r for r in PUBLIC if r not in table and r[1] != "/staff"], "PUBLIC lists a route that is gone"
    staff = [r for r in table if r not in PUBLIC]
    assert len(staff) >= 20
    for method, template in staff:
        path = concrete(template, world)
        resp = await world.client.request(method, path, allow_redirects=False, data={"x": "1"})
        body = await resp.text()
        if method == "GET":
            assert resp.status in (303, 401), (method, path, resp.status)
            assert resp.status == 401 or not path.endswith(".json"), (method, path, "JSON must answer 401")
            if resp.status == 303:
                assert resp.headers["Location"].startswith("/staff/login"), (path, resp.headers["Location"])
        else:
            assert resp.status in (401, 403), (method, path, resp.status)
        assert SECRET_A not in body and SECRET_B not in body and "相談者" not in body, (method, path)


async def test_a_forged_or_expired_session_cookie_is_no_session(world: World) -> None:
    for cookie in ("x" * 43, "", "' OR 1=1 --", "\u202e" * 10):
        world.client.session.cookie_jar.update_cookies({"scrum_staff": cookie})
        resp = await world.client.get(f"/staff/tickets/{world.ticket_a}.json", allow_redirects=False)
        assert resp.status == 401


async def test_public_routes_have_their_own_guard(world: World) -> None:
    c = world.client
    assert (await c.post("/webhooks/line", data=b'{"events":[]}', headers={"X-Line-Signature": "x"})).status == 400
    assert (await c.post("/webhooks/telegram", data=b'{"update_id":1}')).status == 403
    assert (await c.post("/ops/reload-catalogue")).status in (401, 403)
    assert (await c.post("/ops/reload-catalogue", headers={"Authorization": "Bearer wrong"})).status in (401, 403)
    ok = await c.post("/ops/reload-catalogue", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert ok.status == 200
    metrics = await (await c.get("/metrics")).text()
    assert SECRET_A not in metrics and "line:U" not in metrics


async def test_a_desk_sees_only_its_own_desk(world: World) -> None:
    """RBAC across desks on every ticket route, page and JSON twin, read and write."""
    c = world.client
    csrf = await login(c, "kore")
    table = [r for r in routes(c.app) if "{id" in r[1]]
    assert len(table) >= 8
    for method, template in table:
        path = concrete(template, world)             # world.ticket_b belongs to dept_shogai
        resp = await c.request(method, path, allow_redirects=False,
                               data={"csrf": csrf, "desk": "dept_koreisha", "to": "担当決定", "note": "x",
                                     "text": "x", "meeting": "shien_chosei_kaigi", "should_be": "dept_koreisha"})
        body = await resp.text()
        assert resp.status in (403, 404), (method, path, resp.status)
        assert SECRET_B not in body and "相談者B" not in body
    own = await c.get(f"/staff/tickets/{world.ticket_a}.json")
    assert own.status == 200 and SECRET_A in await own.text()
    queue = await (await c.get("/staff/tickets.json")).text()
    assert "相談者A" in queue and "相談者B" not in queue


async def test_a_desk_cannot_reach_admin_pages(world: World) -> None:
    c = world.client
    csrf = await login(c, "sho")
    assert (await c.get("/staff/users.json")).status == 403
    resp = await c.post("/staff/users", data={"csrf": csrf, "username": "evil", "display_name": "e",
                                             "department": "dept_shogai", "role": "admin", "password": "Zz9!" * 4})
    assert resp.status == 403
