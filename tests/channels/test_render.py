"""to_inbound() and render(): the whole translation between each platform and the core."""

from __future__ import annotations

from linebot.v3.webhooks import Event
from telegram import Update

from bot.channels import line, telegram
from bot.channels.textlen import utf16_len
from bot.core.messages import Card, CardField, Choice, Reply
from tests.fakes import line_events as ev
from tests.fakes import telegram_updates as up


def test_line_to_inbound_keeps_ids_and_never_the_profile() -> None:
    e = Event.from_dict(ev.text("こんにちは", user=ev.user_id(3), reply_token="t", message_id="4801"))
    inbound = line.to_inbound(e)
    assert inbound is not None
    assert (inbound.user_key, inbound.text, inbound.message_id, inbound.event_id) == (
        f"line:{ev.user_id(3)}", "こんにちは", "4801", e.webhook_event_id)
    assert line.to_inbound(Event.from_dict(ev.follow(user=ev.user_id(3), reply_token="t"))) is None
    assert line.to_inbound(Event.from_dict(ev.group_text("x", reply_token="t"))) is None


def test_line_render_limits() -> None:
    choices = tuple(Choice(f"とても長いボタンのラベルです番号{i:02d}", f"c:{i}") for i in range(15))
    [msg] = line.render([Reply("えらんでください", choices=choices)])
    d = msg.to_dict()
    assert len(d["quickReply"]["items"]) == 13
    assert all(len(i["action"]["label"]) <= 20 for i in d["quickReply"]["items"])
    assert d["quickReply"]["items"][0]["action"]["displayText"] == choices[0].label
    [long_msg] = line.render([Reply("あ" * 6000)])
    assert len(long_msg.to_dict()["text"]) == 5000


def test_line_card_without_phone_or_url_has_no_footer() -> None:
    [flex] = line.render([Reply("", card=Card("若者相談窓口", "15〜39歳の相談", (CardField("受付時間", "火〜土"),)))])
    d = flex.to_dict()
    assert d["type"] == "flex" and "footer" not in d["contents"]
    assert d["altText"].startswith("【若者相談窓口】")


def test_telegram_to_inbound_and_render() -> None:
    u = Update.de_json(up.callback("consent:yes", chat_id=9), None)
    inbound = telegram.to_inbound(u)
    assert inbound is not None and inbound.payload == "consent:yes" and inbound.user_key == "telegram:9"
    msgs = telegram.render([Reply("あ" * 5000, choices=(Choice("はい", "yes"), Choice("x", "y" * 65)))])
    assert [len(m["text"]) for m in msgs] == [4096, 904]
    assert "reply_markup" not in msgs[0]
    assert msgs[1]["reply_markup"] == {"inline_keyboard": [[{"text": "はい", "callback_data": "yes"}]]}


def test_limits_count_utf16_units_as_the_platforms_do() -> None:
    emoji = "😀"                                   # 2 UTF-16 units
    [msg] = line.render([Reply(emoji * 3000)])
    text = msg.to_dict()["text"]
    assert utf16_len(text) <= 5000 and text.endswith("…")
    parts = telegram.render([Reply(emoji * 3000)])
    assert [utf16_len(p["text"]) for p in parts] == [4096, 6000 - 4096]
    assert "".join(p["text"] for p in parts) == emoji * 3000
