"""LINE webhook bodies in the documented shape (line/line-openapi webhook.yml), and their signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

DESTINATION = "U" + "f" * 32
_ids = itertools.count(1)
_ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def ulid() -> str:
    n = next(_ids)
    tail = "".join(_ULID_CHARS[(n >> (5 * i)) & 31] for i in range(16))[::-1]
    return "01HZX" + "0" * 5 + tail


def user_id(n: int = 1) -> str:
    return "U" + f"{n:032x}"


def _base(kind: str, user: str, event_id: str | None, redelivery: bool) -> dict[str, Any]:
    return {"type": kind, "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user},
            "webhookEventId": event_id or ulid(), "deliveryContext": {"isRedelivery": redelivery}}


def text(message: str, *, user: str, reply_token: str, event_id: str | None = None, redelivery: bool = False,
         message_id: str | None = None) -> dict[str, Any]:
    ev = _base("message", user, event_id, redelivery)
    ev["replyToken"] = reply_token
    ev["message"] = {"id": message_id or str(480000000000000 + next(_ids)), "type": "text",
                     "quoteToken": "q3Plxr4AgKd" + str(next(_ids)), "text": message}
    return ev


def sticker(*, user: str, reply_token: str) -> dict[str, Any]:
    ev = _base("message", user, None, False)
    ev["replyToken"] = reply_token
    ev["message"] = {"id": str(480000000000000 + next(_ids)), "type": "sticker", "quoteToken": "q-st",
                     "packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC"}
    return ev


def image(*, user: str, reply_token: str) -> dict[str, Any]:
    ev = _base("message", user, None, False)
    ev["replyToken"] = reply_token
    ev["message"] = {"id": str(480000000000000 + next(_ids)), "type": "image", "quoteToken": "q-im",
                     "contentProvider": {"type": "line"}}
    return ev


def postback(data: str, *, user: str, reply_token: str) -> dict[str, Any]:
    ev = _base("postback", user, None, False)
    ev["replyToken"] = reply_token
    ev["postback"] = {"data": data}
    return ev


def follow(*, user: str, reply_token: str) -> dict[str, Any]:
    ev = _base("follow", user, None, False)
    ev["replyToken"] = reply_token
    ev["follow"] = {"isUnblocked": False}
    return ev


def unfollow(*, user: str) -> dict[str, Any]:
    return _base("unfollow", user, None, False)


def unsend(message_id: str, *, user: str) -> dict[str, Any]:
    ev = _base("unsend", user, None, False)
    ev["unsend"] = {"messageId": message_id}
    return ev


def group_text(message: str, *, reply_token: str) -> dict[str, Any]:
    ev = text(message, user=user_id(99), reply_token=reply_token)
    ev["source"] = {"type": "group", "groupId": "C" + "a" * 32, "userId": user_id(99)}
    return ev


def body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": DESTINATION, "events": list(events)}, ensure_ascii=False).encode()
