"""What every rule family shares: dates and numbers as the messages write them, the points
bands, a cap reason, an error violation, and the not-rated check of M3/O6."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from assessments.schemes import Rank, RatingScheme

from .constants import (
    NOT_RATED_LABELS,
    NOT_RATED_OTHER,
    POINT_BANDS,
    SEVERITY_WARNING,
    SubjectId,
)
from .data import CapReason, LevelCap, Violation


def day_text(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


def number_text(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f").replace(".", ",")


def percent_text(ratio: Fraction) -> str:
    """A share as the screens and messages write it: "20%", "12,5%", "33,33%"."""
    hundred = ratio * 100
    if hundred.denominator == 1:
        return f"{hundred.numerator}%"
    return number_text(round(Decimal(hundred.numerator) / hundred.denominator, 2)) + "%"


def as_points(points: Decimal | int | float) -> Decimal:
    # str() keeps what was typed: Decimal(89.99) would be 89.98999…
    return points if isinstance(points, Decimal) else Decimal(str(points))


def points_rank(points: Decimal) -> Rank:
    return next((rank for floor, rank in POINT_BANDS if points >= floor), Rank.NOT_COMPLETE)


def cap_reason(
    scheme: RatingScheme, code: str, rank: Rank, why: str, *, org: bool = False
) -> CapReason:
    level = (scheme.organization_level_at if org else scheme.member_level_at)(rank)
    most = "" if rank == Rank.NOT_COMPLETE else "tối đa "
    return CapReason(code=code, rank=rank, message=f"{why}: chỉ được xếp loại {most}{level.label}")


def violation(code: str, subject_id: SubjectId | None, message: str) -> Violation:
    return Violation(code=code, subject_id=subject_id, message=message)


def over_cap(
    scheme: RatingScheme, cap: LevelCap, slug: str, subject_id: SubjectId
) -> list[Violation]:
    """One violation per rule whose cap is below the proposed level."""
    rated = scheme.level(slug)
    return [
        violation(
            r.code,
            subject_id,
            f"{r.message}, không được xếp loại {rated.label} — {scheme.citation}",
        )
        for r in cap.reasons
        if r.rank < rated.rank
    ]


def not_rated_violations(
    *,
    code: str,
    subject_id: SubjectId,
    reason: str | None,
    note: str,
    problems: Mapping[str, str | None],
    citation: str,
) -> list[Violation]:
    """M3/O6: a subject left unrated needs a reason, and the facts must support it.

    "Khác" with a note is not one of the reasons of §4.1: it passes as a warning so the deciding
    level sees it.
    """
    if not reason:
        listed = ", ".join(NOT_RATED_LABELS[r].lower() for r in problems)
        return [
            violation(code, subject_id, f"Không xếp loại phải ghi lý do ({listed}) — {citation}")
        ]
    if reason == NOT_RATED_OTHER:
        if not note.strip():
            return [violation(code, subject_id, f"Lý do «Khác» phải ghi cụ thể — {citation}")]
        message = f"Không xếp loại vì lý do khác: {note.strip()} (cấp có thẩm quyền xem xét)"
        return [
            Violation(
                code=code,
                subject_id=subject_id,
                message=f"{message} — {citation}",
                level=SEVERITY_WARNING,
            )
        ]
    if reason not in problems:
        label = NOT_RATED_LABELS.get(reason, reason)
        return [violation(code, subject_id, f"Lý do «{label}» không áp dụng được — {citation}")]
    problem = problems[reason]
    return [] if problem is None else [violation(code, subject_id, f"{problem} — {citation}")]
