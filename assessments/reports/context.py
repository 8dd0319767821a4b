"""What a report shows, as plain dataclasses built from selectors (no HTML, no PDF here).

Every kind builds a `ReportDocument`: the official header of Hướng dẫn 36-HD/VPTW (superior
body, issuing body, number, place and date), a kind-specific body and the footer (who exported
it, when, the data's "as of" time). The templates under templates/assessments/reports/ render
it; reports.xlsx writes the statistics tables of the same objects, so the PDF and the Excel
file cannot disagree.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from cells.choices import COMMUNE_LEVEL_TYPES, PostKind
from cells.models import Organization, Post
from documents import naming

from ..choices import NotRatedReason
from ..indicators.counters import RANKS
from ..models import ReportJob
from . import bodies, selectors
from .bodies import ReportError
from .formatting import date_line, fmt_datetime, fmt_int, fmt_pct, nfc

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
    for rank in RANKS:
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
    suffix: str = ""  # "ĐU": the number's suffix of the issuer's level
    # A draft or preview carries "DỰ THẢO" and no number; an issued document its number.
    draft: bool = True
    # Said on the face of a draft whose results are not all decided yet ("" when they are).
    undecided: str = ""

    @property
    def date_line(self) -> str:
        return date_line(self.place, self.day)


@dataclass
class Footer:
    exported_by: str
    exported_at: datetime.datetime
    as_of: datetime.datetime | None
    scope: str = ""

    @property
    def text(self) -> str:
        """The watermark of every page and sheet: who, when, which scope, data as of when."""
        as_of = fmt_datetime(self.as_of) or "—"
        scope = f" · Phạm vi: {self.scope}" if self.scope else ""
        return (
            f"Xuất bởi {self.exported_by} lúc {fmt_datetime(self.exported_at)}{scope} · "
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


def _unit(organization: Organization, day: datetime.date | None = None) -> naming.Unit:
    return naming.Unit(
        type=organization.type,
        name=organization.name,
        abbreviation=organization.document_abbreviation,
        has_cell_committee=day is not None
        and organization.type in naming.CELL_LIKE
        and selectors.has_cell_committee(organization, day),
    )


def naming_of(organization: Organization, day: datetime.date) -> naming.Naming:
    """The level-dependent names of the organization's documents (documents.naming)."""
    ancestors = _ancestors(organization)
    superior = _unit(ancestors[-1]) if ancestors else None
    return naming.naming_for(_unit(organization, day), superior=superior)


def build_header(
    *,
    organization: Organization,
    doc_type: str,
    summary: str,
    number: str,
    day: datetime.date,
) -> DocumentHeader:
    ancestors = _ancestors(organization)
    names = naming_of(organization, day)
    return DocumentHeader(
        superior=names.superior,
        issuer=names.issuer,
        issuer_name=names.issuer_name,
        number=number,
        place=place_name(organization, ancestors),
        day=day,
        doc_type=doc_type,
        summary=summary,
        on_behalf=names.on_behalf,
        signer_title=names.signer_title,
        signer_name=_secretary(organization, day),
        recipients=list(names.recipients),
        suffix=names.suffix,
    )


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


UNDECIDED_RESULTS = (
    "Số liệu chưa phải kết quả chính thức: còn đơn vị, đảng viên chưa được cấp có thẩm quyền "
    'quyết định xếp loại (cột "Chưa quyết định").'
)
UNDECIDED_ROUND = (
    "Số liệu chưa phải kết quả chính thức: cấp ủy có thẩm quyền chưa quyết định xếp loại "
    "(tình trạng: {state})."
)


def undecided_note(kind: str, body) -> str:
    """What the face of the document says when the results it shows are not all decided."""
    if kind in (Kind.RESULTS, Kind.SUMMARY):
        pending = any(t.has_pending for t in body.statistics.tables)
        return UNDECIDED_RESULTS if pending else ""
    if kind == Kind.PROPOSALS and not body.decided:
        return UNDECIDED_ROUND.format(state=body.round_state)
    return ""


def is_draft(number: str) -> bool:
    """The one rule of the "DỰ THẢO" mark, for every document and form: without a number (a
    draft of a numbered document, or a blank form to fill in) it says DỰ THẢO, in its header
    and across every page; issued, it carries its number and never DỰ THẢO."""
    return not number


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
        body = bodies.results_body(
            node=organization, year=year, include_proposals=include_proposals
        )
        tables = [table_view(t) for t in body.statistics.tables]
        as_of, landscape = body.statistics.as_of, True
    elif kind == Kind.SUMMARY:
        body = bodies.summary_body(
            node=organization, year=year, include_proposals=include_proposals
        )
        tables = [table_view(t) for t in body.statistics.tables]
        as_of, landscape = body.statistics.as_of, True
    elif kind == Kind.PROPOSALS:
        body = bodies.proposals_body(node=organization, year=year)
    elif kind == Kind.SELF_REVIEW:
        body = bodies.self_review_body(node=organization, year=year)
    elif kind == Kind.MINUTES:
        body = bodies.minutes_body(node=organization, year=year)
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
    )
    header.draft = is_draft(number)
    header.undecided = undecided_note(kind, body)
    return ReportDocument(
        kind=kind,
        organization=organization,
        year=year,
        header=header,
        footer=Footer(
            exported_by=exported_by,
            exported_at=timezone.now(),
            as_of=as_of,
            scope=f"{organization.name} ({organization.code}), {year}",
        ),
        body=body,
        landscape=landscape,
        tables=tables,
    )
