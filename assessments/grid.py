"""The entry grid's read side, sized to the rows on the screen (DOMAIN §4.2 steps 3–4).

A cell's grid reads its own members, their facts and ratings, and runs the member rules over
those rows only. What the whole grassroots organization contributes — the counters, the
members not entered yet and the quota of every group — comes from one grouped query over
the round's ratings (`round_tallies`), to which the unsaved values on the screen are applied
as differences. So a 50-member cell costs the same in a 300- or a 3,000-member organization.

`grid_source` reads (once per request); `grid_evaluate` applies what the user typed and asks
the rules. The whole-organization check the submission and the decision need stays
`selectors.build_grid` (every member, under the round lock).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q

from cells.models import Member, Membership, Organization
from cells.selectors import cells_under, members_of

from . import quota_groups, rules, schemes
from .choices import EDITABLE_STATES
from .facts import member_facts_for
from .models import MemberRating, RatingRound, RatingYear
from .selectors import entry_deadline_passed, period_end, round_scheme, year_setting

if TYPE_CHECKING:
    from .services import RowInput


@dataclass
class GridRow:
    """One member line: the saved rating, the cap the rules put on the member, the
    violations of the values shown (saved, or typed and not saved)."""

    member: Member  # annotated by members_of: cell_id and the state badges
    rating: MemberRating | None
    cap: rules.LevelCap
    must_not_rate: bool
    suggested_reason: str
    violations: list[rules.Violation] = field(default_factory=list)


@dataclass
class Tally:
    """The round's entries counted per (quota group, cell, level, has a not-rated reason)."""

    counts: dict[tuple[str | None, int | None, str, bool], int]
    members: int  # members of the grassroots organization on the period end

    def add(self, rating_values: tuple[str | None, int | None, str, bool], n: int) -> None:
        self.counts[rating_values] = self.counts.get(rating_values, 0) + n


@dataclass
class GridSource:
    """What one request reads from the database for a grid (see grid_source)."""

    round: RatingRound
    setting: RatingYear | None
    scheme: schemes.RatingScheme
    period_end: datetime.date
    cell: Organization | None
    members: list[Member]
    saved: dict[int, MemberRating]
    facts: dict[int, rules.MemberFacts]
    tally: Tally
    cells: list[Organization]
    all_rows: bool  # the rows are every member of the page, not a chosen few
    caps: dict[int, rules.LevelCap] = field(default_factory=dict)  # on the saved facts

    @property
    def editable(self) -> bool:
        """The round still takes the unit's changes (its state, the entry deadline)."""
        return self.round.state in EDITABLE_STATES and not entry_deadline_passed(
            round=self.round, setting=self.setting
        )

    def cap(self, member_id: int) -> rules.LevelCap:
        """The member's cap on the saved facts, worked out once per request."""
        if member_id not in self.caps:
            self.caps[member_id] = rules.max_level_for(
                self.facts[member_id], self.scheme, period_end=self.period_end
            )
        return self.caps[member_id]


def source_rows(source: GridSource) -> list[GridRow]:
    """The rows as saved, with their caps and no violations (what a form is built from)."""
    rows = []
    for member in source.members:
        cap = source.cap(member.pk)
        rows.append(
            GridRow(
                member=member,
                rating=source.saved.get(member.pk),
                cap=cap,
                must_not_rate=cap.level is None,
                suggested_reason=cap.not_rated_reason or "",
            )
        )
    return rows


@dataclass
class CellGrid:
    """The grid as the screen shows it: its rows, the organization's counters and quota."""

    round: RatingRound
    scheme: schemes.RatingScheme
    cell: Organization | None
    rows: list[GridRow]
    counts: dict[str, int]
    not_rated: int
    not_entered: int
    members_total: int
    quota: list[quota_groups.QuotaGroup]
    editable: bool
    deadline: datetime.date | None
    cells: list[Organization]
    period_end: datetime.date

    @property
    def violations(self) -> list[rules.Violation]:
        return [v for row in self.rows for v in row.violations]

    @property
    def quota_blocking(self) -> list[quota_groups.QuotaGroup]:
        """Groups over their quota with no justified exception recorded by the deciding level."""
        if self.round.quota_exception.strip():
            return []
        return [g for g in self.quota if g.exceeded]

    @property
    def blocking(self) -> bool:
        return bool(self.quota_blocking) or any(v.is_blocking for v in self.violations)


def _in_cells(cell_ids: list[int], day: datetime.date) -> Q:
    # Memberships by cell id use the membership's organization index; a prefix test on the
    # organization's path would join cells_organization for every rating (30× slower).
    return Q(Q(end__isnull=True) | Q(end__gte=day), start__lte=day, organization_id__in=cell_ids)


def round_tallies(*, round: RatingRound, day: datetime.date, cell_ids: list[int]) -> Tally:  # noqa: A002
    """The round's ratings of members still in one of `cell_ids` (the organization's cells)
    on `day`, grouped (one query), and the number of those members (one more)."""
    in_cells = Exists(
        Membership.objects.filter(_in_cells(cell_ids, day), member_id=OuterRef("member_id"))
    )
    rows = (
        MemberRating.objects.filter(round=round)
        .filter(in_cells)
        .values_list("group", "cell_id", "proposed_level")
        .annotate(reasons=Count("id", filter=~Q(not_rated_reason="")), n=Count("id"))
        .order_by()
    )
    counts: dict[tuple[str | None, int | None, str, bool], int] = {}
    for group, cell_id, level, reasons, n in rows:
        if reasons:
            counts[(group or None, cell_id, level, True)] = reasons
        if n - reasons:
            counts[(group or None, cell_id, level, False)] = n - reasons
    return Tally(counts=counts, members=members_count(cell_ids=cell_ids, day=day))


