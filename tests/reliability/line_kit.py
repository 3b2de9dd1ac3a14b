"""A resident talking to the real app over the LINE webhook, against the fake LINE API (in-process).

The whole app is real (create_app + build_deps: router, conversation, store, cipher); only LINE is
fake, at the network edge. ``Resident.say`` sends one signed event, waits for the background work
and returns the texts LINE delivered to that resident because of it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.channels.line import LINE_CHANNEL
from bot.settings import Settings
from tests.fakes import line_events as ev
from tests.fakes.line_api import FakeLineApi

ROOT = Path(__file__).resolve().parents[2]
SECRET = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
TOKEN = "test-access-token"
REF = re.compile(r"FJ-\d{4}-\d{6}")

# The intake, as a resident goes through it: (text or None, payload or None).
SUMMARY = "母が一人で暮らしていて物忘れがひどく、火の始末が心配で夜も眠れません"
NAME = "富士見だいこ"
PHONE = "090-3141-5926"
INQUIRY = "母の介護のことで相談したいです！！！"   # NFKC changes it: the router keeps a normalised copy


def line_settings(db_url: str, fake: FakeLineApi, **changes: Any) -> Settings:
    base = dict(database_url=db_url, catalogue_path=ROOT / "knowledge/services.yaml",
                public_base_url="https://bot.example.jp", line_channel_secret=SECRET,
                line_channel_access_token=TOKEN, line_api_base_url=fake.url, line_api_data_base_url=fake.url,
                channel_api_timeout=2.0, channel_api_retries=3)
    return Settings(**{**base, **changes})


def texts_of(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text") or m.get("altText", "") for m in messages]


def payloads_of(messages: list[dict[str, Any]]) -> list[str]:
    return [i["action"].get("data", "") for m in messages for i in (m.get("quickReply") or {}).get("items", [])]


@dataclass
class Resident:
    client: Any                   # aiohttp TestClient of the app
    fake: FakeLineApi
    n: int = 1
    statuses: list[int] = field(default_factory=list)

    @property
    def uid(self) -> str:
        return ev.user_id(self.n)

    async def post(self, event: dict[str, Any]) -> int:
        body = ev.body(event)
        resp = await self.client.post("/webhooks/line", data=body, headers={
            "Content-Type": "application/json", "X-Line-Signature": ev.sign(body, SECRET)})
        await resp.read()
        await self.client.app[LINE_CHANNEL].drain()
        self.statuses.append(resp.status)
        return resp.status

    async def say(self, text: str | None = None, *, payload: str | None = None,
                  event_id: str | None = None) -> list[dict[str, Any]]:
        """Sends a message or a tap; returns the messages delivered to this resident meanwhile."""
        before = len(self.fake.messages_to(self.uid))
        tok = self.fake.new_reply_token(self.uid)
        event = (ev.postback(payload, user=self.uid, reply_token=tok) if payload is not None
                 else ev.text(text or "", user=self.uid, reply_token=tok, event_id=event_id))
        if event_id is not None:
            event["webhookEventId"] = event_id
        status = await self.post(event)
        assert status == 200, status
        return self.fake.messages_to(self.uid)[before:]

    async def file_intake(self) -> str:
        """Goes through the whole consented intake; returns the ticket reference shown."""
        card = await self.say(INQUIRY)
        starts = [p for p in payloads_of(card) if p.startswith("intake:start")]
        assert starts, json.dumps(card, ensure_ascii=False)[:500]
        steps: list[tuple[str | None, str | None]] = [
            (None, starts[0]), ("同意する", None), (None, "about:family"), (SUMMARY, None),
            (None, "contact:phone"), (PHONE, None), ("平日の午前", None), (NAME, None), (None, "meeting:yes"),
            (None, "preview:send")]
        shown: list[dict[str, Any]] = []
        for text, payload in steps:
            shown = await self.say(text, payload=payload)
        found = REF.search("\n".join(texts_of(shown)))
        assert found, texts_of(shown)
        return found.group(0)
