"""Open now / next opens, from structured weekly schedules, Japanese public holidays and 年末年始.

Pure: the time is passed in. Holidays come from the ``holidays`` package (JP), computed per year
on first use and cached (no work at import time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.catalogue.model import Hours, Schedule
from bot.catalogue.public import PublicHours

JST = ZoneInfo("Asia/Tokyo")
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_JA = "月火水木金土日"


@lru_cache(maxsize=8)
def _jp_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("JP", years=year).keys())


def is_holiday(day: dt.date) -> bool:
    return day in _jp_holidays(day.year)


def is_new_year_break(day: dt.date) -> bool:
    """年末年始: 12月29日から1月3日まで."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


@dataclass(frozen=True, slots=True)
class OpenState:
    always: bool = False
    open_now: bool = False
    until: dt.datetime | None = None       # when open now: closing time (JST)
    next_open: dt.datetime | None = None   # when closed: next opening (JST)


def _time(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=JST) + dt.timedelta(hours=h, minutes=m)


def _intervals(schedule: Schedule, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    if DAY_CODES[day.weekday()] not in schedule.byday:
        return None
    if schedule.closed_on_holidays and is_holiday(day):
        return None
    if schedule.closed_new_year and is_new_year_break(day):
        return None
    start, end = _time(day, schedule.opens_at), _time(day, schedule.closes_at)
    if end <= start:                     # past midnight
        end += dt.timedelta(days=1)
    return start, end


def open_state(hours: Hours | PublicHours, now: dt.datetime, horizon_days: int = 21) -> OpenState | None:
    """Whether the desk is open at ``now``; None when the hours have no structured schedule."""
    if hours.always_open:
        return OpenState(always=True, open_now=True)
    if not hours.schedules:
        return None
    local = now.astimezone(JST)
    best: dt.datetime | None = None
    for offset in range(-1, horizon_days + 1):
        day = local.date() + dt.timedelta(days=offset)
        for schedule in hours.schedules:
            span = _intervals(schedule, day)
            if span is None:
                continue
            start, end = span
            if start <= local < end:
                return OpenState(open_now=True, until=end)
            if start > local and (best is None or start < best):
                best = start
    return OpenState(next_open=best)


def format_when(moment: dt.datetime, now: dt.datetime) -> str:
    """「今日 13:00」「明日 8:30」「12月1日(月) 8:30」 in JST."""
    local, today = moment.astimezone(JST), now.astimezone(JST).date()
    clock = f"{local.hour}:{local.minute:02d}"
    if local.date() == today:
        return f"今日 {clock}"
    if local.date() == today + dt.timedelta(days=1):
        return f"明日 {clock}"
    return f"{local.month}月{local.day}日({WEEKDAY_JA[local.weekday()]}) {clock}"


def format_clock(moment: dt.datetime) -> str:
    local = moment.astimezone(JST)
    if local.hour == 0 and local.minute == 0:
        return "24:00"
    return f"{local.hour}:{local.minute:02d}"