def members_count(*, cell_ids: list[int], day: datetime.date) -> int:
    """Members of the cells `cell_ids` on `day` (one query)."""
    return (
        Membership.objects.filter(_in_cells(cell_ids, day))
        .order_by()
        .values("member_id")
        .distinct()
        .count()
    )


def grid_source(
    *,
    round: RatingRound,  # noqa: A002
    cell: Organization | None = None,
    member_ids: Collection[int] | None = None,
) -> GridSource:
    """Read a grid: the members of `cell` (the whole organization when None) on the period
    end, or only `member_ids` among them, with their ratings and facts, and the round's tally.

    A fixed number of queries whatever the size; the member rules later run on these rows.
    """
    setting = year_setting(round.year)
    scheme = round_scheme(round, setting)
    end = period_end(round.year)
    members_qs = members_of(organization=cell or round.organization, on=end, subtree=True)
    if member_ids is not None:
        members_qs = members_qs.filter(pk__in=list(member_ids))
    members = list(members_qs)
    ids = [m.pk for m in members]
    year_ratings = {
        r.member_id: r
        for r in MemberRating.objects.filter(year=round.year, member_id__in=ids).order_by()
    }
    cells = list(cells_under(organization=round.organization, on=end))
    return GridSource(
        round=round,
        setting=setting,
        scheme=scheme,
        period_end=end,
        cell=cell,
        members=members,
        saved={mid: r for mid, r in year_ratings.items() if r.round_id == round.pk},
        facts=member_facts_for(year=round.year, members=members, ratings=year_ratings),
        tally=round_tallies(round=round, day=end, cell_ids=[c.pk for c in cells]),
        cells=cells,
        all_rows=member_ids is None,
    )


def _values(level: str, reason: str) -> tuple[str, bool]:
    return (level or ""), bool(not level and reason)


def grid_evaluate(source: GridSource, proposed: Mapping[int, RowInput] | None = None) -> CellGrid:
    """The grid with the unsaved `proposed` rows applied: each row's violations (member rules
    over these rows only) and the organization's counters and quota groups."""
    scheme, end, proposed = source.scheme, source.period_end, proposed or {}
    counts = dict(source.tally.counts)

    def move(key, n):
        counts[key] = counts.get(key, 0) + n

    rows = []
    for member in source.members:
        mid = member.pk
        rating = source.saved.get(mid)
        facts = source.facts[mid]
        level, reason, note = (
            (rating.proposed_level, rating.not_rated_reason, rating.not_rated_note)
            if rating is not None
            else ("", "", "")
        )
        if mid in proposed:
            row = proposed[mid]
            group = rating.group or None if rating is not None else None
            if rating is not None:
                move((group, rating.cell_id, *_values(level, reason)), -1)
            level, reason, note = row.level, row.not_rated_reason, row.not_rated_note
            move((group, member.cell_id, *_values(level, reason)), 1)
            if row.points != facts.points:
                facts = dataclasses.replace(facts, points=row.points)
        cap = (
            source.cap(mid)
            if facts is source.facts[mid]
            else rules.max_level_for(facts, scheme, period_end=end)
        )
        violations = []
        if level or reason:
            violations = rules.check_member_rating(
                scheme,
                facts,
                rules.MemberRatingInput(
                    member_id=mid,
                    level=level or None,
                    not_rated_reason=None if level else reason,
                    not_rated_note="" if level else note,
                    organization_id=source.round.organization_id,
                ),
                period_end=end,
            )
        rows.append(
            GridRow(
                member=member,
                rating=rating,
                cap=cap,
                must_not_rate=cap.level is None,
                suggested_reason=cap.not_rated_reason or "",
                violations=violations,
            )
        )
    by_level: dict[str, int] = defaultdict(int)
    not_rated = entered = 0
    for (_group, _cell, level, has_reason), n in counts.items():
        if level:
            by_level[level] += n
            entered += n
        elif has_reason:
            not_rated += n
            entered += n
    tallies = [
        quota_groups.LevelTally(group=g, cell_id=c, level=lv, count=n)
        for (g, c, lv, _r), n in counts.items()
        if n
    ]
    round_ = source.round
    return CellGrid(
        round=round_,
        scheme=scheme,
        cell=source.cell,
        rows=rows,
        counts={k: v for k, v in by_level.items() if v},
        not_rated=not_rated,
        not_entered=max(0, source.tally.members - entered),
        members_total=source.tally.members,
        quota=quota_groups.quota_groups(scheme, tallies),
        editable=source.editable,
        deadline=source.setting.entry_deadline if source.setting else None,
        cells=source.cells,
        period_end=end,
    )


def members_per_cell(*, round: RatingRound) -> list[tuple[Organization, int]]:  # noqa: A002
    """(cell, members) of every cell of the round on the period end, in name order: the list
    a submission's confirmation shows (one query for the cells, one for the counts)."""
    end = period_end(round.year)
    cells = list(cells_under(organization=round.organization, on=end))
    counts = dict(
        Membership.objects.filter(_in_cells([c.pk for c in cells], end))
        .order_by()
        .values_list("organization_id")
        .annotate(n=Count("member_id", distinct=True))
    )
    return [(c, counts.get(c.pk, 0)) for c in cells]
