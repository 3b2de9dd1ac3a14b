"""Consented intake: explain and ask consent, collect the fields, preview, file the ticket.

Order: CONSENT → ABOUT → SUMMARY → CONTACT → (PHONE) → (TIMES) → (NAME) → MEETING → PREVIEW → file.
Anonymous mode skips PHONE and NAME and offers follow-up through the chat only. A text typed at a
choice step that the router recognises as an inquiry is treated as a new inquiry, not as a value.
"""

from __future__ import annotations

import re
import unicodedata

from bot.core import texts
from bot.core.contact import desk_id_of, welfare_desk
from bot.core.effects import ConsentGiven, CreateTicket
from bot.core.messages import Choice, Inbound, Reply
from bot.core.session import Draft, Session, Step
from bot.core.turn import Context, Turn
from bot.handlers import referral
from bot.handlers.common import is_word, norm, picked
from bot.routing.result import Outcome

ABOUT_CHOICES = tuple(Choice(label, f"about:{key}") for key, label in texts.ABOUT_LABELS.items())
CONSENT_CHOICES = (Choice(texts.L_AGREE, "consent:yes"), Choice(texts.L_STOP, "consent:no"))
CONTACT_CHOICES = (Choice(texts.CONTACT_PHONE_LABEL, "contact:phone"), Choice(texts.CONTACT_CHAT_LABEL, "contact:chat"),
                   Choice(texts.CONTACT_NONE_LABEL, "contact:none"))
CONTACT_CHOICES_ANON = CONTACT_CHOICES[1:]
MEETING_CHOICES = (Choice(texts.L_MEETING_YES, "meeting:yes"), Choice(texts.L_MEETING_NO, "meeting:no"))
PREVIEW_CHOICES = (Choice(texts.L_SEND, "preview:send"), Choice(texts.L_EDIT, "preview:edit"),
                   Choice(texts.L_STOP, "preview:stop"))
SKIP_CHOICE = (Choice(texts.L_SKIP, "skip"),)
PHONE_ALTERNATIVES = CONTACT_CHOICES[1:]          # changed one's mind: the chat, or no contact


# --- desks -----------------------------------------------------------------------------------
def joint_desk(ctx: Context) -> str | None:
    """The desk of 多機関協働 (takikan_kyoudou's department), else the welfare desk."""
    try:
        desk = desk_id_of(ctx.catalogue, ctx.catalogue.service("takikan_kyoudou"))
    except KeyError:
        desk = None
    return desk or ctx.catalogue.meta.welfare_contact


def desks(session: Session, ctx: Context) -> tuple[str, ...]:
    """Department ids that will see the ticket: the main desk first."""
    out: list[str] = []
    for sid in session.service_ids:
        try:
            d = desk_id_of(ctx.catalogue, ctx.catalogue.service(sid))
        except KeyError:
            continue
        if d and d not in out:
            out.append(d)
    if session.joint or len(out) != 1:
        j = joint_desk(ctx)
        if j:
            out = [j] + [d for d in out if d != j]
    return tuple(out)


def desk_names(session: Session, ctx: Context) -> str:
    names = []
    for d in desks(session, ctx):
        try:
            names.append(ctx.catalogue.department(d).name.removeprefix("富士市 "))
        except KeyError:
            names.append(d)
    return "、".join(names) or "富士市"


def consent_text(session: Session, ctx: Context) -> str:
    coordinator = welfare_desk(ctx.catalogue)
    name = coordinator.name.removeprefix("富士市 ") if coordinator else texts.COORDINATOR_FALLBACK
    return texts.CONSENT_EXPLAIN.format(desks=desk_names(session, ctx), coordinator=name,
                                        retention_days=ctx.retention_days)


# --- prompts -----------------------------------------------------------------------------------
def ask(step: Step, session: Session, ctx: Context) -> Reply:
    """The question of an intake step (used to ask, to re-ask and to resume)."""
    if step == Step.CONSENT:
        return Reply(consent_text(session, ctx), CONSENT_CHOICES)
    if step == Step.ABOUT:
        return Reply(texts.ASK_ABOUT, ABOUT_CHOICES)
    if step == Step.SUMMARY:
        return Reply(texts.ASK_SUMMARY)
    if step == Step.CONTACT:
        if session.anonymous:
            return Reply(texts.ASK_CONTACT_ANON, CONTACT_CHOICES_ANON)
        return Reply(texts.ASK_CONTACT, CONTACT_CHOICES)
    if step == Step.PHONE:
        return Reply(texts.ASK_PHONE, PHONE_ALTERNATIVES)
    if step == Step.TIMES:
        return Reply(texts.ASK_TIMES, SKIP_CHOICE)
    if step == Step.NAME:
        return Reply(texts.ASK_NAME, SKIP_CHOICE)
    if step == Step.MEETING:
        return Reply(texts.MEETING_CONSENT, MEETING_CHOICES)
    if step == Step.PREVIEW:
        return Reply(preview_text(session, ctx), PREVIEW_CHOICES)
    if step == Step.EDIT:
        return Reply(texts.ASK_EDIT, edit_choices(session))
    return Reply(texts.ASK_INQUIRY)


