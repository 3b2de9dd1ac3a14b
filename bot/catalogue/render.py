"""Plain-text previews for ``scrum-bot catalogue show``: an entry as a resident would see it.

Only what bot.catalogue.public lets through (verified facts) is printed. These are previews for
staff at a terminal; the bot's own wording lives in bot/core/texts.py.
"""

from __future__ import annotations

from bot.catalogue.model import Catalogue
from bot.catalogue.public import (
    PublicContact,
    PublicCrisisLine,
    PublicHours,
    PublicPhone,
    public_contacts,
    public_crisis_line,
    public_department,
)

NO_VERIFIED = "（確認できた連絡先はありません）"
FALLBACK_NOTE = "くわしい連絡先を確認中です。こちらにご相談ください。"


def _phone(p: PublicPhone) -> str:
    kind = "FAX" if p.type == "fax" else "電話"
    return f"  {kind} {p.number}" + (f"（{p.label}）" if p.label else "")


def _hours(h: PublicHours | None) -> list[str]:
    if h is None:
        return []
    return [f"  受付 {h.text}" + ("（24時間）" if h.always_open and "24" not in h.text else "")]


def _contact(c: PublicContact) -> list[str]:
    head = f"■ {c.name}"
    lines = [head]
    if c.kind == "fallback":
        lines.append(f"  {FALLBACK_NOTE}")
    lines += [_phone(p) for p in c.phones]
    if c.address:
        lines.append(f"  住所 {c.address}")
    lines += _hours(c.hours)
    return lines


def render_service(cat: Catalogue, service_id: str) -> str:
    """A service: name, plain description, who it is for, and its verified contacts (or the fallback desk)."""
    s = cat.service(service_id)
    lines = [s.name + (f"（{s.reading}）" if s.reading else ""), "", s.description.strip()]
    if s.eligibility_description:
        lines += ["", f"対象: {s.eligibility_description}"]
    if s.minimum_age is not None or s.maximum_age is not None:
        lo = "" if s.minimum_age is None else f"{s.minimum_age}歳"
        hi = "" if s.maximum_age is None else f"{s.maximum_age}歳"
        lines.append(f"年齢: おおむね {lo}〜{hi}")
    contacts = public_contacts(cat, service_id)
    lines += ["", "連絡先:"]
    if not contacts:
        lines.append(NO_VERIFIED)
    for c in contacts:
        lines += _contact(c)
    return "\n".join(lines)


def render_department(cat: Catalogue, dept_id: str) -> str:
    d = cat.department(dept_id)
    lines = [d.name + (f"（{d.reading}）" if d.reading else "")]
    if d.role:
        lines += ["", d.role]
    contact = public_department(cat, dept_id)
    lines += ["", "連絡先:"]
    lines += _contact(contact)[1:] if contact else [NO_VERIFIED]
    return "\n".join(lines)


def render_crisis_line(cat: Catalogue, line_id: str) -> str:
    line = cat.crisis_line(line_id)
    shown: PublicCrisisLine | None = public_crisis_line(line)
    if shown is None:
        return f"{line.name}\n（確認できた番号がないため、住民には表示しません）"
    lines = [shown.name]
    if shown.for_whom:
        lines.append(shown.for_whom)
    lines += [_phone(p) for p in shown.phones]
    lines += _hours(shown.hours)
    if shown.anonymous:
        lines.append("  名前を言わずに相談できます")
    return "\n".join(lines)


def render_any(cat: Catalogue, entry_id: str) -> str:
    """A service, department or crisis line by id; KeyError when none has that id."""
    for ids, render in (({s.id for s in cat.services}, render_service),
                        ({d.id for d in cat.departments}, render_department),
                        ({c.id for c in cat.crisis_lines}, render_crisis_line)):
        if entry_id in ids:
            return render(cat, entry_id)
    raise KeyError(entry_id)
