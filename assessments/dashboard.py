"""Selectors that assemble the Resolution 22 dashboard: cards, children table, trend, lists.

Thin views call these; the arithmetic is assessments.indicators. Every function takes the
user and a node already fetched through `cells.selectors.organization_get` (out of scope is a
404 before we get here); the counted rows are further limited to the user's visible subtrees,
which matters when merge mapping pulls in predecessors' subtrees.

Query budget (asserted in tests): one per indicator family, one for the tree metadata, one
per level of merge chains when mapping, one for indicators and one for targets — whatever the
number of children.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max
from django.http import Http404
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from cells.models import Organization
from cells.selectors import organization_paths_visible_to
from partybuild.spreadsheets import watermark_workbook, xlsx_append

from . import indicators, schemes
from .indicators.counters import RANK_COUNTERS
from .models import Indicator, IndicatorTarget, RatingRound
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
    """The counter whose list is behind an indicator's number."""
    return indicators.FORMULAS[indicator.formula].link_counter


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

    @property
    def counter(self) -> str:
        return link_counter(self.indicator)

    @property
    def delta(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass
class TableCell:
    indicator: Indicator
    value: Decimal | None
    numerator: int
    href: str = ""  # the list behind the number, set by the view

    @property
    def counter(self) -> str:
        return link_counter(self.indicator)


def _cell(results: indicators.Results, indicator: Indicator, year: int, bucket=None) -> TableCell:
    return TableCell(
        indicator=indicator,
        value=results.value(indicator.formula, year, bucket),
        numerator=results.parts(indicator.formula, year, bucket)[0],
    )


@dataclass
class ChildRow:
    info: indicators.OrgInfo
    cells: list[TableCell]
    exists: bool = True  # False: a unit with data that is not on the table's tree


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

    def cards_in(self, group: str) -> list[Card]:
        return [c for c in self.cards if c.indicator.group == group]


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
    active = indicators_active()
    targets = targets_for(node=node, year=year)
    cards = []
    for indicator in active:
        value = results.value(indicator.formula, year)
        num, den = results.parts(indicator.formula, year)
        target = targets.get(indicator.pk)
        gap, met = _gap(indicator, value, target)
        cards.append(
            Card(
                indicator=indicator,
                value=value,
                numerator=num,
                denominator=den,
                previous=results.value(indicator.formula, year - 1),
                target=target,
                gap=gap,
                met=met,
            )
        )
    group = group if group in GROUPS else "organizations"
    columns = [i for i in active if i.group == group]
    rows = children_rows(results=results, year=year, columns=columns)
    totals = [_cell(results, i, year) for i in columns]
    present = {i.group for i in active}
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
    )


def children_rows(
    *, results: indicators.Results, year: int, columns: list[Indicator]
) -> list[ChildRow]:
    """One row per child of the node, plus any other unit that carries numbers (a unit
    dissolved without successor when mapping), so the rows always add up to the total."""
    scope = results.scope
    children = scope.children(year)
    listed = {c.path for c in children}
    extra_infos = [scope.child_info(b) for b in results.buckets(year) if b and b not in listed]
    extra = sorted(
        (info for info in extra_infos if info is not None),
        key=lambda i: (i.name_sort_key, i.path),
    )
    rows = []
    for info, exists in [(c, True) for c in children] + [(e, False) for e in extra]:
        cells = [_cell(results, i, year, info.path) for i in columns]
        rows.append(ChildRow(info=info, cells=cells, exists=exists))
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


@dataclass
class DrillList:
    kind: str
    title: str
    items: list
    child: indicators.OrgInfo | None


