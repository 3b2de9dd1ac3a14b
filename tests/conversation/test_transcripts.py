"""Transcripts through the real router, catalogue and store (SQLite and PostgreSQL).

Each test reads like a chat: what the person sends, what the bot shows. Between the lines it checks
what was stored: the ticket, its consent receipts, and that personal data is only ever encrypted.
"""

from __future__ import annotations

import re

import pytest
from conv_kit import ChatBot, Clock, make_conversation, payloads, real_catalogue, real_router, render
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core import texts
from bot.core.contact import first_phone, general_desk, service_facts
from bot.routing.result import Outcome
from bot.store.crypto import Cipher
from bot.store.db import make_sessions
from bot.store.models import ConsentReceipt, Conversation, Ticket, TicketEvent, TicketOutcome, TicketStatus

REF = re.compile(r"FJ-2026-\d{6}")

# Several phrasings per outcome: the router is tuned separately, so a transcript takes the first
# phrasing that the current router puts in the wanted outcome (and fails if none does).
PHRASINGS = {
    Outcome.ROUTE: ("母の介護のことで相談したい", "親の介護のことを相談したい", "父の認知症が心配です"),
    Outcome.MULTI: ("親の介護と自分の借金の両方で困っています", "仕事がなくて家賃が払えない。それに母の介護も必要です",
                    "仕事がなくて生活が苦しい、親の介護もある"),
    Outcome.CLARIFY: ("最近つらい", "なんとなく不安", "相談したいことがある"),
    Outcome.OUT_OF_SCOPE: ("今日の天気は", "ピザの注文をしたい", "駅までの道を教えて"),
    Outcome.CRISIS: ("もう死にたい", "死にたいです"),
}


def phrasing(wanted: Outcome, service: str | None = None) -> str:
    for candidate in PHRASINGS[wanted]:
        result = real_router().route(candidate)
        if result.outcome == wanted and (service is None or service in result.needed):
            return candidate
    pytest.fail(f"no phrasing gives {wanted.value} with the current router: {PHRASINGS[wanted]}")


async def rows(engine: AsyncEngine, model):  # type: ignore[no-untyped-def]
    async with make_sessions(engine)() as s:
        return list((await s.execute(select(model))).scalars())


async def file_intake(bot: ChatBot, summary: str = "母が一人で暮らしていて、物忘れが心配です", *,
                      phone: str = "090-1234-5678", name: str = "やまだ", meeting: bool = True) -> str:
    assert texts.L_CONTACT_ME in await bot.say(phrasing(Outcome.ROUTE, "houkatsu"))
    shown = await bot.say(payload="intake:start:houkatsu")
    assert "送ってもよいですか" in shown
    assert texts.ASK_ABOUT in await bot.say("同意する")
    assert texts.ASK_SUMMARY in await bot.say(payload="about:family")
    assert texts.ASK_CONTACT in await bot.say(summary)
    assert texts.ASK_PHONE in await bot.say(payload="contact:phone")
    assert texts.ASK_TIMES in await bot.say(phone)
    assert texts.ASK_NAME in await bot.say("平日の午前")
    assert texts.MEETING_CONSENT in await bot.say(name)
    preview = await bot.say(payload="meeting:yes" if meeting else "meeting:no")
    assert summary in preview
    done = await bot.say(payload="preview:send")
    found = REF.search(done)
    assert found, done
    return found.group(0)


