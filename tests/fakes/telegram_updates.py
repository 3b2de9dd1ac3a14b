"""Telegram updates in the Bot API's documented shape (https://core.telegram.org/bots/api#update)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

_ids = itertools.count(700000001)
_msg_ids = itertools.count(1)


def next_update_id() -> int:
    return next(_ids)


def _user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Taro", "language_code": "ja"}


def _chat(chat_id: int, kind: str = "private") -> dict[str, Any]:
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": "Taro"}
    return {"id": -100 - chat_id, "type": kind, "title": "group"}


def text(message: str, *, chat_id: int, update_id: int | None = None, chat_type: str = "private") -> dict[str, Any]:
    return {"update_id": update_id or next_update_id(),
            "message": {"message_id": next(_msg_ids), "date": int(time.time()), "chat": _chat(chat_id, chat_type),
                        "from": _user(chat_id), "text": message}}


def sticker(*, chat_id: int) -> dict[str, Any]:
    return {"update_id": next_update_id(),
            "message": {"message_id": next(_msg_ids), "date": int(time.time()), "chat": _chat(chat_id),
                        "from": _user(chat_id),
                        "sticker": {"file_id": "CAACAgIAAxkBAAE", "file_unique_id": "AgADxx", "type": "regular",
                                    "width": 512, "height": 512, "is_animated": False, "is_video": False}}}


def callback(data: str, *, chat_id: int, query_id: str = "4382bfdwdsb323b2d9") -> dict[str, Any]:
    return {"update_id": next_update_id(),
            "callback_query": {"id": query_id, "from": _user(chat_id), "chat_instance": "-8242432",
                               "data": data,
                               "message": {"message_id": next(_msg_ids), "date": int(time.time()),
                                           "chat": _chat(chat_id), "text": "…",
                                           "from": {"id": 7000000001, "is_bot": True, "first_name": "bot"}}}}


def body(update: dict[str, Any]) -> bytes:
    return json.dumps(update, ensure_ascii=False).encode()
