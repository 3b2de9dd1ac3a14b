"""Telegram adapter (python-telegram-bot 22 as a typed client only): verify, dedupe, answer, send.

``POST /webhooks/telegram`` runs under our own aiohttp server. It checks
``X-Telegram-Bot-Api-Secret-Token`` with ``hmac.compare_digest`` (403 when it fails), records the
``update_id`` with insert-or-ignore (a repeated update is acknowledged and skipped), answers 200 at
once and handles the update in a background task. Choices are inline keyboards whose
``callback_data`` is the core's short id (≤ 64 bytes); every callback query is answered so the
client stops its spinner. Only private chats are served; the user key is ``telegram:<chat id>``.

Telegram has no retry key, so a send is retried only when it certainly did not arrive (429 with
``retry_after``, 5xx, no connection); a read timeout is not resent, so nothing is shown twice.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import warnings
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.channels.base import OUTBOX_INTERVAL as OUTBOX_INTERVAL  # noqa: F401 - re-exported
from bot.channels.base import OUTBOX_MAX_RUNS as OUTBOX_MAX_RUNS  # noqa: F401 - re-exported
from bot.channels.base import ChannelBase, ConversationLike, _lock, _where
from bot.channels.retry import Outcome, Sleep, call_with_retries
from bot.channels.textlen import utf16_len, utf16_prefix
from bot.core import texts
from bot.core.messages import Inbound, Reply
from bot.store import events as store
from bot.store.crypto import Cipher
from bot.store.events import Sessions
from bot.web import metrics

log = logging.getLogger(__name__)

NAME = "telegram"
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
ALLOWED_UPDATES = ("message", "callback_query")


def user_key(chat_id: int | str) -> str:
    return f"{NAME}:{chat_id}"


# --- translation ------------------------------------------------------------------------------

def _part(update: Update) -> int | None:
    """The resident's part of the event queue (store.part_of), or None outside a private chat."""
    chat_id = _private_chat_id(update)
    return store.part_of(user_key(chat_id)) if chat_id is not None else None


def _private_chat_id(update: Update) -> int | None:
    chat = update.effective_chat
    return chat.id if chat is not None and chat.type == "private" else None


def to_inbound(update: Update) -> Inbound | None:
    """A private text message or a tapped inline button becomes an ``Inbound``; anything else is None."""
    chat_id = _private_chat_id(update)
    if chat_id is None:
        return None
    event_id = str(update.update_id)
    if update.callback_query is not None and update.callback_query.data:
        return Inbound(user_key(chat_id), payload=update.callback_query.data, channel=NAME, event_id=event_id)
    msg = update.message
    if msg is not None and msg.text:
        return Inbound(user_key(chat_id), text=msg.text, channel=NAME, event_id=event_id,
                       message_id=str(msg.message_id))
    return None


