"""Read side of the rating workflow: scheme of a year, rounds in scope, the entry grid.

Every user-facing query is scoped through cells.selectors.organizations_visible_to (out of
scope is a 404). The grid reads in bulk: its query count does not grow with the number of
members. The review list of units is `assessments.review.units.review_rows`.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from cells.choices import COMMUNE_LEVEL_TYPES
from cells.models import AuditEntry, Member, Organization
from cells.selectors import cells_under, members_of, organizations_visible_to

from . import rules, schemes
from .choices import EDITABLE_STATES
from .deciders import decider_of
from .facts import member_facts_for
from .models import MemberRating, OrganizationRating, RatingRound, RatingYear
from .peer_groups import quota_context_for

if TYPE_CHECKING:
    from .services import RowInput

NOT_STARTED = "not_started"


# === Year settings and schemes ================================================================
def year_setting(year: int) -> RatingYear | None:
    """The administrator's settings of `year` (deadline, quota overrides), if any."""
    return RatingYear.objects.filter(year=year).first()


def with_quota_overrides(
    scheme: schemes.RatingScheme, setting: RatingYear | None
) -> schemes.RatingScheme:
    """The scheme with the year's configured quota, where DOMAIN §4.1 allows it (2023+)."""
    if setting is None or not scheme.quota_configurable:
        return scheme
    changes: dict[str, object] = {}
    if setting.quota_numerator is not None and setting.quota_denominator:
        changes["quota_ratio"] = Fraction(setting.quota_numerator, setting.quota_denominator)
    if setting.quota_scope:
        changes["quota_scope"] = setting.quota_scope
    return dataclasses.replace(scheme, **changes) if changes else scheme


def scheme_for(year: int) -> schemes.RatingScheme:
    """The scheme in force for `year` with the stored quota overrides applied (2023+)."""
    return with_quota_overrides(schemes.scheme_for_year(year), year_setting(year))


def round_scheme(round: RatingRound, setting: RatingYear | None) -> schemes.RatingScheme:  # noqa: A002
    """The scheme the round was opened under, with the year's quota overrides."""
    return with_quota_overrides(round.scheme, setting)


def period_end(year: int) -> datetime.date:
    return rules.default_period_end(year)


def entry_deadline_passed(
    *,
    round: RatingRound,  # noqa: A002
    setting: RatingYear | None,
    today: datetime.date | None = None,
) -> bool:
    """Whether the year's entry deadline has passed for this round.

    A round reopened by the deciding level after the deadline is open again: reopening is
    how a late correction is allowed (DOMAIN §4.2).
    """
    deadline = setting.entry_deadline if setting else None
    day = today or timezone.localdate()
    if deadline is None or day <= deadline:
        return False
    return not (round.reopened_at and timezone.localtime(round.reopened_at).date() > deadline)


# === Tree ======================================================================================
def _ancestor_paths(node: Organization) -> list[str]:
    step = Organization.steplen
    return [node.path[: step * depth] for depth in range(1, node.depth)]


def grassroots_for(organization: Organization) -> Organization | None:
    """The nearest grassroots organization at or above `organization` (one query at most)."""
    if organization.is_grassroots:
        return organization
    return (
        Organization.objects.filter(path__in=_ancestor_paths(organization), is_grassroots=True)
        .order_by("-depth")
        .first()
    )


def rating_home_for(organization: Organization) -> Organization | None:
    """The organization whose round rates `organization`: its grassroots organization, or —
    for a commune-level committee, which since 2025 is above the grassroots level and is
    rated by the provincial standing committee (Hướng dẫn 43 §3) — the committee itself."""
    grassroots = grassroots_for(organization)
    if grassroots is None and organization.type in COMMUNE_LEVEL_TYPES:
        return organization
    return grassroots


def deciding_organization_for(round_or_org: RatingRound | Organization) -> Organization | None:
    """The organization whose standing committee decides the round (the rating home of an
    organization): `rules.decider_for` of the grassroots organization (or the commune-level
    committee), through assessments.deciders. A root decides nothing."""
    if isinstance(round_or_org, RatingRound):
        home = round_or_org.organization
    else:
        home = rating_home_for(round_or_org)
    if home is None:
        return None
    decider = decider_of(home)
    return decider.organization if decider else None


