"""CSRF on every form and every state-changing route, security headers, password policy and lockout."""

from __future__ import annotations

import re

import pytest

from bot.staff import auth
from bot.web.app import DEPS
from tests.security.conftest import CSRF_RE, PASSWORD, World, login
from tests.security.test_route_table import PUBLIC, concrete, routes

FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


async def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(world: World) -> None:
    c = world.client
    await login(c, "admin")
    posts = [r for r in routes(c.app) if r[0] == "POST" and r[1].startswith("/staff/") and r not in PUBLIC]
    assert len(posts) >= 12
    for _, template in posts:
        path = concrete(template, world)
        for data in ({}, {"csrf": "forged-" + "a" * 30}):
            resp = await c.post(path, data={**data, "note": "x", "to": "完了"}, allow_redirects=False)
            assert resp.status == 403, (path, data, resp.status)
    assert (await c.get("/staff/users.json")).status == 200    # still signed in: only the POSTs were refused


async def test_a_cross_origin_post_is_refused_even_with_the_token(world: World) -> None:
    c = world.client
    csrf = await login(c, "admin")
    resp = await c.post(f"/staff/tickets/{world.ticket_a}/note", data={"csrf": csrf, "note": "x"},
                        headers={"Origin": "https://evil.example"}, allow_redirects=False)
    assert resp.status == 403


async def test_every_form_on_every_page_carries_the_csrf_token(world: World) -> None:
    c = world.client
    csrf = await login(c, "admin")
    pages = [concrete(t, world) for m, t in routes(c.app)
             if m == "GET" and t.startswith("/staff/") and not t.endswith((".json", ".csv", ".css")) and (m, t) not in PUBLIC]
    assert len(pages) >= 8
    forms = 0
    for path in pages + [f"/staff/tickets/{world.ticket_a}"]:
        html = await (await c.get(path)).text()
        for attrs, inner in FORM_RE.findall(html):
            if re.search(r'method="?post', attrs, re.I):
                forms += 1
                assert f'name="csrf" value="{csrf}"' in inner, (path, attrs)
    assert forms >= 8, forms


@pytest.mark.parametrize("behind_tls", [False, True])
async def test_security_headers_on_pages_json_and_errors(make_world, behind_tls: bool) -> None:
    world = await make_world(staff_cookie_secure=behind_tls)
    c = world.client
    anonymous = [await c.get("/staff/login"), await c.get("/staff/tickets.json"),
                 await c.get("/staff/nowhere"), await c.post("/staff/logout")]
    await login(c, "kore") if not behind_tls else None
    for resp in anonymous:
        h = resp.headers
        csp = h.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "default-src" in csp, (resp.url, csp)
        assert h.get("X-Content-Type-Options") == "nosniff", resp.url
        assert ("Strict-Transport-Security" in h) == behind_tls, resp.url
        if behind_tls:
            assert "max-age=" in h["Strict-Transport-Security"]


async def test_session_cookie_is_httponly_samesite_and_secure_behind_tls(make_world) -> None:
    world = await make_world(staff_cookie_secure=True)
    c = world.client
    page = await c.get("/staff/login")
    token = CSRF_RE.search(await page.text()).group(1)
    [login_cookie] = page.cookies.values()
    assert login_cookie["secure"] and login_cookie["httponly"]
    # The test client speaks plain http, so it keeps Secure cookies to itself: hand it back as TLS would.
    resp = await c.post("/staff/login", data={"csrf": token, "username": "kore", "password": PASSWORD},
                        headers={"Cookie": f"{login_cookie.key}={login_cookie.value}"}, allow_redirects=False)
    assert resp.status == 303
    cookie = next(m for m in resp.cookies.values() if m.key == "scrum_staff")
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Strict"


async def test_password_policy_refuses_weak_passwords(world: World) -> None:
    for weak in ["short1!", "newdesk-password-123", "aaaaaaaaaaaaaa", "abababababababab", ""]:
        async with world.client.app[DEPS].sessions() as s, s.begin():
            with pytest.raises(auth.PasswordPolicyError):
                await auth.add_user(s, "newdesk", "x", "dept_koreisha", "desk", weak)
    c = world.client
    csrf = await login(c, "admin")             # the console applies the same policy
    resp = await c.post(f"/staff/users/{world.users['sho']}/password", data={"csrf": csrf, "password": "short"},
                        allow_redirects=False)
    assert resp.status == 400
    relog = await c.get("/staff/login")
    assert relog.status == 200


async def test_lockout_after_repeated_failures_even_with_the_right_password(world: World) -> None:
    c = world.client
    for _ in range(3):                                   # staff_lockout_failures=3
        page = await c.get("/staff/login")
        token = CSRF_RE.search(await page.text()).group(1)
        bad = await c.post("/staff/login", data={"csrf": token, "username": "sho", "password": "wrong-" + PASSWORD},
                           allow_redirects=False)
        assert bad.status == 401
    page = await c.get("/staff/login")
    token = CSRF_RE.search(await page.text()).group(1)
    locked = await c.post("/staff/login", data={"csrf": token, "username": "sho", "password": PASSWORD},
                          allow_redirects=False)
    assert locked.status == 401, "a locked account logged in with the right password"
    assert "scrum_staff" not in {m.key for m in locked.cookies.values()}


async def test_login_without_the_login_csrf_cookie_is_refused(world: World) -> None:
    c = world.client
    resp = await c.post("/staff/login", data={"csrf": "x" * 32, "username": "kore", "password": PASSWORD},
                        allow_redirects=False)
    assert resp.status == 403