async def test_route_card_then_consented_intake_files_a_ticket(testbot: ChatBot, engine: AsyncEngine, key: str) -> None:
    replies = await testbot.push(phrasing(Outcome.ROUTE, "houkatsu"))
    card = replies[0].card
    facts = service_facts(real_catalogue(), "houkatsu")
    assert card is not None and card.title == facts.name
    phone = first_phone(facts)
    assert phone is not None and phone.number in card.text_fallback()
    assert [c.label for c in replies[0].choices] == ["電話番号", "もっと詳しく", "ほかの相談", "担当者から連絡がほしい"]
    ref = await file_intake(testbot)
    (ticket,) = await rows(engine, Ticket)
    assert ticket.ref == ref == f"FJ-2026-{ticket.id:06d}"
    assert ticket.status == TicketStatus.RECEIVED.value and ticket.about == "家族" and ticket.service_ids == ["houkatsu"]
    assert ticket.contact_method == "phone" and not ticket.anonymous
    cipher = Cipher(key)
    assert cipher.decrypt(ticket.summary_enc) == "母が一人で暮らしていて、物忘れが心配です"
    assert cipher.decrypt(ticket.phone_enc) == "09012345678" and cipher.decrypt(ticket.name_enc) == "やまだ"
    assert testbot.user_key not in ticket.pseudonym and ticket.pseudonym.startswith("相談者-")
    receipts = {r.id: r for r in await rows(engine, ConsentReceipt)}
    intake, meeting = receipts[ticket.consent_intake_id], receipts[ticket.consent_meeting_id]
    assert (intake.scope, intake.text_version) == ("intake", texts.CONSENT_TEXT_VERSION)
    assert (meeting.scope, meeting.text_version) == ("meeting_share", texts.MEETING_CONSENT_TEXT_VERSION)
    assert meeting.text_sha256 == texts.consent_sha256(texts.MEETING_CONSENT) and intake.given_at is not None
    status = await testbot.say("状況")
    assert f"{ref}（11月27日）: 受付" in status


async def test_multi_lists_desks_and_files_one_joined_up_ticket(testbot: ChatBot, engine: AsyncEngine) -> None:
    multi = phrasing(Outcome.MULTI)
    replies = await testbot.push(multi)
    needed = real_router().route(multi).needed
    for sid in needed:
        assert service_facts(real_catalogue(), sid).name in replies[0].text
    assert "intake:joint" in payloads(replies)
    await testbot.say(payload="intake:joint")
    await testbot.say(payload="consent:yes")
    await testbot.say(payload="about:self")
    await testbot.say("仕事がなくて、親の介護もあります")
    await testbot.say(payload="contact:none")
    await testbot.say(payload="skip")
    await testbot.say(payload="meeting:yes")
    assert REF.search(await testbot.say(payload="preview:send"))
    (ticket,) = await rows(engine, Ticket)
    takikan = real_catalogue().service("takikan_kyoudou")
    assert ticket.desk == (takikan.department or takikan.fallback_contact)
    assert set(ticket.service_ids) == set(needed) and ticket.contact_method == "none"


async def test_clarify_then_choice(testbot: ChatBot) -> None:
    replies = await testbot.push(phrasing(Outcome.CLARIFY))
    assert replies[0].text == texts.CLARIFY
    first = replies[0].choices[0]
    assert first.payload.startswith("svc:")
    chosen = await testbot.push(payload=first.payload)
    assert chosen[0].card is not None and chosen[0].card.title == service_facts(real_catalogue(), first.payload[4:]).name


async def test_out_of_scope_declines_with_the_city_contact(testbot: ChatBot) -> None:
    replies = await testbot.push(phrasing(Outcome.OUT_OF_SCOPE))
    desk = general_desk(real_catalogue())
    assert replies[0].text == texts.OUT_OF_SCOPE
    assert desk is not None and replies[0].card is not None and desk.phones[0].number in replies[0].card.text_fallback()


async def test_thanks_are_answered_kindly_not_declined(testbot: ChatBot) -> None:
    replies = await testbot.push("ありがとうございました、また連絡します")
    assert [r.text for r in replies] == [texts.NO_NEED]
    assert replies[0].card is None and not replies[0].choices
    after = await testbot.push(phrasing(Outcome.OUT_OF_SCOPE))      # the conversation goes on as before
    assert after[0].text == texts.OUT_OF_SCOPE


async def test_an_inquiry_in_english_is_answered_with_a_note_in_english(testbot: ChatBot) -> None:
    replies = await testbot.push("I lost my job last month and I cannot pay the rent")
    assert replies[0].text == texts.ENGLISH_NOTE
    assert replies[1].card is not None and replies[1].card.title == service_facts(real_catalogue(), "jiritsu_soudan").name
    crisis = await testbot.push("my husband punched me again and says he will kill me")
    assert crisis[0].text.startswith(texts.CRISIS_LEAD) and texts.CRISIS_EMERGENCY_ENGLISH in crisis[0].text


