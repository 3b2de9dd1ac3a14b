"""Referral: turns a routing result into a contact card, a list of desks, a question or a decline."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bot.core import texts
from bot.core.contact import Place, ServiceFacts, first_phone, general_desk, service_facts, welfare_desk
from bot.core.hours import format_clock, format_when, open_state
from bot.core.messages import Card, CardField, Choice, Inbound, Reply
from bot.core.session import Session, Step
from bot.core.turn import Context, Turn
from bot.handlers import crisis
from bot.handlers.common import short
from bot.routing.result import Outcome, RoutingResult

MAX_CLARIFY = 5
MAX_MULTI = 4


def card_choices(service_id: str) -> tuple[Choice, ...]:
    return (Choice(texts.L_PHONE, f"card:phone:{service_id}"),
            Choice(texts.L_MORE, f"card:more:{service_id}"),
            Choice(texts.L_OTHER, "card:other"),
            Choice(texts.L_CONTACT_ME, f"intake:start:{service_id}"))


def hours_value(place: Place, now: dt.datetime) -> str | None:
    if place.hours is None:
        return None
    state = open_state(place.hours, now)
    lines = [place.hours.text]
    if state is not None:
        if state.always:
            lines.append(texts.CARD_OPEN_ALWAYS)
        elif state.open_now and state.until is not None:
            lines.append(texts.CARD_OPEN_NOW.format(until=format_clock(state.until)))
        elif state.next_open is not None:
            lines.append(texts.CARD_NEXT_OPEN.format(when=format_when(state.next_open, now)))
    return "\n".join(lines)


def place_fields(place: Place, now: dt.datetime) -> list[CardField]:
    out = [CardField(texts.CARD_TEL, " / ".join(
        texts.CARD_PHONE_LINE.format(label=p.label, phone=p.number) if p.label else p.number
        for p in place.phones))] if place.phones else []
    if (hours := hours_value(place, now)) is not None:
        out.append(CardField(texts.CARD_HOURS, hours))
    if place.address:
        out.append(CardField(texts.CARD_ADDRESS, place.address))
    return out


def card(facts: ServiceFacts, now: dt.datetime) -> Card:
    """The contact card of one service: verified facts only, else its verified fallback desk."""
    fields = [CardField(texts.CARD_WHAT, facts.description)]
    body = ""
    shown = facts.place or facts.fallback
    if facts.place is None and facts.sites:
        body = texts.CARD_SITES_NOTE
    if facts.place is None and facts.fallback is not None:
        body = "\n".join(filter(None, [body, texts.CARD_FALLBACK_NOTE.format(desk=facts.fallback.name)]))
    if shown is not None:
        fields += place_fields(shown, now)
    if facts.anonymous is not None:
        fields.append(CardField(texts.CARD_ANONYMOUS,
                                texts.CARD_ANONYMOUS_YES if facts.anonymous else texts.CARD_ANONYMOUS_NO))
    return Card(title=facts.name, body=body, fields=tuple(fields), url=shown.map_url if shown else None)


def place_card(place: Place, now: dt.datetime) -> Card:
    return Card(title=place.name, fields=tuple(place_fields(place, now)), url=place.map_url)


# Only lexicon words, and the crisis reader's probability behind a gentle note (care), may leave the
# encrypted session for the ticket's plain ``routing`` column: the explanation's other lists (unknown
# words, terms) can hold names and numbers the person wrote.
SAFE_EXPLANATION = ("reason", "out_of_scope_words", "vague_words", "care")


def routing_record(result: RoutingResult) -> dict[str, Any]:
    """What the ticket keeps of a routing decision, for staff and the yearly report: no free text."""
    expl = result.explanation if isinstance(result.explanation, dict) else {}
    return {"outcome": result.outcome.value,
            "matches": [{"id": m.id, "score": round(m.score, 3)} for m in result.matches],
            "needed": list(result.needed),
            "explanation": {k: expl[k] for k in SAFE_EXPLANATION if k in expl}}


def present(session: Session, result: RoutingResult, ctx: Context, lead: tuple[Reply, ...] = ()) -> Turn:
    """Shows what the router decided: card, list, question, decline or crisis lines. When the router saw
    some sign of a crisis short of one (``result.care``), the crisis lines come gently with the answer,
    in a message of their own just before the one that carries the buttons (LINE shows quick replies
    only under the last message); a decline becomes an invitation to say more."""
    turn = _answer(session, result, ctx, lead)
    note = crisis.care_text(ctx.catalogue, result.care) if result.care and result.crisis is None else None
    if note is None:
        return turn
    if result.outcome == Outcome.OUT_OF_SCOPE and not result.no_need:
        # no inquiry is turned away while there is some sign of a crisis: not "we cannot help here", but
        # the lines, then an invitation to say more (the city's general desk stays on the card)
        desk = general_desk(ctx.catalogue)
        say_more = Reply(texts.CARE_SAY_MORE, card=place_card(desk, ctx.now) if desk else None)
        # the decline is the last reply; what came before it (a lead) stays
        return dataclasses.replace(turn, replies=turn.replies[:-1] + (Reply(note), say_more))
    at = len(turn.replies) - 1 if turn.replies and turn.replies[-1].choices else len(turn.replies)
    return dataclasses.replace(turn, replies=turn.replies[:at] + (Reply(note),) + turn.replies[at:])


def _answer(session: Session, result: RoutingResult, ctx: Context, lead: tuple[Reply, ...]) -> Turn:
    routing = routing_record(result)
    base = session.reset().to(Step.START, routing=routing)
    if result.outcome == Outcome.CRISIS and result.crisis is not None:
        ids = tuple(result.needed) or tuple(m.id for m in result.matches[:1])
        return crisis.respond(base.to(Step.START, service_ids=ids), result.crisis, ctx, lead=lead,
                              language=result.language)
    if result.outcome == Outcome.OUT_OF_SCOPE and result.no_need:   # thanks, a goodbye: no decline
        return Turn(base, lead + (Reply(texts.NO_NEED),))
    if result.language == "en":      # written in English: say in English what the answer below is
        lead = lead + (Reply(texts.ENGLISH_NOTE),)
    if result.outcome == Outcome.ROUTE and (result.needed or result.matches):
        return route_card(base, (result.needed or (result.matches[0].id,))[0], ctx, lead=lead)
    if result.outcome == Outcome.MULTI and len(result.needed or result.matches) > 1:
        ids = tuple(result.needed) or tuple(m.id for m in result.matches)
        return multi(base, ids[:MAX_MULTI], ctx, lead=lead)
    if result.outcome in (Outcome.CLARIFY, Outcome.MULTI, Outcome.ROUTE) and result.matches:
        ids = tuple(m.id for m in result.matches[:MAX_CLARIFY])
        choices = tuple(Choice(short(m.name), f"svc:{m.id}") for m in result.matches[:MAX_CLARIFY])
        return Turn(base.to(Step.CLARIFY, clarify_ids=ids),
                    lead + (Reply(texts.CLARIFY, choices + (Choice(texts.L_NONE_FIT, "clarify:none"),)),))
    return out_of_scope(base, ctx, lead=lead)


def route_card(session: Session, service_id: str, ctx: Context, lead: tuple[Reply, ...] = ()) -> Turn:
    """Shows one desk's card with its four buttons."""
    try:
        facts = service_facts(ctx.catalogue, service_id)
    except KeyError:
        return out_of_scope(session, ctx, lead=lead)
    anonymous = session.anonymous or service_id in ctx.anonymous_services
    reply = Reply(texts.ROUTE_LEAD, choices=card_choices(service_id), card=card(facts, ctx.now))
    return Turn(session.to(Step.REFERRED, service_ids=(service_id,), joint=False, anonymous=anonymous),
                lead + (reply,))


