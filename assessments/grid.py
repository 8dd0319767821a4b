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

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value

from cells.models import Member, Membership, Organization
from cells.selectors import cells_under, members_of

from . import peer_groups, quota_groups, rules, schemes
from .choices import EDITABLE_STATES
from .facts import member_facts_for, posts_held_in_year
from .models import MemberRating, RatingRound, RatingYear
from .regime_selectors import (
    MemberCategoryView,
    PointsPartsView,
    member_categories_for,
    points_parts_for,
)
from .rules.ceilings import ceiling_for
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
    # The 2025– regime (Quy định 366): the peer group the member is counted in (None: the
    # grassroots organization) and whether by hand; the form category; the 30 + 70 sheets.
    group: str | None = None
    group_by_hand: bool = False
    default_group: str | None = None  # their group without one stored on the rating
    category: MemberCategoryView | None = None
    parts: PointsPartsView | None = None


# The HTXSNV of other grassroots organizations counted in a shared peer group: one "cell"
# of the per-cell breakdown.
OTHER_UNITS = -1


@dataclass
class Tally:
    """The round's entries counted per (quota group, cell, level, has a not-rated reason),
    and the other units' proposals in the same peer groups per (group, level)."""

    counts: dict[tuple[str | None, int | None, str, bool], int]
    members: int  # members of the grassroots organization on the period end
    others: dict[tuple[str, str], int] = field(default_factory=dict)

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
    all_rows: bool  # the rows are every member of the page, not a chosen few
    quota: peer_groups.QuotaContext | None = None
    categories: dict[int, MemberCategoryView] = field(default_factory=dict)
    parts: dict[int, PointsPartsView] = field(default_factory=dict)
    caps: dict[int, rules.LevelCap] = field(default_factory=dict)  # on the saved facts
    _tally: Tally | None = field(default=None, repr=False)
    _cells: list[Organization] | None = field(default=None, repr=False)

    @property
    def cells(self) -> list[Organization]:
        """The organization's cells on the period end, read when first asked for (the
        counts and the page need them, a save's form does not)."""
        if self._cells is None:
            under = cells_under(organization=self.round.organization, on=self.period_end)
            self._cells = list(under)
        return self._cells

    @property
    def tally(self) -> Tally:
        """The organization's counts (`round_tallies`), read when first asked for: a save
        builds its form from the rows alone and never needs them (they were ≈ 60 % of it)."""
        if self._tally is None:
            self._tally = round_tallies(
                round=self.round,
                day=self.period_end,
                cell_ids=[c.pk for c in self.cells],
                context=self.quota,
            )
        return self._tally

    @property
    def regime(self) -> bool:
        """The 2025– regime: peer groups, form categories, 30 + 70 points (DOMAIN §4.3)."""
        return is_regime(self.scheme)

    def group_of(self, member_id: int) -> tuple[str | None, bool]:
        """(peer group, put there by hand) of a member as saved."""
        if self.quota is None:
            return None, False
        return self.quota.groups.get(member_id), member_id in self.quota.by_hand

    def group_with(self, member_id: int, code: str | None) -> tuple[str | None, bool]:
        """(peer group, by hand) once the row's group is set to `code` ("" back to the rule;
        None leaves the saved one)."""
        if code is None or self.quota is None or not self.quota.defined:
            return self.group_of(member_id)
        if code:
            return code, True
        return self.quota.unstored.get(member_id, (None, False))

    def default_group(self, member_id: int) -> str | None:
        return self.group_with(member_id, "")[0]

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


def is_regime(scheme: schemes.RatingScheme) -> bool:
    return scheme.quota_scope == schemes.QUOTA_SCOPE_PEER_GROUP