async def test_crisis_lines_first_then_the_offer_to_connect(testbot: ChatBot, engine: AsyncEngine) -> None:
    crisis = phrasing(Outcome.CRISIS)
    hit = real_router().screen(crisis)
    assert hit is not None
    replies = await testbot.push(crisis)
    assert replies[0].text.startswith(texts.CRISIS_LEAD)
    line = next(c for c in real_catalogue().crisis_lines if c.id == hit.line_ids[0])
    assert line.name in replies[0].text
    assert "intake:crisis" in payloads(replies)
    await testbot.say(payload="intake:crisis")
    await testbot.say(payload="consent:yes")
    await testbot.say(payload="about:self")
    await testbot.say("つらくて眠れない")
    await testbot.say(payload="contact:chat")
    await testbot.say(payload="skip")
    await testbot.say(payload="skip")
    await testbot.say(payload="meeting:no")
    assert REF.search(await testbot.say(payload="preview:send"))
    (ticket,) = await rows(engine, Ticket)
    assert ticket.crisis and ticket.consent_meeting_id is None


async def test_consent_refused_stores_nothing(testbot: ChatBot, engine: AsyncEngine) -> None:
    await testbot.say(phrasing(Outcome.ROUTE, "houkatsu"))
    await testbot.say(payload="intake:start:houkatsu")
    assert texts.CONSENT_REFUSED in await testbot.say("やめる")
    assert await rows(engine, Ticket) == [] and await rows(engine, ConsentReceipt) == []


async def test_edit_before_sending(testbot: ChatBot, engine: AsyncEngine, key: str) -> None:
    await testbot.say(phrasing(Outcome.ROUTE, "houkatsu"))
    await testbot.say(payload="intake:start:houkatsu")
    await testbot.say(payload="consent:yes")
    await testbot.say(payload="about:self")
    await testbot.say("まちがえた文")
    await testbot.say(payload="contact:chat")
    await testbot.say("夜")
    await testbot.say(payload="skip")
    await testbot.say(payload="meeting:no")
    await testbot.say(payload="preview:edit")
    await testbot.say(payload="edit:summary")
    assert "直した文" in await testbot.say("直した文")
    await testbot.say(payload="preview:send")
    (ticket,) = await rows(engine, Ticket)
    assert Cipher(key).decrypt(ticket.summary_enc) == "直した文"


async def test_withdrawal_deletes_the_persons_data(testbot: ChatBot, engine: AsyncEngine) -> None:
    ref = await file_intake(testbot)
    assert texts.WITHDRAW_CONFIRM in await testbot.say("取り消し")
    assert "1件" in await testbot.say(payload="withdraw:yes")
    (ticket,) = await rows(engine, Ticket)
    assert ticket.ref == ref and ticket.status == TicketStatus.CLOSED.value
    assert ticket.outcome == TicketOutcome.WITHDRAWN.value
    assert (ticket.summary_enc, ticket.name_enc, ticket.phone_enc, ticket.preferred_times_enc) == (None,) * 4
    assert ticket.user_key != testbot.user_key
    assert all(r.withdrawn_at is not None and r.user_key != testbot.user_key for r in await rows(engine, ConsentReceipt))
    assert [e.kind for e in await rows(engine, TicketEvent)] == ["created", "withdrawn"]
    assert texts.STATUS_NONE in await testbot.say("状況")


async def test_kokokara_intake_is_anonymous(testbot: ChatBot, engine: AsyncEngine) -> None:
    replies = await testbot.push(payload="svc:wakamono_kokokara")
    assert replies[0].card is not None
    await testbot.say(payload="intake:start:wakamono_kokokara")
    await testbot.say(payload="consent:yes")
    await testbot.say(payload="about:self")
    contact = await testbot.push("学校に行けなくて、だれにも言えない")
    assert payloads(contact) == ["contact:chat", "contact:none"]
    await testbot.say(payload="contact:chat")
    await testbot.say("夜なら")
    await testbot.say(payload="meeting:no")
    assert REF.search(await testbot.say(payload="preview:send"))
    (ticket,) = await rows(engine, Ticket)
    assert ticket.anonymous and ticket.name_enc is None and ticket.phone_enc is None and ticket.contact_method == "chat"


