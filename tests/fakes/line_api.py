"""A fake LINE Messaging API on 127.0.0.1, speaking the wire format of line/line-openapi messaging-api.yml.

It serves the endpoints the bot may use (reply, push, loading indicator, webhook endpoint, rich
menu), records every call, checks the bearer token and the documented limits, and can be told to
answer 500, 429 (with ``Retry-After``) or to time out. Reply tokens are single use and issued by
the test (``new_reply_token``); a used, expired or unknown token gets LINE's
400 ``Invalid reply token``. A push repeated with an accepted ``X-Line-Retry-Key`` gets 409 and is
not delivered twice. Any other endpoint (the profile API above all) is recorded in ``unexpected``,
answered 404, and fails the test at teardown.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class Planned:
    status: int = 500
    retry_after: int | None = None
    delay: float = 0.0           # seconds to sleep before answering (a timeout, if > client timeout)
    apply: bool = False          # deliver the message anyway (the "accepted, but the answer was lost" case)


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class FakeLineApi:
    token: str = "test-access-token"
    calls: list[Call] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)   # {"kind", "to", "messages", "retry_key"}
    loading: list[dict[str, Any]] = field(default_factory=list)
    webhook_endpoint: str | None = None
    rich_menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    rich_menu_images: dict[str, bytes] = field(default_factory=dict)
    default_rich_menu: str | None = None
    _tokens: dict[str, str] = field(default_factory=dict)            # reply token -> state
    _token_user: dict[str, str] = field(default_factory=dict)
    _accepted_keys: dict[str, str] = field(default_factory=dict)     # retry key -> request id
    _plans: dict[str, list[Planned]] = field(default_factory=lambda: defaultdict(list))
    server: TestServer | None = None

    # --- what tests use ----------------------------------------------------------------------

    def new_reply_token(self, user_id: str = "") -> str:
        tok = uuid.uuid4().hex
        self._tokens[tok] = "fresh"
        self._token_user[tok] = user_id
        return tok

    def expire(self, reply_token: str) -> None:
        self._tokens[reply_token] = "expired"

    def plan(self, path: str, *answers: Planned) -> None:
        """Queues answers for the next calls to ``path`` (e.g. "/v2/bot/message/push")."""
        self._plans[path].extend(answers)

    def messages_to(self, user_id: str) -> list[dict[str, Any]]:
        return [m for d in self.delivered if d["to"] == user_id for m in d["messages"]]

    def texts_to(self, user_id: str) -> list[str]:
        return [m.get("text") or m.get("altText", "") for m in self.messages_to(user_id)]

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    # --- the server --------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_post("/v2/bot/message/reply", self._reply)
        r.add_post("/v2/bot/message/push", self._push)
        r.add_post("/v2/bot/chat/loading/start", self._loading)
        r.add_put("/v2/bot/channel/webhook/endpoint", self._set_webhook)
        r.add_get("/v2/bot/channel/webhook/endpoint", self._get_webhook)
        r.add_post("/v2/bot/richmenu", self._create_rich_menu)
        r.add_post("/v2/bot/richmenu/{rid}/content", self._rich_menu_image)
        r.add_post("/v2/bot/user/all/richmenu/{rid}", self._set_default_rich_menu)
        return app

    async def start(self) -> "FakeLineApi":
        self.server = TestServer(self.app(), host="127.0.0.1")
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw and "json" in request.content_type else raw
        except ValueError:
            body = raw
        call = Call(request.method, request.path, dict(request.headers), body)
        self.calls.append(call)
        if request.match_info.http_exception is not None:
            self.unexpected.append(f"{request.method} {request.path}")
            call.status = 404
            return _error(404, "Not found")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            call.status = 401
            return _error(401, "Authentication failed. Confirm that the access token in the authorization "
                          "header is valid.")
        plans = self._plans.get(request.path)
        if plans:
            plan = plans.pop(0)
            if plan.apply:                   # taken, then the answer is late (or lost to a timeout)
                resp = await handler(request)
                call.status = resp.status
                if plan.delay:
                    await asyncio.sleep(plan.delay)
                return resp
            if plan.delay:
                await asyncio.sleep(plan.delay)
            headers = {"Retry-After": str(plan.retry_after)} if plan.retry_after is not None else {}
            call.status = plan.status
            text = "Too Many Requests" if plan.status == 429 else "Internal server error"
            return web.json_response({"message": text}, status=plan.status, headers=headers)
        resp = await handler(request)
        call.status = resp.status
        return resp

    def _check_messages(self, body: Any) -> str | None:
        msgs = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(msgs, list) or not 1 <= len(msgs) <= 5:
            return "Size must be between 1 and 5"
        for m in msgs:
            if m.get("type") == "text" and not 1 <= len(m.get("text", "")) <= 5000:
                return "Length must be between 1 and 5000"
            if m.get("type") == "flex" and not 1 <= len(m.get("altText", "")) <= 400:
                return "Length must be between 1 and 400"
            items = (m.get("quickReply") or {}).get("items", [])
            if len(items) > 13:
                return "Size must be between 0 and 13"
            for it in items:
                act = it.get("action", {})
                if len(act.get("label", "")) > 20:
                    return "Length must be between 0 and 20"
                if act.get("type") == "postback" and len(act.get("data", "").encode()) > 300:
                    return "Length must be between 0 and 300"
        return None

    async def _reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        if err := self._check_messages(body):
            return _error(400, "The request body has 1 error(s)", err)
        tok = body.get("replyToken", "")
        if self._tokens.get(tok) != "fresh":
            return _error(400, "Invalid reply token")
        self._tokens[tok] = "used"
        self.delivered.append({"kind": "reply", "to": self._token_user.get(tok, ""), "messages": body["messages"],
                               "retry_key": None})
        return web.json_response({"sentMessages": [{"id": uuid.uuid4().hex[:18]} for _ in body["messages"]]})

    async def _push(self, request: web.Request) -> web.Response:
        body = await request.json()
        key = request.headers.get("X-Line-Retry-Key")
        if key is not None and not UUID_RE.match(key):
            return _error(400, "The value for the 'X-Line-Retry-Key' header is invalid")
        if key is not None and key in self._accepted_keys:
            return web.json_response({"message": "The retry key is already accepted"}, status=409,
                                     headers={"x-line-accepted-request-id": self._accepted_keys[key]})
        if err := self._check_messages(body):
            return _error(400, "The request body has 1 error(s)", err)
        to = body.get("to", "")
        if not re.match(r"^U[0-9a-f]{32}$", to):
            return _error(400, "The request body has 1 error(s)", "Invalid to")
        if key is not None:
            self._accepted_keys[key] = str(uuid.uuid4())
        self.delivered.append({"kind": "push", "to": to, "messages": body["messages"], "retry_key": key})
        return web.json_response({"sentMessages": [{"id": uuid.uuid4().hex[:18]} for _ in body["messages"]]})

    async def _loading(self, request: web.Request) -> web.Response:
        body = await request.json()
        secs = body.get("loadingSeconds", 20)
        if not (5 <= secs <= 60 and secs % 5 == 0) or not body.get("chatId", "").startswith("U"):
            return _error(400, "An invalid chat ID is specified, or the loadingSeconds value is invalid.")
        self.loading.append(body)
        return web.json_response({}, status=202)

    async def _set_webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        endpoint = body.get("endpoint", "")
        if not endpoint.startswith("https://") or len(endpoint) > 500:
            return _error(400, "Invalid webhook endpoint URL")
        self.webhook_endpoint = endpoint
        return web.json_response({})

    async def _get_webhook(self, request: web.Request) -> web.Response:
        return web.json_response({"endpoint": self.webhook_endpoint or "", "active": bool(self.webhook_endpoint)})

    async def _create_rich_menu(self, request: web.Request) -> web.Response:
        body = await request.json()
        areas = body.get("areas", [])
        if not 1 <= len(areas) <= 20 or len(body.get("chatBarText", "")) > 14 or "size" not in body:
            return _error(400, "The request body has 1 error(s)", "invalid rich menu")
        rid = f"richmenu-{uuid.uuid4().hex}"
        self.rich_menus[rid] = body
        return web.json_response({"richMenuId": rid})

    async def _rich_menu_image(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        if rid not in self.rich_menus:
            return _error(404, "Not found")
        if request.content_type not in {"image/png", "image/jpeg"}:
            return _error(400, "Unsupported content type")
        self.rich_menu_images[rid] = await request.read()
        return web.json_response({})

    async def _set_default_rich_menu(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        if rid not in self.rich_menus:
            return _error(400, "richmenu not found")
        self.default_rich_menu = rid
        return web.json_response({})


def _error(status: int, message: str, detail: str | None = None) -> web.Response:
    body: dict[str, Any] = {"message": message}
    if detail:
        body["details"] = [{"message": detail, "property": "messages"}]
    return web.json_response(body, status=status)