def go(session: Session, step: Step, ctx: Context, lead: tuple[Reply, ...] = ()) -> Turn:
    """Moves to ``step`` and asks its question; while editing, goes back to the preview instead."""
    if session.editing:
        step = Step.PREVIEW
    nxt = session.to(step, editing=False)
    return Turn(nxt, lead + (ask(step, nxt, ctx),))


def after_contact(session: Session) -> Step:
    if session.draft.contact == "phone":
        return Step.PHONE
    if session.draft.contact == "chat":
        return Step.TIMES
    return after_times(session)


def after_times(session: Session) -> Step:
    return Step.MEETING if session.anonymous else Step.NAME


def preview_text(session: Session, ctx: Context) -> str:
    d = session.draft
    contact = {"phone": f"{texts.CONTACT_PHONE_LABEL} {d.phone or ''}".strip(),
               "chat": texts.CONTACT_CHAT_LABEL, "none": texts.CONTACT_NONE_LABEL}.get(d.contact or "", "")
    rows = [texts.PREVIEW,
            f"・{texts.PREVIEW_DESKS}: {desk_names(session, ctx)}",
            f"・{texts.PREVIEW_ABOUT}: {texts.ABOUT_LABELS.get(d.about or '', texts.PREVIEW_EMPTY)}",
            f"・{texts.PREVIEW_SUMMARY}: {d.summary or texts.PREVIEW_EMPTY}",
            f"・{texts.PREVIEW_CONTACT}: {contact or texts.PREVIEW_EMPTY}"]
    if d.contact != "none":
        rows.append(f"・{texts.PREVIEW_TIMES}: {d.times or texts.PREVIEW_EMPTY}")
    rows.append(f"・{texts.PREVIEW_NAME}: {texts.PREVIEW_ANON if session.anonymous else (d.name or texts.PREVIEW_EMPTY)}")
    rows.append(f"・{texts.PREVIEW_MEETING}: {texts.L_AGREE if d.meeting_consent else texts.L_MEETING_NO}")
    return "\n".join(rows)


def edit_choices(session: Session) -> tuple[Choice, ...]:
    keys = ["about", "summary", "contact"]
    if session.draft.contact != "none":
        keys.append("times")
    if not session.anonymous:
        keys.append("name")
    keys.append("meeting")
    return tuple(Choice(texts.L_EDIT_FIELDS[k], f"edit:{k}") for k in keys)


# --- new inquiry typed mid-intake --------------------------------------------------------------
TIME_WORDS = re.compile(r"時|分|午前|午後|朝|昼|夜|夕方|夕|平日|土日|休日|週末|曜|いつ|ごろ|頃|以降|以外|まで|から|なら")


def new_inquiry(session: Session, inbound: Inbound, ctx: Context, *, free_field: bool) -> Turn | None:
    """A typed text the router recognises as an inquiry: the intake is dropped and it is answered.

    At a choice step any clear inquiry counts. In a free field (times, name) only a longer text
    that routes to a desk does, and never one that talks about time: 「夜なら」 is a value.
    """
    if not inbound.text or inbound.payload is not None:
        return None
    size = len(norm(inbound.text))
    if free_field and (size < 10 or TIME_WORDS.search(inbound.text)):
        return None
    if size < 4:
        return None
    result = ctx.router.route(inbound.text)
    ok = {Outcome.ROUTE, Outcome.MULTI, Outcome.CRISIS}
    if not free_field and size >= 10:
        ok.add(Outcome.CLARIFY)
    if result.outcome not in ok:
        return None
    lead = (Reply(texts.INTAKE_INTERRUPTED),) if session.in_intake else ()
    return referral.present(session, result, ctx, lead=lead)


