"""What a report shows, as plain dataclasses built from selectors (no HTML, no PDF here).

Every kind builds a `ReportDocument`: the official header of Hướng dẫn 36-HD/VPTW (superior
body, issuing body, number, place and date), a kind-specific body and the footer (who exported
it, when, the data's "as of" time). The templates under templates/assessments/reports/ render
it; reports.xlsx writes the statistics tables of the same objects, so the PDF and the Excel
file cannot disagree.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.choices import COMMUNE_LEVEL_TYPES, PostKind
from cells.models import Member, Organization, Post, Term
from cells.selectors import members_of

from .. import schemes
from ..choices import NotRatedReason, RoundState
from ..models import MemberRating, RatingRound, ReportJob
from ..selectors import build_grid, grassroots_for, period_end
from . import selectors

Kind = ReportJob.Kind

# Document type abbreviations (Hướng dẫn 36-HD/VPTW): numbered kinds only; the pre-filled
# forms and minutes are blanks filled in at the meeting, they carry no number.
DOCUMENT_TYPES = {Kind.RESULTS: "BC", Kind.SUMMARY: "BC", Kind.PROPOSALS: "DS"}
REASON_SHORT = {
    NotRatedReason.EXEMPT: "Miễn",
    NotRatedReason.SUSPENDED: "Đình chỉ",
    NotRatedReason.NEWLY_ADMITTED: "Mới kết nạp",
    NotRatedReason.NEWLY_ESTABLISHED: "Mới thành lập",
    NotRatedReason.OTHER: "Lý do khác",
}
_PLACE_WORDS = (
    "thị trấn",
    "đặc khu",
    "thị xã",
    "thành phố",
    "tổ dân phố",
    "xã",
    "phường",
    "tỉnh",
    "huyện",
    "quận",
    "thôn",
    "ấp",
    "bản",
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def upper(text: str) -> str:
    return nfc(text).upper()


# --- numbers as printed (Vietnamese: 1.700 and 87,50) ---------------------------------------
def fmt_int(n: int | None) -> str:
    return "–" if n is None else f"{n:,}".replace(",", ".")


def fmt_pct(value: Decimal | None) -> str:
    return "–" if value is None else f"{value:.2f}".replace(".", ",")


def fmt_date(day: datetime.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def fmt_datetime(moment: datetime.datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y")


def date_line(place: str, day: datetime.date) -> str:
    """ "Vị Thắng, ngày 15 tháng 12 năm 2025" (Hướng dẫn 36-HD/VPTW)."""
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


# --- columns of a statistics table, shared by the PDF and the Excel twin ---------------------
@dataclass(frozen=True)
class Column:
    group: str  # "" → a single header spanning two rows
    label: str
    value: Callable[[selectors.StatRow], object]
    kind: str = "int"  # "text" | "int" | "pct"

    def text(self, row: selectors.StatRow) -> str:
        value = self.value(row)
        if self.kind == "pct":
            return fmt_pct(value)
        if self.kind == "int":
            return fmt_int(value)
        return str(value)


def table_columns(table: selectors.StatTable) -> list[Column]:
    """The columns of DOMAIN §7 item 1: unit; total; not rated by reason; rated; each level
    n and %; HTTNV or better n and %; HTXSNV/HTTNV ratio (members)."""
    nr = "Không xếp loại"
    columns = [
        Column("", "Đơn vị", lambda r: r.name, "text"),
        Column("", "Tổng số", lambda r: r.total),
    ]
    for reason in table.reasons:
        columns.append(Column(nr, REASON_SHORT[reason], lambda r, c=reason: r.reason(c)))
    columns.append(Column(nr, "Cộng", lambda r: r.not_rated_total))
    if table.has_pending:
        columns.append(Column("", "Chưa quyết định", lambda r: r.pending))
    columns.append(Column("", "Được xếp loại", lambda r: r.rated))
    for rank in selectors.RANKS:
        label = table.labels[rank]
        columns.append(Column(label, "SL", lambda r, k=rank: r.n(k)))
        columns.append(Column(label, "%", lambda r, k=rank: r.pct(k), "pct"))
    best = "HTTNV trở lên"
    columns.append(Column(best, "SL", lambda r: r.good_or_better))
    columns.append(Column(best, "%", lambda r: r.good_or_better_pct, "pct"))
    if table.key == "members":
        columns.append(
            Column("", "Tỷ lệ HTXSNV/HTTNV (%)", lambda r: r.excellent_to_good_pct, "pct")
        )
    return columns


@dataclass
class HeaderCell:
    label: str
    colspan: int = 1
    rowspan: int = 1


@dataclass
class TableView:
    """A statistics table ready to print: two header rows, body rows and the total row."""

    table: selectors.StatTable
    columns: list[Column]
    top: list[HeaderCell]
    bottom: list[str]
    rows: list[list[str]]
    total: list[str]


def table_view(table: selectors.StatTable) -> TableView:
    columns = table_columns(table)
    top: list[HeaderCell] = []
    bottom: list[str] = []
    for column in columns:
        if not column.group:
            top.append(HeaderCell(column.label, rowspan=2))
        elif top and top[-1].label == column.group and top[-1].rowspan == 1:
            top[-1].colspan += 1
            bottom.append(column.label)
        else:
            top.append(HeaderCell(column.group))
            bottom.append(column.label)
    return TableView(
        table=table,
        columns=columns,
        top=top,
        bottom=bottom,
        rows=[[c.text(r) for c in columns] for r in table.rows],
        total=[c.text(table.total) for c in columns],
    )


# --- the official header --------------------------------------------------------------------
@dataclass
class DocumentHeader:
    superior: str
    issuer: str
    issuer_name: str  # the issuer in running text ("Đảng ủy xã Vị Thắng")
    number: str  # "Số 12-BC/ĐU", "" for an unnumbered form
    place: str
    day: datetime.date
    doc_type: str  # "BÁO CÁO"
    summary: str
    on_behalf: str  # "T/M ĐẢNG ỦY"
    signer_title: str  # "BÍ THƯ"
    signer_name: str
    recipients: list[str]

    @property
    def date_line(self) -> str:
        return date_line(self.place, self.day)


@dataclass
class Footer:
    exported_by: str
    exported_at: datetime.datetime
    as_of: datetime.datetime | None

    @property
    def text(self) -> str:
        as_of = fmt_datetime(self.as_of) or "—"
        return (
            f"Xuất bởi {self.exported_by} lúc {fmt_datetime(self.exported_at)} · "
            f"Số liệu tính đến {as_of}"
        )


@dataclass
class ReportDocument:
    kind: str
    organization: Organization
    year: int
    header: DocumentHeader
    footer: Footer
    body: object
    landscape: bool = False
    tables: list[TableView] = field(default_factory=list)

    @property
    def template_name(self) -> str:
        return f"assessments/reports/{self.kind}.html"

    @property
    def filename_stem(self) -> str:
        return f"{self.kind}-{self.organization.code}-{self.year}"


def _ancestors(node: Organization) -> list[Organization]:
    """Ancestors of `node`, top first (one query)."""
    step = Organization.steplen
    paths = [node.path[: step * d] for d in range(1, node.depth)]
    return list(Organization.objects.filter(path__in=paths).order_by("depth"))


def committee_name(organization: Organization) -> str:
    """The issuing body: the committee of a đảng bộ ("Đảng ủy xã …"), or the chi bộ itself."""
    name = nfc(organization.name)
    if name.lower().startswith("đảng bộ"):
        return "Đảng ủy" + name[len("Đảng bộ") :]
    return name


def place_name(organization: Organization, ancestors: list[Organization]) -> str:
    """The place of the date line: the commune-level unit's name without its level word."""
    chain = [organization, *reversed(ancestors)]
    source = next((o for o in chain if o.type in COMMUNE_LEVEL_TYPES), organization)
    words = nfc(source.name)
    for prefix in ("Đảng bộ ", "Chi bộ "):
        if words.startswith(prefix):
            words = words[len(prefix) :]
    lowered = words.lower()
    for word in _PLACE_WORDS:
        if lowered.startswith(word + " "):
            words = words[len(word) + 1 :]
            break
    return words.strip()


