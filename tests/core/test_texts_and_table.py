"""Texts, the handler table and its diagram, hours, and the phone validator."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.catalogue.model import Hours
from bot.core import texts
from bot.core.dialogue import FALLBACKS, HANDLERS
from bot.core.hours import JST, open_state
from bot.core.session import Step
from bot.handlers.intake import normalise_phone

MMD = Path(__file__).resolve().parents[2] / "bot" / "core" / "dialogue.mmd"
PROV = {"source": "test", "checked": "2026-01-01", "confidence": "verified"}


def test_every_step_has_a_handler_with_a_docstring_and_is_in_the_diagram() -> None:
    diagram = MMD.read_text(encoding="utf-8")
    assert set(HANDLERS) == set(Step)
    for s, handler in HANDLERS.items():
        assert handler.__doc__, handler.__name__
        assert f" {s.value}" in diagram or f"{s.value} " in diagram, s
    for _matches, handler in FALLBACKS:
        assert handler.__doc__, handler.__name__


def test_labels_fit_line_quick_replies() -> None:
    labels = [v for k, v in vars(texts).items() if k.startswith("L_") and isinstance(v, str)]
    labels += list(texts.L_EDIT_FIELDS.values()) + list(texts.ABOUT_LABELS.values())
    labels += [texts.CONTACT_PHONE_LABEL, texts.CONTACT_CHAT_LABEL, texts.CONTACT_NONE_LABEL]
    labels += list(texts.FIND_FIELD_LABELS.values())
    assert labels and all(0 < len(label) <= 20 for label in labels)


def test_consent_text_versions_pin_the_wording() -> None:
    """Changing a consent text without a new version would break the receipts' meaning."""
    assert (texts.CONSENT_TEXT_VERSION, texts.consent_sha256(texts.CONSENT_EXPLAIN)) == (
        "intake-2026-11-27.2", "0eeb356af3201fc554bd7261d17d3a77c1d1256434dbee03abce430546457b1a")
    assert (texts.MEETING_CONSENT_TEXT_VERSION, texts.consent_sha256(texts.MEETING_CONSENT)) == (
        "meeting-share-2026-11-27", "c5cc802d6725a8de8567f5d95c31fa2e9489e8e519819529d868e7188faa7113")
    assert texts.CONSENT_TEXT_VERSION != texts.MEETING_CONSENT_TEXT_VERSION


@pytest.mark.parametrize(("raw", "digits"), [
    ("0545-55-2757", "0545552757"), ("090-1234-5678", "09012345678"), ("０９０ １２３４ ５６７８", "09012345678"),
    ("+81-90-1234-5678", "09012345678"), ("(0545)55-2757", "0545552757"), ("0120-783-556", "0120783556"),
    ("050-1234-5678", "05012345678"),
])
def test_japanese_numbers_are_accepted(raw: str, digits: str) -> None:
    assert normalise_phone(raw) == digits


@pytest.mark.parametrize("raw", ["110", "12345678", "0545-55-275", "090-1234-56789", "0012-345-6789",
                                 "090-123-4567", "電話はない", "0545-55-2757 まで"])
def test_other_input_is_not_a_phone_number(raw: str) -> None:
    assert normalise_phone(raw) is None


def _hours(**schedule) -> Hours:  # type: ignore[no-untyped-def]
    return Hours.model_validate({"text": "t", "provenance": PROV,
                                 "schedules": [{"provenance": PROV, **schedule}]})


def test_overnight_schedule_is_open_after_midnight() -> None:
    h = _hours(byday=["MO", "TU", "WE", "TH", "FR", "SA", "SU"], opens_at="20:00", closes_at="06:00",
               closed_on_holidays=False, closed_new_year=False)
    state = open_state(h, dt.datetime(2026, 11, 27, 2, 0, tzinfo=JST))
    assert state is not None and state.open_now and state.until == dt.datetime(2026, 11, 27, 6, 0, tzinfo=JST)
    closed = open_state(h, dt.datetime(2026, 11, 27, 12, 0, tzinfo=JST))
    assert closed is not None and not closed.open_now
    assert closed.next_open == dt.datetime(2026, 11, 27, 20, 0, tzinfo=JST)


def test_holidays_and_new_year_close_a_weekday_desk() -> None:
    h = _hours(byday=["MO", "TU", "WE", "TH", "FR"], opens_at="08:30", closes_at="17:15")
    on_holiday = open_state(h, dt.datetime(2026, 11, 3, 10, 0, tzinfo=JST))      # 文化の日 (Tuesday)
    assert on_holiday is not None and not on_holiday.open_now
    new_year = open_state(h, dt.datetime(2027, 1, 2, 10, 0, tzinfo=JST))
    assert new_year is not None and new_year.next_open == dt.datetime(2027, 1, 4, 8, 30, tzinfo=JST)
    always = open_state(Hours.model_validate({"text": "24時間", "always_open": True, "provenance": PROV}),
                        dt.datetime(2027, 1, 1, 3, 0, tzinfo=JST))
    assert always is not None and always.open_now and always.always
    assert open_state(Hours.model_validate({"text": "平日", "provenance": PROV}), dt.datetime.now(JST)) is None
