"""Greeting, help, starting over and the anonymous wish; the START step takes a first inquiry."""

from __future__ import annotations

from bot.core import texts
from bot.core.messages import Choice, Inbound, Reply
from bot.core.session import INTAKE_STEPS, Session, Step
from bot.core.turn import Context, Turn
from bot.handlers import referral
from bot.handlers.common import is_word

MENU = (Choice(texts.L_HELP, "cmd:help"), Choice(texts.L_STATUS, "cmd:status"),
        Choice(texts.L_ANONYMOUS, "cmd:anonymous"))


HELP_CHOICES = (Choice(texts.L_STATUS, "cmd:status"), Choice(texts.L_WITHDRAW, "cmd:withdraw"),
                Choice(texts.L_RESTART, "cmd:restart"), Choice(texts.L_ANONYMOUS, "cmd:anonymous"))


def greet(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Greets and asks what the trouble is."""
    return Turn(session.reset() if session.step not in INTAKE_STEPS else session,
                (Reply(texts.GREETING, MENU),))


def start(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Takes a first inquiry and routes it; greets on a greeting or an unknown button."""
    if not inbound.text or inbound.payload is not None or is_word(inbound, texts.WORDS_GREETING):
        return greet(session, inbound, ctx)
    return referral.inquiry(session, inbound.text, ctx)


def help_(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Explains how to use the bot; re-asks an intake question in progress."""
    from bot.handlers import intake

    replies = [Reply(texts.HELP, HELP_CHOICES)]
    if session.step in INTAKE_STEPS:
        replies.append(intake.ask(session.step, session, ctx))
    return Turn(session, tuple(replies))


def restart(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Forgets everything in progress and asks for an inquiry."""
    return Turn(Session(user_key=session.user_key, channel=session.channel),
                (Reply(texts.RESTARTED), Reply(texts.ASK_INQUIRY, MENU)))


def anonymous(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Switches to anonymous mode: no name or phone; follow-up through the chat only."""
    from bot.handlers import intake

    on = session.to(session.step, anonymous=True).with_draft(name=None, phone=None)
    lead = Reply(texts.ANONYMOUS_ON)
    if session.step in (Step.CONTACT, Step.PHONE, Step.NAME, Step.TIMES) or (
            session.step in INTAKE_STEPS and session.draft.contact == "phone"):
        nxt = on.to(Step.CONTACT, editing=False).with_draft(contact=None)
        return Turn(nxt, (lead, intake.ask(Step.CONTACT, nxt, ctx)))
    if session.step in INTAKE_STEPS:
        return Turn(on, (lead, intake.ask(session.step, on, ctx)))
    return Turn(on, (lead, Reply(texts.ASK_INQUIRY)))


def resume(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Re-asks the question of an intake in progress."""
    from bot.handlers import intake

    if session.step in INTAKE_STEPS:
        return Turn(session, (intake.ask(session.step, session, ctx),))
    return greet(session, inbound, ctx)
