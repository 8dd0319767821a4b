"""Read side of the reports: the statistics tables of DOMAIN §7 item 1 and the report jobs.

The level that counts is the dashboard's (assessments.indicators.counters): a rating counts
with its decided level once its round is decided or published; in an undecided round it is
*pending* and left out of the official figures unless proposals are asked for. So every
number of a report equals the dashboard's — tests/assessments/test_reports.py proves it.

A fixed number of queries whatever the size of the unit: one for the tree, one GROUP BY over
the member ratings, one over the organization ratings.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404

from cells.choices import CELL_TYPES, PostKind
from cells.models import Organization, Post
from cells.selectors import organizations_visible_to

from ..choices import NotRatedReason
from ..indicators.counters import (
    PENDING,
    RANK_KEY_OF_SLUG,
    effective_level,
    percent_of,
)
from ..models import MemberRating, OrganizationRating, ReportJob

MEMBER_REASONS = (
    NotRatedReason.EXEMPT,
    NotRatedReason.SUSPENDED,
    NotRatedReason.NEWLY_ADMITTED,
    NotRatedReason.OTHER,
)
ORGANIZATION_REASONS = (NotRatedReason.NEWLY_ESTABLISHED, NotRatedReason.OTHER)


def level_labels(year: int, *, organizations: bool) -> dict[str, str]:
    """The short labels of the four ranks in `year` (TSVM / Yếu kém for organizations ≤ 2017)."""
    labels = {"r3": "HTXSNV", "r2": "HTTNV", "r1": "HTNV", "r0": "KHTNV"}
    if organizations and year < 2018:
        labels.update(r3="TSVM", r0="Yếu kém")
    return labels


@dataclass
class StatRow:
    """One line of a statistics table (DOMAIN §7 item 1): counts, and % of those rated."""

    name: str
    path: str
    total: int = 0
    not_rated: dict[str, int] = field(default_factory=dict)
    pending: int = 0
    levels: dict[str, int] = field(default_factory=dict)

    def add(self, *, level: str, reason: str, n: int) -> None:
        self.total += n
        if level == PENDING:
            self.pending += n
        elif level in RANK_KEY_OF_SLUG:
            key = RANK_KEY_OF_SLUG[level]
            self.levels[key] = self.levels.get(key, 0) + n
        else:
            reason = reason if reason in NotRatedReason.values else NotRatedReason.OTHER
            self.not_rated[reason] = self.not_rated.get(reason, 0) + n

    def merge(self, other: StatRow) -> None:
        self.total += other.total
        self.pending += other.pending
        for key, n in other.levels.items():
            self.levels[key] = self.levels.get(key, 0) + n
        for key, n in other.not_rated.items():
            self.not_rated[key] = self.not_rated.get(key, 0) + n

    @property
    def not_rated_total(self) -> int:
        return sum(self.not_rated.values())

    @property
    def rated(self) -> int:
        return sum(self.levels.values())

    def n(self, rank: str) -> int:
        return self.levels.get(rank, 0)

    def pct(self, rank: str) -> Decimal | None:
        return percent_of(self.n(rank), self.rated)

    @property
    def good_or_better(self) -> int:
        return self.n("r3") + self.n("r2")

    @property
    def good_or_better_pct(self) -> Decimal | None:
        return percent_of(self.good_or_better, self.rated)

    @property
    def excellent_to_good_pct(self) -> Decimal | None:
        """HTXSNV ÷ HTTNV in % (the quota ratio of DOMAIN §4.1 Q1)."""
        return percent_of(self.n("r3"), self.n("r2"))

    def reason(self, code: str) -> int:
        return self.not_rated.get(code, 0)


@dataclass
class StatTable:
    """A statistics table: the rows (one per unit) and their total."""

    key: str  # "members" | "grassroots" | "cells"
    title: str
    reasons: tuple[str, ...]
    labels: dict[str, str]
    rows: list[StatRow]
    total: StatRow

    @property
    def has_pending(self) -> bool:
        return self.total.pending > 0


@dataclass
class Statistics:
    node: Organization
    year: int
    include_proposals: bool
    members: StatTable
    grassroots: StatTable | None
    cells: StatTable | None
    as_of: datetime.datetime | None
    units: list[Organization]

    @property
    def tables(self) -> list[StatTable]:
        return [t for t in (self.members, self.grassroots, self.cells) if t is not None]


def report_units(*, node: Organization, year: int) -> list[Organization]:
    """The rows of the tables: the node's children that exist on 31/12 of `year`, in
    Vietnamese order, or the node itself when it has none (a chi bộ cơ sở)."""
    day = datetime.date(year, 12, 31)
    children = list(
        Organization.objects.existing_on(day)
        .filter(path__startswith=node.path, depth=node.depth + 1)
        .order_by("name_sort_key", "path")
    )
    return children or [node]


def rating_statistics(
    *, node: Organization, year: int, include_proposals: bool = False
) -> Statistics:
    """The statistics tables of a unit for a year: members by level per child unit, and the
    grassroots organizations and subordinate cells by level (DOMAIN §7 item 1)."""
    units = report_units(node=node, year=year)
    unit_len = len(units[0].path)
    by_path = {u.path: u for u in units}
    level = effective_level(include_proposals)

    member_rows = {u.path: StatRow(name=u.name, path=u.path) for u in units}
    ratings = (
        MemberRating.objects.filter(year=year, cell__path__startswith=node.path)
        .annotate(level=level, key=Substr("cell__path", 1, unit_len))
        .values("key", "level", "not_rated_reason")
        .annotate(n=Count("id"), last=Max("updated_at"))
        .order_by()
    )
    as_of = None
    for row in ratings:
        as_of = max(filter(None, [as_of, row["last"]]), default=None)
        target = member_rows.get(row["key"])
        if target is None:  # a unit dissolved during the year: count it under its own name
            target = member_rows.setdefault(row["key"], StatRow(name="", path=row["key"]))
        target.add(level=row["level"], reason=row["not_rated_reason"], n=row["n"])

    org_ratings = list(
        OrganizationRating.objects.filter(
            year=year, organization__path__startswith=node.path, organization__depth__gt=node.depth
        )
        .annotate(level=level)
        .values_list(
            "organization__path",
            "organization__is_grassroots",
            "organization__type",
            "level",
            "not_rated_reason",
            "updated_at",
        )
    )
    grassroots: dict[str, StatRow] = {}
    cells: dict[str, StatRow] = {}
    for path, is_grassroots, type_, lvl, reason, updated in org_ratings:
        as_of = max(filter(None, [as_of, updated]), default=None)
        target = grassroots if is_grassroots else cells if type_ in CELL_TYPES else None
        if target is None:
            continue
        # A table whose counted units are the rows themselves collapses to one row.
        key = path[:unit_len] if len(path) > unit_len else node.path
        if key not in target:
            unit = by_path.get(key)
            target[key] = StatRow(name=unit.name if unit else node.name, path=key)
        target[key].add(level=lvl, reason=reason, n=1)

    def table(key, title, rows: dict[str, StatRow], reasons, organizations) -> StatTable:
        order = {u.path: i for i, u in enumerate(units)}
        ordered = sorted(rows.values(), key=lambda r: (order.get(r.path, len(order)), r.path))
        for row in ordered:
            if not row.name:
                row.name = _dissolved_name(row.path)
        total = StatRow(name="Tổng cộng", path="")
        for row in ordered:
            total.merge(row)
        labels = level_labels(year, organizations=organizations)
        return StatTable(key, title, reasons, labels, ordered, total)

    members = table(
        "members",
        "Đảng viên",
        {p: r for p, r in member_rows.items() if r.total or p in by_path},
        MEMBER_REASONS,
        False,
    )
    return Statistics(
        node=node,
        year=year,
        include_proposals=include_proposals,
        members=members,
        grassroots=table("grassroots", "Tổ chức cơ sở đảng", grassroots, ORGANIZATION_REASONS, True)
        if grassroots
        else None,
        cells=table("cells", "Chi bộ trực thuộc", cells, ORGANIZATION_REASONS, True)
        if cells
        else None,
        as_of=as_of,
        units=units,
    )


def _dissolved_name(path: str) -> str:
    unit = Organization.objects.filter(path=path).only("name").first()
    return unit.name if unit else path


@dataclass
class NotRatedLine:
    name: str
    unit: str
    reason: str
    note: str


def not_rated_members(*, node: Organization, year: int, include_proposals: bool = False):
    """Members not rated in `year` under `node`, with their reason, in Vietnamese name order."""
    rows = (
        MemberRating.objects.filter(year=year, cell__path__startswith=node.path)
        .annotate(level=effective_level(include_proposals))
        .exclude(level__in=[*RANK_KEY_OF_SLUG, PENDING])
        .select_related("member", "cell")
        .order_by("member__name_sort_key", "member_id")
    )
    labels = dict(NotRatedReason.choices)
    return [
        NotRatedLine(
            name=r.member.full_name,
            unit=r.cell.name,
            reason=str(labels.get(r.not_rated_reason, labels[NotRatedReason.OTHER])),
            note=r.not_rated_note,
        )
        for r in rows
    ]


def not_rated_organizations(*, node: Organization, year: int, include_proposals: bool = False):
    """Sub-units not rated in `year` (e.g. established less than 6 months before the end)."""
    rows = (
        OrganizationRating.objects.filter(
            year=year, organization__path__startswith=node.path, organization__depth__gt=node.depth
        )
        .annotate(level=effective_level(include_proposals))
        .exclude(level__in=[*RANK_KEY_OF_SLUG, PENDING])
        .select_related("organization")
        .order_by("organization__name_sort_key")
    )
    labels = dict(NotRatedReason.choices)
    return [
        NotRatedLine(
            name=r.organization.name,
            unit="",
            reason=str(labels.get(r.not_rated_reason, labels[NotRatedReason.OTHER])),
            note=r.not_rated_note,
        )
        for r in rows
    ]


def unit_levels(*, node: Organization, year: int, include_proposals: bool = False):
    """Each grassroots organization under `node` with its level (short label) or reason."""
    rows = (
        OrganizationRating.objects.filter(
            year=year,
            organization__path__startswith=node.path,
            organization__is_grassroots=True,
        )
        .annotate(level=effective_level(include_proposals))
        .select_related("organization")
        .order_by("organization__name_sort_key")
    )
    labels = level_labels(year, organizations=True)
    found = []
    for r in rows:
        if r.level == PENDING:
            text = "Chưa quyết định"
        elif r.level in RANK_KEY_OF_SLUG:
            text = labels[RANK_KEY_OF_SLUG[r.level]]
        else:
            text = "Không xếp loại"
        found.append((r.organization.name, text, r.is_exemplary))
    return found


def has_cell_committee(organization: Organization, day: datetime.date) -> bool:
    """A chi bộ signs "T/M CHI ỦY" when it has an elected chi ủy: a deputy secretary or a
    chi ủy member holds a post in it on the day."""
    return (
        Post.objects.filter(
            Q(start__isnull=True) | Q(start__lte=day),
            Q(end__isnull=True) | Q(end__gte=day),
            organization=organization,
            kind=PostKind.PARTY,
        )
        .filter(Q(title__icontains="Phó Bí thư") | Q(title__icontains="Chi ủy viên"))
        .exists()
    )


# --- report jobs -------------------------------------------------------------------------------
def reportjobs_visible_to(*, user) -> QuerySet[ReportJob]:
    """The report jobs a user may see: their own, and only on units still in their scope."""
    qs = ReportJob.objects.select_related("organization", "requested_by")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(requested_by=user, organization__in=organizations_visible_to(user=user))


def reportjob_get(*, user, pk) -> ReportJob:
    """One job the user may see; anyone else's is a 404, like one that does not exist."""
    try:
        return reportjobs_visible_to(user=user).get(pk=pk)
    except (ReportJob.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def reportjobs_mine(*, user, limit: int = 50) -> list[ReportJob]:
    """My latest top-level jobs (batch parts are shown inside their batch)."""
    return list(reportjobs_visible_to(user=user).filter(batch__isnull=True)[:limit])


def batch_parts(*, job: ReportJob) -> list[ReportJob]:
    return list(
        job.parts.select_related("organization").order_by("organization__name_sort_key", "id")
    )
