"""Selectors that assemble the Resolution 22 dashboard: cards, children table, trend, lists.

Thin views call these; the arithmetic is assessments.indicators. Every function takes the
user and a node already fetched through `cells.selectors.organization_get` (out of scope is a
404 before we get here); the counted rows are further limited to the user's visible subtrees,
which matters when merge mapping pulls in predecessors' subtrees.

Query budget (asserted in tests): one per indicator family, one for the tree metadata, three
when mapping (stored mapping: `indicators.scope`), one for indicators and one for targets —
whatever the number of children.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max
from django.utils.translation import gettext as _

from cells.models import Organization
from cells.selectors import organization_paths_visible_to

from . import indicators, rules, schemes
from .indicators import gap
from .indicators.counters import RANK_COUNTERS
from .models import Indicator, IndicatorTarget, RatingRound, TargetExplanation
from .year_services import current_rating_year

TREND_SPAN = 10
GROUPS = (
    "organizations",
    "cells",
    "members",
    "admissions",
    "hamlets",
    "cadres",
    "meetings",
    "new_rural",
)


def group_label(group: str) -> str:
    return {
        "organizations": _("Grassroots organizations"),
        "cells": _("Subordinate cells"),
        "members": _("Members"),
        "admissions": _("Admissions"),
        "hamlets": _("Hamlet coverage"),
        "cadres": _("Cadre qualification"),
        "meetings": _("Cell meetings"),
        "new_rural": _("New-rural communes"),
    }.get(group, group)


def link_counter(indicator: Indicator) -> str:
    """What the list behind an indicator's number is asked for: the indicator itself, so the
    list holds exactly what its numerator counts (all of its counters)."""
    return indicator.code


@dataclass
class Card:
    """One indicator on the page: value, last year's, target and gap, and its list."""

    indicator: Indicator
    value: Decimal | None
    numerator: int
    denominator: int | None
    previous: Decimal | None
    target: IndicatorTarget | None = None
    gap: Decimal | None = None
    met: bool | None = None
    name: str = ""  # in the year's words (gap.indicator_name)
    href: str = ""  # the list behind the number, set by the view
    status: str | None = None  # against the target: rules.STATUSES

    @property
    def counter(self) -> str:
        return link_counter(self.indicator)

    @property
    def delta(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def direction(self) -> str:
        """ "better", "worse" or "" (no change): the arrow follows the better direction."""
        return gap.change_direction(self.indicator, self.delta)


@dataclass
class TableCell:
    indicator: Indicator
    value: Decimal | None
    numerator: int
    denominator: int | None = None
    href: str = ""  # the list behind the number, set by the view
    text: str = ""  # the value as shown ("" for none), set by the view

    @property
    def counter(self) -> str:
        return link_counter(self.indicator)


def _cell(results: indicators.Results, indicator: Indicator, year: int, bucket=None) -> TableCell:
    value, numerator, denominator = results.value_and_parts(indicator.formula, year, bucket)
    return TableCell(indicator=indicator, value=value, numerator=numerator, denominator=denominator)


@dataclass
class ChildRow:
    info: indicators.OrgInfo
    cells: list[TableCell]
    exists: bool = True  # False: a unit with data that is not on the table's tree
    href: str = ""  # the child's own page, set by the view
    html: str = ""  # the row as HTML, set by the view


@dataclass
class DashboardData:
    node: Organization
    year: int
    mapped: bool
    include_proposals: bool
    group: str
    cards: list[Card]
    columns: list[Indicator]
    rows: list[ChildRow]
    totals: list[TableCell]
    as_of: datetime.datetime
    groups: list[tuple[str, str]] = field(default_factory=list)
    targets: list[gap.TargetLine] = field(default_factory=list)

    def cards_in(self, group: str) -> list[Card]:
        return [c for c in self.cards if c.indicator.group == group]

    @property
    def card_groups(self) -> list[tuple[str, str, list[Card]]]:
        """(group, label, its cards) in the page's order (one pass over the cards)."""
        by_group: dict[str, list[Card]] = {}
        for card in self.cards:
            by_group.setdefault(card.indicator.group, []).append(card)
        return [(g, label, by_group.get(g, [])) for g, label in self.groups]


def dashboard_default_year(*, user) -> int:
    """The year the dashboard opens on: the year being rated (the review screen's), or, until
    a unit the user can see has a round for it, the latest year that has one."""
    current = current_rating_year()
    rounds = RatingRound.objects.filter(year__lte=current)
    paths = organization_paths_visible_to(user)
    if paths is not None:
        rounds = rounds.filter(indicators.scope.path_q(paths, "organization__path"))
    return rounds.aggregate(latest=Max("year"))["latest"] or current


def dashboard_scope(
    *, user, node: Organization, mapped: bool = False, include_proposals: bool = False
) -> indicators.Scope:
    """The counted scope for `user` (None: a command-line run, everything)."""
    allowed = None if user is None else organization_paths_visible_to(user)
    return indicators.Scope(
        node=node, mapped=mapped, include_proposals=include_proposals, allowed_roots=allowed
    )


def indicators_active() -> list[Indicator]:
    return [i for i in Indicator.objects.filter(is_active=True) if i.formula in indicators.FORMULAS]


def indicators_in_words_of(year: int) -> list[Indicator]:
    """The indicators that exist in `year`'s scheme, each named in that year's words (the
    rows are read for this request only and never saved, so every table, export and report
    built from them says "hoàn thành xuất sắc nhiệm vụ", not "TSVM", for 2026)."""
    found = [i for i in indicators_active() if gap.indicator_shown(i, year)]
    for indicator in found:
        indicator.name = gap.indicator_name(indicator, year)
    return found


def targets_for(*, node: Organization, year: int) -> dict[int, IndicatorTarget]:
    """Per indicator, the target of the node or of its nearest ancestor that has one: the
    first target year not before `year`, else the latest (one query)."""
    step = Organization.steplen
    paths = [node.path[: step * d] for d in range(1, node.depth + 1)]
    found: dict[int, IndicatorTarget] = {}
    rows = IndicatorTarget.objects.filter(organization__path__in=paths).select_related(
        "organization"
    )

    def rank(t: IndicatorTarget):
        return (len(t.organization.path), t.target_year >= year, -abs(t.target_year - year))

    for target in rows:
        best = found.get(target.indicator_id)
        if best is None or rank(target) > rank(best):
            found[target.indicator_id] = target
    return found


def _best_targets(rows, year: int) -> dict[tuple[int, int], IndicatorTarget]:
    """Per (indicator, organization), the first target year not before `year`, else the
    latest."""
    found: dict[tuple[int, int], IndicatorTarget] = {}

    def rank(t: IndicatorTarget):
        return (t.target_year >= year, -abs(t.target_year - year))

    for target in rows:
        key = (target.indicator_id, target.organization_id)
        if key not in found or rank(target) > rank(found[key]):
            found[key] = target
    return found


def child_targets_for(*, children, year: int) -> dict[tuple[int, int], IndicatorTarget]:
    """The children's own targets (cascaded or entered), one query."""
    rows = IndicatorTarget.objects.filter(organization_id__in=[c.id for c in children])
    return _best_targets(rows, year)


def explanations_for(*, organization_ids, year: int) -> dict[tuple[int, int], str]:
    """The units' explanations (giải trình) of their numbers in `year`, one query."""
    rows = TargetExplanation.objects.filter(
        organization_id__in=list(organization_ids), year=year
    ).values_list("indicator_id", "organization_id", "text")
    return {(i, o): text for i, o, text in rows}


def cascade_children(*, user, node: Organization, year: int):
    """The node's child units on the year's tree and their members (the weights a count
    target is split by), as `Organization` rows in name order."""
    scope = dashboard_scope(user=user, node=node)
    results = indicators.compute(scope=scope, years=[year])
    children = scope.children(year)
    orgs = {o.pk: o for o in Organization.objects.filter(pk__in=[c.id for c in children])}
    found = [orgs[c.id] for c in children if c.id in orgs]
    weights = [results.counters(year, c.path).get("mc.end", 0) for c in children if c.id in orgs]
    return found, weights


def _gap(indicator: Indicator, value, target: IndicatorTarget | None):
    if value is None or target is None:
        return None, None
    gap = value - target.target_value
    met = gap >= 0 if indicator.better == Indicator.Better.HIGHER else gap <= 0
    return gap, met


def dashboard_get(
    *,
    user,
    node: Organization,
    year: int,
    mapped: bool = False,
    include_proposals: bool = False,
    group: str = "organizations",
) -> DashboardData:
    """Cards for every indicator (with last year's value), the children table for one group."""
    scope = dashboard_scope(
        user=user, node=node, mapped=mapped, include_proposals=include_proposals
    )
    results = indicators.compute(scope=scope, years=[year - 1, year])
    active = indicators_in_words_of(year)
    targets = targets_for(node=node, year=year)
    cards = []
    for indicator in active:
        value, num, den = results.value_and_parts(indicator.formula, year)
        target = targets.get(indicator.pk)
        difference, met = _gap(indicator, value, target)
        cards.append(
            Card(
                indicator=indicator,
                value=value,
                numerator=num,
                denominator=den,
                previous=results.value(indicator.formula, year - 1),
                target=target,
                gap=difference,
                met=met,
                name=gap.indicator_name(indicator, year),
                status=None
                if target is None
                else rules.target_status(
                    gap.target_path(indicator, target), year=year, value=value
                ),
            )
        )
    group = group if group in GROUPS else "organizations"
    columns = [i for i in active if i.group == group]
    rows = children_rows(results=results, year=year, columns=columns)
    totals = [_cell(results, i, year) for i in columns]
    present = {i.group for i in active}
    children = results.scope.children(year)
    lines = gap.target_lines(
        results=results,
        year=year,
        children=children,
        targets=targets,
        child_targets=child_targets_for(children=children, year=year) if targets else {},
        explanations=explanations_for(
            organization_ids=[c.id for c in children] + [node.pk], year=year
        )
        if targets
        else {},
        active=active,
    )
    return DashboardData(
        node=node,
        year=year,
        mapped=mapped,
        include_proposals=include_proposals,
        group=group,
        cards=cards,
        columns=columns,
        rows=rows,
        totals=totals,
        as_of=results.as_of,
        groups=[(g, group_label(g)) for g in GROUPS if g in present],
        targets=lines,
    )


def children_rows(
    *, results: indicators.Results, year: int, columns: list[Indicator]
) -> list[ChildRow]:
    """One row per child of the node, plus any other unit whose numbers count in the
    table's columns (a unit dissolved during the year, or without successor when mapping), so
    the rows always add up to the total. Such a unit with nothing in these columns is left
    out: the 28 districts dissolved in mid-2025 still carry that year's admissions and
    memberships, but a row of dashes in the ratings table tells a reviewer nothing."""
    scope = results.scope
    children = scope.children(year)
    listed = {c.path for c in children}
    extra_infos = [scope.child_info(b) for b in results.buckets(year) if b and b not in listed]
    extra = sorted(
        (info for info in extra_infos if info is not None),
        key=lambda i: (i.name_sort_key, i.path),
    )
    rows = [
        ChildRow(info=info, cells=[_cell(results, i, year, info.path) for i in columns])
        for info in children
    ]
    for info in extra:
        cells = [_cell(results, i, year, info.path) for i in columns]
        if any(cell.numerator or cell.denominator for cell in cells):
            rows.append(ChildRow(info=info, cells=cells, exists=False))
    return rows


def dashboard_trend(
    *,
    user,
    node: Organization,
    year: int,
    mapped: bool = False,
    include_proposals: bool = False,
    span: int = TREND_SPAN,
) -> dict:
    """Each indicator's value over the `span` years up to `year` (for the chart and cards)."""
    scope = dashboard_scope(
        user=user, node=node, mapped=mapped, include_proposals=include_proposals
    )
    years = list(range(year - span + 1, year + 1))
    results = indicators.compute(scope=scope, years=years)
    series = {}
    for indicator in indicators_active():
        values = [results.value(indicator.formula, y) for y in years]
        series[indicator.code] = {
            "name": indicator.name,
            "unit": indicator.unit,
            "headline": indicator.is_headline,
            "values": [None if v is None else float(v) for v in values],
        }
    return {"years": years, "series": series, "as_of": results.as_of.isoformat()}


def level_breakdown(*, user, node: Organization, year: int, prefix: str = "gro", **options):
    """(short label, count) of each level, best first, for the bar chart of levels; the
    labels are the year's scheme's (TSVM … Yếu kém for organizations before 2018)."""
    scope = dashboard_scope(user=user, node=node, **options)
    counters = indicators.compute(scope=scope, years=[year]).counters(year)
    scheme = schemes.scheme_for_year(year)
    level_at = scheme.member_level_at if prefix == "mem" else scheme.organization_level_at
    return [
        (level_at(rank).short, counters.get(f"{prefix}.{key}", 0))
        for rank, key in RANK_COUNTERS.items()
    ]


def indicator_report(*, user, node: Organization, year: int, **options) -> list[dict]:
    """Every indicator of a node and year as plain rows (the command prints these)."""
    data = dashboard_get(user=user, node=node, year=year, **options)
    return [
        {
            "code": c.indicator.code,
            "name": c.name or c.indicator.name,
            "unit": c.indicator.unit,
            "value": None if c.value is None else str(c.value),
            "numerator": c.numerator,
            "denominator": c.denominator,
            "previous": None if c.previous is None else str(c.previous),
            "target": None if c.target is None else str(c.target.target_value),
            "gap": None if c.gap is None else str(c.gap),
            "status": c.status,
            "source": c.indicator.source_number,
        }
        for c in data.cards
    ]
