"""Crisis: shows the verified crisis lines at once, from any step, then offers to connect."""

from __future__ import annotations

from bot.catalogue.model import Catalogue
from bot.catalogue.public import PublicCrisisLine, public_crisis_lines
from bot.core import texts
from bot.core.messages import Choice, Inbound, Reply
from bot.core.session import Session, Step
from bot.core.turn import Context, Turn
from bot.routing.result import CrisisHit

MAX_LINES = 4


def lines_for(cat: Catalogue, hit: CrisisHit) -> list[PublicCrisisLine]:
    """The crisis lines to show (verified phones only), most relevant first."""
    known = {c.id for c in cat.crisis_lines}
    ids = tuple(i for i in hit.line_ids if i in known)
    lines = public_crisis_lines(cat, ids=ids) if ids else []
    if not lines:
        lines = public_crisis_lines(cat, kinds=(hit.kind,)) or public_crisis_lines(cat, kinds=("general",))
    return lines[:MAX_LINES]


def line_row(line: PublicCrisisLine) -> str:
    """One crisis line as a row: name, verified phones (no fax), hours when verified."""
    phone = " / ".join(p.number for p in line.phones if p.type != "fax")
    return (texts.CRISIS_LINE.format(name=line.name, phone=phone, hours=line.hours.text) if line.hours
            else texts.CRISIS_LINE_NO_HOURS.format(name=line.name, phone=phone))


def crisis_text(cat: Catalogue, hit: CrisisHit, language: str = "ja") -> str:
    rows = [texts.CRISIS_LEAD] + [line_row(line) for line in lines_for(cat, hit)]
    rows.append(texts.CRISIS_EMERGENCY)
    if language == "en":      # written in English: the one thing to do now, in English too
        rows.append(texts.CRISIS_EMERGENCY_ENGLISH)
    return "\n".join(rows)


MAX_CARE_LINES = 2     # the gentle note beside an answer: fewer lines than a crisis reply


def care_text(cat: Catalogue, line_ids: tuple[str, ...]) -> str | None:
    """The gentle note beside an answer (RoutingResult.care): verified lines only, then 119/110.
    None when no line of the ids is verified (nothing is shown rather than an unverified number)."""
    lines = public_crisis_lines(cat, ids=line_ids)[:MAX_CARE_LINES]    # verified ones of these ids, in order
    if not lines:
        return None
    return "\n".join([texts.CARE_LEAD, *(line_row(line) for line in lines), texts.CRISIS_EMERGENCY])


OFFER_CHOICES = (Choice(texts.L_CONTACT_ME, "intake:crisis"), Choice(texts.L_OTHER, "card:other"))


def respond(session: Session, hit: CrisisHit, ctx: Context, lead: tuple[Reply, ...] = (),
            language: str = "ja") -> Turn:
    """Shows the crisis lines, then offers a call back (keeps an intake in progress)."""
    marked = session.to(session.step, crisis=True, crisis_kind=hit.kind)
    lines = Reply(crisis_text(ctx.catalogue, hit, language))
    if session.step in (Step.SUMMARY,):
        return Turn(marked, lead + (lines,))     # the intake handler adds the next question
    resume = session.step if session.in_intake else None
    return Turn(marked.to(Step.CRISIS, resume=resume or session.resume),
                lead + (lines, Reply(texts.CRISIS_OFFER, OFFER_CHOICES)))


def offer(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Takes a new message after the crisis lines (buttons are handled before the step)."""
    from bot.handlers import referral

    if inbound.text:
        return referral.inquiry(session, inbound.text, ctx)
    return Turn(session, (Reply(texts.CRISIS_OFFER, OFFER_CHOICES),))
