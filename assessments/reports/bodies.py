"""The bodies of the five report kinds (DOMAIN §7), built from selectors.

Each builder reads in bulk (a fixed number of queries per report) and returns plain
dataclasses; reports.context wraps them in the official document.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.models import Member, Organization
from cells.selectors import members_of

from .. import charts, dashboard, schemes
from ..choices import DECIDED_STATES, NotRatedReason, RoundState
from ..indicators.counters import RANKS
from ..models import MemberRating, QuotaCeilingDecision, RatingRound
from ..selectors import build_grid, grassroots_for, period_end
from . import selectors
from .formatting import fmt_int, fmt_pct, level_short
from .forms.member import MemberFormSheet, member_form_sheets

# Charts in a document are set in the document's face, not the web page's.
PRINT_FONT = charts.PRINT_FONT_FAMILY


class ReportError(Exception):
    """The report cannot be made for this unit and year (shown to the user as is)."""


@dataclass
class ResultsBody:
    statistics: selectors.Statistics
    not_rated_members: list[selectors.NotRatedLine]
    not_rated_organizations: list[selectors.NotRatedLine]
    chart_svg: str
    scheme: schemes.RatingScheme
    quota_exceptions: list[tuple[str, str]]


@dataclass
class SummaryBody(ResultsBody):
    unit_levels: list[tuple[str, str, bool]] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    # Shown in place of the indicator table when no indicator is active.
    indicators_note: str = "Chưa có số liệu chỉ tiêu Nghị quyết 22."


@dataclass
class ProposalLine:
    number: int
    name: str
    birth_year: str
    self_level: str
    cell_level: str
    votes: str
    proposed: str
    decided: str
    note: str


@dataclass
class ProposalGroup:
    cell: str
    lines: list[ProposalLine]
    number: int = 0  # its place in the whole list (a piece of the list starts past 1)


@dataclass
class ProposalsBody:
    round_state: str
    scheme: schemes.RatingScheme
    groups: list[ProposalGroup]
    counts: list[tuple[str, int]]
    not_rated: int
    quota_lines: list[str]
    quota_ok: bool
    quota_exception: str
    decided: bool = False


@dataclass
class MinutesLine:
    number: int
    name: str
    self_level: str
    votes: str
    cell_level: str


@dataclass
class MinutesSheet:
    cell: str
    members: int
    not_rated: list[tuple[str, str]]
    lines: list[MinutesLine]
    secretary: str
    on_behalf: str = "T/M CHI BỘ"  # "T/M CHI ỦY" where the cell has an elected chi ủy


def _levels_chart(statistics: selectors.Statistics, year: int) -> str:
    labels = statistics.members.labels
    bars = [(labels[k], statistics.members.total.n(k)) for k in RANKS]
    return charts.bar_chart_svg(
        title=f"Đảng viên theo mức xếp loại năm {year}", bars=bars, font_family=PRINT_FONT
    )


def _user_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _quota_exceptions(node: Organization, year: int) -> list[tuple[str, str]]:
    rounds = (
        RatingRound.objects.filter(year=year, organization__path__startswith=node.path)
        .exclude(quota_exception="")
        .select_related("organization")
        .order_by("organization__name_sort_key")
    )
    found = [(r.organization.name, r.quota_exception) for r in rounds]
    # The 25% decisions (Quy định 366, Điều 11) are shown with who and when.
    decisions = (
        QuotaCeilingDecision.objects.filter(year=year, organization__path__startswith=node.path)
        .select_related("organization", "deciding_organization", "group", "decided_by")
        .order_by("organization__name_sort_key")
    )
    found += [
        (
            d.organization.name,
            f"Mức trần {d.percent}%"
            + (f" (nhóm {d.group.name})" if d.group_id else "")
            + f" theo quyết định của {d.deciding_organization.name}"
            + (f", người ghi {_user_name(d.decided_by)}" if d.decided_by_id else "")
            + f" ngày {timezone.localtime(d.decided_at):%d/%m/%Y %H:%M}: {d.reason}",
        )
        for d in decisions
    ]
    return found


def results_body(*, node: Organization, year: int, include_proposals: bool) -> ResultsBody:
    statistics = selectors.rating_statistics(
        node=node, year=year, include_proposals=include_proposals
    )
    return ResultsBody(
        statistics=statistics,
        not_rated_members=selectors.not_rated_members(
            node=node, year=year, include_proposals=include_proposals
        ),
        not_rated_organizations=selectors.not_rated_organizations(
            node=node, year=year, include_proposals=include_proposals
        ),
        chart_svg=_levels_chart(statistics, year),
        scheme=schemes.scheme_for_year(year),
        quota_exceptions=_quota_exceptions(node, year),
    )


def summary_body(*, node: Organization, year: int, include_proposals: bool) -> SummaryBody:
    """The upper committee's summary: its units' tables, each unit's level, and the
    Resolution 22 indicators with charts (assessments.dashboard, the same numbers)."""
    base = results_body(node=node, year=year, include_proposals=include_proposals)
    body = SummaryBody(**vars(base))
    body.unit_levels = selectors.unit_levels(
        node=node, year=year, include_proposals=include_proposals
    )
    body.charts = [base.chart_svg]
    data = dashboard.dashboard_get(
        user=None, node=node, year=year, include_proposals=include_proposals
    )
    for card in data.cards:
        unit = card.indicator.unit
        value = card.value
        text = (
            fmt_pct(value)
            if unit != "count"
            else fmt_int(int(value) if value is not None else None)
        )
        body.indicators.append(
            {
                "name": card.indicator.name,
                "value": value,
                "text": text + (" %" if unit == "percent" and value is not None else ""),
                "previous": fmt_pct(card.previous) if card.previous is not None else "–",
                "target": fmt_pct(card.target.target_value) if card.target else "–",
                "source": card.indicator.source_number,
                "code": card.indicator.code,
            }
        )
    breakdown = dashboard.level_breakdown(user=None, node=node, year=year, prefix="gro")
    if any(n for _label, n in breakdown):
        body.charts.append(
            charts.bar_chart_svg(
                title=f"Tổ chức cơ sở đảng theo mức xếp loại năm {year}",
                bars=breakdown,
                font_family=PRINT_FONT,
            )
        )
    trend = dashboard.dashboard_trend(user=None, node=node, year=year, span=5)
    for series in trend["series"].values():
        if series.get("headline") and any(v is not None for v in series["values"]):
            body.charts.append(
                charts.line_chart_svg(
                    title=series["name"],
                    years=trend["years"],
                    values=series["values"],
                    unit=series["unit"],
                    font_family=PRINT_FONT,
                )
            )
            break
    return body


def proposals_body(*, node: Organization, year: int) -> ProposalsBody:
    """The list of proposed levels per cell, with the quota check of the round (Q1)."""
    grassroots = grassroots_for(node)
    round_ = (
        RatingRound.objects.filter(organization=grassroots, year=year)
        .select_related("organization")
        .first()
        if grassroots
        else None
    )
    if round_ is None:
        raise ReportError(_("The unit has no rating round for %(year)s.") % {"year": year})
    grid = build_grid(round=round_)
    scheme = grid.scheme
    cells = {c.pk: c.name for c in grid.cells}
    groups: dict[int, ProposalGroup] = {}
    reasons = dict(NotRatedReason.choices)
    for row in grid.rows:
        cell_id = getattr(row.member, "cell_id", None)
        group = groups.setdefault(
            cell_id, ProposalGroup(cell=cells.get(cell_id, node.name), lines=[])
        )
        r = row.rating
        note = ""
        if r is not None and not r.proposed_level and r.not_rated_reason:
            note = str(reasons.get(r.not_rated_reason, ""))
        votes = (
            f"{r.votes_for}/{r.votes_total}"
            if r is not None and r.votes_for is not None and r.votes_total
            else ""
        )
        group.lines.append(
            ProposalLine(
                number=len(group.lines) + 1,
                name=row.member.full_name,
                birth_year=str(row.member.birth_date.year) if row.member.birth_date else "",
                self_level=level_short(scheme, r.self_level) if r else "",
                cell_level=level_short(scheme, r.cell_level) if r else "",
                votes=votes,
                proposed=level_short(scheme, r.proposed_level) if r else "",
                decided=level_short(scheme, r.decided_level) if r else "",
                note=note,
            )
        )
    quota_lines = []
    for q in grid.quota:
        scope = f"nhóm {q.group}" if q.group else "toàn đảng bộ"
        quota_lines.append(
            f"{scope}: HTTNV {q.good}, HTXSNV {q.excellent}, tối đa HTXSNV {q.max_excellent}"
            + (" — vượt tỷ lệ" if q.exceeded else " — đạt")
        )
    counts = [(lv.short, grid.counts.get(lv.slug, 0)) for lv in scheme.member_levels]
    ordered = [groups[c.pk] for c in grid.cells if c.pk in groups]
    ordered += [g for pk, g in groups.items() if pk not in cells]
    for number, group in enumerate(ordered, start=1):
        group.number = number
    return ProposalsBody(
        round_state=str(RoundState(round_.state).label),
        scheme=scheme,
        groups=ordered,
        counts=counts,
        not_rated=grid.not_rated,
        quota_lines=quota_lines,
        quota_ok=not any(q.exceeded for q in grid.quota),
        quota_exception=round_.quota_exception,
        decided=round_.state in DECIDED_STATES,
    )


def _members_with_cells(node: Organization, year: int) -> tuple[list[Member], dict[int, str]]:
    end = period_end(year)
    members = list(members_of(organization=node, on=end, subtree=True))
    cell_ids = {m.cell_id for m in members}
    found = Organization.objects.filter(pk__in=cell_ids).order_by("name_sort_key", "path")
    return members, dict(found.values_list("pk", "name"))


def self_review_body(*, node: Organization, year: int) -> list[MemberFormSheet]:
    """One pre-filled self-review form per member (the year's Mẫu 2A / 2B / 2C, or the
    scheme's form earlier), with its task annex and quarters: reports.forms.member."""
    members, _cells = _members_with_cells(node, year)
    limit = settings.REPORT_MAX_FORMS
    if len(members) > limit:
        # One page per member: 1,700 pages take minutes and ~2 GB in WeasyPrint (see
        # bench/report_render.py --kind self_review); a cell's forms are what a meeting needs.
        raise ReportError(
            _(
                "%(unit)s has %(count)s members: ask for the forms of one cell at a time "
                "(at most %(limit)s forms per file)."
            )
            % {"unit": node.name, "count": len(members), "limit": limit}
        )
    return member_form_sheets(members=members, year=year)


def minutes_body(*, node: Organization, year: int) -> list[MinutesSheet]:
    """Pre-filled minutes of each cell's rating meeting: members, their self-assessment, the
    vote and the cell's proposal where already entered, and who is not rated and why."""
    scheme = schemes.scheme_for_year(year)
    end = period_end(year)
    members, cells = _members_with_cells(node, year)
    ratings = {
        r.member_id: r
        for r in MemberRating.objects.filter(year=year, member_id__in=[m.pk for m in members])
    }
    reasons = dict(NotRatedReason.choices)
    by_cell: dict[int, MinutesSheet] = {}
    for m in members:
        sheet = by_cell.setdefault(
            m.cell_id,
            MinutesSheet(
                cell=cells.get(m.cell_id, ""), members=0, not_rated=[], lines=[], secretary=""
            ),
        )
        sheet.members += 1
        r = ratings.get(m.pk)
        if r is not None and r.not_rated_reason and not r.proposed_level:
            sheet.not_rated.append((m.full_name, str(reasons.get(r.not_rated_reason, ""))))
            continue
        votes = f"{r.votes_for}/{r.votes_total}" if r and r.votes_total else ""
        sheet.lines.append(
            MinutesLine(
                number=len(sheet.lines) + 1,
                name=m.full_name,
                self_level=level_short(scheme, r.self_level) if r else "",
                votes=votes,
                cell_level=level_short(scheme, r.cell_level) if r else "",
            )
        )
    day = end
    committees = {
        cell.pk
        for cell in Organization.objects.filter(pk__in=list(by_cell))
        if selectors.has_cell_committee(cell, day)
    }
    for pk in committees:
        by_cell[pk].on_behalf = "T/M CHI ỦY"
    return [by_cell[pk] for pk in cells if pk in by_cell]
