"""RBAC by walking the console's whole route table: every route needs a session, a desk cannot
read or change another desk's ticket by any URL (JSON and CSV included), and only admins manage
users."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.staff import views
from bot.store.db import make_engine, make_sessions
from bot.store.models import AuditLog, ConsentReceipt, Outbox, Ticket, TicketEvent

from .conftest import SUMMARY_KORE, SUMMARY_SHO, login

PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/static/console.css")}


def route_table() -> list[tuple[str, str]]:
    """Every (method, path template) of the console, as the router knows it."""
    out = []
    for route in views.build_staff_app().router.routes():
        if route.method == "HEAD":
            continue
        out.append((route.method, route.resource.canonical))
    return out


def fill(path: str, ticket_id: int, user_id: int, meeting: str = "shien_chosei_kaigi") -> str:
    return "/staff" + (path.replace("{id}", str(ticket_id)).replace("{uid}", str(user_id)).replace("{lid}", "1")
                       .replace("{meeting}", meeting)).rstrip("/") if path != "/" else "/staff/"


def test_the_route_table_is_what_the_walk_covers() -> None:
    routes = route_table()
    assert len(routes) >= 25
    assert ("GET", "/tickets/{id}.json") in routes and ("POST", "/tickets/{id}/reply") in routes
    assert ("GET", "/meetings/{meeting}.csv") in routes
    for method, path in routes:
        handler = dict(((r.method, r.resource.canonical), r.handler)
                       for r in views.build_staff_app().router.routes())[(method, path)]
        assert getattr(handler, "staff_public", False) == ((method, path) in PUBLIC), (method, path)


async def test_every_route_needs_a_session(app_client, world) -> None:
    client = await app_client()
    for method, path in route_table():
        if (method, path) in PUBLIC:
            continue
        url = fill(path, world.sho, world.users["sho"])
        resp = await client.request(method, url, allow_redirects=False, data={} if method == "POST" else None)
        body = await resp.text()
        if method == "GET" and not url.endswith(".json"):
            assert resp.status == 303 and resp.headers["Location"].startswith("/staff/login?next="), (method, url)
        else:
            assert resp.status == 401, (method, url, resp.status)
        assert SUMMARY_SHO not in body and "FJ-2026" not in body
    # a forged or stale cookie is no better than none
    client.session.cookie_jar.update_cookies({"scrum_staff": "forged-token"})
    resp = await client.get(f"/staff/tickets/{world.kore}.json")
    assert resp.status == 401


async def _share_both_with_the_meeting(world) -> None:
    engine = make_engine(world.settings.database_url)
    async with make_sessions(engine)() as s, s.begin():
        r = ConsentReceipt(user_key="line:Usho", scope="meeting_share", text_version="m-1", text_sha256="0" * 64)
        s.add(r)
        await s.flush()
        for tid in (world.kore, world.sho):
            t = await s.get(Ticket, tid)
            t.meeting = "shien_chosei_kaigi"
        (await s.get(Ticket, world.sho)).consent_meeting_id = r.id
    await engine.dispose()


async def _count(world, model, *where) -> int:
    engine = make_engine(world.settings.database_url)
    async with make_sessions(engine)() as s:
        n = (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()
    await engine.dispose()
    return n


async def test_a_desk_cannot_reach_another_desks_ticket_by_any_url(app_client, world) -> None:
    await _share_both_with_the_meeting(world)
    client = await app_client()
    csrf = await login(client, "kore")
    sho_ref = f"FJ-2026-{world.sho:06d}"
    walked = 0
    for method, path in route_table():
        if (method, path) in PUBLIC or path == "/logout":
            continue
        url = fill(path, world.sho, world.users["sho"])
        if method == "GET":
            resp = await client.get(url, allow_redirects=False)
        else:
            resp = await client.post(url, allow_redirects=False, data={
                "csrf": csrf, "note": "x", "reply": "x", "status": "担当決定", "desk": "dept_koreisha",
                "should_be": "dept_koreisha", "meeting": "shien_chosei_kaigi", "password": "another long password",
                "username": "intruder", "department": "dept_koreisha", "role": "admin", "disabled": "1"})
        body = await resp.text()
        walked += 1
        assert SUMMARY_SHO not in body and sho_ref not in body, (method, url)
        if "{id}" in path:
            assert resp.status == 404, (method, url, resp.status)
        elif path.startswith(("/users", "/report", "/misroutes", "/audit")):
            assert resp.status == 403, (method, url, resp.status)
        else:
            assert resp.status in (200, 303), (method, url, resp.status)
    assert walked >= 20
    # nothing happened to the other desk's ticket, and nobody was added
    assert await _count(world, TicketEvent, TicketEvent.ticket_id == world.sho) == 0
    engine = make_engine(world.settings.database_url)
    async with make_sessions(engine)() as s:
        sho = await s.get(Ticket, world.sho)
        assert (sho.desk, sho.status, sho.assignee_id, sho.meeting) == ("dept_shogai", "受付", None, "shien_chosei_kaigi")
        assert (await s.execute(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "user_add"))).scalar_one() == 0
    await engine.dispose()
    # positive control: the desk does see its own ticket, and the coordinator sees both
    own = await client.get(f"/staff/tickets/{world.kore}.json")
    assert own.status == 200 and (await own.json())["summary"] == SUMMARY_KORE
    coord = await app_client()
    await login(coord, "coord")
    agenda = await (await coord.get("/staff/meetings/shien_chosei_kaigi.json")).json()
    assert {c["summary"] for c in agenda["cases"]} == {SUMMARY_KORE, SUMMARY_SHO}
    mine = await (await client.get("/staff/meetings/shien_chosei_kaigi.json")).json()
    assert [c["summary"] for c in mine["cases"]] == [SUMMARY_KORE]


async def test_only_admins_manage_users_and_coordinators_reassign(app_client, world) -> None:
    coord = await app_client(staff_chat="dept_koreisha=telegram:-1001", public_base_url="https://bot.example")
    csrf = await login(coord, "coord")
    assert (await coord.get("/staff/users.json")).status == 403
    resp = await coord.post(f"/staff/tickets/{world.sho}/reassign", data={"csrf": csrf, "desk": "dept_koreisha"},
                            allow_redirects=False)
    assert resp.status == 303
    engine = make_engine(world.settings.database_url)
    async with make_sessions(engine)() as s:
        told = [(o.user_key, o.body["replies"][0]["text"]) for o in (await s.execute(select(Outbox))).scalars()]
    await engine.dispose()
    assert told == [("telegram:-1001", f"新しい相談 FJ-2026-{world.sho:06d}\nhttps://bot.example/staff/tickets/{world.sho}")]
    admin = await app_client()
    csrf = await login(admin, "admin")
    users = await (await admin.get("/staff/users.json")).json()
    assert {u["username"] for u in users["users"]} == {"kore", "sho", "coord", "admin"}
    assert "password_hash" not in str(users)
    resp = await admin.post("/staff/users", data={"csrf": csrf, "username": "newdesk", "display_name": "新人",
                                                  "department": "dept_shogai", "role": "desk",
                                                  "password": "short"}, allow_redirects=False)
    assert resp.status == 400 and "12" in await resp.text()
    resp = await admin.post("/staff/users", data={"csrf": csrf, "username": "newdesk", "display_name": "新人",
                                                  "department": "dept_shogai", "role": "desk",
                                                  "password": "a long enough password"}, allow_redirects=False)
    assert resp.status == 303
    # the reassigned ticket now belongs to 高齢者支援課, so its old desk no longer sees it
    sho = await app_client()
    await login(sho, "sho")
    assert (await sho.get(f"/staff/tickets/{world.sho}.json")).status == 404
    kore = await app_client()
    await login(kore, "kore")
    assert (await kore.get(f"/staff/tickets/{world.sho}.json")).status == 200


async def test_no_route_answers_500_for_any_role_or_odd_id(app_client, world) -> None:
    for who in ("coord", "admin", "sho"):
        client = await app_client()
        csrf = await login(client, who)
        for method, path in route_table():
            if path in ("/logout", "/login"):
                continue
            for tid in (world.kore, 99999999999, 0):
                url = fill(path, tid, 99999999999)
                if method == "GET":
                    resp = await client.get(url, allow_redirects=False)
                else:
                    resp = await client.post(url, data={"csrf": csrf}, allow_redirects=False)
                assert resp.status < 500, (who, method, url, resp.status)
                if "{id}" in path and tid != world.kore:
                    assert resp.status == 404, (who, method, url)

    client = await app_client()
    await login(client, "admin")
    for url in ("/staff/report.json?year=999999", "/staff/report.json?year=-1", "/staff/tickets.json?min_age=999999",
                "/staff/tickets.json?max_age=x", "/staff/audit.json?ticket=99999999999", "/staff/audit.json?staff=abc",
                "/staff/tickets.json?desk=%00&field=%E2%80%AE"):
        resp = await client.get(url)
        assert resp.status in (200, 400, 404), (url, resp.status)
    csrf = await login(client, "admin")
    resp = await client.post("/staff/users", data={"csrf": csrf, "username": "nul\x00user", "display_name": "a\x00b",
                                                   "department": "dept_shogai", "role": "desk",
                                                   "password": "a long enough password"}, allow_redirects=False)
    assert resp.status in (303, 400)
    anon = await app_client()
    page = await anon.get("/staff/login")
    token = page.cookies["scrum_staff_login"].value
    resp = await anon.post("/staff/login", data={"csrf": token, "username": "ko\x00re", "password": "x\x00"},
                           allow_redirects=False)
    assert resp.status == 401
