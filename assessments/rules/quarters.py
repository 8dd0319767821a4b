"""How a member's quarterly self-assessments (Mẫu 05) feed the year (pure, no database).

Hướng dẫn 43 asks for the self-assessment by quarter and by year, the quarters feeding the
year; it does not fix the arithmetic. Practice in the provinces' guidance is the average of
the four quarters' points, which then falls in the year's points bands (M5). The suggestion is
made only when every quarter has its points: three quarters are not a year, and the form says
which are missing instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from assessments.schemes import Rank

from .common import points_rank

QUARTERS = (1, 2, 3, 4)
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True, kw_only=True)
class QuartersSummary:
    """What the quarters of a year add up to: the average and its band, or what is missing."""

    points: dict[int, Decimal]  # quarter → points, for the quarters that have them
    missing: tuple[int, ...]  # quarters without points, in order
    average: Decimal | None  # all four quarters' mean, to 2 decimals (half up)
    rank: Rank | None  # the band of the average (M5)

    @property
    def complete(self) -> bool:
        return not self.missing


def year_from_quarters(points_by_quarter: Mapping[int, Decimal | None]) -> QuartersSummary:
    """The year's suggestion from the quarters' points (quarters 1–4; None = not entered)."""
    unknown = set(points_by_quarter) - set(QUARTERS)
    if unknown:
        raise ValueError(f"Quarters are 1–4, got {sorted(unknown)}")
    points = {q: Decimal(p) for q in QUARTERS if (p := points_by_quarter.get(q)) is not None}
    missing = tuple(q for q in QUARTERS if q not in points)
    if missing:
        return QuartersSummary(points=points, missing=missing, average=None, rank=None)
    average = (sum(points.values()) / len(QUARTERS)).quantize(_CENT, rounding=ROUND_HALF_UP)
    return QuartersSummary(points=points, missing=(), average=average, rank=points_rank(average))
