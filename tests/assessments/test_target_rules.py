"""The status of an indicator against its target, the gap shares and target splits (pure)."""

from decimal import Decimal as D

import pytest

from assessments.rules import (
    STATUS_AT_RISK,
    STATUS_MET,
    STATUS_NOT_MET,
    STATUS_ON_TRACK,
    TargetPath,
    rate_shortfall,
    split_target,
    target_status,
    trajectory_value,
)

UP = TargetPath("higher", 2030, D(90), 2020, D(80))  # +1 point a year expected
DOWN = TargetPath("lower", 2030, D(1), 2020, D(3))  # weak organizations: lower is better


@pytest.mark.parametrize(
    ("path", "year", "value", "status"),
    [
        (UP, 2025, D(90), STATUS_MET),  # reached early
        (UP, 2025, D("85.00"), STATUS_ON_TRACK),  # exactly on the line
        (UP, 2025, D("84.99"), STATUS_AT_RISK),  # behind the line, past the baseline
        (UP, 2025, D("80.01"), STATUS_AT_RISK),
        (UP, 2025, D(80), STATUS_NOT_MET),  # no progress from the baseline
        (UP, 2025, D(79), STATUS_NOT_MET),  # worse than the baseline
        (UP, 2030, D("89.99"), STATUS_NOT_MET),  # target year, not reached
        (UP, 2031, D(95), STATUS_MET),
        (UP, 2019, D(80), STATUS_ON_TRACK),  # before the baseline year: the line is the baseline
        (DOWN, 2025, D(2), STATUS_ON_TRACK),
        (DOWN, 2025, D("2.01"), STATUS_AT_RISK),
        (DOWN, 2025, D(3), STATUS_NOT_MET),
        (DOWN, 2026, D(1), STATUS_MET),
        (DOWN, 2030, D("1.5"), STATUS_NOT_MET),
    ],
)
def test_target_status_follows_the_trajectory(path, year, value, status):
    """Đạt / đúng hướng / có nguy cơ / chưa đạt from the line between baseline and target."""
    assert target_status(path, year=year, value=value) == status


def test_target_status_without_baseline_or_value():
    """No baseline: a shortfall before the target year is at risk; no value: no status."""
    path = TargetPath("higher", 2030, D(90))
    assert target_status(path, year=2026, value=D(70)) == STATUS_AT_RISK
    assert target_status(path, year=2026, value=D(91)) == STATUS_MET
    assert target_status(path, year=2030, value=D(70)) == STATUS_NOT_MET
    assert target_status(path, year=2026, value=None) is None


def test_trajectory_value_is_linear_and_clamped():
    assert trajectory_value(UP, 2023) == D(83)
    assert trajectory_value(UP, 2040) == D(90)
    assert trajectory_value(TargetPath("higher", 2030, D(90)), 2025) is None
    assert trajectory_value(TargetPath("higher", 2020, D(90), 2020, D(80)), 2020) == D(90)


def test_rate_shortfall_is_the_units_share_of_the_gap():
    """A unit of 40 with 30 good needs 36 at 90%: 6 short; beyond the target is negative."""
    assert rate_shortfall(numerator=30, denominator=40, target_percent=D(90), better="higher") == 6
    assert rate_shortfall(numerator=39, denominator=40, target_percent=D(90), better="higher") < 0
    # Lower is better: 3 weak of 50 against 2% (1 allowed) is 2 too many.
    assert rate_shortfall(numerator=3, denominator=50, target_percent=D(2), better="lower") == 2


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (10, [1, 1, 1], [4, 3, 3]),
        (100, [50, 30, 20], [50, 30, 20]),
        (7, [0, 0], [4, 3]),
        (0, [5, 5], [0, 0]),
        (5, [], []),
    ],
)
def test_split_target_adds_up(total, weights, parts):
    """A count target split by weights: largest remainders, the parts sum to the whole."""
    assert split_target(total, weights) == parts
    assert sum(parts) == (total if weights else 0)
