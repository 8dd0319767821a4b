"""The quota (Q1), and the entry point for a set of member ratings: each member's rules, then the
quota."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence

from assessments.schemes import GROUPED_QUOTA_SCOPES, Rank, RatingScheme

from .ceilings import QuotaCeiling, ceiling_for
from .common import percent_text, violation
from .constants import SEVERITY_WARNING, SubjectId
from .data import (
    MemberFacts,
    MemberRatingInput,
    OrganizationRatingInput,
    QuotaCount,
    QuotaException,
    Violation,
)
from .members import check_member_rating


def quota_counts(
    scheme: RatingScheme,
    ratings: Iterable[MemberRatingInput | OrganizationRatingInput],
    *,
    ceilings: Iterable[QuotaCeiling] = (),
    organizations: bool = False,
) -> list[QuotaCount]:
    """HTTNV and HTXSNV per quota scope, and the HTXSNV allowed (integers, rounded down).

    A recorded ceiling decision (≤ 25%, rules.ceilings) replaces the ratio of the scope it
    covers. `organizations`: the ratings are collectives' (the scheme's organization levels).
    """
    base = scheme.quota_ratio
    if base is None:
        return []
    ceilings = list(ceilings)
    is_level = scheme.is_organization_level if organizations else scheme.is_member_level
    by_group = scheme.quota_scope in GROUPED_QUOTA_SCOPES
    tallies: dict[tuple[SubjectId | None, str | None], list[int]] = {}
    for rating in ratings:
        tally = tallies.setdefault(
            (rating.organization_id, rating.group if by_group else None), [0, 0]
        )
        if rating.level is not None and is_level(rating.level):
            rank = scheme.level(rating.level).rank
            tally[0] += rank == Rank.GOOD
            tally[1] += rank == Rank.EXCELLENT
    counts = []
    for (org, group), (good, excellent) in tallies.items():
        ceiling = ceiling_for(ceilings, org, group)
        ratio = ceiling.ratio if ceiling else base
        counts.append(
            QuotaCount(
                organization_id=org,
                group=group,
                good=good,
                excellent=excellent,
                max_excellent=good * ratio.numerator // ratio.denominator,
                ratio=ratio,
                ceiling=ceiling,
            )
        )
    return counts


def quota_violations(
    scheme: RatingScheme,
    ratings: Iterable[MemberRatingInput | OrganizationRatingInput],
    *,
    quota_exceptions: Iterable[QuotaException] = (),
    ceilings: Iterable[QuotaCeiling] = (),
    organizations: bool = False,
) -> list[Violation]:
    """Q1: HTXSNV may not exceed the quota ratio of HTTNV within each scope.

    A matching justified exception turns the error into a warning: it is lifted, not hidden.
    A ceiling decision (2025–) raises the ratio itself and is named in the message.
    """
    if not scheme.applies("Q1") or scheme.quota_ratio is None:
        return []
    exceptions = list(quota_exceptions)
    at = scheme.organization_level_at if organizations else scheme.member_level_at
    excellent, good = at(Rank.EXCELLENT).label, at(Rank.GOOD).label
    who = "tổ chức đảng" if organizations else "đảng viên"
    violations = []
    counts = quota_counts(scheme, ratings, ceilings=ceilings, organizations=organizations)
    for count in counts:
        if not count.exceeded:
            continue
        where = f" trong nhóm «{count.group}»" if count.group else ""
        text = (
            f"Vượt tỷ lệ{where}: tối đa {count.max_excellent} {who} {excellent} "
            f"({percent_text(count.ratio)} của {count.good} {good}), "
            f"đề nghị {count.excellent}"
        )
        if count.ceiling is not None:
            text += f" ({count.ceiling.describe()})"
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
    quota_ceilings: Iterable[QuotaCeiling] = (),
    quota_only: Iterable[MemberRatingInput] = (),
) -> list[Violation]:
    """The entry point for a set of member ratings: each member's rules, then the quota.

    `ratings` is the whole set the quota is counted over (one grassroots organization, or more
    told apart by `organization_id`). A rating without facts is a programming error.
    `quota_only`: ratings of other units counted in the same peer groups (2025–), whose own
    rules are not checked here.
    """
    violations: list[Violation] = []
    for rating in ratings:
        if rating.member_id not in facts_by_member:
            raise ValueError(f"No facts for member {rating.member_id!r}")
        facts = facts_by_member[rating.member_id]
        violations.extend(check_member_rating(scheme, facts, rating, period_end=period_end))
    violations.extend(
        quota_violations(
            scheme,
            [*ratings, *quota_only],
            quota_exceptions=quota_exceptions,
            ceilings=quota_ceilings,
        )
    )
    return violations


def organization_quota_violations(
    scheme: RatingScheme,
    ratings: Iterable[OrganizationRatingInput],
    *,
    ceilings: Iterable[QuotaCeiling] = (),
) -> list[Violation]:
    """The quota over collectives (2025–, Quy định 366 Điều 11): HTXSNV organizations may
    not exceed the ratio of those rated HTTNV within each scope (the deciding level, or a
    peer group of organizations it formed)."""
    if not scheme.applies("O4"):
        return []
    return quota_violations(scheme, ratings, ceilings=ceilings, organizations=True)