def _secretary(organization: Organization, day: datetime.date) -> str:
    post = (
        Post.objects.filter(
            Q(start__isnull=True) | Q(start__lte=day),
            Q(end__isnull=True) | Q(end__gte=day),
            organization=organization,
            kind=PostKind.PARTY,
            title__istartswith="Bí thư",
        )
        .select_related("member")
        .order_by("-start")
        .first()
    )
    return post.member.full_name if post else ""


def document_abbreviation(organization: Organization) -> str:
    if organization.document_abbreviation:
        return organization.document_abbreviation
    return "CB" if nfc(organization.name).lower().startswith("chi bộ") else "ĐU"


def term_for(organization: Organization, year: int) -> Term | None:
    return (
        Term.objects.filter(organization=organization, start_year__lte=year, end_year__gte=year)
        .order_by("-start_year")
        .first()
    )


def build_header(
    *,
    organization: Organization,
    doc_type: str,
    summary: str,
    number: str,
    day: datetime.date,
    recipients: list[str],
) -> DocumentHeader:
    ancestors = _ancestors(organization)
    superior = ancestors[-1] if ancestors else None
    is_cell = nfc(organization.name).lower().startswith("chi bộ")
    return DocumentHeader(
        superior=upper(superior.name) if superior else "",
        issuer=upper(committee_name(organization)),
        issuer_name=committee_name(organization),
        number=number,
        place=place_name(organization, ancestors),
        day=day,
        doc_type=doc_type,
        summary=summary,
        on_behalf="T/M CHI BỘ" if is_cell else "T/M ĐẢNG ỦY",
        signer_title="BÍ THƯ",
        signer_name=_secretary(organization, day),
        recipients=recipients,
    )


