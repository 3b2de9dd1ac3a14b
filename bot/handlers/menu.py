"""The LINE rich menu (相談する / 窓口を探す / 状況確認 / 緊急のとき), from any step.

The menu's buttons are postbacks (``menu:consult``, ``menu:find``, ``menu:status``,
``menu:emergency``; bot/channels/commands.py); the same labels typed as plain text mean the same
(older clients, Telegram). 窓口を探す lists the fields of support, and a field lists its desks from
the catalogue (``Service.fields``), so a new desk in the YAML shows up here without code.
"""

from __future__ import annotations

from bot.catalogue.model import CRISIS_KINDS, Field_, Service
from bot.catalogue.public import public_crisis_lines
from bot.core import texts
from bot.core.messages import Choice, Inbound, Reply
from bot.core.session import INTAKE_STEPS, Session, Step
from bot.core.turn import Context, Turn
from bot.handlers import crisis, referral
from bot.handlers.common import is_word, short

CONSULT, FIND, STATUS, EMERGENCY = "menu:consult", "menu:find", "menu:status", "menu:emergency"
FIELD_PREFIX = "find:"
MAX_DESKS = 12            # + 「ほかの相談」 stays within LINE's 13 quick replies
MAX_TEXT = 3000           # one crisis-list bubble (LINE allows 5000, Telegram 4096)

# Which desks a field lists: those whose ``fields`` meet these. 全 (every field) desks are listed
# under 生活・お金・仕事 only: in the plan they are the work and outreach desks of the
# ユニバーサル就労支援センター and the joined-up desk, not a fit for every list.
FIELDS: dict[str, frozenset[Field_]] = {
    "elderly": frozenset({Field_.KOREI}),
    "disability": frozenset({Field_.SHOGAI}),
    "child": frozenset({Field_.KODOMO}),
    "living": frozenset({Field_.KONKYU, Field_.ZEN}),
    "youth": frozenset({Field_.WAKAMONO}),
    "community": frozenset(),          # by legal basis instead: 地域づくりに向けた支援 (texts.FIND_COMMUNITY_BASIS)
}


def _matcher(payload: str, words: frozenset[str]):  # type: ignore[no-untyped-def]
    def matches(inbound: Inbound) -> bool:
        return inbound.payload == payload or is_word(inbound, words)
    matches.__name__ = f"is_{payload.replace(':', '_')}"
    return matches


is_consult = _matcher(CONSULT, texts.WORDS_MENU_CONSULT)
is_find = _matcher(FIND, texts.WORDS_MENU_FIND)
is_emergency = _matcher(EMERGENCY, texts.WORDS_MENU_EMERGENCY)


def is_status(inbound: Inbound) -> bool:
    return inbound.payload == STATUS          # typed 状況確認 is already a status word


def is_field(inbound: Inbound) -> bool:
    return inbound.payload is not None and inbound.payload.startswith(FIELD_PREFIX)


# --- the fields and their desks ------------------------------------------------------------------
def desks_of(ctx: Context, key: str) -> tuple[Service, ...]:
    """The routable desks of a field, in catalogue order (empty for an unknown field)."""
    if key not in FIELDS:
        return ()
    wanted = FIELDS[key]
    if key == "community":
        return tuple(s for s in ctx.catalogue.services
                     if s.routable and s.legal_basis and texts.FIND_COMMUNITY_BASIS in s.legal_basis)
    return tuple(s for s in ctx.catalogue.services if s.routable and wanted & set(s.fields))


def field_choices(ctx: Context) -> tuple[Choice, ...]:
    """One choice per field that has at least one desk in the catalogue."""
    return tuple(Choice(label, f"{FIELD_PREFIX}{key}") for key, label in texts.FIND_FIELD_LABELS.items()
                 if desks_of(ctx, key))


def _fresh(session: Session) -> tuple[Session, tuple[Reply, ...]]:
    """A fresh start; an intake in progress is dropped, and the person is told so."""
    lead = (Reply(texts.INTAKE_INTERRUPTED),) if session.in_intake else ()
    return session.reset(), lead


# --- handlers -------------------------------------------------------------------------------------
def consult(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """相談する: asks what the trouble is (free text), with the fields to pick from."""
    fresh, lead = _fresh(session)
    return Turn(fresh, lead + (Reply(texts.MENU_CONSULT, field_choices(ctx)),))


def find(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """窓口を探す: asks which field of support the desk is for."""
    fresh, lead = _fresh(session)
    return Turn(fresh, lead + (Reply(texts.FIND_LEAD, field_choices(ctx)),))


def field(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """A field picked: its one desk's card, or its desks to choose from (then the card)."""
    key = (inbound.payload or "").removeprefix(FIELD_PREFIX)
    desks = desks_of(ctx, key)
    fresh, lead = _fresh(session)
    if not desks:
        return Turn(fresh, lead + (Reply(texts.FIND_NONE, field_choices(ctx)),))
    if len(desks) == 1:
        return referral.route_card(fresh, desks[0].id, ctx, lead=lead)
    shown = desks[:MAX_DESKS]
    lines = [texts.FIND_DESKS.format(field=texts.FIND_FIELD_LABELS[key])]
    lines += [texts.FIND_DESK_LINE.format(name=s.name) for s in shown]
    choices = tuple(Choice(short(s.name), f"svc:{s.id}") for s in shown) + (Choice(texts.L_OTHER, "card:other"),)
    return Turn(fresh.to(Step.CLARIFY, clarify_ids=tuple(s.id for s in shown)),
                lead + (Reply("\n".join(lines), choices),))


def emergency_text(ctx: Context) -> tuple[str, ...]:
    """Every verified crisis line of the shared crisis kinds, by priority, in bubbles that fit."""
    rows = [crisis.line_row(line) for line in public_crisis_lines(ctx.catalogue, kinds=CRISIS_KINDS)]
    bubbles, current = [], [texts.EMERGENCY_LEAD]
    for row in rows:
        if sum(len(r) + 1 for r in current) + len(row) > MAX_TEXT:
            bubbles.append("\n".join(current))
            current = []
        current.append(row)
    current.append(texts.CRISIS_EMERGENCY)
    bubbles.append("\n".join(current))
    return tuple(bubbles[:3])


def emergency(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """緊急のとき: the verified crisis lines at once, then the offer to connect (an intake is kept)."""
    if session.in_intake:
        resume = session.step if session.step in INTAKE_STEPS else session.resume
        marked = session.to(Step.CRISIS, crisis=True, resume=resume)
    else:
        marked = session.reset().to(Step.CRISIS, crisis=True)
    replies = tuple(Reply(t) for t in emergency_text(ctx))
    return Turn(marked, replies + (Reply(texts.CRISIS_OFFER, crisis.OFFER_CHOICES),))
