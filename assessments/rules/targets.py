"""Where an indicator stands against its target (Resolution 22 dashboard, DOMAIN §6).

Pure: plain numbers in, a status out. The trajectory is the straight line from the baseline
(year, value) to the target (year, value); Decimal arithmetic, no floats.

- met ("đạt"): the value has reached the target in the better direction (any year);
- on track ("đúng hướng"): before the target year, at or beyond the trajectory's value for
  the year;
- at risk ("có nguy cơ"): before the target year, behind the trajectory but better than the
  baseline (moving the right way, too slowly); also any shortfall before the target year when
  no baseline is recorded (nothing to measure progress from);
- not met ("chưa đạt"): the target year is reached or past and the target is not, or, before
  it, the value is no better than the baseline (no progress at all).

A cascaded target split by counts uses `split_target`: largest remainders, so the parts add up
exactly to the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

STATUS_MET = "met"
STATUS_ON_TRACK = "on_track"
STATUS_AT_RISK = "at_risk"
STATUS_NOT_MET = "not_met"
STATUSES = (STATUS_MET, STATUS_ON_TRACK, STATUS_AT_RISK, STATUS_NOT_MET)
BETTER_HIGHER = "higher"
BETTER_LOWER = "lower"


@dataclass(frozen=True, slots=True)
class TargetPath:
    """A target with its optional baseline; `better` is "higher" or "lower"."""

    better: str
    target_year: int
    target_value: Decimal
    baseline_year: int | None = None
    baseline_value: Decimal | None = None


def _at_least(value: Decimal, bound: Decimal, better: str) -> bool:
    """Whether `value` is at or beyond `bound` in the better direction."""
    return value >= bound if better == BETTER_HIGHER else value <= bound


def trajectory_value(path: TargetPath, year: int) -> Decimal | None:
    """The value the straight line from baseline to target expects in `year` (None without a
    usable baseline). Before the baseline year it is the baseline; after the target year the
    target."""
    if path.baseline_year is None or path.baseline_value is None:
        return None
    if path.target_year <= path.baseline_year:
        return path.target_value
    year = min(max(year, path.baseline_year), path.target_year)
    share = Decimal(year - path.baseline_year) / Decimal(path.target_year - path.baseline_year)
    return path.baseline_value + (path.target_value - path.baseline_value) * share


def target_status(path: TargetPath, *, year: int, value: Decimal | None) -> str | None:
    """The status of `value` in `year` against `path` (None when there is no value)."""
    if value is None:
        return None
    if _at_least(value, path.target_value, path.better):
        return STATUS_MET
    if year >= path.target_year:
        return STATUS_NOT_MET
    expected = trajectory_value(path, year)
    if expected is None:
        return STATUS_AT_RISK
    if _at_least(value, expected, path.better):
        return STATUS_ON_TRACK
    baseline = path.baseline_value
    moved = value > baseline if path.better == BETTER_HIGHER else value < baseline
    return STATUS_AT_RISK if moved else STATUS_NOT_MET


def rate_shortfall(
    *, numerator: int, denominator: int, target_percent: Decimal, better: str
) -> Decimal:
    """How many counted items a unit lacks (or has too many of, for "lower is better") to be
    at the target rate itself: its share of the gap. Zero or negative: the unit is at or
    beyond the target."""
    needed = target_percent * denominator / 100
    return needed - numerator if better == BETTER_HIGHER else numerator - needed


def split_target(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainders): the parts add up to
    `total`; all-zero weights split evenly."""
    if not weights:
        return []
    if not any(weights):
        weights = [1] * len(weights)
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(parts)]:
        parts[i] += 1
    return parts
