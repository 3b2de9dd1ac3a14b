"""What works at any step: commands (状況, 取り消し, 最初から, 使い方, 匿名) and card buttons.

Each matcher looks at a tapped payload or a typed word; the first that matches wins.
"""

from __future__ import annotations

from bot.core import texts
from bot.core.messages import Inbound, Reply
from bot.core.session import INTAKE_STEPS, Session, Step
from bot.core.turn import Context, Turn
from bot.handlers import intake, referral
from bot.handlers.common import is_word


def _cmd(name: str, words: frozenset[str]):  # type: ignore[no-untyped-def]
    def matches(inbound: Inbound) -> bool:
        return inbound.payload == f"cmd:{name}" or is_word(inbound, words)
    matches.__name__ = f"is_{name}"
    return matches


is_status = _cmd("status", texts.WORDS_STATUS)
is_withdraw = _cmd("withdraw", texts.WORDS_WITHDRAW)
is_restart = _cmd("restart", texts.WORDS_RESTART)
is_help = _cmd("help", texts.WORDS_HELP)
is_anonymous = _cmd("anonymous", texts.WORDS_ANONYMOUS)


def is_start(inbound: Inbound) -> bool:
    return inbound.payload == "cmd:start" or is_word(inbound, texts.WORDS_START)


def is_read(inbound: Inbound) -> bool:
    """「読む」 on a push that says staff wrote (bot.staff.texts.READ_PAYLOAD)."""
    from bot.staff.texts import READ_PAYLOAD

    return inbound.payload == READ_PAYLOAD or is_word(inbound, texts.WORDS_READ)


def is_resume(inbound: Inbound) -> bool:
    return inbound.payload == "cmd:resume"


def is_button(inbound: Inbound) -> bool:
    return inbound.payload is not None and inbound.payload.startswith(("card:", "svc:", "intake:"))


def button(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Answers a card or list button: phone, details, another inquiry, a desk, or 連絡がほしい."""
    parts = (inbound.payload or "").split(":")
    kind, arg = ":".join(parts[:2]), parts[2] if len(parts) > 2 else None
    known = {s.id for s in ctx.catalogue.services}
    if parts[0] == "svc" and len(parts) == 2 and parts[1] in known:
        return referral.route_card(session.reset(), parts[1], ctx)
    if kind == "card:other":
        return referral.other(session, inbound, ctx)
    if kind == "card:phone" and arg in known:
        return referral.phone(session.reset(), arg, ctx)
    if kind == "card:more" and arg in known:
        return referral.more(session.reset(), arg, ctx)
    if kind == "intake:start" and arg in known:
        return intake.start(session, ctx, (arg,), joint=False)
    if kind == "intake:joint" and session.service_ids:
        return intake.start(session, ctx, session.service_ids, joint=True)
    if kind == "intake:crisis":
        if session.resume in INTAKE_STEPS and session.draft.intake_consent_at:
            back = session.to(session.resume, resume=None)
            return Turn(back, (intake.ask(back.step, back, ctx),))
        return intake.start(session, ctx, session.service_ids, joint=len(session.service_ids) != 1)
    if session.step in INTAKE_STEPS:
        return Turn(session, (Reply(texts.NOT_UNDERSTOOD_CHOICE), intake.ask(session.step, session, ctx)))
    return Turn(session.to(Step.START), (Reply(texts.ASK_INQUIRY),))