def multi(session: Session, ids: tuple[str, ...], ctx: Context, lead: tuple[Reply, ...] = ()) -> Turn:
    """Lists each needed desk with its phone, and offers one joined-up ticket (多機関協働)."""
    lines, choices = [texts.MULTI_LEAD], []
    for sid in ids:
        try:
            facts = service_facts(ctx.catalogue, sid)
        except KeyError:
            continue
        phone = first_phone(facts)
        lines.append(texts.MULTI_LINE.format(name=facts.name, phone=phone.number if phone else ""))
        choices.append(Choice(short(facts.name), f"svc:{sid}"))
    offer = Reply(texts.MULTI_OFFER, (Choice(texts.L_JOINT, "intake:joint"), *choices,
                                      Choice(texts.L_OTHER, "card:other")))
    anonymous = session.anonymous or any(s in ctx.anonymous_services for s in ids)
    return Turn(session.to(Step.REFERRED, service_ids=ids, joint=True, anonymous=anonymous),
                lead + (Reply("\n".join(lines)), offer))


def out_of_scope(session: Session, ctx: Context, lead: tuple[Reply, ...] = ()) -> Turn:
    """Declines kindly and shows the city's general contact."""
    desk = general_desk(ctx.catalogue)
    reply = Reply(texts.OUT_OF_SCOPE, (Choice(texts.L_OTHER, "card:other"),),
                  card=place_card(desk, ctx.now) if desk else None)
    return Turn(session.to(Step.START), lead + (reply,))