def _recipients(organization: Organization) -> list[str]:
    ancestors = _ancestors(organization)
    found = []
    if ancestors:
        found.append(f"- Ban Thường vụ {committee_name(ancestors[-1])} (để báo cáo),")
    found.append("- Các chi bộ trực thuộc,")
    found.append("- Lưu Văn phòng.")
    return found


# --- bodies ---------------------------------------------------------------------------------
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
    indicators_note: str = ""


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


@dataclass
class SelfReviewSheet:
    form_code: str
    form_title: str
    full_name: str
    birth_date: str
    cell: str
    party_posts: str
    government_posts: str
    admitted_on: str
    full_member_on: str
    self_level: str


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


def _label(scheme: schemes.RatingScheme, slug: str) -> str:
    if not slug:
        return ""
    try:
        return scheme.level(slug).short
    except ValueError:
        return slug


def _levels_chart(statistics: selectors.Statistics, year: int) -> str:
    from .. import charts

    labels = statistics.members.labels
    bars = [(labels[k], statistics.members.total.n(k)) for k in selectors.RANKS]
    return charts.bar_chart_svg(title=f"Đảng viên theo mức xếp loại năm {year}", bars=bars)


def _quota_exceptions(node: Organization, year: int) -> list[tuple[str, str]]:
    rounds = (
        RatingRound.objects.filter(year=year, organization__path__startswith=node.path)
        .exclude(quota_exception="")
        .select_related("organization")
        .order_by("organization__name_sort_key")
    )
    return [(r.organization.name, r.quota_exception) for r in rounds]


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
    try:
        from .. import charts, dashboard
    except ImportError:  # the dashboard is optional: the tables above stand on their own
        body.indicators_note = "Chưa có số liệu chỉ tiêu Nghị quyết 22."
        return body
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
                title=f"Tổ chức cơ sở đảng theo mức xếp loại năm {year}", bars=breakdown
            )
        )
    trend = dashboard.dashboard_trend(user=None, node=node, year=year, span=5)
    for series in trend["series"].values():
        if series.get("headline"):
            body.charts.append(
                charts.line_chart_svg(
                    title=series["name"],
                    years=trend["years"],
                    values=series["values"],
                    unit=series["unit"],
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
                self_level=_label(scheme, r.self_level) if r else "",
                cell_level=_label(scheme, r.cell_level) if r else "",
                votes=votes,
                proposed=_label(scheme, r.proposed_level) if r else "",
                decided=_label(scheme, r.decided_level) if r else "",
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
    return ProposalsBody(
        round_state=str(RoundState(round_.state).label),
        scheme=scheme,
        groups=[groups[c.pk] for c in grid.cells if c.pk in groups]
        + [g for pk, g in groups.items() if pk not in cells],
        counts=counts,
        not_rated=grid.not_rated,
        quota_lines=quota_lines,
        quota_ok=not any(q.exceeded for q in grid.quota),
        quota_exception=round_.quota_exception,
    )


def _members_with_cells(node: Organization, year: int) -> tuple[list[Member], dict[int, str]]:
    end = period_end(year)
    members = list(members_of(organization=node, on=end, subtree=True))
    cell_ids = {m.cell_id for m in members}
    found = Organization.objects.filter(pk__in=cell_ids).order_by("name_sort_key", "path")
    return members, dict(found.values_list("pk", "name"))


def max_forms() -> int:
    """Most self-review forms in one file (REPORT_MAX_FORMS, read at call time)."""
    return getattr(settings, "REPORT_MAX_FORMS", 400)


def self_review_body(*, node: Organization, year: int) -> list[SelfReviewSheet]:
    """One pre-filled self-review form per member, with the form code of the year's scheme."""
    scheme = schemes.scheme_for_year(year)
    end = period_end(year)
    members, cells = _members_with_cells(node, year)
    limit = max_forms()
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
    ids = [m.pk for m in members]
    posts: dict[int, dict[str, list[str]]] = {}
    for post in Post.objects.filter(
        Q(start__isnull=True) | Q(start__lte=end),
        Q(end__isnull=True) | Q(end__gte=end),
        member_id__in=ids,
    ).order_by("kind", "title"):
        posts.setdefault(post.member_id, {}).setdefault(post.kind, []).append(post.title)
    ratings = {r.member_id: r for r in MemberRating.objects.filter(year=year, member_id__in=ids)}
    sheets = []
    for m in members:
        held = posts.get(m.pk, {})
        party, government = held.get(PostKind.PARTY, []), held.get(PostKind.GOVERNMENT, [])
        form = scheme.self_review_form_for(
            is_leader=bool(party), in_political_system=bool(party or government)
        )
        rating = ratings.get(m.pk)
        sheets.append(
            SelfReviewSheet(
                form_code=form.code,
                form_title=form.title,
                full_name=m.full_name,
                birth_date=fmt_date(m.birth_date),
                cell=cells.get(m.cell_id, ""),
                party_posts=", ".join(party),
                government_posts=", ".join(government),
                admitted_on=fmt_date(m.admitted_on),
                full_member_on=fmt_date(m.full_member_on),
                self_level=_label(scheme, rating.self_level) if rating else "",
            )
        )
    return sheets


def minutes_body(*, node: Organization, year: int) -> list[MinutesSheet]:
    """Pre-filled minutes of each cell's rating meeting: members, their self-assessment, the
    vote and the cell's proposal where already entered, and who is not rated and why."""
    scheme = schemes.scheme_for_year(year)
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
                self_level=_label(scheme, r.self_level) if r else "",
                votes=votes,
                cell_level=_label(scheme, r.cell_level) if r else "",
            )
        )
    return [by_cell[pk] for pk in cells if pk in by_cell]


