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


async def test_emergency_during_a_staff_handoff_still_shows_the_lines(testbot: ChatBot, engine: AsyncEngine,
                                                                       key: str) -> None:
    """While staff talk with the person the bot is quiet, but 緊急のとき is answered at once."""
    from sqlalchemy import update

    from bot.store.crypto import Cipher
    from bot.store.models import Conversation, TicketEvent

    await testbot.say(payload="menu:emergency")
    for tap in ("intake:crisis", "consent:yes", "about:self"):
        await testbot.say(payload=tap)
    await testbot.say("ひとりで不安です")
    for tap in ("contact:chat", "skip", "skip", "meeting:no", "preview:send"):
        await testbot.say(payload=tap)
    async with make_sessions(engine)() as s, s.begin():
        (ticket,) = list((await s.execute(select(Ticket))).scalars())
        await s.execute(update(Ticket).values(handoff_active=True))
        await s.execute(update(Conversation).values(handoff_ticket_id=ticket.id))
    assert await testbot.push(payload="menu:find") == []                    # staff are talking
    replies = await testbot.push(payload="menu:emergency")
    assert replies[0].text.startswith(texts.EMERGENCY_LEAD) and replies[-1].text == texts.HANDOFF_CRISIS_NOTE
    async with make_sessions(engine)() as s:
        events = [e for e in (await s.execute(select(TicketEvent))).scalars() if e.kind == "message"]
    assert [Cipher(key).decrypt(e.body_enc) for e in events] == [texts.L_MENU_EMERGENCY]   # staff see the tap


async def test_emergency_is_never_rate_limited(engine: AsyncEngine, key: str, clock) -> None:  # type: ignore[no-untyped-def]
    from conv_kit import make_conversation

    from bot.ratelimit import RATE_LIMITED

    bot = ChatBot(make_conversation(engine, key, clock, rate_limit_messages=1))
    await bot.say("こんにちは")
    assert await bot.say("こんにちは") == RATE_LIMITED
    assert (await bot.push(payload="menu:emergency"))[0].text.startswith(texts.EMERGENCY_LEAD)
