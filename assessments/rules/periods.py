"""Dates of the rating period: its end, the 6-month test (M3, O6), sick leave, disciplines."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable

from .constants import EVENT_DISCIPLINE, EVENT_SICK_LEAVE, NEW_SUBJECT_MONTHS
from .data import EventFact


def default_period_end(year: int) -> datetime.date:
    """The rating period ends on 31/12 of the rating year unless the year's plan says otherwise."""
    return datetime.date(year, 12, 31)


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


def sick_leave_days(events: Iterable[EventFact], *, year: int) -> int:
    """Days of sick leave in `year`: periods clipped to the year, overlapping days counted once."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    spans = sorted(
        (max(e.start, first), min(e.end or last, last))
        for e in events
        if e.kind == EVENT_SICK_LEAVE and e.start <= last and (e.end or last) >= first
    )
    total, covered_to = 0, first - datetime.timedelta(days=1)
    for start, end in spans:
        start = max(start, covered_to + datetime.timedelta(days=1))
        if start <= end:
            total += (end - start).days + 1
            covered_to = end
    return total


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
