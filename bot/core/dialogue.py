"""The dialogue as a table: one handler per step, fallbacks that work at any step, and ``step``.

``step(session, inbound, ctx) -> Turn`` is pure: no I/O and no clock (``ctx.now`` is passed in).
Effects (open a ticket, look up a status, withdraw) are returned for the shell to carry out;
``after_effect`` turns an effect's result into replies, also purely. Keep ``dialogue.mmd`` in sync
with ``HANDLERS`` (tests/core/test_dialogue_table.py checks that every step appears there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.effects import CreateTicket, Effect, LookupStatus, ReadStaffMessages, TicketView, Withdraw
from bot.core.messages import Inbound, Reply
from bot.core.session import Session, Step
from bot.core.turn import Context, Handler, Matcher, Turn
from bot.handlers import crisis, fallback, greet, intake, menu, referral, status
from bot.routing.result import Outcome

HANDLERS: Mapping[Step, Handler] = {
    Step.START: greet.start,
    Step.REFERRED: referral.referred,
    Step.CLARIFY: referral.clarify,
    Step.CRISIS: crisis.offer,
    Step.CONSENT: intake.consent,
    Step.ABOUT: intake.about,
    Step.SUMMARY: intake.summary,
    Step.CONTACT: intake.contact,
    Step.PHONE: intake.phone,
    Step.TIMES: intake.times,
    Step.NAME: intake.name,
    Step.MEETING: intake.meeting,
    Step.PREVIEW: intake.preview,
    Step.EDIT: intake.edit,
    Step.WITHDRAW: status.withdraw,
}

FALLBACKS: tuple[tuple[Matcher, Handler], ...] = (
    (fallback.is_status, status.ask_status),
    (menu.is_status, status.ask_status),          # the rich menu (menu:*) and its labels typed
    (menu.is_emergency, menu.emergency),
    (menu.is_consult, menu.consult),
    (menu.is_find, menu.find),
    (menu.is_field, menu.field),
    (fallback.is_read, status.read_messages),
    (fallback.is_withdraw, status.ask_withdraw),
    (fallback.is_restart, greet.restart),
    (fallback.is_help, greet.help_),
    (fallback.is_start, greet.greet),
    (fallback.is_anonymous, greet.anonymous),
    (fallback.is_resume, greet.resume),
    (fallback.is_button, fallback.button),
)


def step(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Advances one turn. Pure: no I/O, no clock; effects are returned, not performed."""
    if inbound.text and (hit := ctx.router.screen(inbound.text)) is not None:   # crisis first, always
        if session.step == Step.SUMMARY:          # their words are the summary: keep them, go on
            shown = crisis.respond(session, hit, ctx)
            nxt = intake.summary(shown.session, inbound, ctx)
            return Turn(nxt.session, shown.replies + nxt.replies, nxt.effects)
        if not session.in_intake:                 # the router may add the desks behind the crisis
            result = ctx.router.route(inbound.text)
            if result.outcome == Outcome.CRISIS and result.crisis is not None:
                return referral.present(session, result, ctx)
        return crisis.respond(session, hit, ctx)
    for matches, handler in FALLBACKS:
        if matches(inbound):
            return handler(session, inbound, ctx)
    return HANDLERS[session.step](session, inbound, ctx)


def after_effect(effect: Effect, result: Any, session: Session, ctx: Context) -> tuple[Reply, ...]:
    """The replies that report an effect's result (a ref, a status list, a deletion count)."""
    if isinstance(effect, CreateTicket):
        return intake.filed(str(result), effect.contact_method)
    if isinstance(effect, LookupStatus):
        views: tuple[TicketView, ...] = tuple(result)
        return status.render_status(views, session, ctx)
    if isinstance(effect, Withdraw):
        return status.render_withdrawn(int(result))
    if isinstance(effect, ReadStaffMessages):
        return status.render_messages(tuple(result), session, ctx)
    raise TypeError(f"unknown effect {type(effect).__name__}")
