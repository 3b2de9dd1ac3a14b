"""The staff console: an aiohttp sub-application under ``/staff``, server-rendered with Jinja2.

Every page has a ``.json`` twin with the same data and the same checks. The sub-app's middleware
enforces, on every route: a valid session (except the login page and the stylesheet), CSRF on
every POST, roles, and security headers. Ticket access is checked again in ``bot.store.casework``
(a foreign desk's ticket is "not found"), so no route can forget it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalogue.model import Field_
from bot.errors import IntakeError
from bot.staff import auth, charts
from bot.staff.words import NeedWords
from bot.store import casework as cw
from bot.store.crypto import Cipher
from bot.store.models import AuditLog, MisrouteLabel, StaffRole, StaffUser, Ticket, TicketOutcome, TicketStatus

STAFF_JINJA = web.AppKey("staff_jinja", jinja2.Environment)
STAFF_CSS = web.AppKey("staff_css", bytes)
COOKIE = "scrum_staff"
LOGIN_CSRF_COOKIE = "scrum_staff_login"
PREFIX = "/staff"
SIGNED_IN = web.RequestKey("staff_signed_in", auth.SignedIn)

# The meetings a case can be marked for (ids of knowledge/meetings.yaml; names come from there).
MEETINGS: dict[str, str] = {"shien_chosei_kaigi": "支援調整会議", "juso_shien_kaigi": "重層的支援会議"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def public(handler: Handler) -> Handler:
    """Marks a route that needs no session (the login page and the stylesheet only)."""
    handler.staff_public = True  # type: ignore[attr-defined]
    return handler


def roles(*allowed: StaffRole) -> Callable[[Handler], Handler]:
    def mark(handler: Handler) -> Handler:
        handler.staff_roles = frozenset(r.value for r in allowed)  # type: ignore[attr-defined]
        return handler
    return mark


# Shared helpers -----------------------------------------------------------------------------------

def _deps(request: web.Request) -> Any:
    from bot.web.app import DEPS
    return request.config_dict[DEPS]


def _settings(request: web.Request) -> Any:
    return _deps(request).settings


def _cipher(request: web.Request) -> Cipher:
    deps = _deps(request)
    cipher = deps.extras.get("cipher")
    if cipher is None:
        key = getattr(deps.settings, "encryption_key", None)
        if not key:
            raise web.HTTPServiceUnavailable(text="SCRUM_ENCRYPTION_KEY is not set")
        cipher = deps.extras["cipher"] = Cipher(key)
    return cipher


def _me(request: web.Request) -> auth.SignedIn:
    return request[SIGNED_IN]


def _wants_json(request: web.Request) -> bool:
    return request.path.endswith(".json") or request.headers.get("Accept", "").startswith("application/json")


def _dept_names(request: web.Request) -> dict[str, str]:
    return {d.id: d.name for d in _deps(request).catalogue.departments}


def _meeting_names(request: web.Request) -> dict[str, str]:
    names = {m.id: m.name for m in _deps(request).catalogue.meetings}
    return {mid: names.get(mid, default) for mid, default in MEETINGS.items()}


def _targets(request: web.Request) -> cw.OverdueTargets:
    s = _settings(request)
    return cw.OverdueTargets.parse(s.staff_overdue_hours, s.staff_overdue_by_desk)


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else cw._aware(t).isoformat()  # type: ignore[union-attr]


def _jst(t: dt.datetime | None) -> str:
    return "" if t is None else cw._aware(t).astimezone(cw.JST).strftime("%Y-%m-%d %H:%M")  # type: ignore[union-attr]


def respond(request: web.Request, template: str, data: dict[str, Any], status: int = 200,
            **extra: Any) -> web.StreamResponse:
    """Renders the page, or its .json twin with exactly ``data``."""
    if _wants_json(request):
        return web.json_response(data, status=status, dumps=_dumps)
    me = request.get(SIGNED_IN)
    ctx = {"data": data, "me": me, "csrf": me.csrf_token if me else "", "depts": _dept_names(request),
           "jst": _jst, **extra}
    return aiohttp_jinja2.render_template(template, request, ctx, app_key=STAFF_JINJA, status=status)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def _back(request: web.Request, ticket_id: int, **data: Any) -> web.StreamResponse:
    if _wants_json(request):
        return web.json_response({"ok": True, "ticket": ticket_id, **data}, dumps=_dumps)
    raise web.HTTPSeeOther(f"{PREFIX}/tickets/{ticket_id}")


async def _form(request: web.Request) -> dict[str, str]:
    # NUL cannot be stored in PostgreSQL text; nobody types it, so it is dropped.
    return {k: v.replace("\x00", "") for k, v in (await request.post()).items() if isinstance(v, str)}


def _opt_int(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or len(value) > 6:
        raise cw.CaseworkError("数字で入力してください")
    return int(value)


# Middleware -------------------------------------------------------------------------------------

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",     # "no-referrer" makes chromium send Origin: null
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    extra = dict(SECURITY_HEADERS)
    if _settings(request).staff_cookie_secure:
        extra["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    try:
        resp = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(extra)
        raise
    resp.headers.update(extra)
    return resp


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.split("://", 1)[-1] == request.host


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Session, CSRF and role checks for every route of the console; expected errors as pages."""
    route_handler = request.match_info.route.handler
    try:
        if request.method == "POST" and not _same_origin(request):
            raise web.HTTPForbidden(text="ほかのサイトからの送信は受け付けません (cross-origin request refused)")
        if not getattr(route_handler, "staff_public", False):
            async with _deps(request).sessions() as s:
                signed = await auth.session_for(s, request.cookies.get(COOKIE))
            if signed is None:
                if _wants_json(request) or request.method != "GET":
                    raise web.HTTPUnauthorized(text="login required")
                raise web.HTTPSeeOther(f"{PREFIX}/login?next={quote(request.path_qs, safe='')}")
            request[SIGNED_IN] = signed
            if request.method == "POST":
                given = request.headers.get("X-CSRF-Token") or (await _form(request)).get("csrf")
                if not auth.csrf_ok(signed.csrf_token, given):
                    raise web.HTTPForbidden(text="画面が古くなりました。開き直してください (CSRF token missing or wrong)")
            allowed = getattr(route_handler, "staff_roles", None)
            if allowed is not None and signed.actor.role not in allowed:
                raise web.HTTPForbidden(text="この画面を開く権限がありません")
        return await handler(request)
    except (IntakeError, web.HTTPClientError) as exc:
        if isinstance(exc, web.HTTPClientError):
            status, message = exc.status, exc.text or exc.reason
        else:
            status, message = (exc.status if exc.status < 500 else 500), str(exc)
        if isinstance(exc, web.HTTPClientError) and status in (401,) and not _wants_json(request):
            raise
        return respond(request, "error.html", {"error": message, "status": status}, status=status)