def source_rows(source: GridSource) -> list[GridRow]:
    """The rows as saved, with their caps and no violations (what a form is built from)."""
    rows = []
    for member in source.members:
        mid = member.pk
        cap = source.cap(mid)
        group, by_hand = source.group_of(mid)
        rows.append(
            GridRow(
                member=member,
                rating=source.saved.get(mid),
                cap=cap,
                must_not_rate=cap.level is None,
                suggested_reason=cap.not_rated_reason or "",
                group=group,
                group_by_hand=by_hand,
                default_group=source.default_group(mid),
                category=source.categories.get(mid),
                parts=source.parts.get(mid),
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
    group_names: dict[str, str] = field(default_factory=dict)  # peer groups of the year
    regime: bool = False

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


def round_tallies(
    *,
    round: RatingRound,  # noqa: A002
    day: datetime.date,
    cell_ids: list[int],
    context: peer_groups.QuotaContext | None = None,
) -> Tally:
    """The round's ratings of members still in one of `cell_ids` (the organization's cells)
    on `day`, counted per (quota group, cell, level, has a reason), and those members' number.

    Without peer groups formed for the year: one grouped query (the group is the one stored
    on the rating, the 2023–2024 option). With peer groups (2025–) a member's group comes
    from rules over their category and posts, so the round's ratings are read as tuples and
    each is put in its group (`context` is extended with them), and the other units'
    proposals in the same groups are counted too.
    """
    in_cells = Exists(
        Membership.objects.filter(_in_cells(cell_ids, day), member_id=OuterRef("member_id"))
    )
    ratings = MemberRating.objects.filter(round=round).filter(in_cells).order_by()
    # The organization's member count rides on the same statement (one round trip less);
    # a round with no rating yet returns no row and is counted on its own.
    members_in = _members_in(cell_ids=cell_ids, day=day)
    counts: dict[tuple[str | None, int | None, str, bool], int] = {}
    if context is not None and context.defined:
        rows = list(
            ratings.annotate(members=members_in).values_list(
                "member_id", "cell_id", "proposed_level", "not_rated_reason", "group", "members"
            )
        )
        peer_groups.extend_groups(
            context,
            year=round.year,
            member_ids=[r[0] for r in rows],
            stored={r[0]: r[4] for r in rows if r[4]},
        )
        groups = context.groups
        for mid, cell_id, level, reason, _stored, _members in rows:
            key = (groups.get(mid), cell_id, level, bool(reason))
            counts[key] = counts.get(key, 0) + 1
        others: dict[tuple[str, str], int] = {}
        for other in context.others:
            key = (other.group, other.level or "")
            others[key] = others.get(key, 0) + 1
        members = rows[0][5] if rows else members_count(cell_ids=cell_ids, day=day)
        return Tally(counts=counts, members=members, others=others)
    stored_groups = context is None or context.owner is None  # no peer groups: 2019–2024
    rows = list(
        ratings.values_list("group", "cell_id", "proposed_level")
        .annotate(
            reasons=Count("id", filter=~Q(not_rated_reason="")), n=Count("id"), members=members_in
        )
        .order_by()
    )
    for group, cell_id, level, reasons, n, _members in rows:
        group = (group or None) if stored_groups else None
        if reasons:
            key = (group, cell_id, level, True)
            counts[key] = counts.get(key, 0) + reasons
        if n - reasons:
            key = (group, cell_id, level, False)
            counts[key] = counts.get(key, 0) + n - reasons
    members = rows[0][5] if rows else members_count(cell_ids=cell_ids, day=day)
    return Tally(counts=counts, members=members)


def _members_in(*, cell_ids: list[int], day: datetime.date) -> Subquery:
    """`members_count` as a scalar subquery (not correlated: PostgreSQL runs it once)."""
    return Subquery(
        Membership.objects.filter(_in_cells(cell_ids, day))
        .order_by()
        .annotate(one=Value(1))
        .values("one")
        .annotate(n=Count("member_id", distinct=True))
        .values("n")
    )


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
    setting: RatingYear | None | bool = False,
    owner: Organization | None | bool = False,
) -> GridSource:
    """Read a grid: the members of `cell` (the whole organization when None) on the period
    end, or only `member_ids` among them, with their ratings and facts, and the round's tally.

    A fixed number of queries whatever the size; the member rules later run on these rows.
    `setting` (the year's) and `owner` (the deciding level) when the caller read them.
    """
    if setting is False:
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
    saved = {mid: r for mid, r in year_ratings.items() if r.round_id == round.pk}
    regime = is_regime(scheme)
    # 2025–: the year's posts read once, for the led units (facts) and the form categories.
    posts = (
        posts_held_in_year(member_ids=ids, year=round.year, with_organization=True)
        if regime
        else None
    )
    facts = member_facts_for(year=round.year, members=members, ratings=year_ratings, posts=posts)
    context = peer_groups.quota_context_for(
        round=round,
        scheme=scheme,
        member_ids=ids,
        stored={mid: r.group for mid, r in saved.items() if r.group},
        owner=owner,
    )
    return GridSource(
        round=round,
        setting=setting,
        scheme=scheme,
        period_end=end,
        cell=cell,
        members=members,
        saved=saved,
        facts=facts,
        all_rows=member_ids is None,
        quota=context,
        categories=(
            member_categories_for(members=members, year=round.year, posts=posts) if regime else {}
        ),
        parts=(
            points_parts_for(
                round=round,
                member_ids=ids,
                ledger={mid: (f.tasks, True) for mid, f in facts.items() if f.tasks is not None},
            )
            if regime
            else {}
        ),
    )


def _values(level: str, reason: str) -> tuple[str, bool]:
    return (level or ""), bool(not level and reason)


def grid_evaluate(source: GridSource, proposed: Mapping[int, RowInput] | None = None) -> CellGrid:
    """The grid with the unsaved `proposed` rows applied: each row's violations (member rules
    over these rows only) and the organization's counters and quota groups (per peer group
    with the year's ceiling decisions, 2025–)."""
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
        group, by_hand = source.group_of(mid)
        if mid in proposed:
            row = proposed[mid]
            if rating is not None:
                move((group, rating.cell_id, *_values(level, reason)), -1)
            group, by_hand = source.group_with(mid, getattr(row, "group", None))
            if row.appraise:
                level, reason, note = row.level, row.not_rated_reason, row.not_rated_note
                if row.points != facts.points:
                    facts = dataclasses.replace(facts, points=row.points)
            if rating is not None or level or reason:
                move((group, member.cell_id, *_values(level, reason)), 1)
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
                cap=cap,
            )
        rows.append(
            GridRow(
                member=member,
                rating=rating,
                cap=cap,
                must_not_rate=cap.level is None,
                suggested_reason=cap.not_rated_reason or "",
                violations=violations,
                group=group,
                group_by_hand=by_hand,
                default_group=source.default_group(mid),
                category=source.categories.get(mid),
                parts=source.parts.get(mid),
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
    tallies += [
        quota_groups.LevelTally(group=g, cell_id=OTHER_UNITS, level=lv, count=n)
        for (g, lv), n in source.tally.others.items()
        if n
    ]
    round_ = source.round
    context = source.quota
    return CellGrid(
        round=round_,
        scheme=scheme,
        cell=source.cell,
        rows=rows,
        counts={k: v for k, v in by_level.items() if v},
        not_rated=not_rated,
        not_entered=max(0, source.tally.members - entered),
        members_total=source.tally.members,
        quota=quota_groups.quota_groups(
            scheme, tallies, ratio_for=_ratio_for(scheme, round_, context)
        ),
        editable=source.editable,
        deadline=source.setting.entry_deadline if source.setting else None,
        cells=source.cells,
        period_end=end,
        group_names=dict(context.names) if context is not None else {},
        regime=source.regime,
    )


def _ratio_for(scheme: schemes.RatingScheme, round_: RatingRound, context):
    """The ratio and ceiling decision of each quota group: a group is counted under the
    deciding level (it forms the groups), the rest under the grassroots organization."""
    ceilings = list(context.ceilings) if context is not None else []

    def ratio_for(key: str | None):
        if not ceilings:
            return scheme.quota_ratio, None
        scope = round_.organization_id if key is None else context.owner.pk
        ceiling = ceiling_for(ceilings, scope, key)
        return (ceiling.ratio, ceiling) if ceiling else (scheme.quota_ratio, None)

    return ratio_for


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
