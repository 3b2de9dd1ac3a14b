"""The pure dialogue, turn by turn, with a stand-in router: every outcome and every intake step."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.core import texts
from bot.core.dialogue import after_effect, step
from bot.core.effects import CreateTicket, LookupStatus, TicketView, Withdraw
from bot.core.messages import Inbound
from bot.core.session import Session, Step
from bot.core.turn import Context

from core_kit import JST, NOW, Bot, StandInRouter

from bot.handlers import crisis
from bot.routing.result import CrisisHit, Match, Outcome, RoutingResult


def labels(turn) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.label for r in turn.replies for c in r.choices]


def alltext(turn) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(r.text + ("\n" + r.card.text_fallback() if r.card else "") for r in turn.replies)


def test_greeting_offers_help(bot: Bot) -> None:
    turn = bot.push("こんにちは")
    assert turn.replies[0].text == texts.GREETING
    assert texts.L_HELP in labels(turn)
    assert bot.push(payload="cmd:help").replies[0].text == texts.HELP


def test_route_shows_a_card_with_verified_facts_only(bot: Bot) -> None:
    turn = bot.push("親の介護がたいへん")
    card = turn.replies[0].card
    assert card is not None and card.title == "地域包括支援センター"
    shown = card.text_fallback()
    assert "0545-55-2757" in shown                    # the verified fallback desk
    assert "0545-00-0001" not in shown                # the department's unverified number
    assert "福祉総務課" in card.body
    assert labels(turn) == [texts.L_PHONE, texts.L_MORE, texts.L_OTHER, texts.L_CONTACT_ME]
    assert bot.session.step == Step.REFERRED and bot.session.service_ids == ("houkatsu",)


def test_card_says_open_now_until_closing(bot: Bot) -> None:
    shown = alltext(bot.push("お金のことで困っている"))
    assert texts.CARD_OPEN_NOW.format(until="17:15") in shown
    assert "https://www.google.com/maps/" not in shown   # the site has no verified address


def _hours_line(catalogue, router, now: dt.datetime) -> str:  # type: ignore[no-untyped-def]
    b = Bot(catalogue, router, now)
    return alltext(b.push("お金のことで困っている"))


def test_card_says_when_it_opens_next(catalogue, router) -> None:  # type: ignore[no-untyped-def]
    friday_evening = dt.datetime(2026, 11, 27, 18, 0, tzinfo=JST)
    assert texts.CARD_NEXT_OPEN.format(when="11月30日(月) 8:30") in _hours_line(catalogue, router, friday_evening)
    holiday_morning = dt.datetime(2026, 11, 23, 9, 0, tzinfo=JST)       # 勤労感謝の日 (Monday)
    assert texts.CARD_NEXT_OPEN.format(when="明日 8:30") in _hours_line(catalogue, router, holiday_morning)
    before_new_year = dt.datetime(2026, 12, 28, 18, 0, tzinfo=JST)      # 年末年始: closed 12/29 – 1/3
    assert texts.CARD_NEXT_OPEN.format(when="1月4日(月) 8:30") in _hours_line(catalogue, router, before_new_year)


def test_phone_and_more_buttons(bot: Bot) -> None:
    bot.push("お金のことで困っている")
    assert "0545-55-2757" in bot.push(payload="card:phone:jiritsu_soudan").replies[0].text
    more = alltext(bot.push(payload="card:more:jiritsu_soudan"))
    assert "生活とお金の相談です。" in more
    assert bot.push(payload="card:other").replies[0].text == texts.OTHER_INQUIRY
    assert bot.session.step == Step.START


def test_multi_lists_each_desk_and_offers_one_ticket(bot: Bot) -> None:
    turn = bot.push("いろいろ困っている")
    listing = turn.replies[0].text
    assert "地域包括支援センター" in listing and "自立相談支援" in listing
    assert texts.L_JOINT in labels(turn)
    bot.push(payload="intake:joint")
    assert bot.session.step == Step.CONSENT and bot.session.joint
    assert "福祉総務課" in bot.turns[-1].replies[0].text         # 多機関協働's desk receives it


def test_clarify_asks_with_choices(bot: Bot) -> None:
    turn = bot.push("つらい")
    assert turn.replies[0].text == texts.CLARIFY
    assert [c.payload for c in turn.replies[0].choices] == ["svc:wakamono_kokokara", "svc:jiritsu_soudan", "clarify:none"]
    card = bot.push(payload="svc:jiritsu_soudan").replies[0].card
    assert card is not None and card.title == "自立相談支援"
    bot.push("つらい")
    assert bot.push(payload="clarify:none").replies[0].text == texts.CLARIFY_NONE_FIT


def test_out_of_scope_declines_kindly_with_the_city_contact(bot: Bot) -> None:
    turn = bot.push("ピザの注文をしたい")
    assert turn.replies[0].text == texts.OUT_OF_SCOPE
    assert turn.replies[0].card is not None and "0545-55-2757" in turn.replies[0].card.text_fallback()


def test_crisis_shows_verified_lines_at_once_then_offers_to_connect(bot: Bot) -> None:
    turn = bot.push("もう死にたい")
    first = turn.replies[0].text
    assert "0120-783-556" in first and "0120-000-000" not in first       # the unverified line is never shown
    assert texts.CRISIS_EMERGENCY in first
    assert turn.replies[1].choices[0].payload == "intake:crisis"
    bot.push(payload="intake:crisis")
    assert bot.session.step == Step.CONSENT and bot.session.crisis


def _to_summary(bot: Bot) -> None:
    bot.push("親の介護がたいへん")
    bot.push(payload="intake:start:houkatsu")
    bot.push(payload="consent:yes")
    bot.push(payload="about:family")
    assert bot.session.step == Step.SUMMARY


def test_full_intake_files_a_ticket_with_both_consents(bot: Bot) -> None:
    bot.push("親の介護がたいへん")
    consent_turn = bot.push(payload="intake:start:houkatsu")
    explained = consent_turn.replies[0].text
    assert "高齢者支援課" in explained and "365日" in explained and "取り消し" in explained
    assert "福祉総務課で窓口をつなぐ" in explained                 # coordinators see every ticket too
    assert labels(consent_turn) == [texts.L_AGREE, texts.L_STOP]
    assert bot.push("同意する").replies[0].text == texts.ASK_ABOUT
    assert labels(bot.turns[-1]) == ["本人", "家族", "知人・近所"]
    assert bot.push(payload="about:family").replies[0].text == texts.ASK_SUMMARY
    assert bot.push("母が一人で暮らしていて心配").replies[0].text == texts.ASK_CONTACT
    assert bot.push(payload="contact:phone").replies[0].text == texts.ASK_PHONE
    assert bot.push("０９０－１２３４－５６７８").replies[0].text == texts.ASK_TIMES
    assert bot.push("平日の午前").replies[0].text == texts.ASK_NAME
    assert bot.push("やまだ").replies[0].text == texts.MEETING_CONSENT
    preview = bot.push(payload="meeting:yes").replies[0].text
    for part in ("母が一人で暮らしていて心配", "09012345678", "平日の午前", "やまだ", "家族"):
        assert part in preview
    turn = bot.push(payload="preview:send")
    assert bot.session.step == Step.START and bot.session.draft == type(bot.session.draft)()
    (effect,) = turn.effects
    assert isinstance(effect, CreateTicket)
    assert (effect.summary, effect.phone, effect.name, effect.about) == ("母が一人で暮らしていて心配", "09012345678", "やまだ", "家族")
    assert effect.desk == "korei" and effect.service_ids == ("houkatsu",) and effect.fields == ("高齢",)
    assert effect.intake_consent.text_sha256 == texts.consent_sha256(explained)
    assert effect.intake_consent.given_at == NOW.isoformat()
    assert effect.meeting_consent is not None and effect.meeting_consent.scope == "meeting_share"
    filed = after_effect(effect, "FJ-2026-000123", bot.session, Context(bot.router, bot.catalogue, NOW))
    assert "FJ-2026-000123" in filed[0].text and texts.FILED_PHONE in filed[0].text


def test_meeting_consent_is_separate_and_optional(bot: Bot) -> None:
    _to_summary(bot)
    bot.push("母のこと")
    bot.push(payload="contact:none")
    assert bot.session.step == Step.NAME                  # no times asked when no contact is wanted
    bot.push(payload="skip")
    bot.push(payload="meeting:no")
    (effect,) = bot.push(payload="preview:send").effects
    assert isinstance(effect, CreateTicket) and effect.meeting_consent is None and effect.contact_method == "none"


def test_consent_refused_sends_nothing(bot: Bot) -> None:
    bot.push("親の介護がたいへん")
    bot.push(payload="intake:start:houkatsu")
    turn = bot.push(payload="consent:no")
    assert turn.replies[0].text == texts.CONSENT_REFUSED and not turn.effects
    assert bot.session.step == Step.START


def test_invalid_phone_is_asked_again(bot: Bot) -> None:
    _to_summary(bot)
    bot.push("母のこと")
    bot.push(payload="contact:phone")
    for bad in ("12345", "0545-12", "090-1234-567", "00-1234-5678"):
        assert bot.push(bad).replies[0].text == texts.PHONE_INVALID
    assert bot.session.step == Step.PHONE
    bot.push("+81 545-55-2757")
    assert bot.session.draft.phone == "0545552757"


def test_at_the_phone_step_one_can_choose_the_chat_instead(bot: Bot) -> None:
    _to_summary(bot)
    bot.push("母のこと")
    asked = bot.push(payload="contact:phone")
    assert [c.payload for c in asked.replies[0].choices] == ["contact:chat", "contact:none"]
    bot.push(payload="contact:chat")
    assert bot.session.step == Step.TIMES and bot.session.draft.contact == "chat" and bot.session.draft.phone is None


def test_a_number_typed_at_the_contact_question_means_phone(bot: Bot) -> None:
    _to_summary(bot)
    bot.push("母のこと")
    bot.push("0545-55-2757")
    assert bot.session.step == Step.TIMES and bot.session.draft.contact == "phone"
    assert bot.session.draft.phone == "0545552757"


def test_edit_from_the_preview(bot: Bot) -> None:
    _to_summary(bot)
    bot.push("最初の文")
    bot.push(payload="contact:chat")
    bot.push(payload="skip")
    bot.push(payload="skip")
    bot.push(payload="meeting:no")
    assert bot.session.step == Step.PREVIEW
    edit = bot.push(payload="preview:edit")
    assert texts.L_EDIT_FIELDS["summary"] in labels(edit)
    bot.push(payload="edit:summary")
    preview = bot.push("直した文").replies[0].text
    assert bot.session.step == Step.PREVIEW and "直した文" in preview and "最初の文" not in preview
    bot.push(payload="preview:edit")
    bot.push(payload="edit:contact")
    bot.push(payload="contact:phone")
    assert bot.session.step == Step.PHONE
    bot.push("0545-55-2757")
    assert bot.session.step == Step.TIMES                 # times were skipped, so they are asked
    assert "0545552757" in bot.push("夕方").replies[0].text
    assert bot.session.step == Step.PREVIEW


def test_kokokara_is_anonymous_no_phone_no_name(bot: Bot) -> None:
    bot.push("若者の相談")
    bot.push(payload="intake:start:wakamono_kokokara")
    assert bot.session.anonymous
    bot.push(payload="consent:yes")
    bot.push(payload="about:self")
    contact = bot.push("学校に行けない")
    assert [c.payload for c in contact.replies[0].choices] == ["contact:chat", "contact:none"]
    assert bot.push(payload="contact:phone").replies[0].text == texts.NOT_UNDERSTOOD_CHOICE
    bot.push(payload="contact:chat")
    bot.push("夜")
    assert bot.session.step == Step.MEETING               # no name asked
    bot.push(payload="meeting:no")
    assert texts.PREVIEW_ANON in bot.turns[-1].replies[0].text
    (effect,) = bot.push(payload="preview:send").effects
    assert isinstance(effect, CreateTicket)
    assert effect.anonymous and effect.name is None and effect.phone is None and effect.contact_method == "chat"


def test_anonymous_on_request_mid_intake_drops_the_phone(bot: Bot) -> None:
    _to_summary(bot)
    bot.push("母のこと")
    bot.push(payload="contact:phone")
    bot.push("0545-55-2757")
    turn = bot.push("匿名で")
    assert turn.replies[0].text == texts.ANONYMOUS_ON
    assert bot.session.anonymous and bot.session.step == Step.CONTACT and bot.session.draft.phone is None


def test_a_new_inquiry_mid_intake_is_understood(bot: Bot) -> None:
    bot.push("親の介護がたいへん")
    bot.push(payload="intake:start:houkatsu")
    bot.push(payload="consent:yes")
    turn = bot.push("それよりお金のことで困っている")
    assert turn.replies[0].text == texts.INTAKE_INTERRUPTED
    assert turn.replies[1].card is not None and turn.replies[1].card.title == "自立相談支援"
    assert bot.session.step == Step.REFERRED and bot.session.draft.about is None


def test_field_values_are_not_taken_as_inquiries(bot: Bot) -> None:
    _to_summary(bot)
    bot.push("介護のことで困っている")                      # the summary may talk about anything
    assert bot.session.draft.summary == "介護のことで困っている" and bot.session.step == Step.CONTACT
    bot.push(payload="contact:chat")
    bot.push("平日の午前")                                  # the stand-in router finds no desk here
    assert bot.session.draft.times == "平日の午前"


def test_time_words_are_values_even_when_the_router_sees_a_desk(bot: Bot) -> None:
    bot.router.table["夜"] = bot.router.table["介護"]          # a router that routes 「夜」 somewhere
    _to_summary(bot)
    bot.push("母のこと")
    bot.push(payload="contact:chat")
    bot.push("平日の夜なら大丈夫です")
    assert bot.session.draft.times == "平日の夜なら大丈夫です" and bot.session.step == Step.NAME


def test_crisis_mid_intake_shows_lines_and_resumes(bot: Bot) -> None:
    bot.push("親の介護がたいへん")
    bot.push(payload="intake:start:houkatsu")
    bot.push(payload="consent:yes")
    turn = bot.push("死にたい")
    assert "0120-783-556" in turn.replies[0].text
    resumed = bot.push(payload="intake:crisis")
    assert bot.session.step == Step.ABOUT and resumed.replies[0].text == texts.ASK_ABOUT


def test_crisis_words_in_the_summary_are_kept_and_the_intake_goes_on(bot: Bot) -> None:
    _to_summary(bot)
    turn = bot.push("介護に疲れて死にたいと思う")
    assert "0120-783-556" in turn.replies[0].text
    assert turn.replies[-1].text == texts.ASK_CONTACT
    assert bot.session.crisis and bot.session.draft.summary == "介護に疲れて死にたいと思う"


def test_status_at_any_step_keeps_the_step(bot: Bot) -> None:
    _to_summary(bot)
    turn = bot.push("状況")
    assert turn.effects == (LookupStatus("test:1"),) and bot.session.step == Step.SUMMARY
    ctx = Context(bot.router, bot.catalogue, NOW)
    views = (TicketView("FJ-2026-000001", "2026-11-26T01:00:00+00:00", "受付"),)
    shown = after_effect(turn.effects[0], views, bot.session, ctx)
    assert "FJ-2026-000001（11月26日）: 受付" in shown[0].text and shown[1].text == texts.ASK_SUMMARY
    assert after_effect(turn.effects[0], (), bot.session, ctx)[0].text == texts.STATUS_NONE


def test_withdraw_confirms_then_deletes(bot: Bot) -> None:
    _to_summary(bot)
    turn = bot.push("取り消し")
    assert turn.replies[0].text == texts.WITHDRAW_CONFIRM and bot.session.step == Step.WITHDRAW
    kept = bot.push(payload="withdraw:no")
    assert kept.replies[0].text == texts.WITHDRAW_KEPT and bot.session.step == Step.SUMMARY
    bot.push("取り消し")
    done = bot.push(payload="withdraw:yes")
    assert done.effects == (Withdraw("test:1"),)
    assert bot.session == Session(user_key="test:1", channel="test")
    assert "2件" in after_effect(done.effects[0], 2, bot.session, Context(bot.router, bot.catalogue, NOW))[0].text


def test_restart_forgets_everything(bot: Bot) -> None:
    _to_summary(bot)
    turn = bot.push("最初から")
    assert turn.replies[0].text == texts.RESTARTED
    assert bot.session == Session(user_key="test:1", channel="test")


def test_a_stale_button_mid_intake_reasks(bot: Bot) -> None:
    _to_summary(bot)
    bot.push("母のこと")
    turn = bot.push(payload="meeting:yes")                 # a button from another step
    assert turn.replies[0].text == texts.NOT_UNDERSTOOD_CHOICE and bot.session.step == Step.CONTACT


def test_step_is_pure(catalogue, router) -> None:  # type: ignore[no-untyped-def]
    """The same session, message and clock give the same turn; the session passed in is not changed."""
    session = Session(user_key="test:1", step=Step.CONSENT, service_ids=("houkatsu",))
    ctx = Context(router, catalogue, NOW)
    a = step(session, Inbound("test:1", payload="consent:yes"), ctx)
    b = step(session, Inbound("test:1", payload="consent:yes"), ctx)
    assert a == b and session.step == Step.CONSENT
    later = step(session, Inbound("test:1", payload="consent:yes"), dataclasses.replace(ctx, now=NOW + dt.timedelta(hours=1)))
    assert later.session.draft.intake_consent_at != a.session.draft.intake_consent_at


def test_session_round_trips_through_json(bot: Bot) -> None:
    _to_summary(bot)
    bot.push("母のこと")
    assert Session.from_json(bot.session.to_json()) == bot.session


def test_telegram_start_greets_and_help_offers_the_commands(bot: Bot) -> None:
    assert bot.push("/start").replies[0].text == texts.GREETING
    assert [c.payload for c in bot.push("使い方").replies[0].choices] == [
        "cmd:status", "cmd:withdraw", "cmd:restart", "cmd:anonymous"]


def _file_ticket_answered_in_chat(bot: Bot) -> CreateTicket:
    """From the first inquiry to a sent ticket: answered in the chat, optional steps skipped."""
    _to_summary(bot)
    bot.push("母のこと")
    bot.push(payload="contact:none")
    bot.push(payload="skip")
    bot.push(payload="meeting:no")
    (effect,) = bot.push(payload="preview:send").effects
    assert isinstance(effect, CreateTicket)
    return effect


def test_the_ticket_keeps_lexicon_words_of_the_routing_never_free_text(bot: Bot) -> None:
    from bot.routing.result import Match, Outcome, RoutingResult
    bot.router.table["介護"] = RoutingResult(
        "", Outcome.ROUTE, (Match("houkatsu", "houkatsu", 0.81234),), ("houkatsu",),
        explanation={"normalised": "母の介護 山田花子", "unknown_words": ["山田", "花子"], "reason": "one clear desk",
                     "vague_words": ["のことで"], "terms": {"houkatsu": {"介護": 3.2}}})
    effect = _file_ticket_answered_in_chat(bot)
    assert effect.routing == {"outcome": "route", "matches": [{"id": "houkatsu", "score": 0.812}],
                              "needed": ["houkatsu"],
                              "explanation": {"reason": "one clear desk", "vague_words": ["のことで"]}}


def test_a_message_in_english_gets_a_note_in_english_before_the_answer(bot: Bot, router: StandInRouter) -> None:
    router.table["rent"] = RoutingResult("", Outcome.ROUTE, (Match("jiritsu_soudan", "jiritsu_soudan", .8),),
                                         ("jiritsu_soudan",), language="en")
    turn = bot.push("I cannot pay the rent")
    assert turn.replies[0].text == texts.ENGLISH_NOTE and turn.replies[0].card is None
    assert turn.replies[1].card is not None and bot.session.service_ids == ("jiritsu_soudan",)
    router.table["weather"] = RoutingResult("", Outcome.OUT_OF_SCOPE, language="en")
    turn = bot.push("what is the weather tomorrow")
    assert [r.text for r in turn.replies] == [texts.ENGLISH_NOTE, texts.OUT_OF_SCOPE]
    assert bot.push("介護のことで相談").replies[0].text != texts.ENGLISH_NOTE     # Japanese: no note


def test_crisis_lines_in_english_add_the_emergency_numbers_in_english(catalogue) -> None:  # type: ignore[no-untyped-def]
    hit = CrisisHit("suicide", ("english suicide",), ("inochi",))
    shown = crisis.crisis_text(catalogue, hit, "en")
    assert shown.startswith(texts.CRISIS_LEAD) and shown.endswith(texts.CRISIS_EMERGENCY_ENGLISH)
    assert texts.CRISIS_EMERGENCY_ENGLISH not in crisis.crisis_text(catalogue, hit)


def test_some_sign_of_a_crisis_adds_the_verified_lines_beside_the_answer(bot: Bot,
                                                                         router: StandInRouter) -> None:
    """``care``: the answer stays (the card, its buttons last, where LINE shows quick replies); one
    message before it holds the verified lines only, then 119/110. The session is not marked a crisis."""
    router.table["くたくた"] = RoutingResult("", Outcome.ROUTE, (Match("houkatsu", "houkatsu", .8),),
                                         ("houkatsu",), care=("fake", "inochi"))
    turn = bot.push("毎日くたくた")
    note, answer = turn.replies[-2], turn.replies[-1]
    assert note.text.startswith(texts.CARE_LEAD) and note.text.endswith(texts.CRISIS_EMERGENCY)
    assert "0120-783-556" in note.text and "0120-000-000" not in note.text and not note.choices
    assert answer.card is not None and answer.choices and bot.session.service_ids == ("houkatsu",)
    assert not bot.session.crisis
    two = (Match("wakamono_kokokara", "w", .3), Match("jiritsu_soudan", "j", .2))
    router.table["むり"] = RoutingResult("", Outcome.CLARIFY, two, care=("inochi",))
    turn = bot.push("もうむり")
    assert turn.replies[-1].text == texts.CLARIFY and turn.replies[-2].text.startswith(texts.CARE_LEAD)
    assert not any(texts.CARE_LEAD in r.text for r in bot.push("介護のこと").replies)      # no care: no note


def test_care_with_no_verified_line_shows_no_note(bot: Bot, router: StandInRouter) -> None:
    router.table["くたくた"] = RoutingResult("", Outcome.ROUTE, (Match("houkatsu", "houkatsu", .8),),
                                         ("houkatsu",), care=("fake", "nowhere"))
    turn = bot.push("毎日くたくた")
    assert not any(texts.CARE_LEAD in r.text for r in turn.replies) and turn.replies[-1].card is not None


def test_a_ticket_after_the_gentle_crisis_note_tells_staff_the_reader_saw_a_sign(bot: Bot) -> None:
    """The reader's probability (a number, no text) goes with the ticket, so staff know the crisis lines
    were shown beside the answer."""
    bot.router.table["介護"] = RoutingResult(
        "", Outcome.ROUTE, (Match("houkatsu", "houkatsu", 0.8),), ("houkatsu",), care=("inochi",),
        explanation={"reason": "one clear desk", "care": {"‼": 0.28}, "unknown_words": ["山田"]})
    effect = _file_ticket_answered_in_chat(bot)
    assert effect.routing["explanation"] == {"reason": "one clear desk", "care": {"‼": 0.28}}


def test_with_some_sign_of_a_crisis_a_message_is_not_turned_away(bot: Bot, router: StandInRouter) -> None:
    """An out-of-scope answer with ``care``: the lines, then an invitation to say more (the general desk's
    card stays), never 「ここでは案内できません」. Thanks (no_need) are thanked, and the lines follow."""
    router.table["夕方"] = RoutingResult("", Outcome.OUT_OF_SCOPE, care=("inochi",))
    turn = bot.push("夕方の川の水位")
    assert [r.text for r in turn.replies] == [turn.replies[0].text, texts.CARE_SAY_MORE]
    assert turn.replies[0].text.startswith(texts.CARE_LEAD) and "0120-783-556" in turn.replies[0].text
    assert turn.replies[1].card is not None and "0545-55-2757" in turn.replies[1].card.text_fallback()
    assert not any(texts.OUT_OF_SCOPE in r.text for r in turn.replies)
    assert [r.text for r in bot.push("天気を教えて").replies] == [texts.OUT_OF_SCOPE]        # no care: declined
    router.table["どうも"] = RoutingResult("", Outcome.OUT_OF_SCOPE, care=("inochi",), no_need=True)
    thanks = bot.push("どうも").replies
    assert thanks[0].text == texts.NO_NEED and thanks[1].text.startswith(texts.CARE_LEAD) and len(thanks) == 2
