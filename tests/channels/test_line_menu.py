"""The rich menu over LINE: a tapped button arrives as a postback and the real core answers it.

Real app, real conversation (build_deps: catalogue, Sudachi router, SQLite/PostgreSQL), real SDK;
only LINE is fake. The postback data is taken from the rich menu that ``line setup`` creates.
"""

from __future__ import annotations

import pytest

from bot.catalogue import load_catalogue
from bot.catalogue.model import CRISIS_KINDS
from bot.catalogue.public import public_crisis_lines
from bot.channels.commands import rich_menu
from bot.channels.line import LINE_CHANNEL
from bot.core import texts
from tests.channels.conftest import LINE_SECRET, ROOT
from tests.fakes import line_events as ev
from tests.fakes.line_api import FakeLineApi

pytestmark = pytest.mark.sudachi

MENU = {a["action"]["label"]: a["action"]["data"] for a in rich_menu()["areas"]}


@pytest.fixture
async def line_client(aiohttp_client, make_app, sleeps):  # type: ignore[no-untyped-def]
    c = await aiohttp_client(make_app(use_echo=False))
    c.app[LINE_CHANNEL].sleep = sleeps
    return c


async def tap(client, fake: FakeLineApi, uid: str, data: str) -> list[dict]:  # type: ignore[no-untyped-def]
    before = len(fake.messages_to(uid))
    body = ev.body(ev.postback(data, user=uid, reply_token=fake.new_reply_token(uid)))
    resp = await client.post("/webhooks/line", data=body, headers={"X-Line-Signature": ev.sign(body, LINE_SECRET)})
    assert resp.status == 200
    await client.app[LINE_CHANNEL].drain()
    return fake.messages_to(uid)[before:]


async def test_emergency_button_answers_with_the_verified_crisis_lines(line_client, fake_line: FakeLineApi) -> None:
    uid = ev.user_id(31)
    shown = await tap(line_client, fake_line, uid, MENU["緊急のとき"])
    assert [d["kind"] for d in fake_line.delivered] == ["reply"]          # on the reply token, at once
    first = shown[0]["text"]
    assert first.startswith(texts.EMERGENCY_LEAD) and texts.CRISIS_EMERGENCY in first
    lines = public_crisis_lines(load_catalogue(ROOT / "knowledge/services.yaml"), kinds=CRISIS_KINDS)
    numbers = [p.number for line in lines for p in line.phones if p.type != "fax"]
    assert numbers and all(n in first for n in numbers)
    positions = [first.index(line.name) for line in lines]
    assert positions == sorted(positions)                                 # by priority
    assert shown[-1]["text"] == texts.CRISIS_OFFER
    offered = [i["action"]["data"] for i in shown[-1]["quickReply"]["items"]]
    assert offered == ["intake:crisis", "card:other"]
    assert not [c for c in fake_line.calls if "/profile" in c.path]


async def test_find_button_leads_to_a_field_then_its_desks(line_client, fake_line: FakeLineApi) -> None:
    uid = ev.user_id(32)
    shown = await tap(line_client, fake_line, uid, MENU["窓口を探す"])
    fields = {i["action"]["label"]: i["action"]["data"] for i in shown[0]["quickReply"]["items"]}
    assert shown[0]["text"] == texts.FIND_LEAD and list(fields) == list(texts.FIND_FIELD_LABELS.values())
    desks = await tap(line_client, fake_line, uid, fields["高齢・介護"])
    data = [i["action"]["data"] for i in desks[0]["quickReply"]["items"]]
    assert "svc:houkatsu" in data
    card = await tap(line_client, fake_line, uid, "svc:houkatsu")
    assert any(m["type"] == "flex" for m in card)