async def test_anonymous_on_request(testbot: ChatBot, engine: AsyncEngine) -> None:
    assert texts.ANONYMOUS_ON in await testbot.say("匿名")
    await file_intake_anonymous(testbot)
    (ticket,) = await rows(engine, Ticket)
    assert ticket.anonymous and ticket.name_enc is None and ticket.phone_enc is None


async def file_intake_anonymous(bot: ChatBot) -> None:
    await bot.say(phrasing(Outcome.ROUTE, "houkatsu"))
    await bot.say(payload="intake:start:houkatsu")
    await bot.say(payload="consent:yes")
    await bot.say(payload="about:neighbour")
    assert "contact:phone" not in payloads(await bot.push("となりの人が心配"))
    await bot.say(payload="contact:chat")
    await bot.say(payload="skip")
    await bot.say(payload="meeting:no")
    assert REF.search(await bot.say(payload="preview:send"))


async def test_a_new_inquiry_typed_mid_intake_is_understood(testbot: ChatBot) -> None:
    await testbot.say(phrasing(Outcome.ROUTE, "houkatsu"))
    await testbot.say(payload="intake:start:houkatsu")
    candidates = ("息子が部屋から出てこない", "仕事がなくて家賃が払えない", "子育てがつらくて相談したい")
    wanted = (Outcome.ROUTE, Outcome.MULTI, Outcome.CLARIFY)
    new = next((c for c in candidates if real_router().route(c).outcome in wanted), None)
    assert new is not None, "no candidate routes anywhere with the current router"
    replies = await testbot.push(new)                             # typed at the consent question
    assert replies[0].text == texts.INTAKE_INTERRUPTED
    assert "consent:yes" not in payloads(replies) and len(replies) >= 2


async def test_restart_mid_flow(testbot: ChatBot) -> None:
    await testbot.say(phrasing(Outcome.ROUTE, "houkatsu"))
    await testbot.say(payload="intake:start:houkatsu")
    await testbot.say(payload="consent:yes")
    assert texts.RESTARTED in await testbot.say("最初から")
    assert texts.GREETING in await testbot.say(payload="consent:yes")      # the old button no longer counts


async def test_abandoned_intake_times_out(testbot: ChatBot, clock: Clock, engine: AsyncEngine) -> None:
    await testbot.say(phrasing(Outcome.ROUTE, "houkatsu"))
    await testbot.say(payload="intake:start:houkatsu")
    await testbot.say(payload="consent:yes")
    await testbot.say(payload="about:self")
    clock.advance(minutes=31)
    shown = await testbot.say("これは要約のつもり")
    assert shown.startswith(texts.TIMED_OUT)
    assert texts.ASK_CONTACT not in shown                                  # the intake is gone


async def test_purge_discards_abandoned_intakes_with_their_text(testbot: ChatBot, clock: Clock, engine: AsyncEngine) -> None:
    await testbot.say(phrasing(Outcome.ROUTE, "houkatsu"))
    await testbot.say(payload="intake:start:houkatsu")
    await testbot.say(payload="consent:yes")
    await testbot.say(payload="about:self")
    await testbot.say("書きかけの相談")
    assert await testbot.conversation.purge() == 0
    clock.advance(minutes=31)
    assert await testbot.conversation.purge() == 1
    (row,) = await rows(engine, Conversation)
    assert row.state_enc is None and row.step == "start"


async def test_a_restart_of_the_process_resumes_where_the_person_was(engine: AsyncEngine, key: str, clock: Clock) -> None:
    first = ChatBot(make_conversation(engine, key, clock))
    await first.say(phrasing(Outcome.ROUTE, "houkatsu"))
    await first.say(payload="intake:start:houkatsu")
    await first.say(payload="consent:yes")
    await first.say(payload="about:family")
    second = ChatBot(make_conversation(engine, key, clock))       # a new process, the same database
    assert texts.ASK_CONTACT in await second.say("母のことが心配")
    await second.say(payload="contact:none")
    await second.say(payload="skip")
    await second.say(payload="meeting:no")
    assert REF.search(await second.say(payload="preview:send"))