def inquiry(session: Session, text: str, ctx: Context, lead: tuple[Reply, ...] = ()) -> Turn:
    """Routes a free-text inquiry and presents the result."""
    return present(session, ctx.router.route(text), ctx, lead=lead)


def phone(session: Session, service_id: str, ctx: Context) -> Turn:
    """Shows the verified phone numbers of a desk (or the fallback desk)."""
    facts = service_facts(ctx.catalogue, service_id)
    place = facts.place or facts.fallback
    if place is None or not place.phones:
        desk = welfare_desk(ctx.catalogue)
        text = texts.PHONE_NONE.format(name=facts.name, desk=desk.name if desk else "",
                                       phone=desk.phones[0].number if desk else "")
    else:
        numbers = "\n".join(texts.CARD_PHONE_LINE.format(label=p.label, phone=p.number) if p.label
                            else texts.CARD_PHONE.format(phone=p.number) for p in place.phones)
        text = texts.PHONE_ONLY.format(name=place.name, phones=numbers)
    return Turn(session.to(Step.REFERRED, service_ids=(service_id,)),
                (Reply(text, card_choices(service_id)),))


def more(session: Session, service_id: str, ctx: Context) -> Turn:
    """Shows the description, who it is for and every site with a verified phone."""
    facts = service_facts(ctx.catalogue, service_id)
    body = [facts.description]
    if facts.eligibility:
        body.append(texts.MORE_FOR_WHOM.format(text=facts.eligibility))
    if facts.url:
        body.append(facts.url)
    replies = [Reply(texts.MORE_DETAILS.format(name=facts.name, body="\n".join(body)))]
    if len(facts.sites) > 1:
        lines = [texts.MORE_SITES] + [f"・{p.name} {p.phones[0].number}" for p in facts.sites]
        replies.append(Reply("\n".join(lines)[:3500]))
    replies[-1] = Reply(replies[-1].text, card_choices(service_id))
    return Turn(session.to(Step.REFERRED, service_ids=(service_id,)), tuple(replies))


def other(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Asks for another inquiry."""
    return Turn(session.reset(), (Reply(texts.OTHER_INQUIRY),))


def referred(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Takes a new inquiry after a card or list (buttons are handled before the step)."""
    if inbound.text:
        return inquiry(session, inbound.text, ctx)
    return Turn(session, (Reply(texts.NOT_UNDERSTOOD_CHOICE),))


def clarify(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Records the desk chosen among candidates; or asks for more words."""
    if inbound.payload == "clarify:none":
        return Turn(session.reset(), (Reply(texts.CLARIFY_NONE_FIT),))
    if inbound.text:
        return inquiry(session, inbound.text, ctx)
    return Turn(session, (Reply(texts.NOT_UNDERSTOOD_CHOICE),))
