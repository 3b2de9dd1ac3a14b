"""``scrum-bot line setup`` / ``telegram setup`` / ``telegram poll``: connect the real accounts.

``setup`` without ``--apply`` only prints what it would set (the webhook URL, the rich menu), so a
city can check it first; with ``--apply`` it calls the platform's API with the configured
credentials. ``telegram poll`` runs the bot by long polling, for local development without a public
URL (Telegram allows either a webhook or polling, not both).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings

# The rich menu: four buttons in one row (2500×843, the compact size). Each is a postback with a
# short payload the conversation core handles at any step (bot/handlers/menu.py); its displayText
# is the label, so the chat shows what was tapped. The core also understands the labels typed.
RICH_MENU_BUTTONS = (("相談する", "menu:consult"), ("窓口を探す", "menu:find"),
                     ("状況確認", "menu:status"), ("緊急のとき", "menu:emergency"))
RICH_MENU_LABELS = tuple(label for label, _ in RICH_MENU_BUTTONS)
RICH_MENU_CHAT_BAR = "メニュー"
RICH_MENU_SIZE = (2500, 843)


def rich_menu() -> dict[str, Any]:
    """The rich menu object (messaging-api.yml ``RichMenuRequest``)."""
    width, height = RICH_MENU_SIZE
    step = width // len(RICH_MENU_BUTTONS)
    return {"size": {"width": width, "height": height}, "selected": True, "name": "scrum-support-main",
            "chatBarText": RICH_MENU_CHAT_BAR,
            "areas": [{"bounds": {"x": i * step, "y": 0, "width": step, "height": height},
                       "action": {"type": "postback", "label": label, "data": data, "displayText": label}}
                      for i, (label, data) in enumerate(RICH_MENU_BUTTONS)]}


def webhook_url(settings: Settings, path: str) -> str | None:
    base = settings.public_base_url
    return f"{base.rstrip('/')}{path}" if base else None


def register(sub: argparse._SubParsersAction) -> None:
    line = sub.add_parser("line", help="connect the LINE Official Account")
    line_sub = line.add_subparsers(dest="line_command", metavar="ACTION")
    setup = line_sub.add_parser("setup", help="print (or --apply) the webhook URL and the rich menu")
    setup.add_argument("--apply", action="store_true", help="set them through the Messaging API")
    setup.add_argument("--image", type=Path, help="rich menu image (PNG/JPEG, 2500×843, ≤ 1 MB); "
                                                  "the rich menu is created only with an image")
    setup.set_defaults(func=_line_setup)

    tg = sub.add_parser("telegram", help="connect the Telegram bot")
    tg_sub = tg.add_subparsers(dest="telegram_command", metavar="ACTION")
    tsetup = tg_sub.add_parser("setup", help="print (or --apply) setWebhook with the secret token")
    tsetup.add_argument("--apply", action="store_true", help="call setWebhook")
    tsetup.set_defaults(func=_telegram_setup)
    poll = tg_sub.add_parser("poll", help="run by long polling (local development, no public URL)")
    poll.add_argument("--delete-webhook", action="store_true",
                      help="remove a webhook first (polling and a webhook cannot run together)")
    poll.set_defaults(func=_telegram_poll)


# --- LINE ---------------------------------------------------------------------------------------

def _line_setup(args: argparse.Namespace) -> int:
    settings = Settings.from_env(os.environ)
    return asyncio.run(line_setup(settings, apply=args.apply, image=args.image))


async def line_setup(settings: Settings, *, apply: bool, image: Path | None = None, out: TextIO | None = None) -> int:
    """Prints the webhook URL and rich menu; with ``apply``, sets them on the channel."""
    out = out or sys.stdout
    from bot.channels.line import WEBHOOK_PATH

    url = webhook_url(settings, WEBHOOK_PATH)
    print(f"webhook URL: {url or '(set SCRUM_PUBLIC_BASE_URL first)'}", file=out)
    print("rich menu:", json.dumps(rich_menu(), ensure_ascii=False, indent=2), sep="\n", file=out)
    if not apply:
        print("(nothing changed: add --apply to set these on the LINE channel)", file=out)
        return 0
    if not (settings.line_channel_access_token and settings.line_channel_secret):
        print("error: set SCRUM_LINE_CHANNEL_SECRET and SCRUM_LINE_CHANNEL_ACCESS_TOKEN", file=sys.stderr)
        return 1
    if url is None or not url.startswith("https://"):
        print("error: SCRUM_PUBLIC_BASE_URL must be an https:// address LINE can reach", file=sys.stderr)
        return 1
    image_bytes = None
    if image is not None:
        image_bytes = image.read_bytes()
        if len(image_bytes) > 1024 * 1024 or image.suffix.lower() not in {".png", ".jpg", ".jpeg"}:
            print("error: the rich menu image must be a PNG or JPEG of at most 1 MB", file=sys.stderr)
            return 1

    from linebot.v3.messaging import (
        ApiException,
        AsyncApiClient,
        AsyncMessagingApi,
        AsyncMessagingApiBlob,
        Configuration,
        RichMenuRequest,
        SetWebhookEndpointRequest,
    )

    class DataApiClient(AsyncApiClient):
        """The SDK pins the blob endpoints to api-data.line.me; this one honours ``Configuration.host``."""

        def call_api(self, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("_host"):
                kwargs["_host"] = self.configuration.host
            return super().call_api(*args, **kwargs)

    token = settings.line_channel_access_token
    async with AsyncApiClient(Configuration(host=settings.line_api_base_url, access_token=token)) as client, \
            DataApiClient(Configuration(host=settings.line_api_data_base_url, access_token=token)) as data:
        api, blob = AsyncMessagingApi(client), AsyncMessagingApiBlob(data)
        try:
            await api.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint=url))
            print(f"webhook set: {url}", file=out)
            if image_bytes is None:
                print("rich menu not created: pass --image with the menu picture (see docs/channels.md)", file=out)
                return 0
            rid = (await api.create_rich_menu(RichMenuRequest.from_dict(rich_menu()))).rich_menu_id
            content_type = "image/png" if image.suffix.lower() == ".png" else "image/jpeg"  # type: ignore[union-attr]
            await blob.set_rich_menu_image(rid, image_bytes, _headers={"Content-Type": content_type})
            await api.set_default_rich_menu(rid)
            print(f"rich menu {rid} created and set as the default", file=out)
        except ApiException as exc:
            print(f"error: LINE answered {exc.status}: {exc.body}", file=sys.stderr)
            return 1
    return 0


# --- Telegram -----------------------------------------------------------------------------------

def _telegram_setup(args: argparse.Namespace) -> int:
    settings = Settings.from_env(os.environ)
    return asyncio.run(telegram_setup(settings, apply=args.apply))


async def telegram_setup(settings: Settings, *, apply: bool, out: TextIO | None = None) -> int:
    """Prints the webhook URL; with ``apply``, calls setWebhook with the secret token."""
    out = out or sys.stdout
    from bot.channels.telegram import ALLOWED_UPDATES, WEBHOOK_PATH, make_bot

    url = webhook_url(settings, WEBHOOK_PATH)
    print(f"webhook URL: {url or '(set SCRUM_PUBLIC_BASE_URL first)'}", file=out)
    print(f"allowed updates: {', '.join(ALLOWED_UPDATES)}; secret token: "
          f"{'set' if settings.telegram_secret_token else 'NOT SET'}", file=out)
    if not apply:
        print("(nothing changed: add --apply to call setWebhook)", file=out)
        return 0
    if not (settings.telegram_bot_token and settings.telegram_secret_token):
        print("error: set SCRUM_TELEGRAM_BOT_TOKEN and SCRUM_TELEGRAM_SECRET_TOKEN", file=sys.stderr)
        return 1
    if url is None or not url.startswith("https://"):
        print("error: SCRUM_PUBLIC_BASE_URL must be an https:// address Telegram can reach", file=sys.stderr)
        return 1
    from telegram.error import TelegramError

    bot, close = make_bot(settings)
    try:
        await bot.set_webhook(url=url, secret_token=settings.telegram_secret_token,
                              allowed_updates=list(ALLOWED_UPDATES))
        info = await bot.get_webhook_info()
        print(f"webhook set: {info.url} (pending updates: {info.pending_update_count})", file=out)
    except TelegramError as exc:
        print(f"error: Telegram answered: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await close()
    return 0


def _telegram_poll(args: argparse.Namespace) -> int:
    settings = Settings.from_env(os.environ)
    try:
        return asyncio.run(telegram_poll(settings, delete_webhook=args.delete_webhook))
    except KeyboardInterrupt:
        return 0


async def telegram_poll(settings: Settings, *, delete_webhook: bool = False, stop: asyncio.Event | None = None,
                        out: TextIO | None = None) -> int:
    """Runs the whole bot by long polling: same conversation, dedupe and outbox as the webhook."""
    out = out or sys.stdout
    if not settings.telegram_bot_token:
        print("error: set SCRUM_TELEGRAM_BOT_TOKEN", file=sys.stderr)
        return 1
    from telegram.error import Conflict

    from bot.channels.telegram import TelegramChannel, make_bot
    from bot.web.deps import build_deps

    deps = await build_deps(settings)
    bot, close = make_bot(settings)
    channel = TelegramChannel(bot=bot, secret_token=settings.telegram_secret_token,
                              conversation=deps.extras.get("conversation"), sessions=deps.sessions,
                              cipher=deps.extras.get("cipher"), retries=settings.channel_api_retries)
    sweeper = asyncio.get_running_loop().create_task(channel.run_outbox())
    try:
        if delete_webhook:
            await bot.delete_webhook()
        print("polling Telegram (Ctrl-C stops)", file=out)
        await channel.poll(stop=stop)
    except Conflict:
        print("error: a webhook is set for this bot; run with --delete-webhook to poll instead", file=sys.stderr)
        return 1
    finally:
        sweeper.cancel()
        try:
            await sweeper
        except asyncio.CancelledError:
            pass
        await channel.drain()
        await close()
        await deps.close()
    return 0
