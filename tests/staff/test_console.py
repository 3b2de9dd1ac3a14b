"""The console over HTTP: login, lockout, expiry, CSRF, headers, and the ticket actions with
their audit entries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot.staff import texts
from bot.store.db import make_engine, make_sessions
from bot.store.models import AuditLog, Outbox, StaffSession, StaffUser, Ticket

from .conftest import PASSWORD, SUMMARY_KORE, login


async def _db(world):
    engine = make_engine(world.settings.database_url)
    return engine, make_sessions(engine)


async def test_login_sets_a_strict_httponly_cookie_and_logout_ends_the_session(app_client, world) -> None:
    client = await app_client(staff_cookie_secure=True)
    page = await client.get("/staff/login")
    assert "Secure" in page.headers.getall("Set-Cookie")[0]
    # with Secure cookies the test client (plain http) cannot send them back: check the header itself
    token = page.cookies["scrum_staff_login"].value
    resp = await client.post("/staff/login", data={"csrf": token, "username": "kore", "password": PASSWORD},
                             allow_redirects=False, cookies={"scrum_staff_login": token})
    assert resp.status == 303
    cookie = next(c for c in resp.headers.getall("Set-Cookie") if c.startswith("scrum_staff="))
    for part in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/staff"):
        assert part in cookie
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")

    plain = await app_client()
    csrf = await login(plain, "kore")
    assert (await plain.get("/staff/tickets.json")).status == 200
    assert (await plain.post("/staff/logout", data={"csrf": csrf}, allow_redirects=False)).status == 303
    plain.session.cookie_jar.update_cookies({"scrum_staff": "x"})
    assert (await plain.get("/staff/tickets.json")).status == 401


async def test_security_headers_on_every_console_response(app_client, world) -> None:
    client = await app_client()
    for url in ("/staff/login", "/staff/tickets", "/staff/tickets.json", "/staff/static/console.css"):
        resp = await client.get(url, allow_redirects=False)
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script-src" not in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in resp.headers       # not behind TLS in this test


async def test_lockout_after_repeated_failures_even_with_the_right_password(app_client, world) -> None:
    client = await app_client()
    page = await client.get("/staff/login")
    token = page.cookies["scrum_staff_login"].value
    for _ in range(3):
        resp = await client.post("/staff/login", data={"csrf": token, "username": "kore", "password": "wrong one!"},
                                  allow_redirects=False)
        assert resp.status == 401
        token = resp.cookies["scrum_staff_login"].value
    resp = await client.post("/staff/login", data={"csrf": token, "username": "kore", "password": PASSWORD},
                             allow_redirects=False)
    assert resp.status == 401 and "scrum_staff" not in {c.key for c in client.session.cookie_jar if c.key == "scrum_staff"}
    engine, sessions = await _db(world)
    async with sessions() as s:
        user = (await s.execute(select(StaffUser).where(StaffUser.username == "kore"))).scalar_one()
        assert user.locked_until is not None
        actions = [a for a, in (await s.execute(select(AuditLog.action).where(AuditLog.staff_id == user.id)))]
        assert actions.count("login_failed") == 4 and "lockout" in actions
        user.locked_until = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)     # the lockout runs out
        await s.commit()
    await engine.dispose()
    await login(client, "kore")


async def test_login_form_needs_its_csrf_token(app_client, world) -> None:
    client = await app_client()
    await client.get("/staff/login")
    resp = await client.post("/staff/login", data={"username": "kore", "password": PASSWORD}, allow_redirects=False)
    assert resp.status == 403


async def test_expired_session_is_refused(app_client, world) -> None:
    client = await app_client()
    await login(client, "kore")
    engine, sessions = await _db(world)
    async with sessions() as s, s.begin():
        for sess in (await s.execute(select(StaffSession))).scalars():
            sess.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await engine.dispose()
    resp = await client.get("/staff/tickets", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/staff/login")


async def test_posts_without_the_session_csrf_token_or_from_another_origin_are_refused(app_client, world) -> None:
    client = await app_client()
    csrf = await login(client, "kore")
    url = f"/staff/tickets/{world.kore}/claim"
    assert (await client.post(url, data={}, allow_redirects=False)).status == 403
    assert (await client.post(url, data={"csrf": csrf + "x"}, allow_redirects=False)).status == 403
    assert (await client.post(url, data={"csrf": csrf}, headers={"Origin": "https://evil.example"},
                              allow_redirects=False)).status == 403
    engine, sessions = await _db(world)
    async with sessions() as s:
        assert (await s.get(Ticket, world.kore)).assignee_id is None
    await engine.dispose()
    assert (await client.post(url, data={"csrf": csrf}, allow_redirects=False)).status == 303


async def test_ticket_actions_through_the_console_are_audited(app_client, world) -> None:
    client = await app_client()
    csrf = await login(client, "kore")
    base = f"/staff/tickets/{world.kore}"
    page = await client.get(base)
    html = await page.text()
    assert SUMMARY_KORE in html and "090-1111-2222" in html and "介護" in html and "地域包括支援センター" in html
    for action, data in (("claim", {}), ("handoff", {}), ("reply", {"reply": "明日お電話します"}), ("handback", {}),
                         ("note", {"note": "家族と相談中"}), ("status", {"status": "連絡済", "note": "電話できた"}),
                         ("meeting", {"meeting": "shien_chosei_kaigi"}), ("misroute", {"should_be": "dept_shogai"}),
                         ("status", {"status": "他窓口へ紹介"})):
        resp = await client.post(f"{base}/{action}", data={"csrf": csrf, **data}, allow_redirects=False)
        assert resp.status == 303, (action, await resp.text())
    bad = await client.post(f"{base}/status", data={"csrf": csrf, "status": "完了"}, allow_redirects=False)
    assert bad.status == 400 and "結果を選んでください" in await bad.text()
    assert (await client.post(f"{base}/status", data={"csrf": csrf, "status": "完了", "outcome": "支援につながった"},
                              allow_redirects=False)).status == 303
    got = await (await client.get(f"{base}.json")).json()
    assert got["status"] == "完了" and got["outcome"] == "支援につながった" and got["meeting"] == "shien_chosei_kaigi"
    kinds = [e["kind"] for e in got["events"]]
    assert kinds == ["assign", "handoff", "reply", "handback", "note", "status", "meeting", "misroute", "status", "status"]
    assert got["events"][2]["body"] == "明日お電話します" and got["events"][2]["actor"] == "koreさん"
    engine, sessions = await _db(world)
    async with sessions() as s:
        audit = [(a.action, a.ticket_id) for a in (await s.execute(select(AuditLog).order_by(AuditLog.id))).scalars()]
        pushes = [o.body for o in (await s.execute(select(Outbox).order_by(Outbox.id))).scalars()]
    await engine.dispose()
    ticket_actions = [a for a, tid in audit if tid == world.kore]
    assert ticket_actions == ["view_ticket", "claim", "handoff", "reply", "handback", "note", "status", "meeting",
                              "misroute", "status", "status", "view_ticket"]
    assert ("login", None) in audit
    dumped = json.dumps(pushes, ensure_ascii=False)
    assert texts.STAFF_MESSAGE_WAITING in [p["replies"][0]["text"] for p in pushes]
    assert "明日" not in dumped and "介護" not in dumped and "090" not in dumped


async def test_agenda_csv_and_printable_page(app_client, world) -> None:
    client = await app_client()
    csrf = await login(client, "coord")
    await client.post(f"/staff/tickets/{world.kore}/meeting", data={"csrf": csrf, "meeting": "juso_shien_kaigi"})
    refused = await client.post(f"/staff/tickets/{world.sho}/meeting", data={"csrf": csrf, "meeting": "juso_shien_kaigi"},
                                allow_redirects=False)
    assert refused.status == 403                                 # no meeting consent
    csv_resp = await client.get("/staff/meetings/juso_shien_kaigi.csv")
    assert csv_resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_resp.headers["Content-Disposition"]
    text = (await csv_resp.read()).decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert lines[0].startswith("受付番号,担当窓口") and len(lines) == 2 and SUMMARY_KORE in lines[1]
    page = await (await client.get("/staff/meetings/juso_shien_kaigi")).text()
    assert "重層的支援会議 議題" in page and SUMMARY_KORE in page
    empty = await (await client.get("/staff/meetings/shien_chosei_kaigi.json")).json()
    assert empty["cases"] == []
    assert (await client.get("/staff/meetings/nomeeting")).status == 404


async def test_queue_filters_and_highlights_overdue(app_client, world) -> None:
    client = await app_client(staff_overdue_by_desk="dept_koreisha=48")
    await login(client, "coord")
    data = await (await client.get("/staff/tickets.json")).json()
    by_id = {t["id"]: t for t in data["tickets"]}
    assert by_id[world.kore]["overdue"] and by_id[world.kore]["target_hours"] == 48
    assert not by_id[world.sho]["overdue"] and by_id[world.sho]["unassigned"]
    assert data["tickets"][0]["id"] == world.kore
    only = await (await client.get("/staff/tickets.json?field=障害")).json()
    assert [t["id"] for t in only["tickets"]] == [world.sho]
    old = await (await client.get("/staff/tickets.json?min_age=50")).json()
    assert [t["id"] for t in old["tickets"]] == [world.kore]
    html = await (await client.get("/staff/tickets?overdue=1")).text()
    assert 'class="overdue"' in html and f"FJ-2026-{world.sho:06d}" not in html
    sho = await (await client.get(f"/staff/tickets/{world.sho}.json")).json()
    assert sho["routing"]["matches"] == [{"id": "houkatsu", "name": "地域包括支援センター", "score": None}]
    assert (await client.get("/staff/tickets.json?status=nonsense")).status == 400
    assert (await client.get("/staff/tickets.json?min_age=abc")).status == 400


async def test_dashboard_and_report_render_server_side_svg(app_client, world) -> None:
    client = await app_client()
    await login(client, "coord")
    html = await (await client.get("/staff/dashboard")).text()
    assert html.count("<svg") == 4 and "<script" not in html
    data = await (await client.get("/staff/dashboard.json")).json()
    assert data["total"] == 2
    report = await (await client.get("/staff/report.json?year=2026")).json()
    assert report["fiscal_year"] == 2026
    desk = await app_client()
    await login(desk, "kore")
    assert (await (await desk.get("/staff/dashboard.json")).json())["total"] == 1      # own desk only
    assert (await desk.get("/staff/report")).status == 403


async def test_login_never_redirects_off_the_console(app_client, world) -> None:
    client = await app_client()
    page = await client.get("/staff/login")
    token = page.cookies["scrum_staff_login"].value
    for evil in ("https://evil.example/", "//evil.example/staff/", "/staff/\\evil", "/other"):
        resp = await client.post("/staff/login", data={"csrf": token, "username": "kore", "password": PASSWORD,
                                                       "next": evil}, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == "/staff/tickets", evil
        page = await client.get("/staff/login")
        token = page.cookies["scrum_staff_login"].value if "scrum_staff_login" in page.cookies else token


async def test_an_admin_disabling_an_account_ends_its_session(app_client, world) -> None:
    desk = await app_client()
    await login(desk, "kore")
    assert (await desk.get("/staff/tickets.json")).status == 200
    admin = await app_client()
    csrf = await login(admin, "admin")
    resp = await admin.post(f"/staff/users/{world.users['kore']}/disable", data={"csrf": csrf, "disabled": "1"},
                            allow_redirects=False)
    assert resp.status == 303
    assert (await desk.get("/staff/tickets.json")).status == 401
    resp = await admin.post(f"/staff/users/{world.users['kore']}/password", data={"csrf": csrf, "password": "kore"},
                            allow_redirects=False)
    assert resp.status == 400                                   # the password policy holds here too


async def test_misroute_labels_for_review_and_the_audit_log_page(app_client, world) -> None:
    desk = await app_client()
    csrf = await login(desk, "kore")
    await desk.post(f"/staff/tickets/{world.kore}/misroute", data={"csrf": csrf, "should_be": "dept_shogai"})
    coord = await app_client()
    csrf = await login(coord, "coord")
    labels = (await (await coord.get("/staff/misroutes.json")).json())["labels"]
    assert [(lab["ref"], lab["should_be"], lab["routed_to"]) for lab in labels] == [
        (f"FJ-2026-{world.kore:06d}", "障害福祉課", ["高齢者支援課"])]
    assert SUMMARY_KORE not in json.dumps(labels, ensure_ascii=False)
    assert (await coord.post(f"/staff/misroutes/{labels[0]['id']}/reviewed", data={"csrf": csrf},
                             allow_redirects=False)).status == 303
    assert (await (await coord.get("/staff/misroutes.json")).json())["labels"] == []
    assert len((await (await coord.get("/staff/misroutes.json?all=1")).json())["labels"]) == 1
    admin = await app_client()
    await login(admin, "admin")
    entries = (await (await admin.get(f"/staff/audit.json?ticket={world.kore}")).json())["entries"]
    assert [e["action"] for e in entries] == ["misroute_reviewed", "view_ticket", "misroute"]   # newest first
    assert entries[2]["staff"] == "koreさん" and entries[0]["staff"] == "coordさん"
    assert "<table" in await (await admin.get("/staff/audit")).text()


async def test_actions_have_a_json_twin_with_the_csrf_header(app_client, world) -> None:
    client = await app_client()
    csrf = await login(client, "kore")
    url = f"/staff/tickets/{world.kore}/claim"
    resp = await client.post(url, headers={"Accept": "application/json", "X-CSRF-Token": csrf})
    assert resp.status == 200 and await resp.json() == {"ok": True, "ticket": world.kore}
    resp = await client.post(url, headers={"Accept": "application/json"})
    assert resp.status == 403 and "CSRF" in (await resp.json())["error"]
    resp = await client.post(f"/staff/tickets/{world.kore}/status", data={"status": "完了"},
                             headers={"Accept": "application/json", "X-CSRF-Token": csrf})
    assert resp.status == 400 and "結果" in (await resp.json())["error"]


@pytest.mark.sudachi
async def test_yearly_report_words_come_from_unmatched_summaries_without_names(app_client, world) -> None:
    engine, sessions = await _db(world)
    async with sessions() as s, s.begin():
        for i, text in enumerate(["田中さんの家でペットの多頭飼育があって困っています。090-1234-5678",
                                  "となりのペットの多頭飼育がひどい", "佐藤です。ペットを飼いすぎて多頭飼育になりました"]):
            s.add(Ticket(user_key=f"line:Ux{i}", pseudonym=f"X{i}", channel="line", desk="dept_koreisha",
                         summary_enc=world.cipher.encrypt(text), routing={"outcome": "out_of_scope", "matches": []}))
    await engine.dispose()
    client = await app_client()
    await login(client, "coord")
    year = dt.datetime.now(dt.timezone(dt.timedelta(hours=9)))
    fy = year.year if year.month >= 4 else year.year - 1
    report = await (await client.get(f"/staff/report.json?year={fy}")).json()
    words = {w["word"]: w["count"] for w in report["unmatched_words"]}
    assert words.get("ペット") == 3 and words.get("多頭") == 3 and words.get("飼育") == 3
    dumped = json.dumps(report, ensure_ascii=False)
    for private in ("田中", "佐藤", "090", "1234", "となり"):
        assert private not in dumped
