"""LINE adapter (line-bot-sdk v3, async): verify, dedupe, answer at once, then work and reply.

``POST /webhooks/line`` checks ``X-Line-Signature`` on the raw body (400 when it fails), records
each ``webhookEventId`` with insert-or-ignore (a redelivery is acknowledged and skipped), answers
200 at once and handles the events in a background task that the app drains on shutdown.
Replies go on the reply token first; when it is stale or used they are pushed from the outbox with
the row's ``X-Line-Retry-Key``, so a retried push is never shown twice. The profile API is never
called: a resident is known only by ``line:<userId>``.

``to_inbound()`` and ``render()`` are the whole translation between LINE and the core.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    FlexContainer,
    FlexMessage,
    Message,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UnsendEvent,
    UserSource,
)
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.base import OUTBOX_INTERVAL as OUTBOX_INTERVAL  # noqa: F401 - re-exported
from bot.channels.base import OUTBOX_MAX_RUNS as OUTBOX_MAX_RUNS  # noqa: F401 - re-exported
from bot.channels.base import ChannelBase, ConversationLike, _lock, _where
from bot.channels.retry import Outcome, Sleep, call_with_retries
from bot.channels.textlen import utf16_len, utf16_prefix
from bot.core import texts
from bot.core.messages import Card, Inbound, Reply
from bot.store import events as store
from bot.store.crypto import Cipher
from bot.store.events import Sessions
from bot.web import metrics

log = logging.getLogger(__name__)

NAME = "line"
WEBHOOK_PATH = "/webhooks/line"
MAX_MESSAGES = 5            # per reply or push request
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20
MAX_TEXT = 5000
MAX_ALT_TEXT = 400
LOADING_SECONDS = 20        # 5–60, multiple of 5
LOADING_AFTER = 1.0         # seconds an answer may take before the loading indicator is shown
REPLY_TOKEN_BUDGET = 50.0   # seconds after the event within which the reply token is used
WORKERS = 4                 # events handled at once (the rest wait, acknowledged)
_TEL = re.compile(r"[0-9#][0-9-]{1,15}")


def user_key(user_id: str) -> str:
    return f"{NAME}:{user_id}"


# --- translation ------------------------------------------------------------------------------

def to_inbound(event: Any) -> Inbound | None:
    """Turns a text message or a postback from one person into an ``Inbound``; anything else is None."""
    source = getattr(event, "source", None)
    if not isinstance(source, UserSource) or not source.user_id:
        return None
    key = user_key(source.user_id)
    if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
        return Inbound(key, text=event.message.text, channel=NAME, event_id=event.webhook_event_id,
                       message_id=event.message.id)
    if isinstance(event, PostbackEvent):
        return Inbound(key, payload=event.postback.data, channel=NAME, event_id=event.webhook_event_id)
    return None


def _clip(text: str, limit: int) -> str:
    """Cuts ``text`` to ``limit`` UTF-16 units, ending with "…" when it had to cut."""
    return text if utf16_len(text) <= limit else text[:utf16_prefix(text, limit - 1)] + "…"


def _bubble(card: Card) -> dict[str, Any]:
    """A Flex bubble for a contact card: title, body, label/value rows, tel and map buttons."""
    rows: list[dict[str, Any]] = []
    if card.body:
        rows.append({"type": "text", "text": card.body, "wrap": True, "size": "sm"})
    for f in card.fields:
        rows.append({"type": "box", "layout": "baseline", "spacing": "sm", "contents": [
            {"type": "text", "text": f.label, "size": "sm", "color": "#888888", "flex": 2, "wrap": True},
            {"type": "text", "text": f.value or "-", "size": "sm", "flex": 5, "wrap": True}]})
    buttons: list[dict[str, Any]] = []
    for f in card.fields:
        if f.label.startswith(texts.CARD_TEL) and (m := _TEL.search(f.value)) and len(buttons) < 2:
            buttons.append({"type": "button", "style": "primary", "height": "sm", "action": {
                "type": "uri", "label": _clip(f"{f.label} {m.group(0)}", MAX_LABEL),
                "uri": "tel:" + m.group(0).replace("-", "")}})
    if card.url and card.url.startswith(("https://", "http://")):
        buttons.append({"type": "button", "style": "secondary", "height": "sm",
                        "action": {"type": "uri", "label": texts.CARD_MAP, "uri": card.url}})
    bubble: dict[str, Any] = {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": card.title, "weight": "bold", "size": "md", "wrap": True}]},
        "body": {"type": "box", "layout": "vertical", "spacing": "sm",
                 "contents": rows or [{"type": "text", "text": card.title, "wrap": True}]},
    }
    if buttons:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}
    return bubble


@functools.lru_cache(maxsize=512)
def _flex(card: Card) -> FlexContainer:
    """The card's Flex bubble as the SDK's model: built once per card (a catalogue has few cards;
    parsing a bubble into the SDK's models cost ~0.4 ms per answer). Never mutated after."""
    return FlexContainer.from_dict(_bubble(card))


def render(replies: Sequence[Reply]) -> list[Message]:
    """Renders replies as LINE messages: text, a Flex card with its text as ``altText``, quick replies.

    Choices become postback quick replies (the payload is the short id; the label is shown as the
    person's own message). The core keeps within LINE's limits; beyond 13 choices the rest are
    dropped with a warning rather than failing the whole reply.
    """
    out: list[Message] = []
    for reply in replies:
        msgs: list[Message] = []
        if reply.text:
            msgs.append(TextMessage(text=_clip(reply.text, MAX_TEXT)))
        if reply.card:
            msgs.append(FlexMessage(alt_text=_clip(reply.card.text_fallback(), MAX_ALT_TEXT),
                                    contents=_flex(reply.card)))
        if not msgs:
            continue
        if reply.choices:
            if len(reply.choices) > MAX_QUICK_REPLIES:
                log.warning("%d choices, LINE shows %d", len(reply.choices), MAX_QUICK_REPLIES)
            msgs[-1].quick_reply = QuickReply(items=[
                QuickReplyItem(action=PostbackAction(label=_clip(c.label, MAX_LABEL), data=c.payload,
                                                     display_text=c.label))
                for c in reply.choices[:MAX_QUICK_REPLIES]])
        out += msgs
    return out


def _part(event: Any) -> int | None:
    """The resident's part of the event queue (store.part_of), or None for a group or room."""
    source = getattr(event, "source", None)
    if isinstance(source, UserSource) and source.user_id:
        return store.part_of(user_key(source.user_id))
    return None


def _usable_token(event: Any) -> str | None:
    """The event's reply token while it can still be trusted (LINE: use within about a minute)."""
    token = getattr(event, "reply_token", None)
    stamp = getattr(event, "timestamp", None)
    if token and isinstance(stamp, int) and time.time() * 1000 - stamp > REPLY_TOKEN_BUDGET * 1000:
        return None        # too old (a slow turn, or an event taken over after a crash): push instead
    return token


def _raw_events(body: str) -> dict[str, dict[str, Any]]:
    """The events of a (verified) body as sent, by webhookEventId."""
    try:
        events = json.loads(body).get("events", [])
        return {e["webhookEventId"]: e for e in events
                if isinstance(e, dict) and isinstance(e.get("webhookEventId"), str)}
    except (ValueError, AttributeError, TypeError):
        return {}


def _chunks(messages: list[Message]) -> list[list[Message]]:
    return [messages[i:i + MAX_MESSAGES] for i in range(0, len(messages), MAX_MESSAGES)]


# --- error classification ---------------------------------------------------------------------

def _retry_after(exc: ApiException) -> float | None:
    raw = (exc.headers or {}).get("Retry-After") if exc.headers else None
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _error_message(exc: ApiException) -> str:
    try:
        return str(json.loads(exc.body or "{}").get("message", ""))
    except (ValueError, AttributeError):
        return ""


def _is_network(exc: BaseException) -> bool:
    return isinstance(exc, (asyncio.TimeoutError, aiohttp.ClientError))


# --- the channel ------------------------------------------------------------------------------

class LineChannel(ChannelBase):
    """Receives LINE webhooks and sends replies and pushes for one LINE Official Account."""

    name = NAME
    _label = "LINE"
    _event_word = "event"
    _log = log

    def __init__(self, *, api: AsyncMessagingApi, parser: WebhookParser, conversation: ConversationLike | None,
                 sessions: Sessions, cipher: Cipher | None = None, timeout: float = 10.0, retries: int = 4,
                 sleep: Sleep = asyncio.sleep, workers: int = WORKERS,
                 loading_after: float = LOADING_AFTER) -> None:
        super().__init__(conversation=conversation, sessions=sessions, cipher=cipher, retries=retries,
                         sleep=sleep, workers=workers)
        self._api, self._parser = api, parser
        self._loading_after = loading_after
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ephemeral: dict[int, list[dict[str, Any]]] = {}

    # webhook ------------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """Verifies and records the events, answers 200 at once, and handles them in the background."""
        body = await request.read()          # over client_max_size: aiohttp answers 413
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return web.Response(status=400, text="body is not UTF-8")
        try:
            events = self._parser.parse(text, request.headers.get("X-Line-Signature", ""))
        except InvalidSignatureError:
            log.warning("LINE webhook: invalid signature from %s", request.remote)
            return web.Response(status=400, text="invalid signature")
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("LINE webhook: signed but malformed body (%d bytes)", len(body))
            return web.Response(status=400, text="malformed body")
        fresh = []
        raw = _raw_events(text)
        try:
            for event in events:
                event_id = getattr(event, "webhook_event_id", None)
                if not event_id:
                    continue
                if await self._claimer.claim(NAME, event_id, self._seal(raw.get(event_id)),
                                             lease=not self.queue_only, part=_part(event)):
                    fresh.append(event)
                else:
                    ctx = getattr(event, "delivery_context", None)
                    log.info("LINE event %s already handled (redelivery=%s): skipped", event_id,
                             getattr(ctx, "is_redelivery", None))
        except (SQLAlchemyError, OSError) as exc:   # asyncpg raises OSError when the server is down
            log.error("LINE webhook: store unavailable (%s); LINE may redeliver", type(exc).__name__)
            return web.Response(status=503, text="store unavailable")
        if fresh and not self.queue_only:
            self.spawn(self._process(fresh))
        return web.Response(text="OK")

    def _seal(self, raw_event: dict[str, Any] | None) -> bytes | None:
        """The event, encrypted, kept with its claim until done (None without a cipher: no recovery)."""
        if raw_event is None or self._cipher is None:
            return None
        return self._cipher.encrypt(json.dumps(raw_event, ensure_ascii=False))

    def _decode(self, raw: str) -> Any:
        return Event.from_dict(json.loads(raw))

    def _rerun(self, event: Any) -> Any:
        return self._process([event])

    async def _may_answer(self, event: Any) -> bool:
        """Records the intent to answer before sending (never answered twice); False if another handler did."""
        event_id = getattr(event, "webhook_event_id", None)
        if not event_id:
            return True
        try:
            if await self._marker.mark(NAME, event_id):
                return True
        except (SQLAlchemyError, OSError) as exc:
            # The database is away: answer now (the resident waits otherwise) and keep the event from
            # recover() in this process until its status is stored.
            log.warning("LINE event %s: intent to answer not stored (%s)", event_id, type(exc).__name__)
            self._unfinished[event_id] = "done"
            return True
        log.warning("LINE event %s already answered by another handler: not sent again", event_id)
        return False

    async def _answer(self, event: Any, uid: str, replies: Sequence[Reply]) -> None:
        if await self._may_answer(event):
            await self.deliver(uid, _usable_token(event), replies)

    async def _process(self, events: list[Any]) -> None:
        self._active.update(e.webhook_event_id for e in events)
        try:
            for event in events:
                await self._process_one(event)
        finally:
            self._active.difference_update(e.webhook_event_id for e in events)

    async def _process_one(self, event: Any) -> None:
        source = getattr(event, "source", None)
        key = user_key(source.user_id) if isinstance(source, UserSource) and source.user_id else "?"
        async with _lock(self._locks, key), self._workers:
            status = "done"
            try:
                await self._handle_event(event)
            except Exception as exc:  # noqa: BLE001 - one bad event must not stop the others
                log.error("LINE event %s (%s) failed: %s at %s", event.webhook_event_id,
                          type(event).__name__, type(exc).__name__, _where(exc))
                status = "failed"
            await self._finish(event.webhook_event_id, status)

    async def _turn(self, uid: str, inbound: Inbound) -> list[Reply]:
        """The conversation's answer; LINE's loading indicator only if it is slow to come.

        An answer ready within ``loading_after`` seconds needs no indicator, and skipping it saves an
        API call per message (about as much CPU as the reply itself). 0 shows it first, every time.
        """
        if self._loading_after <= 0:
            await self._show_loading(uid)
            return await self._converse(inbound)
        timer = asyncio.get_running_loop().call_later(self._loading_after,
                                                      lambda: self.spawn(self._show_loading(uid)))
        try:
            return await self._converse(inbound)
        finally:
            timer.cancel()

    async def _handle_event(self, event: Any) -> None:
        source = getattr(event, "source", None)
        if not isinstance(source, UserSource) or not source.user_id:
            log.info("LINE %s event from a group or room: not served", getattr(event, "type", "?"))
            return
        if getattr(event, "mode", "active") == "standby":
            log.info("LINE event %s in standby mode: another channel answers", event.webhook_event_id)
            return
        uid = source.user_id
        key = user_key(uid)
        if isinstance(event, FollowEvent):
            await store.set_reachable(self._sessions, key, NAME, True)
            await self._answer(event, uid, [Reply(texts.GREETING)])
        elif isinstance(event, UnfollowEvent):
            await store.set_reachable(self._sessions, key, NAME, False)
        elif isinstance(event, UnsendEvent):
            n = await store.redact_message(self._sessions, NAME, event.unsend.message_id, key)
            log.info("LINE unsend: %d stored message(s) redacted", n)
        elif (inbound := to_inbound(event)) is not None:
            metrics.record_message(NAME)
            with metrics.time_message(NAME):
                replies = await self._turn(uid, inbound)
                await self._answer(event, uid, replies)
        elif isinstance(event, MessageEvent):       # sticker, image, video, audio, file, location
            await self._answer(event, uid, [Reply(texts.NON_TEXT)])

    async def _show_loading(self, uid: str) -> None:
        try:
            await self._api.show_loading_animation(
                ShowLoadingAnimationRequest(chat_id=uid, loading_seconds=LOADING_SECONDS),
                _request_timeout=aiohttp.ClientTimeout(total=3))
        except Exception as exc:  # noqa: BLE001 - a missing spinner is not worth failing for
            log.info("LINE loading indicator not shown (%s)", type(exc).__name__)

    # sending ------------------------------------------------------------------------------

    async def deliver(self, uid: str, reply_token: str | None, replies: Sequence[Reply]) -> None:
        """Replies on the token; what the token cannot carry (stale, used, > 5 messages) is pushed."""
        chunks = _chunks(render(replies))
        if not chunks:
            return
        rest = chunks
        if reply_token:
            sent = await self._reply(reply_token, chunks[0])
            rest = chunks[1:] if sent else chunks
        for chunk in rest:
            dicts = [m.to_dict() for m in chunk]
            # Rendered replies may quote what the resident typed (a preview): stored encrypted, or
            # not at all, in which case only this immediate delivery can send them.
            body = ({"line_enc": self._cipher.encrypt(json.dumps(dicts, ensure_ascii=False)).decode()}
                    if self._cipher is not None else {"line_ephemeral": True})
            item = await store.enqueue(self._sessions, user_key(uid), body=body, claim=True)
            self._ephemeral[item.id] = dicts
            try:
                await self.deliver_item(item.id, owned=True)
            finally:
                self._ephemeral.pop(item.id, None)

    async def _reply(self, reply_token: str, messages: list[Message]) -> bool:
        """Sends on the reply token; False when the answer must be pushed instead (stale token, LINE down)."""
        ambiguous = False

        def classify(exc: BaseException) -> Outcome:
            nonlocal ambiguous
            if isinstance(exc, ApiException):
                if exc.status == 400 and "reply token" in _error_message(exc).lower():
                    if ambiguous:   # an earlier attempt may have used the token: never show twice
                        return Outcome("done", "reply token used by an earlier attempt")
                    return Outcome("fail", "stale reply token")
                if exc.status == 429 or (exc.status or 0) >= 500:
                    ambiguous = ambiguous or (exc.status or 0) >= 500
                    return Outcome("retry", f"http {exc.status}", wait=_retry_after(exc))
                return Outcome("fail", f"http {exc.status}", final=True)
            if _is_network(exc):
                ambiguous = ambiguous or not isinstance(exc, aiohttp.ClientConnectorError)
                return Outcome("retry", type(exc).__name__)
            return Outcome("fail", type(exc).__name__, final=True)

        result = await call_with_retries(
            lambda: self._api.reply_message(ReplyMessageRequest(reply_token=reply_token, messages=messages),
                                            _request_timeout=self._timeout),
            classify, attempts=self._retries, sleep=self.sleep, what="LINE reply")
        if result.ok:
            return True
        if result.reason == "stale reply token":
            return False
        metrics.record_error("line_reply_failed")
        if result.final:
            return True   # LINE refused the messages themselves (4xx): a push would be refused alike
        # LINE was down (5xx, 429, no connection) for every attempt: the answer goes to the outbox and
        # is pushed with its retry key once LINE is back, rather than lost. (In the rare case that a
        # 5xx reply was shown after all, the resident sees it twice: better than never.)
        return False

    async def _send_item(self, item: Any) -> bool:
        """Pushes one claimed outbox row with its retry key; a 409 means LINE already has it."""
        uid = item.user_key.split(":", 1)[1]
        if item.id in self._ephemeral:
            chunks = [[Message.from_dict(m) for m in self._ephemeral[item.id]]]
        elif "line_enc" in item.body and self._cipher is not None:
            raw = self._cipher.decrypt(item.body["line_enc"].encode()) or "[]"
            chunks = [[Message.from_dict(m) for m in json.loads(raw)]]
        elif "line_ephemeral" in item.body:
            await store.record_attempt(self._sessions, item.id, sent=False, error="body not kept", final=True)
            return False
        else:
            chunks = _chunks(render(store.body_to_replies(item.body)))
        ok, reason, final = True, "", False
        for i, chunk in enumerate(chunks):
            key = item.retry_key if i == 0 else str(uuid.uuid5(uuid.UUID(item.retry_key), str(i)))
            result = await call_with_retries(
                lambda chunk=chunk, key=key: self._api.push_message(
                    PushMessageRequest(to=uid, messages=chunk), x_line_retry_key=key,
                    _request_timeout=self._timeout),
                _classify_push, attempts=self._retries, sleep=self.sleep, what="LINE push")
            if not result.ok:
                ok, reason, final = False, result.reason, result.final
                break
        await store.record_attempt(self._sessions, item.id, sent=ok, error=None if ok else reason, final=final)
        if not ok:
            metrics.record_error("line_push_failed")
        return ok


def _classify_push(exc: BaseException) -> Outcome:
    if isinstance(exc, ApiException):
        if exc.status == 409:
            return Outcome("done", "retry key already accepted")
        if exc.status == 429 or (exc.status or 0) >= 500:
            return Outcome("retry", f"http {exc.status}", wait=_retry_after(exc))
        return Outcome("fail", f"http {exc.status}", final=True)
    if _is_network(exc):                   # the retry key makes a resend safe
        return Outcome("retry", type(exc).__name__)
    return Outcome("fail", type(exc).__name__, final=True)


# --- wiring -------------------------------------------------------------------------------------

LINE_CHANNEL = web.AppKey("line_channel", LineChannel)


def enabled(settings: Any) -> bool:
    return bool(settings.line_channel_secret and settings.line_channel_access_token)


def make_api_client(settings: Any) -> AsyncApiClient:
    config = Configuration(host=settings.line_api_base_url, access_token=settings.line_channel_access_token)
    return AsyncApiClient(config)


def setup(app: web.Application) -> None:
    """Adds ``POST /webhooks/line`` when the channel secret and access token are set."""
    from bot.web.app import DEPS, SETTINGS

    settings = app[SETTINGS]
    if not enabled(settings):
        return

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        deps = app[DEPS]
        client = make_api_client(settings)
        channel = LineChannel(api=AsyncMessagingApi(client), parser=WebhookParser(settings.line_channel_secret),
                              conversation=deps.extras.get("conversation"), sessions=deps.sessions,
                              cipher=deps.extras.get("cipher"),
                              timeout=settings.channel_api_timeout, retries=settings.channel_api_retries,
                              loading_after=settings.line_loading_after_seconds)
        if channel._conversation is None:
            log.error("LINE is configured but no conversation is available: residents get an apology")
        app[LINE_CHANNEL] = channel
        deps.extras["line_channel"] = channel
        try:
            async with channel.running(settings.outbox_interval_seconds, settings.role):
                yield
        finally:
            await client.close()

    async def webhook(request: web.Request) -> web.Response:
        return await request.app[LINE_CHANNEL].webhook(request)

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post(WEBHOOK_PATH, webhook)
