"""The rich menu (相談する / 窓口を探す / 状況確認 / 緊急のとき) in the pure core, with the stand-in router.

Each button arrives as a postback payload (``menu:*``) or, from older clients and Telegram, as its
label typed. None of them goes to the router: the router would read 「窓口を探す」 as an inquiry.
"""

from __future__ import annotations

import copy

import pytest

from bot.catalogue.model import Catalogue
from bot.core import texts
from bot.core.effects import LookupStatus
from bot.core.session import Step

from core_kit import CATALOGUE, U, V, Bot, StandInRouter, TABLE


def labels(turn) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.label for r in turn.replies for c in r.choices]


def payloads(turn) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.payload for r in turn.replies for c in r.choices]


def _to_about(bot: Bot) -> None:
    bot.push("親の介護がたいへん")
    bot.push(payload="intake:start:houkatsu")
    bot.push(payload="consent:yes")
    assert bot.session.step == Step.ABOUT


def richer_catalogue() -> Catalogue:
    """The stand-in catalogue plus a second elderly desk, a community desk and more crisis lines."""
    data = copy.deepcopy(CATALOGUE)
    data["services"] += [
        {"id": "kayoi", "name": "通いの場", "description": "近所の運動教室です。", "fields": ["高齢"],
         "legal_basis": "社会福祉法第106条の4第2項第3号イ（地域介護予防活動支援事業）", "department": "fukushi"},
        {"id": "ibasho", "name": "日中の居場所", "description": "障害のある人の居場所です。", "fields": ["障害"],
         "legal_basis": "社会福祉法第106条の4第2項第3号ハ", "department": "fukushi"},
    ]
    data["crisis_lines"] += [
        {"id": "kyukyu", "name": "救急安心電話", "kinds": ["medical_adult"], "priority": 20,
         "phones": [{"number": "#7119", "provenance": V}]},
        {"id": "police", "name": "警察", "kinds": ["emergency", "violence"], "priority": 1,
         "phones": [{"number": "110", "provenance": V}], "hours": {"text": "24時間", "provenance": V}},
        {"id": "dv_unverified", "name": "未確認のDV窓口", "kinds": ["dv"], "priority": 5,
         "phones": [{"number": "0120-000-111", "provenance": U}]},
    ]
    return Catalogue.model_validate(data)


@pytest.fixture
def rich_bot() -> Bot:
    return Bot(richer_catalogue(), StandInRouter(dict(TABLE)))


# --- 相談する ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "payload"), [(None, "menu:consult"), ("相談する", None), (" 相談する。", None)])
def test_consult_asks_for_free_text_and_offers_the_fields(bot: Bot, text, payload) -> None:  # type: ignore[no-untyped-def]
    turn = bot.push(text, payload)
    assert [r.text for r in turn.replies] == [texts.MENU_CONSULT]
    # only the fields the catalogue has desks for: 高齢 (houkatsu), 困窮 (jiritsu_soudan), 若者 (ココ☆カラ)
    assert labels(turn) == [texts.FIND_FIELD_LABELS[k] for k in ("elderly", "living", "youth")]
    assert bot.session.step == Step.START and bot.router.calls == []
    card = bot.push("親の介護がたいへん").replies[0].card           # the free-text inquiry is routed
    assert card is not None and card.title == "地域包括支援センター"


def test_consult_mid_intake_says_the_intake_was_dropped(bot: Bot) -> None:
    _to_about(bot)
    turn = bot.push(payload="menu:consult")
    assert [r.text for r in turn.replies] == [texts.INTAKE_INTERRUPTED, texts.MENU_CONSULT]
    assert bot.session.step == Step.START and bot.session.draft.intake_consent_at is None


# --- 窓口を探す -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "payload"), [(None, "menu:find"), ("窓口を探す", None)])
def test_find_lists_fields_then_desks_then_the_card(rich_bot: Bot, text, payload) -> None:  # type: ignore[no-untyped-def]
    turn = rich_bot.push(text, payload)
    assert turn.replies[0].text == texts.FIND_LEAD
    assert payloads(turn) == ["find:elderly", "find:disability", "find:living", "find:youth", "find:community"]
    desks = rich_bot.push(payload="find:elderly")
    assert desks.replies[0].text.splitlines() == [
        texts.FIND_DESKS.format(field="高齢・介護"), "・地域包括支援センター", "・通いの場"]
    assert payloads(desks) == ["svc:houkatsu", "svc:kayoi", "card:other"]
    assert rich_bot.session.step == Step.CLARIFY
    card = rich_bot.push(payload="svc:kayoi").replies[0].card
    assert card is not None and card.title == "通いの場" and "0545-55-2757" in card.text_fallback()
    assert rich_bot.session.step == Step.REFERRED and rich_bot.router.calls == []


