"""A fake Telegram Bot API on 127.0.0.1 (``/bot<token>/<method>``), as python-telegram-bot calls it.

Answers ``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description", "parameters"}``
like the real server; accepts form-encoded (what PTB sends) and JSON bodies; checks the token and the
documented limits (text 1–4096 characters, ``callback_data`` 1–64 bytes, secret token charset). It
records calls, can be told to answer 500, 429 with ``retry_after``, to time out, or that a user
blocked the bot (403). Unknown methods are recorded in ``unexpected`` and fail the test at teardown.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes.line_api import Planned

SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
BOT_ID = 7000000001


@dataclass
class TgCall:
    method: str
    params: dict[str, Any]
    status: int = 200


@dataclass
class FakeTelegramApi:
    token: str = "123456:TEST"
    calls: list[TgCall] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)       # accepted sendMessage params
    answered: list[str] = field(default_factory=list)               # callback query ids
    webhook: dict[str, Any] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    updates: list[dict[str, Any]] = field(default_factory=list)     # served by getUpdates
    _plans: dict[str, list[Planned]] = field(default_factory=lambda: defaultdict(list))
    _ids: Any = field(default_factory=lambda: itertools.count(100))
    server: TestServer | None = None

    def plan(self, method: str, *answers: Planned) -> None:
        self._plans[method].extend(answers)

    def texts_to(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.sent if int(m["chat_id"]) == chat_id]

    def calls_to(self, method: str) -> list[TgCall]:
        return [c for c in self.calls if c.method == method]

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        return app

    async def start(self) -> "FakeTelegramApi":
        self.server = TestServer(self.app(), host="127.0.0.1")
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def _unknown(self, request: web.Request) -> web.Response:
        self.unexpected.append(f"{request.method} {request.path}")
        return _fail(404, "Not Found")

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data or {})
        form = await request.post() if request.method == "POST" else request.query
        out: dict[str, Any] = {}
        for k, v in form.items():
            try:
                out[k] = json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v
            except ValueError:
                out[k] = v
        return out

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        call = TgCall(method, params)
        self.calls.append(call)
        if request.match_info["token"] != self.token:
            call.status = 401
            return _fail(401, "Unauthorized")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            self.unexpected.append(method)
            call.status = 404
            return _fail(404, "Not Found: method not found")
        plans = self._plans.get(method)
        if plans:
            plan = plans.pop(0)
            if plan.apply:                   # taken, then the answer is late (or lost to a timeout)
                resp = handler(params)
                call.status = resp.status
                if plan.delay:
                    await asyncio.sleep(plan.delay)
                return resp
            if plan.delay:
                await asyncio.sleep(plan.delay)
            call.status = plan.status
            if plan.status == 429:
                ra = plan.retry_after or 1
                return _fail(429, f"Too Many Requests: retry after {ra}", {"retry_after": ra})
            return _fail(plan.status, "Internal Server Error")
        resp = handler(params)
        call.status = resp.status
        return resp

    # --- methods ---------------------------------------------------------------------------

    def _m_getMe(self, p: dict[str, Any]) -> web.Response:
        return _ok({"id": BOT_ID, "is_bot": True, "first_name": "スクラムサポート", "username": "scrum_test_bot",
                    "can_join_groups": False, "can_read_all_group_messages": False,
                    "supports_inline_queries": False})

    def _m_sendMessage(self, p: dict[str, Any]) -> web.Response:
        text = str(p.get("text", ""))
        if not 1 <= len(text) <= 4096:
            return _fail(400, "Bad Request: message text is empty" if not text else "Bad Request: message is too long")
        try:
            chat_id = int(p["chat_id"])
        except (KeyError, ValueError):
            return _fail(400, "Bad Request: chat not found")
        markup = p.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode()) <= 64:
                        return _fail(400, "Bad Request: BUTTON_DATA_INVALID")
                    if not button.get("text"):
                        return _fail(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        if chat_id in self.blocked:
            return _fail(403, "Forbidden: bot was blocked by the user")
        self.sent.append({**p, "chat_id": chat_id})
        return _ok({"message_id": next(self._ids), "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private", "first_name": "R"},
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "スクラムサポート"}, "text": text})

    def _m_answerCallbackQuery(self, p: dict[str, Any]) -> web.Response:
        if not p.get("callback_query_id"):
            return _fail(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.answered.append(str(p["callback_query_id"]))
        return _ok(True)

    def _m_setWebhook(self, p: dict[str, Any]) -> web.Response:
        url = str(p.get("url", ""))
        if url and not url.startswith("https://"):
            return _fail(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not SECRET_RE.match(str(secret)):
            return _fail(400, "Bad Request: bad webhook: secret token contains unallowed characters")
        self.webhook = dict(p)
        return _ok(True)

    def _m_deleteWebhook(self, p: dict[str, Any]) -> web.Response:
        self.webhook = {}
        return _ok(True)

    def _m_getWebhookInfo(self, p: dict[str, Any]) -> web.Response:
        return _ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": 0})

    def _m_getUpdates(self, p: dict[str, Any]) -> web.Response:
        if self.webhook.get("url"):
            return _fail(409, "Conflict: can't use getUpdates method while webhook is active; use "
                              "deleteWebhook to delete the webhook first")
        offset = int(p.get("offset", 0) or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        return _ok(self.updates[: int(p.get("limit", 100) or 100)])


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _fail(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)
