"""The facts every count of ratings shares, in one home: which level counts, the rank maps, and
the dashboard's percent arithmetic. The dashboard (`families`, `grouped`, `tally`) and the
reports (`assessments.reports.selectors`) both import them, so a report's number equals the
dashboard's.

Which level counts (DOMAIN §4.2): a rating counts with its decided level once its round is
decided or published. In an undecided round it is *pending* — left out of the official figures —
unless the caller asks to include proposals, in which case the proposed level counts.
`effective_level` is the ORM form; `grouped` writes the same CASE in SQL for its grouped counts
(tests/assessments/test_indicator_agreement.py keeps the two in step).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, CharField, F, Value, When

from .. import schemes
from ..choices import DECIDED_STATES

# The counted level of a rating in an undecided round when proposals are left out.
PENDING = "~pending"
# A rank's counter suffix, best first: HTXSNV, HTTNV, HTNV, KHTNV.
RANK_COUNTERS = {
    schemes.Rank.EXCELLENT: "r3",
    schemes.Rank.GOOD: "r2",
    schemes.Rank.COMPLETE: "r1",
    schemes.Rank.NOT_COMPLETE: "r0",
}
RANKS = tuple(RANK_COUNTERS.values())
# Every level slug of every scheme lined up by rank (pre-2018 TSVM counts as the top level).
RANK_OF_SLUG = {
    lv.slug: lv.rank for s in schemes.SCHEMES for lv in (*s.member_levels, *s.organization_levels)
}
# The same, as the counter suffix ("r3"…"r0") the reports' tables are keyed by.
RANK_KEY_OF_SLUG = {slug: RANK_COUNTERS[rank] for slug, rank in RANK_OF_SLUG.items()}

HUNDRED = Decimal(100)
TWO_PLACES = Decimal("0.01")


def effective_level(include_proposals: bool):
    """SQL for the level that counts (see module docstring): a slug, "" (not rated) or PENDING."""
    return Case(
        When(round__state__in=DECIDED_STATES, then=F("decided_level")),
        default=F("proposed_level") if include_proposals else Value(PENDING),
        output_field=CharField(),
    )


def level_counters(prefix: str, level: str, reason: str) -> list[str]:
    """The counters one rating adds to: rated/rank, or not rated (with its reason), or pending."""
    if level == PENDING:
        return [f"{prefix}.pending"]
    rank = RANK_OF_SLUG.get(level)
    if rank is None:
        return [f"{prefix}.not_rated", f"{prefix}.not_rated.{reason or 'unspecified'}"]
    return [f"{prefix}.rated", f"{prefix}.{RANK_COUNTERS[rank]}"]


def scaled_ratio(part: int, whole: int, scale: Decimal = HUNDRED) -> Decimal | None:
    """part / whole × scale, half-up to 2 places (the dashboard's arithmetic); None over zero."""
    if not whole:
        return None
    return (Decimal(part) * scale / Decimal(whole)).quantize(TWO_PLACES, ROUND_HALF_UP)


def percent_of(part: int, whole: int) -> Decimal | None:
    """part / whole × 100, half-up to 2 places (the dashboard's arithmetic); None over zero."""
    return scaled_ratio(part, whole)