def test_a_field_with_one_desk_goes_straight_to_its_card(bot: Bot) -> None:
    bot.push(payload="menu:find")
    turn = bot.push(payload="find:youth")
    card = turn.replies[-1].card
    assert card is not None and card.title == "若者相談窓口 ココ☆カラ"
    assert bot.session.step == Step.REFERRED and bot.session.service_ids == ("wakamono_kokokara",)


def test_community_lists_the_desks_of_the_plans_community_support(rich_bot: Bot) -> None:
    turn = rich_bot.push(payload="find:community")
    assert payloads(turn) == ["svc:kayoi", "svc:ibasho", "card:other"]     # by legal basis, not by field
    assert "地域包括支援センター" not in turn.replies[0].text


def test_a_non_routable_desk_is_never_listed(bot: Bot) -> None:
    for key in texts.FIND_FIELD_LABELS:
        assert "svc:takikan_kyoudou" not in payloads(bot.push(payload=f"find:{key}"))


def test_an_unknown_or_empty_field_asks_again(bot: Bot) -> None:
    for stale in ("find:nope", "find:disability"):              # no desk of 障害 in this catalogue
        turn = bot.push(payload=stale)
        assert turn.replies[0].text == texts.FIND_NONE and payloads(turn)[0].startswith("find:")


def test_a_new_desk_in_the_catalogue_shows_up_without_code(bot: Bot) -> None:
    before = {c.payload for c in bot.push(payload="menu:find").replies[0].choices}
    assert "find:disability" not in before
    rich = Bot(richer_catalogue(), StandInRouter(dict(TABLE)))
    assert "find:disability" in payloads(rich.push(payload="menu:find"))


# --- 状況確認 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "payload"), [(None, "menu:status"), ("状況確認", None)])
def test_status_from_the_menu_keeps_an_intake_in_progress(bot: Bot, text, payload) -> None:  # type: ignore[no-untyped-def]
    _to_about(bot)
    turn = bot.push(text, payload)
    assert turn.effects == (LookupStatus("test:1"),) and bot.session.step == Step.ABOUT


# --- 緊急のとき -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "payload"), [(None, "menu:emergency"), ("緊急のとき", None)])
def test_emergency_shows_every_verified_line_by_priority_then_the_offer(rich_bot: Bot, text, payload) -> None:  # type: ignore[no-untyped-def]
    turn = rich_bot.push(text, payload)
    rows = turn.replies[0].text.splitlines()
    assert rows[0] == texts.EMERGENCY_LEAD and rows[-1] == texts.CRISIS_EMERGENCY
    assert rows[1:-1] == ["・警察: 110（24時間）", "・救急安心電話: #7119", "・いのちの電話: 0120-783-556（毎月10日）"]
    shown = "\n".join(r.text for r in turn.replies)
    assert "0120-000-000" not in shown and "0120-000-111" not in shown      # unverified lines never
    assert turn.replies[-1].text == texts.CRISIS_OFFER and payloads(turn) == ["intake:crisis", "card:other"]
    assert rich_bot.session.step == Step.CRISIS and rich_bot.session.crisis and rich_bot.router.calls == []
    rich_bot.push(payload="intake:crisis")
    assert rich_bot.session.step == Step.CONSENT and rich_bot.session.crisis


def test_emergency_mid_intake_keeps_it_to_resume(bot: Bot) -> None:
    _to_about(bot)
    turn = bot.push(payload="menu:emergency")
    assert "0120-783-556" in turn.replies[0].text
    resumed = bot.push(payload="intake:crisis")
    assert bot.session.step == Step.ABOUT and resumed.replies[0].text == texts.ASK_ABOUT


def test_menu_labels_inside_a_sentence_are_an_inquiry(bot: Bot) -> None:
    """Only the label alone is the menu; 「介護のことを相談する」 is routed like any inquiry."""
    turn = bot.push("介護のことを相談する")
    assert bot.router.calls == ["介護のことを相談する"] and turn.replies[0].card is not None
