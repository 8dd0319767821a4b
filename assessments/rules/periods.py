"""Dates of the rating period: its end, the 6-month test (M3, O6), sick leave, disciplines."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable

from .constants import (
    DAYS_PER_LEFTOVER_MONTH,
    EVENT_DISCIPLINE,
    EVENT_SICK_LEAVE,
    NEW_SUBJECT_MONTHS,
)
from .data import EventFact


def default_period_end(year: int) -> datetime.date:
    """The rating period ends on 31/12 of the rating year unless the year's plan says otherwise."""
    return datetime.date(year, 12, 31)


def year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the rating year `year`."""
    return datetime.date(year, 1, 1), default_period_end(year)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole calendar months, clamped to the month's last day (31/8 − 6 → 28/2)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def is_less_than_six_months(start: datetime.date, *, period_end: datetime.date) -> bool:
    """Whether `start` (admission, establishment) is less than 6 months before the period end.

    The period ends at the end of `period_end` (the start of the next day): a start exactly
    6 calendar months before that instant (1/7 for 31/12) has its full 6 months.
    """
    return start > add_months(period_end + datetime.timedelta(days=1), -NEW_SUBJECT_MONTHS)


def sick_leave_spells(
    events: Iterable[EventFact], *, year: int
) -> list[tuple[datetime.date, datetime.date]]:
    """Sick-leave spells of `year`: clipped to the year, overlapping or touching ones merged."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    spans = sorted(
        (max(e.start, first), min(e.end or last, last))
        for e in events
        if e.kind == EVENT_SICK_LEAVE and e.start <= last and (e.end or last) >= first
    )
    merged: list[tuple[datetime.date, datetime.date]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + datetime.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def sick_leave_days(events: Iterable[EventFact], *, year: int) -> int:
    """Days of sick leave in `year`: periods clipped to the year, overlapping days counted once."""
    return sum((end - start).days + 1 for start, end in sick_leave_spells(events, year=year))


def calendar_months(start: datetime.date, end: datetime.date) -> tuple[int, int]:
    """Whole calendar months from `start` to `end` inclusive, and the days left over.

    01/02–30/04 is (3, 0); 01/02–29/04 is (2, 29); 15/01–14/02 is (1, 0).
    """
    months = 0
    while add_months(start, months + 1) - datetime.timedelta(days=1) <= end:
        months += 1
    return months, (end - add_months(start, months)).days + 1


def sick_leave_months(events: Iterable[EventFact], *, year: int) -> int:
    """Calendar months of sick leave in `year` (M2, DOMAIN §4.3): each merged spell counts
    its whole calendar months from its first day; the days left over are added up."""
    months = leftover = 0
    for start, end in sick_leave_spells(events, year=year):
        whole, days = calendar_months(start, end)
        months, leftover = months + whole, leftover + days
    return months + leftover // DAYS_PER_LEFTOVER_MONTH


def disciplines_in_year(events: Iterable[EventFact], *, year: int) -> list[EventFact]:
    """Discipline events dated in `year`: one violation counts in one year only."""
    return [e for e in events if e.kind == EVENT_DISCIPLINE and e.start.year == year]


def active_event(
    events: Iterable[EventFact], kind: str, first: datetime.date, last: datetime.date
) -> EventFact | None:
    """The first `kind` event whose period meets [first, last], or None."""
    return next(
        (e for e in events if e.kind == kind and e.start <= last and (e.end or last) >= first),
        None,
    )
