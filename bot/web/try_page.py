"""``/try``: a browser try-out of the bot for city staff, talking to the same conversation core.

Each browser gets a random, pseudonymous key (``web:<random>``) in an HttpOnly cookie: nothing
about the person is looked up. ``POST /try/api/message`` takes ``{"text": …}`` or ``{"payload": …}``
and answers the replies as JSON (text, card, choices); the page draws buttons and cards. The API
requires the ``X-Scrum-Try`` header, which a cross-site form cannot send (CSRF), and a same-origin
``Origin`` when the browser gives one.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict
from importlib import resources
from typing import Any

import jinja2
from aiohttp import web

from sqlalchemy import select

from bot.core import texts
from bot.core.messages import Inbound, Reply

COOKIE = "scrum_try"
MAX_TEXT = 2000
MAX_PAYLOAD = 64
STATIC = {"try.js": "application/javascript", "try.css": "text/css"}
_ENV = web.AppKey("try_jinja", jinja2.Environment)


def setup(app: web.Application) -> None:
    app[_ENV] = jinja2.Environment(loader=jinja2.PackageLoader("bot.web", "templates"),
                                   autoescape=jinja2.select_autoescape(["html"]))
    app.router.add_get("/try", page)
    app.router.add_get("/try/static/{name}", static)
    app.router.add_post("/try/api/message", message)
    app.router.add_get("/try/api/inbox", inbox)


def _key(request: web.Request) -> str | None:
    raw = request.cookies.get(COOKIE, "")
    return raw if raw.startswith("web:") and 10 < len(raw) < 64 and raw[4:].replace("-", "").replace("_", "").isalnum() \
        else None


def _new_key() -> str:
    return "web:" + secrets.token_urlsafe(18)


def _set_cookie(resp: web.StreamResponse, key: str, request: web.Request) -> None:
    resp.set_cookie(COOKIE, key, httponly=True, samesite="Strict", secure=request.secure, path="/try",
                    max_age=60 * 60 * 24 * 30)


async def page(request: web.Request) -> web.Response:
    html = request.app[_ENV].get_template("try/index.html").render(error_text=texts.SORRY_TRY_AGAIN)
    resp = web.Response(text=html, content_type="text/html", headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                                   "img-src 'self'; connect-src 'self'; frame-ancestors 'none'"})
    if _key(request) is None:
        _set_cookie(resp, _new_key(), request)
    return resp


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    body = resources.files("bot.web").joinpath("static", "try", name).read_text(encoding="utf-8")
    return web.Response(text=body, content_type=STATIC[name], headers={"Cache-Control": "no-cache"})


def reply_json(reply: Reply) -> dict[str, Any]:
    return {"text": reply.text, "card": asdict(reply.card) if reply.card else None,
            "choices": [{"label": c.label, "payload": c.payload} for c in reply.choices]}


async def message(request: web.Request) -> web.Response:
    from bot.web.app import DEPS

    if request.headers.get("X-Scrum-Try") != "1":
        raise web.HTTPForbidden(text="missing X-Scrum-Try header")
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise web.HTTPForbidden(text="cross-origin request")
    try:
        data = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="expected a JSON object") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    text, payload = data.get("text"), data.get("payload")
    if payload is not None and (not isinstance(payload, str) or len(payload.encode()) > MAX_PAYLOAD):
        raise web.HTTPBadRequest(text="payload: a string of at most 64 bytes")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
        raise web.HTTPBadRequest(text=f"text: a string of at most {MAX_TEXT} characters")
    if not (text and text.strip()) and not payload:
        raise web.HTTPBadRequest(text="send text or a payload")
    key = _key(request)
    fresh = key is None
    key = key or _new_key()
    conversation = request.app[DEPS].extras["conversation"]
    inbound = Inbound(key, payload=payload, channel="web") if payload else Inbound(key, text=text.strip(), channel="web")
    replies = await conversation.handle(inbound)
    resp = web.json_response({"replies": [reply_json(r) for r in replies]}, headers={"Cache-Control": "no-store"})
    if fresh:
        _set_cookie(resp, key, request)
    return resp


async def inbox(request: web.Request) -> web.Response:
    """Pushes for this browser (staff messages, status changes): delivered once, oldest first.

    The outbox is what LINE and Telegram adapters deliver for their users; for ``web:`` keys the
    page itself collects it, every few seconds.
    """
    from bot.store.events import body_to_replies
    from bot.store.models import Outbox
    from bot.web.app import DEPS

    if request.headers.get("X-Scrum-Try") != "1":
        raise web.HTTPForbidden(text="missing X-Scrum-Try header")
    key = _key(request)
    replies: list[Reply] = []
    if key is not None:
        async with request.app[DEPS].sessions() as s, s.begin():
            rows = (await s.scalars(select(Outbox).where(Outbox.user_key == key, Outbox.sent_at.is_(None))
                                    .order_by(Outbox.id).limit(10).with_for_update())).all()
            for row in rows:
                replies += body_to_replies(dict(row.body or {}))
                row.sent_at, row.attempts = dt.datetime.now(dt.UTC), row.attempts + 1
    return web.json_response({"replies": [reply_json(r) for r in replies[:5]]}, headers={"Cache-Control": "no-store"})