# Login ------------------------------------------------------------------------------------------

def _policy(request: web.Request) -> auth.LoginPolicy:
    s = _settings(request)
    return auth.LoginPolicy(s.staff_lockout_failures, s.staff_lockout_minutes, s.staff_session_hours)


def _safe_next(value: str | None) -> str:
    if value and value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value:
        return value
    return f"{PREFIX}/tickets"


@public
async def login_page(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    resp = respond(request, "login.html", {"next": _safe_next(request.query.get("next"))}, login_csrf=token)
    _set_cookie(request, resp, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return resp


@public
async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    if not auth.csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form.get("csrf")):
        raise web.HTTPForbidden(text="画面が古くなりました。ログイン画面を開き直してください (CSRF token missing or wrong)")
    username, password = form.get("username", "")[:80], form.get("password", "")[:1000]
    async with _deps(request).sessions() as s, s.begin():
        result = await auth.login(s, username, password, _policy(request))
    if result.token is None:
        token = secrets.token_urlsafe(24)
        resp = respond(request, "login.html", {"next": _safe_next(form.get("next")), "failed": True},
                       status=401, login_csrf=token)
        _set_cookie(request, resp, LOGIN_CSRF_COOKIE, token, max_age=3600)
        return resp
    resp = web.HTTPSeeOther(_safe_next(form.get("next")))
    _set_cookie(request, resp, COOKIE, result.token, max_age=_settings(request).staff_session_hours * 3600)
    resp.del_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    raise resp


def _set_cookie(request: web.Request, resp: web.StreamResponse, name: str, value: str, max_age: int) -> None:
    resp.set_cookie(name, value, max_age=max_age, path=PREFIX, httponly=True, samesite="Strict",
                    secure=_settings(request).staff_cookie_secure)


async def logout(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    async with _deps(request).sessions() as s, s.begin():
        await auth.logout(s, me.token_sha256)
        await cw.audit(s, me.actor.id, "logout")
    resp = web.HTTPSeeOther(f"{PREFIX}/login")
    resp.del_cookie(COOKIE, path=PREFIX)
    raise resp


@public
async def stylesheet(request: web.Request) -> web.StreamResponse:
    return web.Response(body=request.app[STAFF_CSS], content_type="text/css",
                        headers={"Cache-Control": "max-age=3600"})


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(f"{PREFIX}/tickets")


# Queue ------------------------------------------------------------------------------------------

async def tickets_queue(request: web.Request) -> web.StreamResponse:
    q = request.query
    status = q.get("status") or "open"
    if status not in {"open", "all", *TicketStatus}:
        raise cw.CaseworkError("状況の絞り込みが正しくありません")
    if q.get("desk") and not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", q["desk"]):
        raise cw.CaseworkError("窓口の絞り込みが正しくありません")
    if q.get("field") and q["field"] not in {f.value for f in Field_}:
        raise cw.CaseworkError("分野の絞り込みが正しくありません")
    flt = cw.QueueFilter(desk=q.get("desk") or None, status=None if status == "all" else status,
                         field=q.get("field") or None, min_age_hours=_opt_int(q.get("min_age")),
                         max_age_hours=_opt_int(q.get("max_age")), unassigned=q.get("unassigned") == "1",
                         overdue=q.get("overdue") == "1")
    me = _me(request)
    async with _deps(request).sessions() as s:
        rows = await cw.queue(s, me.actor, flt, _targets(request))
    names = _dept_names(request)
    data = {
        "filters": {"desk": flt.desk, "status": status, "field": flt.field, "min_age": flt.min_age_hours,
                    "max_age": flt.max_age_hours, "unassigned": flt.unassigned, "overdue": flt.overdue},
        "tickets": [{"id": r.ticket.id, "ref": r.ticket.ref, "pseudonym": r.ticket.pseudonym, "desk": r.ticket.desk,
                     "desk_name": names.get(r.ticket.desk, r.ticket.desk), "status": r.ticket.status,
                     "fields": r.ticket.fields, "crisis": r.ticket.crisis, "created_at": _iso(r.ticket.created_at),
                     "age_hours": round(r.age_hours, 1), "unassigned": r.unassigned, "overdue": r.overdue,
                     "target_hours": r.target_hours, "handoff_active": r.ticket.handoff_active}
                    for r in rows],
    }
    return respond(request, "queue.html", data, statuses=list(TicketStatus), fields=[f.value for f in Field_],
                   desk_choices=names if me.actor.sees_all else {me.actor.department: names.get(
                       me.actor.department, me.actor.department)})


# Ticket -----------------------------------------------------------------------------------------

MAX_ID = 2**31 - 1          # INTEGER primary keys; PostgreSQL refuses larger numbers outright


def _db_id(raw: str | None) -> int:
    """A row id from a URL; anything that cannot be one is simply 'not found'."""
    if not raw or not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise web.HTTPNotFound()
    return int(raw)


def _ticket_id(request: web.Request) -> int:
    return _db_id(request.match_info["id"])


async def _staff_names(s: AsyncSession) -> dict[int, str]:
    return {i: n for i, n in (await s.execute(select(StaffUser.id, StaffUser.display_name))).all()}


def _receipt(r: Any) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"scope": r.scope, "text_version": r.text_version, "given_at": _iso(r.given_at),
            "withdrawn_at": _iso(r.withdrawn_at), "desks": r.desks}


async def ticket_page(request: web.Request) -> web.StreamResponse:
    me, cipher = _me(request), _cipher(request)
    async with _deps(request).sessions() as s, s.begin():
        t = await cw.get_ticket(s, me.actor, _ticket_id(request))
        events = await cw.ticket_events(s, t.id)
        consents = await cw.consent_state(s, t)
        staff = await _staff_names(s)
        await cw.audit(s, me.actor.id, "view_ticket", t.id)

    def who(actor: str) -> str:
        if actor.startswith("staff:") and actor[6:].isdigit():
            return staff.get(int(actor[6:]), actor)
        return {"resident": "相談者", "bot": "ボット"}.get(actor, actor)

    names = _dept_names(request)
    services = {sv.id: sv.name for sv in _deps(request).catalogue.services}
    routing = {k: v for k, v in (t.routing or {}).items() if k not in ("text", "normalised")}
    if isinstance(routing.get("explanation"), dict):
        routing["explanation"] = {k: v for k, v in routing["explanation"].items() if k != "normalised" and v}
    routing["matches"] = [_match_view(m, services) for m in routing.get("matches") or [] if isinstance(m, (str, dict))]
    data = {
        "id": t.id, "ref": t.ref, "pseudonym": t.pseudonym, "channel": t.channel, "desk": t.desk,
        "desk_name": names.get(t.desk, t.desk), "status": t.status, "outcome": t.outcome, "fields": t.fields,
        "service_ids": t.service_ids, "about": t.about, "anonymous": t.anonymous, "crisis": t.crisis,
        "contact_method": t.contact_method,
        "name": None if t.anonymous else cipher.decrypt(t.name_enc),
        "phone": None if t.anonymous else cipher.decrypt(t.phone_enc),
        "preferred_times": cipher.decrypt(t.preferred_times_enc), "summary": cipher.decrypt(t.summary_enc),
        "consents": {"intake": _receipt(consents["intake"]), "meeting": _receipt(consents["meeting"])},
        "meeting_consent_ok": cw.meeting_consent_ok(consents["meeting"]),
        "routing": routing, "handoff_active": t.handoff_active, "meeting": t.meeting,
        "assignee": staff.get(t.assignee_id) if t.assignee_id else None, "assignee_id": t.assignee_id,
        "created_at": _iso(t.created_at), "first_contact_at": _iso(t.first_contact_at), "closed_at": _iso(t.closed_at),
        "events": [{"at": _iso(e.at), "actor": who(e.actor), "kind": e.kind, "from_status": e.from_status,
                    "to_status": e.to_status, "body": cipher.decrypt(e.body_enc), "data": e.data} for e in events],
        "next_statuses": sorted(cw.TRANSITIONS[TicketStatus(t.status)], key=list(TicketStatus).index),
        "outcomes": [o.value for o in TicketOutcome],
        "can_reassign": me.actor.sees_all and t.status != TicketStatus.CLOSED,
    }
    return respond(request, "ticket.html", data, meetings=_meeting_names(request))


def _match_view(m: str | dict[str, Any], services: dict[str, str]) -> dict[str, Any]:
    """A routing match as stored (a service id, or a dict with id/score) with its catalogue name."""
    sid = m if isinstance(m, str) else str(m.get("id", ""))
    score = None if isinstance(m, str) else m.get("score")
    return {"id": sid, "name": services.get(sid, sid), "score": score}


def plain(value: Any) -> str:
    """Shows routing explanation values as text: lists joined, mappings as ``key: value``."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items() if v not in (None, [], {}, ""))
    if isinstance(value, (list, tuple)):
        return "、".join(plain(v) for v in value)
    return "" if value is None else str(value)


def _base_url(request: web.Request) -> str:
    """Where staff open the console from a link: SCRUM_PUBLIC_BASE_URL, else this request's host."""
    return _settings(request).public_base_url or f"{request.scheme}://{request.host}"


def _known_desks(request: web.Request) -> list[str]:
    return list(_dept_names(request))


async def _act(request: web.Request, action: Callable[[AsyncSession, cw.Actor, Ticket, dict[str, str]],
                                                      Awaitable[Any]]) -> web.StreamResponse:
    me = _me(request)
    form = await _form(request)
    async with _deps(request).sessions() as s, s.begin():
        t = await cw.get_ticket(s, me.actor, _ticket_id(request), for_update=True)
        await action(s, me.actor, t, form)
    return _back(request, t.id)


def _text(form: dict[str, str], key: str, required: bool = True, limit: int = 4000) -> str:
    value = form.get(key, "").strip()
    if required and not value:
        raise cw.CaseworkError("内容を書いてください")
    if len(value) > limit:
        raise cw.CaseworkError(f"{limit}文字までにしてください")
    return value


async def claim(request: web.Request) -> web.StreamResponse:
    return await _act(request, lambda s, a, t, f: cw.claim(s, a, t))


async def reassign(request: web.Request) -> web.StreamResponse:
    cipher = _cipher(request)

    async def do(s: AsyncSession, a: cw.Actor, t: Ticket, f: dict[str, str]) -> None:
        note = _text(f, "note", required=False)
        settings = _settings(request)
        await cw.reassign(s, a, t, f.get("desk", ""), _known_desks(request), cipher.encrypt(note) if note else None,
                          staff_chat=settings.staff_chat, base_url=_base_url(request))
    return await _act(request, do)


async def change_status(request: web.Request) -> web.StreamResponse:
    cipher = _cipher(request)

    async def do(s: AsyncSession, a: cw.Actor, t: Ticket, f: dict[str, str]) -> None:
        note = _text(f, "note", required=False)
        await cw.change_status(s, a, t, f.get("status", ""), outcome=f.get("outcome") or None,
                               note_enc=cipher.encrypt(note) if note else None)
    return await _act(request, do)


async def add_note(request: web.Request) -> web.StreamResponse:
    cipher = _cipher(request)
    return await _act(request, lambda s, a, t, f: cw.add_note(s, a, t, cipher.encrypt(_text(f, "note"))))  # type: ignore[arg-type]


async def reply(request: web.Request) -> web.StreamResponse:
    cipher = _cipher(request)
    return await _act(request, lambda s, a, t, f: cw.reply(s, a, t, cipher.encrypt(_text(f, "reply", limit=1000))))  # type: ignore[arg-type]


async def handoff(request: web.Request) -> web.StreamResponse:
    return await _act(request, lambda s, a, t, f: cw.start_handoff(s, a, t))


async def handback(request: web.Request) -> web.StreamResponse:
    return await _act(request, lambda s, a, t, f: cw.hand_back(s, a, t))


async def misroute(request: web.Request) -> web.StreamResponse:
    return await _act(request, lambda s, a, t, f: cw.mark_misroute(s, a, t, f.get("should_be", ""),
                                                                   _known_desks(request)))


async def mark_meeting(request: web.Request) -> web.StreamResponse:
    return await _act(request, lambda s, a, t, f: cw.mark_meeting(s, a, t, f.get("meeting") or None,
                                                                  list(MEETINGS)))


# Meetings ---------------------------------------------------------------------------------------

async def meetings_page(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    async with _deps(request).sessions() as s:
        counts = {mid: len(await cw.agenda(s, me.actor, mid)) for mid in MEETINGS}
    names = _meeting_names(request)
    return respond(request, "meetings.html", {"meetings": [{"id": m, "name": names[m], "cases": counts[m]}
                                                          for m in MEETINGS]})


def _meeting_id(request: web.Request) -> str:
    mid = request.match_info["meeting"]
    if mid not in MEETINGS:
        raise web.HTTPNotFound()
    return mid


async def _agenda_rows(request: web.Request, fmt: str) -> tuple[str, list[dict[str, Any]]]:
    me, cipher, mid = _me(request), _cipher(request), _meeting_id(request)
    names = _dept_names(request)
    async with _deps(request).sessions() as s, s.begin():
        tickets = await cw.agenda(s, me.actor, mid)
        await cw.audit(s, me.actor.id, "export_agenda", None, meeting=mid, format=fmt,
                       tickets=[t.id for t in tickets])
    rows = [{"id": t.id, "ref": t.ref, "desk": names.get(t.desk, t.desk), "fields": "・".join(t.fields or []),
             "pseudonym": t.pseudonym, "about": t.about or "", "status": t.status, "created": _jst(t.created_at)[:10],
             "summary": cipher.decrypt(t.summary_enc) or ""} for t in tickets]
    return mid, rows


async def agenda_page(request: web.Request) -> web.StreamResponse:
    mid, rows = await _agenda_rows(request, "json" if _wants_json(request) else "html")
    return respond(request, "agenda.html", {"meeting": mid, "name": _meeting_names(request)[mid], "cases": rows})


CSV_COLUMNS = (("ref", "受付番号"), ("desk", "担当窓口"), ("fields", "分野"), ("pseudonym", "相談者"),
               ("about", "相談の対象"), ("status", "状況"), ("created", "受付日"), ("summary", "相談の要旨"))


def _csv_cell(value: str) -> str:
    """Neutralises spreadsheet formulas (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def agenda_csv(request: web.Request) -> web.StreamResponse:
    mid, rows = await _agenda_rows(request, "csv")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([label for _, label in CSV_COLUMNS])
    for r in rows:
        writer.writerow([_csv_cell(str(r[k])) for k, _ in CSV_COLUMNS])
    day = dt.datetime.now(cw.JST).strftime("%Y%m%d")
    return web.Response(body=("\ufeff" + buf.getvalue()).encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="agenda-{mid}-{day}.csv"'})


# Dashboard and the yearly review ----------------------------------------------------------------

async def dashboard_page(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    async with _deps(request).sessions() as s:
        d = await cw.dashboard(s, me.actor)
    names = _dept_names(request)
    by_desk = {names.get(k, k): v for k, v in d["by_desk"].items()}
    svg = {
        "by_field": charts.stacked_bars("週ごとの相談件数（分野別）", d["weeks"], d["by_field"]),
        "by_desk": charts.stacked_bars("週ごとの相談件数（窓口別）", d["weeks"], by_desk),
        "first_contact": charts.hbars("最初の連絡までの時間（中央値）",
                                      {names.get(k, k): v for k, v in d["first_contact_median_hours"].items()}, "時間"),
        "outcomes": charts.hbars("完了の結果", d["outcomes"], "件"),
    }
    return respond(request, "dashboard.html", d, svg=svg, by_desk=by_desk)


def _fiscal_year(today: dt.date) -> int:
    return today.year if today.month >= 4 else today.year - 1


@roles(StaffRole.COORDINATOR, StaffRole.ADMIN)
async def report_page(request: web.Request) -> web.StreamResponse:
    year = _opt_int(request.query.get("year")) or _fiscal_year(dt.datetime.now(cw.JST).date())
    if not 2000 <= year <= 2200:
        raise cw.CaseworkError("年度は西暦で入力してください")
    me, cipher, deps = _me(request), _cipher(request), _deps(request)
    need_words = deps.extras.setdefault("staff_need_words", NeedWords())
    async with deps.sessions() as s, s.begin():
        r = await cw.yearly_report(s, year, words_of=lambda enc: need_words(cipher.decrypt(enc) or ""))
        await cw.audit(s, me.actor.id, "view_report", None, year=year)
    return respond(request, "report.html", r)


# 振り分け違い review and the audit log --------------------------------------------------------

@roles(StaffRole.COORDINATOR, StaffRole.ADMIN)
async def misroutes_page(request: web.Request) -> web.StreamResponse:
    """Labelled examples for catalogue maintainers: where the bot sent a ticket and where it should
    have gone, with the routing decision; no consultation text."""
    show_all = request.query.get("all") == "1"
    names = _dept_names(request)
    stmt = (select(MisrouteLabel, Ticket.ref, Ticket.routing, Ticket.fields)
            .join(Ticket, Ticket.id == MisrouteLabel.ticket_id).order_by(MisrouteLabel.id.desc()).limit(500))
    if not show_all:
        stmt = stmt.where(MisrouteLabel.reviewed.is_(False))
    async with _deps(request).sessions() as s:
        rows = (await s.execute(stmt)).all()
    labels = [{"id": lab.id, "ticket": lab.ticket_id, "ref": ref, "at": _iso(lab.at), "fields": fields,
               "routed_to": [names.get(x, x) for x in lab.routed_to], "should_be": names.get(lab.should_be, lab.should_be),
               "should_be_id": lab.should_be, "reviewed": lab.reviewed,
               "routing": {k: v for k, v in (routing or {}).items() if k in ("outcome", "matches", "needed")}}
              for lab, ref, routing, fields in rows]
    return respond(request, "misroutes.html", {"labels": labels, "all": show_all})


@roles(StaffRole.COORDINATOR, StaffRole.ADMIN)
async def misroute_reviewed(request: web.Request) -> web.StreamResponse:
    raw, me = request.match_info["lid"], _me(request)
    async with _deps(request).sessions() as s, s.begin():
        label = await s.get(MisrouteLabel, _db_id(raw))
        if label is None:
            raise web.HTTPNotFound()
        label.reviewed = True
        await cw.audit(s, me.actor.id, "misroute_reviewed", label.ticket_id, label=label.id)
    if _wants_json(request):
        return web.json_response({"ok": True})
    raise web.HTTPSeeOther(f"{PREFIX}/misroutes")


@roles(StaffRole.ADMIN)
async def audit_page(request: web.Request) -> web.StreamResponse:
    """The latest audit entries (who viewed or changed what); filter by ticket id or staff id."""
    stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(300)
    if request.query.get("ticket"):
        stmt = stmt.where(AuditLog.ticket_id == _db_id(request.query["ticket"]))
    if request.query.get("staff"):
        stmt = stmt.where(AuditLog.staff_id == _db_id(request.query["staff"]))
    async with _deps(request).sessions() as s:
        entries = list((await s.execute(stmt)).scalars())
        staff = await _staff_names(s)
    return respond(request, "audit.html", {"entries": [
        {"id": a.id, "at": _iso(a.at), "staff_id": a.staff_id, "staff": staff.get(a.staff_id or -1, "—"),
         "action": a.action, "ticket_id": a.ticket_id, "detail": a.detail} for a in entries]})


# Users (admins) ---------------------------------------------------------------------------------

@roles(StaffRole.ADMIN)
async def users_page(request: web.Request) -> web.StreamResponse:
    async with _deps(request).sessions() as s:
        users = list((await s.execute(select(StaffUser).order_by(StaffUser.username))).scalars())
    return respond(request, "users.html", {"users": [
        {"id": u.id, "username": u.username, "display_name": u.display_name, "department": u.department,
         "role": u.role, "disabled": u.disabled, "locked_until": _iso(u.locked_until)} for u in users]},
        roles=[r.value for r in StaffRole])


@roles(StaffRole.ADMIN)
async def users_create(request: web.Request) -> web.StreamResponse:
    f, me = await _form(request), _me(request)
    known = _known_desks(request)
    if known and f.get("department") not in known:
        raise cw.CaseworkError("所属の窓口がカタログにありません")
    async with _deps(request).sessions() as s, s.begin():
        user = await auth.add_user(s, f.get("username", ""), f.get("display_name", ""), f.get("department", ""),
                                   f.get("role", "desk"), f.get("password", ""))
        await cw.audit(s, me.actor.id, "user_add", None, user=user.id, role=user.role)
    return _users_back(request)


def _users_back(request: web.Request) -> web.StreamResponse:
    if _wants_json(request):
        return web.json_response({"ok": True})
    raise web.HTTPSeeOther(f"{PREFIX}/users")


async def _username(s: AsyncSession, request: web.Request) -> str:
    user = await s.get(StaffUser, _db_id(request.match_info["uid"]))
    if user is None:
        raise web.HTTPNotFound()
    return user.username


@roles(StaffRole.ADMIN)
async def users_disable(request: web.Request) -> web.StreamResponse:
    f, me = await _form(request), _me(request)
    async with _deps(request).sessions() as s, s.begin():
        name = await _username(s, request)
        user = await auth.set_disabled(s, name, f.get("disabled", "1") == "1")
        await cw.audit(s, me.actor.id, "user_disable" if user.disabled else "user_enable", None, user=user.id)
    return _users_back(request)


@roles(StaffRole.ADMIN)
async def users_password(request: web.Request) -> web.StreamResponse:
    f, me = await _form(request), _me(request)
    async with _deps(request).sessions() as s, s.begin():
        user = await auth.set_password(s, await _username(s, request), f.get("password", ""))
        await cw.audit(s, me.actor.id, "user_passwd", None, user=user.id)
    return _users_back(request)


# Wiring -----------------------------------------------------------------------------------------

def _page(router: web.UrlDispatcher, path: str, handler: Handler) -> None:
    router.add_get(path, handler)
    router.add_get(path + ".json", handler)


def build_staff_app() -> web.Application:
    staff = web.Application(middlewares=[security_headers, guard])
    aiohttp_jinja2.setup(staff, loader=jinja2.PackageLoader("bot.staff", "templates"), app_key=STAFF_JINJA,
                         autoescape=jinja2.select_autoescape(default=True), filters={"plain": plain})
    staff[STAFF_CSS] = resources.files("bot.staff").joinpath("static/console.css").read_bytes()
    r = staff.router
    r.add_get("/login", login_page)
    r.add_post("/login", login_submit)
    r.add_get("/static/console.css", stylesheet)
    r.add_post("/logout", logout)
    r.add_get("/", home)
    _page(r, "/tickets", tickets_queue)
    _page(r, r"/tickets/{id:\d+}", ticket_page)
    for action, handler in (("claim", claim), ("reassign", reassign), ("status", change_status), ("note", add_note),
                            ("reply", reply), ("handoff", handoff), ("handback", handback), ("misroute", misroute),
                            ("meeting", mark_meeting)):
        r.add_post(rf"/tickets/{{id:\d+}}/{action}", handler)
    _page(r, "/meetings", meetings_page)
    _page(r, r"/meetings/{meeting:[a-z_]+}", agenda_page)
    r.add_get(r"/meetings/{meeting:[a-z_]+}.csv", agenda_csv)
    _page(r, "/dashboard", dashboard_page)
    _page(r, "/report", report_page)
    _page(r, "/misroutes", misroutes_page)
    r.add_post(r"/misroutes/{lid:\d+}/reviewed", misroute_reviewed)
    _page(r, "/audit", audit_page)
    _page(r, "/users", users_page)
    r.add_post("/users", users_create)
    r.add_post(r"/users/{uid:\d+}/disable", users_disable)
    r.add_post(r"/users/{uid:\d+}/password", users_password)
    return staff


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(f"{PREFIX}/tickets")


def setup(app: web.Application) -> None:
    """Mounts the console at /staff."""
    app.add_subapp(PREFIX, build_staff_app())
    app.router.add_get(PREFIX, _to_console)