def dashboard_list(
    *,
    user,
    node: Organization,
    year: int,
    counter: str,
    child_pk: int | None = None,
    mapped: bool = False,
    include_proposals: bool = False,
) -> DrillList:
    """The units or members behind one number; an unknown counter or a child outside the
    node's scope is a 404."""
    prefix = counter.split(".", 1)[0]
    known = {c for f in indicators.FORMULAS.values() for c in (*f.numerator, *f.denominator)}
    if prefix not in indicators.families.FAMILY_OF_PREFIX or counter not in known:
        raise Http404
    scope = dashboard_scope(
        user=user, node=node, mapped=mapped, include_proposals=include_proposals
    )
    child = None
    bucket = None
    if child_pk is not None:
        child = scope.by_id.get(child_pk)
        if child is None or scope.bucket(child.path) in (None, indicators.SELF):
            raise Http404
        bucket = scope.bucket(child.path)
    kind, qs = indicators.drill(scope=scope, year=year, counter=counter, bucket=bucket)
    if kind == "member":
        qs = qs.order_by("name_sort_key", "pk")
    elif kind == "organization":
        qs = qs.order_by("name_sort_key", "path")
    else:
        qs = qs.select_related("commune", "cell").order_by("commune__name_sort_key", "name")
    return DrillList(kind=kind, title=counter_label(counter), items=list(qs), child=child)


def counter_label(counter: str) -> str:
    """A Vietnamese heading for the list behind a counter."""
    what, _sep, detail = counter.partition(".")
    levels = {"r3": "HTXSNV", "r2": "HTTNV", "r1": "HTNV", "r0": "KHTNV"}
    subject = {
        "gro": _("Grassroots organizations"),
        "cell": _("Subordinate cells"),
        "mem": _("Members"),
        "mc": _("Members"),
        "adm": _("Admissions"),
        "ru": _("Residential units"),
        "cad": _("Cadres"),
        "mt": _("Cells"),
        "nr": _("New-rural communes"),
        "exist": _("Units"),
    }[what]
    return f"{subject} · {levels.get(detail, detail)}"


# --- Excel -------------------------------------------------------------------------------
def xlsx_bytes(*, title: str, header: list[str], rows: list[list], watermark: str) -> bytes:
    """A one-sheet workbook (openpyxl): every text cell neutralised (a unit or member named
    like a formula stays text) and `watermark` (who, when, which scope) on every printed page."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31].replace("/", "-") or "Sheet"
    xlsx_append(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx_append(sheet, [float(v) if isinstance(v, Decimal) else v for v in row])
    watermark_workbook(book, watermark)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def dashboard_table_xlsx(data: DashboardData, *, watermark: str) -> bytes:
    header = [_("Unit"), *[i.name for i in data.columns]]
    rows = [[r.info.name, *[c.value for c in r.cells]] for r in data.rows]
    rows.append([_("Total"), *[c.value for c in data.totals]])
    return xlsx_bytes(title=str(data.year), header=header, rows=rows, watermark=watermark)


def drill_list_xlsx(drill: DrillList, *, watermark: str) -> bytes:
    if drill.kind == "member":
        header = [_("Record number"), _("Full name")]
        rows = [[m.record_number, m.full_name] for m in drill.items]
    elif drill.kind == "organization":
        header = [_("Code"), _("Name")]
        rows = [[o.code, o.name] for o in drill.items]
    else:
        header = [_("Name"), _("Commune-level unit"), _("Covering cell")]
        rows = [
            [u.name, u.commune.name if u.commune else "", u.cell.name if u.cell else ""]
            for u in drill.items
        ]
    return xlsx_bytes(title=drill.title, header=header, rows=rows, watermark=watermark)


def indicator_report(*, user, node: Organization, year: int, **options) -> list[dict]:
    """Every indicator of a node and year as plain rows (the command prints these)."""
    data = dashboard_get(user=user, node=node, year=year, **options)
    return [
        {
            "code": c.indicator.code,
            "name": c.indicator.name,
            "unit": c.indicator.unit,
            "value": None if c.value is None else str(c.value),
            "numerator": c.numerator,
            "denominator": c.denominator,
            "previous": None if c.previous is None else str(c.previous),
            "target": None if c.target is None else str(c.target.target_value),
            "gap": None if c.gap is None else str(c.gap),
            "source": c.indicator.source_number,
        }
        for c in data.cards
    ]
