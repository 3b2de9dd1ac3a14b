"""「状況」 and 「取り消し」: the person's own tickets, and withdrawing consent with deletion."""

from __future__ import annotations

import datetime as dt

from bot.core import texts
from bot.core.effects import LookupStatus, ReadStaffMessages, TicketView, Withdraw
from bot.core.hours import JST
from bot.core.messages import Choice, Inbound, Reply
from bot.core.session import INTAKE_STEPS, Session, Step
from bot.core.turn import Context, Turn
from bot.handlers.common import is_word, picked

WITHDRAW_CHOICES = (Choice(texts.L_WITHDRAW_YES, "withdraw:yes"), Choice(texts.L_WITHDRAW_NO, "withdraw:no"))


def ask_status(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Asks the shell for the person's tickets; the step does not change."""
    return Turn(session, (), (LookupStatus(session.user_key),))


def render_status(tickets: tuple[TicketView, ...], session: Session, ctx: Context) -> tuple[Reply, ...]:
    """Lists the person's tickets (newest first), then re-asks an intake question in progress."""
    from bot.handlers import intake

    if not tickets:
        out = [Reply(texts.STATUS_NONE)]
    else:
        lines = [texts.STATUS_LEAD]
        for t in tickets[:10]:
            day = dt.datetime.fromisoformat(t.created_at).astimezone(JST)
            lines.append(texts.STATUS_LINE.format(ref=t.ref, date=f"{day.month}月{day.day}日", status=t.status))
        out = [Reply("\n".join(lines))]
    if session.step in INTAKE_STEPS:
        out.append(intake.ask(session.step, session, ctx))
    return tuple(out)


def ask_withdraw(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Asks to confirm withdrawing consent and deleting the person's data."""
    resume = session.step if session.step in INTAKE_STEPS else None
    return Turn(session.to(Step.WITHDRAW, resume=resume), (Reply(texts.WITHDRAW_CONFIRM, WITHDRAW_CHOICES),))


def withdraw(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Withdraws and deletes on 消す; on 消さない, goes back to where the person was."""
    from bot.handlers import intake

    choice = picked(inbound, WITHDRAW_CHOICES)
    if choice is None and is_word(inbound, texts.WORDS_YES):
        choice = "withdraw:yes"
    if choice is None and is_word(inbound, texts.WORDS_NO):
        choice = "withdraw:no"
    if choice == "withdraw:yes":
        return Turn(Session(user_key=session.user_key, channel=session.channel), (),
                    (Withdraw(session.user_key),))
    if choice == "withdraw:no":
        kept = Reply(texts.WITHDRAW_KEPT)
        if session.resume is not None:
            back = session.to(session.resume, resume=None)
            return Turn(back, (kept, intake.ask(back.step, back, ctx)))
        return Turn(session.reset(), (kept,))
    return Turn(session, (Reply(texts.NOT_UNDERSTOOD_CHOICE, WITHDRAW_CHOICES),))


def render_withdrawn(count: int) -> tuple[Reply, ...]:
    text = texts.WITHDRAW_DONE.format(count=count) if count else texts.WITHDRAW_NOTHING
    return (Reply(text),)


MAX_MESSAGE = 1500


def read_messages(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Asks the shell for the staff messages not read yet; the step does not change."""
    return Turn(session, (), (ReadStaffMessages(session.user_key),))


def render_messages(bodies: tuple[str, ...], session: Session, ctx: Context) -> tuple[Reply, ...]:
    """Shows unread staff messages (oldest first, at most 4 bubbles), then re-asks an intake question."""
    from bot.handlers import intake

    if not bodies:
        out = [Reply(texts.NO_STAFF_MESSAGES)]
    else:
        shown = [b if len(b) <= MAX_MESSAGE else b[: MAX_MESSAGE - 1] + "…" for b in bodies]
        if len(shown) > 3:
            shown = shown[:2] + ["\n\n".join(shown[2:])[: MAX_MESSAGE * 2]]
        out = [Reply(texts.STAFF_MESSAGES_LEAD)] + [Reply(texts.STAFF_MESSAGE.format(body=b)) for b in shown]
    if session.step in INTAKE_STEPS:
        out.append(intake.ask(session.step, session, ctx))
    return tuple(out[:5])
