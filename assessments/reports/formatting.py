"""Text and numbers as the printed reports write them (Vietnamese: 1.700 and 87,50), in one home
for the report context, the bodies and the Excel twin."""

from __future__ import annotations

import datetime
import unicodedata
from decimal import Decimal

from django.utils import timezone


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def upper(text: str) -> str:
    return nfc(text).upper()


def fmt_int(n: int | None) -> str:
    return "–" if n is None else f"{n:,}".replace(",", ".")


def fmt_pct(value: Decimal | None) -> str:
    return "–" if value is None else f"{value:.2f}".replace(".", ",")


def fmt_date(day: datetime.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def fmt_datetime(moment: datetime.datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y")


def date_line(place: str, day: datetime.date) -> str:
    """ "Vị Thắng, ngày 15 tháng 12 năm 2025" (Hướng dẫn 36-HD/VPTW)."""
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def level_short(scheme, slug: str) -> str:
    """The short form of a level (HTTNV…) for a table cell; an unknown slug shows as stored,
    none as "". `scheme` is an assessments.schemes.RatingScheme."""
    if not slug:
        return ""
    try:
        return scheme.level(slug).short
    except ValueError:
        return slug
