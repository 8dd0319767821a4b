"""The one way synthetic data draws ratings under a year's rules, shared by the demo province
(assessments.demo.ratings) and the province generator (assessments.demo.generator.ratings).

A level is drawn from weights close to the published results of DOMAIN §6, then capped by
what the pure rules allow (`rules.max_level_for` / `max_organization_level_for`: the caller
asks them, with the facts it holds); the HTXSNV quota is then enforced per round with the
rules' integer arithmetic, and points are drawn inside the band of the level. Every draw
takes a caller's seeded `random.Random`, so the same seed always gives the same data.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate

from ..choices import NotRatedReason, RoundState
from ..rules import LevelCap
from ..schemes import ASSESSMENT_POINTS, Rank, RatingScheme

# Shares close to the published results of DOMAIN §6 (members: ≈ 13% HTXSNV, 80% HTTNV).
MEMBER_WEIGHTS = {Rank.EXCELLENT: 16, Rank.GOOD: 76, Rank.COMPLETE: 6.5, Rank.NOT_COMPLETE: 1.5}
ORGANIZATION_WEIGHTS = {Rank.EXCELLENT: 30, Rank.GOOD: 60, Rank.COMPLETE: 8, Rank.NOT_COMPLETE: 2}
# Points drawn inside the band of the level (M5/O4 from 2025; O5 2014–2017), in tenths.
POINT_RANGES = {
    Rank.EXCELLENT: (900, 985),
    Rank.GOOD: (700, 895),
    Rank.COMPLETE: (500, 695),
    Rank.NOT_COMPLETE: (300, 495),
}
# The year in progress: how its rounds stand, dealt in turn (after a seeded shuffle of the
# organizations) so that every step of the procedure shows up.
CURRENT_STATES = (
    RoundState.DRAFT,
    RoundState.SUBMITTED,
    RoundState.RETURNED,
    RoundState.DECIDED,
    RoundState.SUBMITTED,
    RoundState.DRAFT,
)
EXEMPLARY_SHARE = 0.25  # of the top-rated organizations, where the scheme has the flag


def pick(rng: random.Random, weighted: dict):
    """One key of `weighted`, drawn with its weight (one `rng.random()` per draw).

    The key `rng.choices(keys, weights=values)[0]` gives, from the same running sums and the
    same draw, without its general path (k draws, checks, a result list): ≈ 500,000 draws
    a province year, so a seed draws what it always drew, a little faster.
    """
    keys, running = list(weighted), list(accumulate(weighted.values()))
    total = running[-1] + 0.0
    if not total > 0.0:
        raise ValueError("weights must add up to more than zero")
    return keys[bisect(running, rng.random() * total, 0, len(keys) - 1)]


def points_in_band(rng: random.Random, rank: Rank) -> Decimal:
    low, high = POINT_RANGES[rank]
    return Decimal(rng.randint(low, high)) / 10


def member_rank(rng: random.Random, cap: LevelCap | None) -> tuple[Rank | None, str]:
    """(rank, not-rated reason) of one member: None/reason when the rules exclude them, else a
    drawn rank no higher than the cap. `cap` None: no fact of the member could cap them.

    The rank is drawn for every member, rated or not, so that one member's facts do not shift
    the draws of the others in the round."""
    drawn = pick(rng, MEMBER_WEIGHTS)
    if cap is None:
        return drawn, ""
    if cap.level is None:
        return None, cap.not_rated_reason or NotRatedReason.OTHER
    return min(drawn, cap.rank), ""


def respect_quota(scheme: RatingScheme, ranks: dict, rng: random.Random) -> None:
    """Lower random HTXSNV to HTTNV until the Q1 quota holds (each step adds an HTTNV)."""
    ratio = scheme.quota_ratio
    if ratio is None or not scheme.applies("Q1"):
        return
    excellent = [m for m, r in ranks.items() if r == Rank.EXCELLENT]
    rng.shuffle(excellent)
    good = sum(r == Rank.GOOD for r in ranks.values())
    while excellent and len(excellent) > good * ratio.numerator // ratio.denominator:
        ranks[excellent.pop()] = Rank.GOOD
        good += 1


def member_points(rng: random.Random, scheme: RatingScheme, rank: Rank | None) -> Decimal | None:
    """Points of a member rated `rank`, where the year's scheme scores members."""
    if scheme.member_assessment != ASSESSMENT_POINTS or rank is None:
        return None
    return points_in_band(rng, rank)


@dataclass(frozen=True, slots=True)
class OrganizationDraw:
    level: str  # "" when not rated
    points: Decimal | None = None
    is_exemplary: bool = False
    not_rated_reason: str = ""


def organization_draw(rng: random.Random, scheme: RatingScheme, cap: LevelCap) -> OrganizationDraw:
    """An organization's level under `cap` (its rules' answer), with points and the exemplary
    flag where the year's scheme has them."""
    if cap.level is None:
        reason = cap.not_rated_reason or NotRatedReason.NEWLY_ESTABLISHED
        return OrganizationDraw(level="", not_rated_reason=reason)
    rank = min(pick(rng, ORGANIZATION_WEIGHTS), cap.rank)
    points = None
    if scheme.organization_assessment == ASSESSMENT_POINTS:
        points = points_in_band(rng, rank)
    exemplary = (
        scheme.has_exemplary_flag and rank == Rank.EXCELLENT and rng.random() < EXEMPLARY_SHARE
    )
    return OrganizationDraw(
        level=scheme.organization_level_at(rank).slug, points=points, is_exemplary=exemplary
    )
