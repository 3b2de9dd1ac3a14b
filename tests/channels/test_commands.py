"""``scrum-bot line setup``, ``telegram setup`` and ``telegram poll`` against the fake APIs."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from bot.channels.commands import RICH_MENU_LABELS, line_setup, rich_menu, telegram_poll, telegram_setup
from bot.cli import main
from bot.settings import Settings
from tests.fakes import telegram_updates as up

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_setup_without_apply_only_prints(monkeypatch, capsys) -> None:
    monkeypatch.setenv("SCRUM_PUBLIC_BASE_URL", "https://bot.example.jp")
    assert main(["line", "setup"]) == 0
    out = capsys.readouterr().out
    assert "https://bot.example.jp/webhooks/line" in out and "nothing changed" in out
    assert all(label in out for label in RICH_MENU_LABELS)
    assert main(["telegram", "setup"]) == 0
    assert "https://bot.example.jp/webhooks/telegram" in capsys.readouterr().out


def test_rich_menu_is_four_postback_buttons_that_tile_the_menu() -> None:
    menu = rich_menu()
    areas = menu["areas"]
    assert [a["action"] for a in areas] == [
        {"type": "postback", "label": label, "data": data, "displayText": label}
        for label, data in [("相談する", "menu:consult"), ("窓口を探す", "menu:find"),
                            ("状況確認", "menu:status"), ("緊急のとき", "menu:emergency")]]
    assert all(len(a["action"]["label"]) <= 20 and len(a["action"]["data"].encode()) <= 300 for a in areas)
    assert sum(a["bounds"]["width"] for a in areas) == menu["size"]["width"]
    assert len(menu["chatBarText"]) <= 14


@pytest.mark.parametrize(("label", "data"), [("相談する", "menu:consult"), ("窓口を探す", "menu:find"),
                                             ("状況確認", "menu:status"), ("緊急のとき", "menu:emergency")])
def test_each_rich_menu_payload_and_its_label_typed_are_handled_by_the_core(label: str, data: str) -> None:
    """The menu's payloads are ones the core answers at any step, and so are the labels typed."""
    from bot.core.dialogue import FALLBACKS
    from bot.core.messages import Inbound

    for inbound in (Inbound("line:U1", payload=data), Inbound("line:U1", text=label)):
        assert [h.__name__ for m, h in FALLBACKS if m(inbound)][:1] == [
            {"menu:consult": "consult", "menu:find": "find", "menu:status": "ask_status",
             "menu:emergency": "emergency"}[data]]


async def test_line_setup_apply_sets_webhook_and_rich_menu(channel_settings, fake_line, tmp_path: Path) -> None:
    image = tmp_path / "menu.png"
    image.write_bytes(PNG)
    out = io.StringIO()
    assert await line_setup(channel_settings, apply=True, image=image, out=out) == 0
    assert fake_line.webhook_endpoint == "https://bot.example.jp/webhooks/line"
    [rid] = fake_line.rich_menus
    assert [a["action"]["data"] for a in fake_line.rich_menus[rid]["areas"]] == [
        "menu:consult", "menu:find", "menu:status", "menu:emergency"]      # the SDK kept the postbacks
    assert {a["action"]["displayText"] for a in fake_line.rich_menus[rid]["areas"]} == set(RICH_MENU_LABELS)
    assert fake_line.rich_menu_images[rid] == PNG
    assert fake_line.default_rich_menu == rid
    assert [c.headers.get("Content-Type") for c in fake_line.calls if c.path.endswith("/content")] == ["image/png"]


async def test_line_setup_apply_without_image_sets_only_the_webhook(channel_settings, fake_line) -> None:
    assert await line_setup(channel_settings, apply=True, out=io.StringIO()) == 0
    assert fake_line.webhook_endpoint and fake_line.rich_menus == {}


async def test_line_setup_refuses_a_plain_http_url(channel_settings, fake_line) -> None:
    s = channel_settings.replace(public_base_url="http://bot.example.jp")
    assert await line_setup(s, apply=True, out=io.StringIO()) == 1
    assert fake_line.calls == []


async def test_telegram_setup_apply_sets_webhook_with_secret(channel_settings, fake_telegram) -> None:
    out = io.StringIO()
    assert await telegram_setup(channel_settings, apply=True, out=out) == 0
    assert fake_telegram.webhook["url"] == "https://bot.example.jp/webhooks/telegram"
    assert fake_telegram.webhook["secret_token"] == channel_settings.telegram_secret_token
    assert fake_telegram.webhook["allowed_updates"] == ["message", "callback_query"]
    assert "webhook set" in out.getvalue()


async def test_telegram_setup_reports_a_refused_secret(channel_settings, fake_telegram, capsys) -> None:
    s = channel_settings.replace(telegram_secret_token="has spaces!")
    assert await telegram_setup(s, apply=True, out=io.StringIO()) == 1
    assert "secret token" in capsys.readouterr().err


@pytest.mark.sudachi
async def test_polling_answers_each_update_once(channel_settings, fake_telegram) -> None:
    """Polling runs the real conversation (build_deps) with the same dedupe as the webhook."""
    chat = 4242
    update = up.text("こんにちは", chat_id=chat)
    fake_telegram.updates = [update, dict(update)]       # Telegram repeating an update
    stop = asyncio.Event()

    async def stopper() -> None:
        while not fake_telegram.sent:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        stop.set()

    task = asyncio.create_task(stopper())
    rc = await asyncio.wait_for(telegram_poll(channel_settings, stop=stop, out=io.StringIO()), timeout=120)
    await task
    assert rc == 0
    sent = fake_telegram.texts_to(chat)
    assert sent and len(sent) == len(set(sent))           # one answer, not two
    offsets = [int(c.params.get("offset", 0)) for c in fake_telegram.calls_to("getUpdates")]
    assert offsets[0] == 0 and offsets[-1] == update["update_id"] + 1


async def test_polling_refuses_while_a_webhook_is_set(channel_settings, fake_telegram, capsys) -> None:
    fake_telegram.webhook = {"url": "https://bot.example.jp/webhooks/telegram"}
    s: Settings = channel_settings
    assert await asyncio.wait_for(telegram_poll(s, out=io.StringIO()), timeout=120) == 1
    assert "--delete-webhook" in capsys.readouterr().err
