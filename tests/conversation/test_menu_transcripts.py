"""The rich menu end to end: real router, catalogue and store (SQLite and PostgreSQL).

A LINE resident taps 相談する / 窓口を探す / 状況確認 / 緊急のとき (postbacks ``menu:*``); older clients
and Telegram users type the labels. Before the fix the labels went to the router, which listed
unrelated desks, and 緊急のとき got an ordinary desk card.
"""

from __future__ import annotations

import re

from conv_kit import ChatBot, payloads, real_catalogue, render
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalogue.model import CRISIS_KINDS
from bot.catalogue.public import public_crisis_lines
from bot.core import texts
from bot.store.db import make_sessions
from bot.store.models import Ticket

REF = re.compile(r"FJ-2026-\d{6}")


async def test_consult_asks_what_the_trouble_is_then_routes_it(testbot: ChatBot) -> None:
    replies = await testbot.push(payload="menu:consult")
    assert [r.text for r in replies] == [texts.MENU_CONSULT]
    assert payloads(replies) == [f"find:{k}" for k in texts.FIND_FIELD_LABELS]   # the real catalogue has all six
    shown = await testbot.say("母の介護のことで相談したい")
    assert texts.L_CONTACT_ME in shown                                      # a desk card, from the router


async def test_find_typed_leads_to_field_desks_and_a_card(testbot: ChatBot) -> None:
    assert texts.FIND_LEAD in await testbot.say("窓口を探す")
    replies = await testbot.push(payload="find:child")
    child_desks = [s for s in real_catalogue().services if s.routable and "子ども" in s.fields]
    assert payloads(replies) == [f"svc:{s.id}" for s in child_desks] + ["card:other"]
    assert all(s.name in replies[0].text for s in child_desks)
    card = (await testbot.push(payload=f"svc:{child_desks[0].id}"))[0].card
    assert card is not None and card.title == child_desks[0].name


async def test_status_from_the_menu(testbot: ChatBot) -> None:
    assert texts.STATUS_NONE in await testbot.say(payload="menu:status")
    assert texts.STATUS_NONE in await testbot.say("状況確認")


async def test_emergency_shows_every_verified_line_then_files_a_crisis_ticket(testbot: ChatBot,
                                                                               engine: AsyncEngine) -> None:
    replies = await testbot.push("緊急のとき")
    lines = public_crisis_lines(real_catalogue(), kinds=CRISIS_KINDS)
    first = replies[0].text
    assert first.startswith(texts.EMERGENCY_LEAD) and all(line.name in first for line in lines)
    assert [first.index(line.name) for line in lines] == sorted(first.index(line.name) for line in lines)
    assert "svc:" not in " ".join(payloads(replies))                        # no ordinary desk card
    assert payloads(replies) == ["intake:crisis", "card:other"]
    await testbot.say(payload="intake:crisis")
    await testbot.say(payload="consent:yes")
    await testbot.say(payload="about:self")
    await testbot.say("家で倒れそうで不安です")
    await testbot.say(payload="contact:chat")
    await testbot.say(payload="skip")
    await testbot.say(payload="skip")
    await testbot.say(payload="meeting:no")
    assert REF.search(render(await testbot.push(payload="preview:send")))
    async with make_sessions(engine)() as s:
        (ticket,) = list((await s.execute(select(Ticket))).scalars())
    assert ticket.crisis