async def test_during_a_staff_handoff_messages_join_the_ticket(testbot: ChatBot, engine: AsyncEngine, key: str) -> None:
    await file_intake(testbot)
    (ticket,) = await rows(engine, Ticket)
    async with make_sessions(engine)() as s, s.begin():
        await s.execute(update(Ticket).values(handoff_active=True))
        await s.execute(update(Conversation).where(Conversation.user_key == testbot.user_key)
                        .values(handoff_ticket_id=ticket.id))
    from bot.core.messages import Inbound
    from bot.store.events import redact_message
    thanks = Inbound(testbot.user_key, text="ありがとうございます。明日なら大丈夫です", channel="line", message_id="4801")
    assert await testbot.conversation.handle(thanks) == []
    crisis = await testbot.push("もう死にたい")
    assert crisis and crisis[0].text.startswith(texts.CRISIS_LEAD)
    events = [e for e in await rows(engine, TicketEvent) if e.kind == "message"]
    assert [Cipher(key).decrypt(e.body_enc) for e in events] == ["ありがとうございます。明日なら大丈夫です", "もう死にたい"]
    assert events[1].data.get("crisis")
    assert await redact_message(make_sessions(engine), "line", "4801") == 1          # LINE unsend finds it


async def test_staff_messages_are_read_in_the_chat_once(testbot: ChatBot, engine: AsyncEngine, key: str) -> None:
    await file_intake(testbot)
    (ticket,) = await rows(engine, Ticket)
    async with make_sessions(engine)() as s, s.begin():
        s.add(TicketEvent(ticket_id=ticket.id, actor="staff:1", kind="reply",
                          body_enc=Cipher(key).encrypt("明日の10時にお電話します。")))
    shown = await testbot.say(payload="staff:read")
    assert texts.STAFF_MESSAGES_LEAD in shown and "明日の10時にお電話します。" in shown
    assert await testbot.say("読む") == texts.NO_STAFF_MESSAGES
    async with make_sessions(engine)() as s, s.begin():           # during a hand-off, too
        await s.execute(update(Ticket).values(handoff_active=True))
        await s.execute(update(Conversation).values(handoff_ticket_id=ticket.id))
        s.add(TicketEvent(ticket_id=ticket.id, actor="staff:1", kind="reply",
                          body_enc=Cipher(key).encrypt("つながりました。")))
    assert "つながりました。" in await testbot.say(payload="staff:read")


async def test_a_store_failure_keeps_the_intake(testbot: ChatBot, engine: AsyncEngine) -> None:
    await testbot.say(phrasing(Outcome.ROUTE, "houkatsu"))
    await testbot.say(payload="intake:start:houkatsu")
    await testbot.say(payload="consent:yes")
    await testbot.say(payload="about:self")
    await testbot.say("消えてほしくない相談")
    await testbot.say(payload="contact:none")
    await testbot.say(payload="skip")
    await testbot.say(payload="meeting:no")
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE ticket_event RENAME TO ticket_event_away"))
    assert texts.FILE_FAILED in await testbot.say(payload="preview:send")
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE ticket_event_away RENAME TO ticket_event"))
    assert await rows(engine, Ticket) == []
    assert REF.search(await testbot.say(payload="preview:send"))
    assert len(await rows(engine, Ticket)) == 1


@pytest.mark.parametrize("word", ["使い方", "ヘルプ"])
async def test_help_at_any_step(testbot: ChatBot, word: str) -> None:
    await testbot.say(phrasing(Outcome.ROUTE, "houkatsu"))
    await testbot.say(payload="intake:start:houkatsu")
    shown = await testbot.say(word)
    assert texts.HELP in shown and "送ってもよいですか" in shown
    assert render(testbot.log[-1])
