"""The quota (Q1), and the entry point for a set of member ratings: each member's rules, then the
quota."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence

from assessments.schemes import GROUPED_QUOTA_SCOPES, Rank, RatingScheme

from .common import percent_text, violation
from .constants import SEVERITY_WARNING, SubjectId
from .data import MemberFacts, MemberRatingInput, QuotaCount, QuotaException, Violation
from .members import check_member_rating


def quota_counts(scheme: RatingScheme, ratings: Iterable[MemberRatingInput]) -> list[QuotaCount]:
    """HTTNV and HTXSNV per quota scope, and the HTXSNV allowed (integers, rounded down)."""
    ratio = scheme.quota_ratio
    if ratio is None:
        return []
    by_group = scheme.quota_scope in GROUPED_QUOTA_SCOPES
    tallies: dict[tuple[SubjectId | None, str | None], list[int]] = {}
    for rating in ratings:
        tally = tallies.setdefault(
            (rating.organization_id, rating.group if by_group else None), [0, 0]
        )
        if rating.level is not None and scheme.is_member_level(rating.level):
            rank = scheme.level(rating.level).rank
            tally[0] += rank == Rank.GOOD
            tally[1] += rank == Rank.EXCELLENT
    return [
        QuotaCount(
            organization_id=org,
            group=group,
            good=good,
            excellent=excellent,
            max_excellent=good * ratio.numerator // ratio.denominator,
        )
        for (org, group), (good, excellent) in tallies.items()
    ]


def quota_violations(
    scheme: RatingScheme,
    ratings: Iterable[MemberRatingInput],
    *,
    quota_exceptions: Iterable[QuotaException] = (),
) -> list[Violation]:
    """Q1: HTXSNV may not exceed the quota ratio of HTTNV within each scope.

    A matching justified exception turns the error into a warning: it is lifted, not hidden.
    """
    if not scheme.applies("Q1") or scheme.quota_ratio is None:
        return []
    exceptions = list(quota_exceptions)
    excellent = scheme.member_level_at(Rank.EXCELLENT).label
    good = scheme.member_level_at(Rank.GOOD).label
    violations = []
    for count in quota_counts(scheme, ratings):
        if not count.exceeded:
            continue
        where = f" trong nhóm «{count.group}»" if count.group else ""
        text = (
            f"Vượt tỷ lệ{where}: tối đa {count.max_excellent} đảng viên {excellent} "
            f"({percent_text(scheme.quota_ratio)} của {count.good} {good}), "
            f"đề nghị {count.excellent}"
        )
        exception = next(
            (
                e
                for e in exceptions
                if e.organization_id == count.organization_id and e.group in (None, count.group)
            ),
            None,
        )
        if exception is None:
            violations.append(violation("Q1", count.organization_id, f"{text} — {scheme.citation}"))
        elif (
            exception.allowed_excellent is not None
            and count.excellent > exception.allowed_excellent
        ):
            text += f"; ngoại lệ được chấp thuận chỉ cho phép {exception.allowed_excellent}"
            violations.append(violation("Q1", count.organization_id, f"{text} — {scheme.citation}"))
        else:
            text += (
                f"; ngoại lệ được cấp có thẩm quyền chấp thuận: {exception.justification.strip()}"
            )
            violations.append(
                Violation(
                    code="Q1",
                    subject_id=count.organization_id,
                    message=f"{text} — {scheme.citation}",
                    level=SEVERITY_WARNING,
                )
            )
    return violations


def check_member_ratings(
    scheme: RatingScheme,
    facts_by_member: Mapping[SubjectId, MemberFacts],
    ratings: Sequence[MemberRatingInput],
    *,
    quota_exceptions: Iterable[QuotaException] = (),
    period_end: datetime.date | None = None,
) -> list[Violation]:
    """The entry point for a set of member ratings: each member's rules, then the quota.

    `ratings` is the whole set the quota is counted over (one grassroots organization, or more
    told apart by `organization_id`). A rating without facts is a programming error.
    """
    violations: list[Violation] = []
    for rating in ratings:
        if rating.member_id not in facts_by_member:
            raise ValueError(f"No facts for member {rating.member_id!r}")
        facts = facts_by_member[rating.member_id]
        violations.extend(check_member_rating(scheme, facts, rating, period_end=period_end))
    violations.extend(quota_violations(scheme, ratings, quota_exceptions=quota_exceptions))
    return violations