class ReportError(Exception):
    """The report cannot be made for this unit and year (shown to the user as is)."""


TITLES = {
    Kind.RESULTS: (
        "BÁO CÁO",
        "Kết quả kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng, đảng viên năm {year}",
    ),
    Kind.PROPOSALS: ("DANH SÁCH", "Đề nghị xếp loại chất lượng đảng viên năm {year}"),
    Kind.SELF_REVIEW: ("BẢN KIỂM ĐIỂM CÁ NHÂN", "Năm {year}"),
    Kind.MINUTES: ("BIÊN BẢN", "Họp chi bộ kiểm điểm, đánh giá, xếp loại đảng viên năm {year}"),
    Kind.SUMMARY: (
        "BÁO CÁO",
        "Tổng hợp kết quả đánh giá, xếp loại chất lượng tổ chức đảng, đảng viên và các chỉ "
        "tiêu thực hiện Nghị quyết 22-NQ/TW năm {year}",
    ),
}


def build_document(
    *,
    kind: str,
    organization: Organization,
    year: int,
    number: str,
    exported_by: str,
    day: datetime.date | None = None,
    include_proposals: bool = False,
) -> ReportDocument:
    """The whole report of one kind for one unit and year, ready for a template."""
    day = day or timezone.localdate()
    doc_type, summary = TITLES[kind]
    body: object
    tables: list[TableView] = []
    as_of = None
    landscape = False
    if kind == Kind.RESULTS:
        body = results_body(node=organization, year=year, include_proposals=include_proposals)
        tables = [table_view(t) for t in body.statistics.tables]
        as_of, landscape = body.statistics.as_of, True
    elif kind == Kind.SUMMARY:
        body = summary_body(node=organization, year=year, include_proposals=include_proposals)
        tables = [table_view(t) for t in body.statistics.tables]
        as_of, landscape = body.statistics.as_of, True
    elif kind == Kind.PROPOSALS:
        body = proposals_body(node=organization, year=year)
    elif kind == Kind.SELF_REVIEW:
        body = self_review_body(node=organization, year=year)
    elif kind == Kind.MINUTES:
        body = minutes_body(node=organization, year=year)
    else:
        raise ReportError(f"Unknown report kind {kind!r}")
    if as_of is None:
        as_of = timezone.now()
    header = build_header(
        organization=organization,
        doc_type=doc_type,
        summary=summary.format(year=year),
        number=number,
        day=day,
        recipients=_recipients(organization),
    )
    return ReportDocument(
        kind=kind,
        organization=organization,
        year=year,
        header=header,
        footer=Footer(exported_by=exported_by, exported_at=timezone.now(), as_of=as_of),
        body=body,
        landscape=landscape,
        tables=tables,
    )