def _split(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Splits ``text`` into parts of at most ``limit`` UTF-16 units, at a line break when there is one."""
    parts = []
    while utf16_len(text) > limit:
        n = utf16_prefix(text, limit)
        cut = text.rfind("\n", 0, n)
        cut = cut if cut > 0 else n
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return parts + ([text] if text else [])


def render(replies: Sequence[Reply]) -> list[dict[str, Any]]:
    """Renders replies as ``sendMessage`` parameters: text (a card as text), one button per row.

    Returns plain dicts (``text`` and, when there are choices, ``reply_markup``) so they can be kept
    in the outbox and sent again unchanged.
    """
    out: list[dict[str, Any]] = []
    for reply in replies:
        text = "\n\n".join(p for p in (reply.text, reply.card.text_fallback() if reply.card else "") if p)
        parts = _split(text)
        if not parts:
            continue
        rows: list[list[dict[str, str]]] = []
        for c in reply.choices:
            if len(c.payload.encode()) > MAX_CALLBACK_BYTES:
                log.warning("choice payload over %d bytes dropped", MAX_CALLBACK_BYTES)
                continue
            rows.append([{"text": c.label, "callback_data": c.payload}])
        if reply.card and reply.card.url and reply.card.url.startswith("https://"):
            rows.append([{"text": texts.CARD_MAP, "url": reply.card.url}])
        for i, part in enumerate(parts):
            msg: dict[str, Any] = {"text": part}
            if rows and i == len(parts) - 1:
                msg["reply_markup"] = {"inline_keyboard": rows}
            out.append(msg)
    return out


def _markup(raw: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    if not raw:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(**b) for b in row] for row in raw["inline_keyboard"]])


# --- error classification ---------------------------------------------------------------------

def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


def classify_send(exc: BaseException) -> Outcome:
    """Retry only what certainly did not arrive: Telegram has no retry key."""
    if isinstance(exc, RetryAfter):
        return Outcome("retry", "429", wait=_retry_after(exc))
    if isinstance(exc, Forbidden):
        return Outcome("fail", "forbidden", final=True)          # blocked by the user
    if isinstance(exc, (BadRequest, InvalidToken)):
        return Outcome("fail", type(exc).__name__, final=True)
    if isinstance(exc, TimedOut):
        if isinstance(exc.__cause__, (httpx.ConnectTimeout, httpx.PoolTimeout)):
            return Outcome("retry", "connect timeout")
        return Outcome("fail", "timed out: may have arrived, not resent", final=True)
    if isinstance(exc, NetworkError):                            # 5xx, refused connection
        return Outcome("retry", "network error")
    return Outcome("fail", type(exc).__name__, final=True)


# --- the channel ------------------------------------------------------------------------------

class TelegramChannel(ChannelBase):
    """Receives Telegram updates (webhook or polling) and sends replies and pushes for one bot."""

    name = NAME
    _label = "Telegram"
    _event_word = "update"
    _log = log
    _decode_errors = (ValueError, TypeError, KeyError, AttributeError)

    def __init__(self, *, bot: Bot, secret_token: str | None, conversation: ConversationLike | None,
                 sessions: Sessions, cipher: Cipher | None = None, retries: int = 4,
                 sleep: Sleep = asyncio.sleep, workers: int = 4) -> None:
        super().__init__(conversation=conversation, sessions=sessions, cipher=cipher, retries=retries,
                         sleep=sleep, workers=workers)
        self.bot, self._secret = bot, secret_token or ""
        self._ephemeral: dict[int, dict[str, Any]] = {}

    # webhook ------------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """Checks the secret header, records the update id, answers 200, handles it in the background."""
        given = request.headers.get(SECRET_HEADER, "")
        if not self._secret or not hmac.compare_digest(given.encode(), self._secret.encode()):
            log.warning("Telegram webhook: wrong secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        body = await request.read()          # over client_max_size: aiohttp answers 413
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no update_id")
            update = Update.de_json(data, self.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("Telegram webhook: malformed update (%d bytes)", len(body))
            return web.Response(status=400, text="malformed update")
        try:
            sealed = self._cipher.encrypt(body.decode("utf-8")) if self._cipher is not None else None
            fresh = await self._claimer.claim(NAME, str(update.update_id), sealed, lease=not self.queue_only,
                                              part=_part(update))
        except (SQLAlchemyError, OSError) as exc:   # asyncpg raises OSError when the server is down
            log.error("Telegram webhook: store unavailable (%s); Telegram will retry", type(exc).__name__)
            return web.Response(status=503, text="store unavailable")
        if fresh and not self.queue_only:
            self.spawn(self.process(update))
        else:
            log.info("Telegram update %s already handled: skipped", update.update_id)
        return web.Response(text="OK")

    def _decode(self, raw: str) -> Any:
        return Update.de_json(json.loads(raw), self.bot)

    def _rerun(self, event: Any) -> Any:
        return self.process(event)

    async def _answer(self, update: Update, chat_id: int, replies: Sequence[Reply]) -> None:
        """Records the intent to answer before sending (never answered twice), then sends."""
        event_id = str(update.update_id)
        try:
            if not await self._marker.mark(NAME, event_id):
                log.warning("Telegram update %s already answered by another handler: not sent again", event_id)
                return
        except (SQLAlchemyError, OSError) as exc:
            # The database is away: answer now and keep the update from recover() in this process
            # until its status is stored.
            log.warning("Telegram update %s: intent to answer not stored (%s)", event_id, type(exc).__name__)
            self._unfinished[event_id] = "done"
        await self.deliver(chat_id, replies)

    async def process(self, update: Update) -> None:
        """Handles one update already claimed; marks it done or failed."""
        self._active.add(str(update.update_id))
        try:
            await self._process(update)
        finally:
            self._active.discard(str(update.update_id))

    async def _process(self, update: Update) -> None:
        chat_id = _private_chat_id(update)
        key = user_key(chat_id) if chat_id is not None else "?"
        status = "done"
        async with _lock(self._locks, key), self._workers:
            try:
                await self._handle(update, chat_id)
            except Exception as exc:  # noqa: BLE001 - one bad update must not stop the others
                log.error("Telegram update %s failed: %s at %s", update.update_id, type(exc).__name__, _where(exc))
                status = "failed"
        await self._finish(str(update.update_id), status)

    async def _handle(self, update: Update, chat_id: int | None) -> None:
        if update.callback_query is not None:
            await self._answer_callback(update.callback_query.id)
        if chat_id is None:
            log.info("Telegram update %s outside a private chat: not served", update.update_id)
            return
        key = user_key(chat_id)
        if not await store.is_reachable(self._sessions, key):
            await store.set_reachable(self._sessions, key, NAME, True)   # they wrote again: unblocked
        inbound = to_inbound(update)
        if inbound is not None:
            metrics.record_message(NAME)
            with metrics.time_message(NAME):
                replies = await self._converse(inbound)
                await self._answer(update, chat_id, replies)
        elif update.message is not None:           # sticker, photo, voice, location …
            await self._answer(update, chat_id, [Reply(texts.NON_TEXT)])

    async def _answer_callback(self, query_id: str) -> None:
        result = await call_with_retries(lambda: self.bot.answer_callback_query(query_id), classify_send,
                                         attempts=2, sleep=self.sleep, what="Telegram answerCallbackQuery")
        if not result.ok:
            log.info("callback query not answered (%s)", result.reason)

    # sending ------------------------------------------------------------------------------

    async def deliver(self, chat_id: int, replies: Sequence[Reply]) -> None:
        """Sends each rendered message through its own outbox row (so it is sent at most once)."""
        for msg in render(replies):
            body = ({"tg_enc": self._cipher.encrypt(json.dumps(msg, ensure_ascii=False)).decode()}
                    if self._cipher is not None else {"tg_ephemeral": True})
            item = await store.enqueue(self._sessions, user_key(chat_id), body=body, claim=True)
            self._ephemeral[item.id] = msg
            try:
                if not await self.deliver_item(item.id, owned=True):
                    break                      # keep the order: do not send later parts alone
            finally:
                self._ephemeral.pop(item.id, None)

    async def _send_item(self, item: Any) -> bool:
        """Sends one claimed outbox row, message by message; a failure stops the row."""
        if item.id in self._ephemeral:
            msgs = [self._ephemeral[item.id]]
        elif "tg_enc" in item.body and self._cipher is not None:
            msgs = [json.loads(self._cipher.decrypt(item.body["tg_enc"].encode()) or "{}")]
        elif "tg_ephemeral" in item.body or "tg_enc" in item.body:
            await store.record_attempt(self._sessions, item.id, sent=False, error="body not kept", final=True)
            return False
        else:
            msgs = render(store.body_to_replies(item.body))
        chat_id = int(item.user_key.split(":", 1)[1])
        for msg in msgs:     # rows from other areas: several messages; a failure stops the row
            result = await call_with_retries(
                lambda msg=msg: self.bot.send_message(chat_id=chat_id, text=msg["text"],
                                                      reply_markup=_markup(msg.get("reply_markup"))),
                classify_send, attempts=self._retries, sleep=self.sleep, what="Telegram sendMessage")
            if not result.ok:
                metrics.record_error("telegram_send_failed")
                if result.reason == "forbidden":
                    await store.set_reachable(self._sessions, item.user_key, NAME, False)
                await store.record_attempt(self._sessions, item.id, sent=False, error=result.reason,
                                           final=result.final)
                return False
        await store.record_attempt(self._sessions, item.id, sent=True)
        return True

    # polling (local development) ----------------------------------------------------------

    async def poll(self, *, stop: asyncio.Event | None = None, timeout: int = 30) -> None:
        """Long-polls ``getUpdates`` and handles each update as the webhook would (dedupe included)."""
        offset = 0
        while stop is None or not stop.is_set():
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=timeout,
                                                     allowed_updates=list(ALLOWED_UPDATES))
            except RetryAfter as exc:
                await self.sleep(_retry_after(exc))
                continue
            except NetworkError as exc:
                log.info("getUpdates failed (%s); retrying", type(exc).__name__)
                await self.sleep(2.0)
                continue
            for update in updates:
                offset = max(offset, update.update_id + 1)
                sealed = (self._cipher.encrypt(json.dumps(update.to_dict(), ensure_ascii=False))
                          if self._cipher is not None else None)
                if await self._claimer.claim(NAME, str(update.update_id), sealed, part=_part(update)):
                    await self.process(update)
            if not updates:             # Telegram long-polls; a server that answers at once is not hammered
                await asyncio.sleep(0.5)


# --- wiring -------------------------------------------------------------------------------------

TELEGRAM_CHANNEL = web.AppKey("telegram_channel", TelegramChannel)


def enabled(settings: Any) -> bool:
    return bool(settings.telegram_bot_token and settings.telegram_secret_token)


def make_bot(settings: Any) -> tuple[Bot, Any]:
    """A PTB ``Bot`` on the configured API address (the real one, or a local fake in tests).

    Returns the bot and an async ``close()`` for its HTTP clients.
    """
    base = settings.telegram_api_base_url.rstrip("/")
    timeout = settings.channel_api_timeout
    request = HTTPXRequest(connection_pool_size=8, connect_timeout=timeout, read_timeout=timeout,
                           write_timeout=timeout, pool_timeout=timeout)
    updates_request = HTTPXRequest(connection_pool_size=1, read_timeout=60.0)
    bot = Bot(settings.telegram_bot_token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
              request=request, get_updates_request=updates_request)

    async def close() -> None:
        await asyncio.gather(request.shutdown(), updates_request.shutdown())

    return bot, close


def setup(app: web.Application) -> None:
    """Adds ``POST /webhooks/telegram`` when the bot token and the secret token are set."""
    from bot.web.app import DEPS, SETTINGS

    settings = app[SETTINGS]
    if not enabled(settings):
        return

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        deps = app[DEPS]
        bot, close_bot = make_bot(settings)
        channel = TelegramChannel(bot=bot, secret_token=settings.telegram_secret_token,
                                  conversation=deps.extras.get("conversation"), sessions=deps.sessions,
                                  cipher=deps.extras.get("cipher"), retries=settings.channel_api_retries)
        if deps.extras.get("conversation") is None:
            log.error("Telegram is configured but no conversation is available: residents get an apology")
        app[TELEGRAM_CHANNEL] = channel
        deps.extras["telegram_channel"] = channel
        try:
            async with channel.running(settings.outbox_interval_seconds, settings.role):
                yield
        finally:
            await close_bot()

    async def webhook(request: web.Request) -> web.Response:
        return await request.app[TELEGRAM_CHANNEL].webhook(request)

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post(WEBHOOK_PATH, webhook)