# === Rounds ====================================================================================
def rounds_visible_to(*, user, year: int | None = None) -> QuerySet[RatingRound]:
    """Rounds of the grassroots organizations the user can see."""
    qs = RatingRound.objects.filter(
        organization__in=organizations_visible_to(user=user)
    ).select_related("organization")
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "organization__name_sort_key")


def round_get(*, user, pk) -> RatingRound:
    """One round the user may see; anything else is a 404, never a 403."""
    try:
        return rounds_visible_to(user=user).get(pk=pk)
    except (RatingRound.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# How many of a round's audit rows its pages show: every save adds one, so a commune's round
# holds hundreds by the end of December (489 after three runs of bench/load.py on one cell's
# round, and the grid rendered them all: ~1,000 date formats a view).
ROUND_HISTORY_SHOWN = 30


def round_history_recent(
    *,
    round: RatingRound,  # noqa: A002
    limit: int = ROUND_HISTORY_SHOWN,
) -> tuple[list[AuditEntry], int]:
    """The round's `limit` latest audit rows, newest first, and how many it has in all."""
    found = AuditEntry.objects.filter(
        object_type=RatingRound._meta.label_lower, object_id=str(round.pk)
    )
    latest = list(found.select_related("actor").order_by("-created_at", "-id")[:limit])
    return latest, (len(latest) if len(latest) < limit else found.count())


# === Entry grid ================================================================================
@dataclass
class GridRow:
    """One member line of the entry grid: saved rating, cap and what the rules say."""

    member: Member  # annotated with .cell_id (the cell on the period end)
    rating: MemberRating | None
    cap: rules.LevelCap
    must_not_rate: bool
    suggested_reason: str
    violations: list[rules.Violation]


@dataclass
class GridData:
    """Everything the entry grid shows for a round. Counts and quota cover the whole
    grassroots organization, even when the rows are limited to one cell."""

    round: RatingRound
    scheme: schemes.RatingScheme
    rows: list[GridRow]
    counts: dict[str, int]
    not_rated: int
    quota: list[rules.QuotaCount]
    quota_violations: list[rules.Violation]
    violations: list[rules.Violation]
    editable: bool
    deadline: datetime.date | None
    cells: list[Organization]
    # Additions to the contract (defaults keep the contract's constructor valid):
    not_entered: int = 0  # members with neither a saved nor a proposed value
    organization_ratings: dict[int, OrganizationRating] = field(default_factory=dict)
    period_end: datetime.date | None = None
    # Peer groups (2025–): each member's group code (None: the grassroots count), the groups'
    # names, and the ceiling decisions that apply (who, when, why: shown beside the counters).
    groups: dict[int, str | None] = field(default_factory=dict)
    group_names: dict[str, str] = field(default_factory=dict)
    ceiling_decisions: list = field(default_factory=list)

    @property
    def blocking_violations(self) -> list[rules.Violation]:
        return [v for v in self.violations if v.is_blocking]


def _quota_exceptions(organization_id: int, justification: str) -> list[rules.QuotaException]:
    if not justification.strip():
        return []
    return [rules.QuotaException(organization_id=organization_id, justification=justification)]


def _rule_input(
    *, member_id: int, level: str, reason: str, note: str, organization_id: int, group: str
) -> rules.MemberRatingInput:
    return rules.MemberRatingInput(
        member_id=member_id,
        level=level or None,
        not_rated_reason=None if level else (reason or None),
        not_rated_note="" if level else note,
        organization_id=organization_id,
        group=group or None,
    )


def build_grid(
    *,
    round: RatingRound,  # noqa: A002
    cell: Organization | None = None,
    proposed: Mapping[int, RowInput] | None = None,
    include_missing: bool = False,
    quota_exception: str | None = None,
    setting: RatingYear | None = None,
    setting_loaded: bool = False,
) -> GridData:
    """`rating_grid` with the knobs the services need.

    `include_missing` treats members with no value as "not rated, no reason" (a submission
    or decision needs every member); `quota_exception` replaces the stored justification
    (the decision records it).
    """
    if not setting_loaded:
        setting = year_setting(round.year)
    scheme = round_scheme(round, setting)
    end = period_end(round.year)
    org_id = round.organization_id
    # A commune-level committee's own round (rated by the province) holds no member.
    members = (
        list(members_of(organization=round.organization, on=end, subtree=True))
        if round.organization.is_grassroots
        else []
    )
    ids = [m.pk for m in members]
    year_ratings = {
        r.member_id: r for r in MemberRating.objects.filter(year=round.year, member_id__in=ids)
    }
    saved = {mid: r for mid, r in year_ratings.items() if r.round_id == round.pk}
    proposed = proposed or {}
    facts = member_facts_for(
        year=round.year,
        members=members,
        ratings=year_ratings,
        points={mid: row.points for mid, row in proposed.items()},
    )
    quota = quota_context_for(
        round=round,
        scheme=scheme,
        member_ids=ids,
        stored={m: r.group for m, r in saved.items() if r.group}
        | {m: row.group for m, row in proposed.items() if getattr(row, "group", None)},
    )
    inputs: dict[int, rules.MemberRatingInput] = {}
    for member in members:
        rating = saved.get(member.pk)
        group = quota.groups.get(member.pk) or ""
        scope = quota.scope_of(member.pk)
        if member.pk in proposed:
            row = proposed[member.pk]
            inputs[member.pk] = _rule_input(
                member_id=member.pk,
                level=row.level,
                reason=row.not_rated_reason,
                note=row.not_rated_note,
                organization_id=scope,
                group=group,
            )
        elif rating is not None:
            inputs[member.pk] = _rule_input(
                member_id=member.pk,
                level=rating.proposed_level,
                reason=rating.not_rated_reason,
                note=rating.not_rated_note,
                organization_id=scope,
                group=group,
            )
        elif include_missing and member.pk not in year_ratings:
            inputs[member.pk] = _rule_input(
                member_id=member.pk, level="", reason="", note="", organization_id=org_id, group=""
            )
    justification = round.quota_exception if quota_exception is None else quota_exception
    violations = rules.check_member_ratings(
        scheme,
        facts,
        list(inputs.values()),
        quota_exceptions=_quota_exceptions(org_id, justification)
        + (_quota_exceptions(quota.owner.pk, justification) if quota.defined else []),
        period_end=end,
        quota_ceilings=quota.ceilings,
        quota_only=quota.others,
    )
    by_member: dict[object, list[rules.Violation]] = defaultdict(list)
    for violation in violations:
        by_member[violation.subject_id].append(violation)
    rows = []
    for member in members:
        if cell is not None and member.cell_id != cell.pk:
            continue
        cap = rules.max_level_for(facts[member.pk], scheme, period_end=end)
        rows.append(
            GridRow(
                member=member,
                rating=saved.get(member.pk),
                cap=cap,
                must_not_rate=cap.level is None,
                suggested_reason=cap.not_rated_reason or "",
                violations=by_member.get(member.pk, []),
            )
        )
    counts = Counter(i.level for i in inputs.values() if i.level is not None)
    cells = list(cells_under(organization=round.organization, on=end))
    org_ratings = {
        r.organization_id: r
        for r in OrganizationRating.objects.filter(
            year=round.year, organization__path__startswith=round.organization.path
        )
    }
    return GridData(
        round=round,
        scheme=scheme,
        rows=rows,
        counts=dict(counts),
        not_rated=sum(i.level is None for i in inputs.values()),
        quota=[
            c
            for c in rules.quota_counts(
                scheme, [*inputs.values(), *quota.others], ceilings=quota.ceilings
            )
            if c.organization_id == org_id or c.group in set(quota.groups.values())
        ],
        quota_violations=[v for v in violations if v.code == "Q1"],
        violations=violations,
        editable=round.state in EDITABLE_STATES
        and not entry_deadline_passed(round=round, setting=setting),
        deadline=setting.entry_deadline if setting else None,
        cells=cells,
        not_entered=len(members) - len(inputs),
        organization_ratings=org_ratings,
        period_end=end,
        groups=quota.groups,
        group_names=quota.names,
        ceiling_decisions=quota.decisions,
    )


def rating_grid(
    *,
    round: RatingRound,  # noqa: A002
    cell: Organization | None = None,
    proposed: dict[int, RowInput] | None = None,
) -> GridData:
    """The entry grid of a round: members in Vietnamese name order, caps, counts and quota.

    `cell` limits the rows to one cell; counts and quota stay those of the whole grassroots
    organization, which is where DOMAIN §4.1 counts the quota. `proposed` holds unsaved
    values (keyed by member id) so a grid can be checked live before it is saved.
    """
    return build_grid(round=round, cell=cell, proposed=proposed)