def reask(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Re-asks the current question, unless the text is a new inquiry."""
    if (turn := new_inquiry(session, inbound, ctx, free_field=False)) is not None:
        return turn
    return Turn(session, (Reply(texts.NOT_UNDERSTOOD_CHOICE), ask(session.step, session, ctx)))


# --- handlers ----------------------------------------------------------------------------------
def start(session: Session, ctx: Context, service_ids: tuple[str, ...] | None = None, *,
          joint: bool | None = None) -> Turn:
    """Explains what will be sent, to whom, for how long; asks 同意する or やめる."""
    ids = session.service_ids if service_ids is None else service_ids
    anonymous = session.anonymous or any(s in ctx.anonymous_services for s in ids)
    nxt = session.to(Step.CONSENT, service_ids=ids, joint=session.joint if joint is None else joint,
                     anonymous=anonymous, resume=None, editing=False, draft=Draft())
    return Turn(nxt, (ask(Step.CONSENT, nxt, ctx),))


def consent(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Records the intake consent with the exact text shown; asks who the concern is about."""
    choice = picked(inbound, CONSENT_CHOICES)
    if choice is None and is_word(inbound, texts.WORDS_YES):
        choice = "consent:yes"
    if choice is None and is_word(inbound, texts.WORDS_NO):
        choice = "consent:no"
    if choice == "consent:no":
        return Turn(session.reset(), (Reply(texts.CONSENT_REFUSED, (Choice(texts.L_OTHER, "card:other"),)),))
    if choice != "consent:yes":
        return reask(session, inbound, ctx)
    shown = consent_text(session, ctx)
    nxt = session.with_draft(intake_consent_at=ctx.now.isoformat(), intake_consent_sha=texts.consent_sha256(shown))
    return go(nxt, Step.ABOUT, ctx)


def about(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Records whom the concern is about; asks for the summary."""
    choice = picked(inbound, ABOUT_CHOICES)
    if choice is None:
        return reask(session, inbound, ctx)
    return go(session.with_draft(about=choice.split(":", 1)[1]), Step.SUMMARY, ctx)


def summary(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Records the summary in the person's own words; asks how to make contact."""
    text = (inbound.text or "").strip()
    if not text:
        return Turn(session, (Reply(texts.SUMMARY_EMPTY),))
    if len(text) > ctx.summary_limit:
        return Turn(session, (Reply(texts.SUMMARY_TOO_LONG.format(limit=ctx.summary_limit)),))
    return go(session.with_draft(summary=text), Step.CONTACT, ctx)


def contact(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Records the contact method; asks for the phone number, the times or the name."""
    allowed = CONTACT_CHOICES_ANON if session.anonymous else CONTACT_CHOICES
    choice = picked(inbound, allowed)
    if choice is None and is_word(inbound, texts.WORDS_CONTACT_CHAT):
        choice = "contact:chat"
    if choice is None and not session.anonymous and (number := normalise_phone(inbound.text or "")):
        nxt = session.with_draft(contact="phone", phone=number)      # typed the number straight away
        if session.editing and session.draft.times is not None:
            return go(nxt, Step.PREVIEW, ctx)
        return Turn(nxt.to(Step.TIMES), (ask(Step.TIMES, nxt, ctx),))
    if choice is None:
        return reask(session, inbound, ctx)
    method = choice.split(":", 1)[1]
    nxt = session.with_draft(contact=method, phone=None if method != "phone" else session.draft.phone,
                             times=None if method == "none" else session.draft.times)
    step = after_contact(nxt)
    if session.editing and method == "phone":
        return Turn(nxt.to(Step.PHONE), (ask(Step.PHONE, nxt, ctx),))
    return go(nxt, step, ctx)


PHONE_RE = re.compile(r"^0(\d{9,10})$")


def normalise_phone(raw: str) -> str | None:
    """A Japanese phone number as digits (0AB-J or 070/080/090/050, 0120/0800), or None."""
    text = unicodedata.normalize("NFKC", raw).strip()
    text = re.sub(r"[\s\-‐‑–—ー−()（）]", "", text)
    if text.startswith("+81"):
        text = "0" + text[3:].lstrip("0")
    if not PHONE_RE.match(text):
        return None
    if text.startswith("00"):
        return None
    if len(text) == 11 and not text.startswith(("070", "080", "090", "050", "060", "020", "0800")):
        return None
    if len(text) == 10 and text[:3] in ("070", "080", "090", "050"):
        return None
    return text


def phone(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Records a validated Japanese phone number; asks for preferred times."""
    if picked(inbound, PHONE_ALTERNATIVES) is not None:
        return contact(session, inbound, ctx)
    number = normalise_phone(inbound.text or "")
    if number is None:
        if inbound.text and not re.search(r"\d", unicodedata.normalize("NFKC", inbound.text)):
            if (turn := new_inquiry(session, inbound, ctx, free_field=False)) is not None:
                return turn
        return Turn(session, (Reply(texts.PHONE_INVALID),))
    nxt = session.with_draft(phone=number)
    if session.editing and session.draft.times is not None:
        return go(nxt, Step.PREVIEW, ctx)
    return Turn(nxt.to(Step.TIMES, editing=session.editing), (ask(Step.TIMES, nxt, ctx),))


def times(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Records the preferred times (optional); asks for a name or the meeting consent."""
    if inbound.payload == "skip" or is_word(inbound, texts.WORDS_SKIP):
        value = None
    elif inbound.text and inbound.text.strip():
        if (turn := new_inquiry(session, inbound, ctx, free_field=True)) is not None:
            return turn
        value = inbound.text.strip()[:200]
    else:
        return Turn(session, (ask(Step.TIMES, session, ctx),))
    return go(session.with_draft(times=value), after_times(session), ctx)


def name(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Records an optional name; asks for the meeting consent."""
    if inbound.payload == "skip" or is_word(inbound, texts.WORDS_SKIP):
        value = None
    elif inbound.text and inbound.text.strip():
        turn = new_inquiry(session, inbound, ctx, free_field=True)
        if turn is not None:
            return turn
        value = inbound.text.strip()[:60]
    else:
        return Turn(session, (ask(Step.NAME, session, ctx),))
    return go(session.with_draft(name=value), Step.MEETING, ctx)


def meeting(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Records the separate consent to share with the 重層的支援会議; shows the preview."""
    choice = picked(inbound, MEETING_CHOICES)
    if choice is None and is_word(inbound, texts.WORDS_NO):
        choice = "meeting:no"
    if choice is None:
        return reask(session, inbound, ctx)
    yes = choice == "meeting:yes"
    nxt = session.with_draft(meeting_consent=yes,
                             meeting_consent_at=ctx.now.isoformat() if yes else None,
                             meeting_consent_sha=texts.consent_sha256(texts.MEETING_CONSENT) if yes else None)
    return go(nxt, Step.PREVIEW, ctx)


def preview(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Files the ticket on 送る; lets the person edit or stop."""
    choice = picked(inbound, PREVIEW_CHOICES)
    if choice is None and is_word(inbound, texts.WORDS_YES):
        choice = "preview:send"
    if choice == "preview:edit":
        return Turn(session.to(Step.EDIT), (ask(Step.EDIT, session, ctx),))
    if choice == "preview:stop":
        return Turn(session.reset(), (Reply(texts.INTAKE_STOPPED),))
    if choice != "preview:send":
        return reask(session, inbound, ctx)
    return Turn(session.reset(), (), (ticket(session, ctx),))


def edit(session: Session, inbound: Inbound, ctx: Context) -> Turn:
    """Records which field to change; asks it again (then back to the preview)."""
    choice = picked(inbound, edit_choices(session))
    if choice is None:
        return reask(session, inbound, ctx)
    step = {"about": Step.ABOUT, "summary": Step.SUMMARY, "contact": Step.CONTACT, "times": Step.TIMES,
            "name": Step.NAME, "meeting": Step.MEETING}[choice.split(":", 1)[1]]
    nxt = session.to(step, editing=True)
    return Turn(nxt, (ask(step, nxt, ctx),))


def ticket(session: Session, ctx: Context) -> CreateTicket:
    """The ticket to open, with both consent receipts."""
    d = session.draft
    desk_ids = desks(session, ctx)
    fields: list[str] = []
    for sid in session.service_ids:
        try:
            fields += [f.value for f in ctx.catalogue.service(sid).fields if f.value not in fields]
        except KeyError:
            pass
    intake_consent = ConsentGiven("intake", texts.CONSENT_TEXT_VERSION, d.intake_consent_sha or "",
                                  d.intake_consent_at or ctx.now.isoformat(), desk_ids)
    meeting_consent = (ConsentGiven("meeting_share", texts.MEETING_CONSENT_TEXT_VERSION, d.meeting_consent_sha or "",
                                    d.meeting_consent_at or ctx.now.isoformat(), desk_ids)
                       if d.meeting_consent else None)
    return CreateTicket(
        user_key=session.user_key, channel=session.channel, desk=desk_ids[0] if desk_ids else "",
        service_ids=session.service_ids, fields=tuple(fields), about=texts.ABOUT_LABELS.get(d.about or ""),
        summary=d.summary or "",
        contact_method=d.contact or "chat", phone=None if session.anonymous else d.phone,
        preferred_times=d.times, name=None if session.anonymous else d.name, anonymous=session.anonymous,
        crisis=session.crisis, routing=dict(session.routing), intake_consent=intake_consent,
        meeting_consent=meeting_consent)


def filed(ref: str, contact_method: str) -> tuple[Reply, ...]:
    """What the person sees once the ticket is stored."""
    follow = {"phone": texts.FILED_PHONE, "chat": texts.FILED_CHAT}.get(contact_method, texts.FILED_NONE)
    return (Reply(texts.FILED.format(ref=ref) + "\n" + follow),
            Reply(texts.FILED_STATUS_HINT, (Choice(texts.L_STATUS, "cmd:status"), Choice(texts.L_OTHER, "card:other"))))


def resume_prompt(session: Session, ctx: Context) -> Reply:
    return ask(session.step, session, ctx)


__all__ = ["about", "consent", "contact", "edit", "filed", "meeting", "name", "norm", "phone", "preview",
           "start", "summary", "ticket", "times"]
