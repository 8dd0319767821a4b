"""The list behind a dashboard number, and the exports people file.

Asked for by indicator code (what the cards and table cells link to): the list holds exactly
what the indicator's numerator counts — every counter of it ("HTTNV trở lên" lists the HTXSNV
and the HTTNV units) — titled with the indicator's name in the year's words. A bare counter
(`gro.r2`) is still accepted, titled with the indicator that counts exactly it.

Rows carry what a reader checks: for members the cell, level, points and reason not rated;
for organizations the unit above, level, points and reason; `?q=` searches names (tones and
case ignored). Every workbook starts with a title row (what, unit, year, as of, who) and
holds the whole list, whatever the page shows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from cells.models import Member, Organization, ResidentialUnit
from partybuild.spreadsheets import watermark_workbook, xlsx_append

from . import indicators, schemes
from .choices import NotRatedReason
from .dashboard import DashboardData, dashboard_scope
from .indicators import gap
from .models import Indicator, MemberRating, OrganizationRating
from .review import search_fold

_MODELS = {"organization": Organization, "member": Member, "residential_unit": ResidentialUnit}
# Words for the parts of a bare counter that no indicator counts alone.
_DETAIL_WORDS = {
    "rated": "được xếp loại",
    "not_rated": "không xếp loại",
    "pending": "chưa quyết định",
    "women": "nữ",
    "youth": "từ 30 tuổi trở xuống",
    "minority": "người dân tộc thiểu số",
    "religious": "có đạo",
    "total": "",
    "start": "đầu năm",
    "end": "cuối năm",
    "no_cell": "chưa có chi bộ",
    "joint": "sinh hoạt ghép",
    "independent": "có chi bộ riêng",
}
_SUBJECT_WORDS = {
    "gro": "Tổ chức cơ sở đảng",
    "cell": "Chi bộ trực thuộc",
    "mem": "Đảng viên",
    "mc": "Đảng viên",
    "adm": "Đảng viên kết nạp",
    "ru": "Thôn, tổ dân phố",
    "cad": "Cán bộ",
    "mt": "Chi bộ",
    "nr": "Xã đạt chuẩn nông thôn mới",
    "exist": "Đơn vị",
}


@dataclass
class DrillRow:
    pk: int
    name: str
    code: str = ""  # record number for a member, code for an organization
    place: str = ""  # the member's cell, the organization's unit above, the hamlet's commune
    level: str = ""
    points: str = ""
    reason: str = ""
    extra: str = ""  # the hamlet's covering cell


@dataclass
class DrillList:
    kind: str
    title: str
    items: list
    child: indicators.OrgInfo | None
    rows: list[DrillRow] = field(default_factory=list)  # after the search
    total: int = 0  # before the search
    q: str = ""


def _counters_for(key: str, year: int) -> tuple[tuple[str, ...], str]:
    """The counters behind `key` (an indicator code or a bare counter) and the list's title."""
    if "." not in key:
        indicator = Indicator.objects.filter(code=key, is_active=True).first()
        if indicator is None or indicator.formula not in indicators.FORMULAS:
            raise Http404
        return indicators.FORMULAS[indicator.formula].numerator, gap.indicator_name(indicator, year)
    known = {c for f in indicators.FORMULAS.values() for c in (*f.numerator, *f.denominator)}
    prefix = key.split(".", 1)[0]
    if prefix not in indicators.families.FAMILY_OF_PREFIX or key not in known:
        raise Http404
    return (key,), counter_title(key, year)


def counter_title(counter: str, year: int) -> str:
    """A Vietnamese title for a bare counter: the name of the indicator that counts exactly
    it, else its subject and detail in words (never a code)."""
    for indicator in Indicator.objects.filter(is_active=True).order_by("sort_order", "pk"):
        formula = indicators.FORMULAS.get(indicator.formula)
        if formula is not None and formula.numerator == (counter,):
            return gap.indicator_name(indicator, year)
    what, _sep, detail = counter.partition(".")
    subject = _SUBJECT_WORDS.get(what, _("Units"))
    ranks = {"r3": 3, "r2": 2, "r1": 1, "r0": 0}
    if detail in ranks:
        scheme = schemes.scheme_for_year(year)
        rank = schemes.Rank(ranks[detail])
        level = (scheme.member_level_at if what == "mem" else scheme.organization_level_at)(rank)
        return f"{subject} {level.label[0].lower()}{level.label[1:]}"
    words = _DETAIL_WORDS.get(detail, detail.replace("_", " "))
    return f"{subject} {words}".strip()


def dashboard_list(
    *,
    user,
    node: Organization,
    year: int,
    counter: str,
    child_pk: int | None = None,
    mapped: bool = False,
    include_proposals: bool = False,
    q: str = "",
) -> DrillList:
    """The units or members behind one number (an indicator code, or a bare counter); an
    unknown key or a child outside the node's scope is a 404."""
    counters, title = _counters_for(counter, year)
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
    kind = None
    where = Q(pk__in=[])
    for name in counters:
        kind, qs = indicators.drill(scope=scope, year=year, counter=name, bucket=bucket)
        where |= Q(pk__in=qs.values("pk"))
    model = _MODELS[kind]
    qs = model.objects.filter(where)
    if kind == "member":
        qs = qs.order_by("name_sort_key", "pk")
    elif kind == "organization":
        qs = qs.order_by("name_sort_key", "path")
    else:
        qs = qs.select_related("commune", "cell").order_by("commune__name_sort_key", "name")
    items = list(qs)
    rows = _rows(kind, items, year=year, include_proposals=include_proposals)
    needle = search_fold(q) if q else ""
    shown = [r for r in rows if needle in search_fold(f"{r.name} {r.code} {r.place}")]
    return DrillList(
        kind=kind, title=title, items=items, child=child, rows=shown, total=len(rows), q=q
    )


def _level_short(scheme, level: str) -> str:
    if not level:
        return ""
    try:
        return scheme.level(level).short
    except ValueError:
        return level


def _points(value) -> str:
    return "" if value is None else format(Decimal(value).normalize(), "f")


def _reason(code: str) -> str:
    return str(dict(NotRatedReason.choices).get(code, code)) if code else ""


def _counted_level(rating, include_proposals: bool) -> str:
    """The level the dashboard counts: the decided one, or the proposal when asked for."""
    if rating is None:
        return ""
    return rating.decided_level or (rating.proposed_level if include_proposals else "")


def _rows(kind: str, items: list, *, year: int, include_proposals: bool) -> list[DrillRow]:
    """One row per item with its rating of the year (two queries at most)."""
    scheme = schemes.scheme_for_year(year)
    if kind == "member":
        ratings = {
            r.member_id: r
            for r in MemberRating.objects.filter(
                year=year, member_id__in=[m.pk for m in items]
            ).select_related("cell")
        }
        rows = []
        for m in items:
            r = ratings.get(m.pk)
            level = (
                (r.decided_level or (r.proposed_level if include_proposals else "")) if r else ""
            )
            rows.append(
                DrillRow(
                    pk=m.pk,
                    name=m.full_name,
                    code=m.record_number,
                    place=r.cell.name if r and r.cell else "",
                    level=_level_short(scheme, level),
                    points=_points(r.points) if r else "",
                    reason=_reason(r.not_rated_reason) if r else "",
                )
            )
        return rows
    if kind == "organization":
        ratings = {
            r.organization_id: r
            for r in OrganizationRating.objects.filter(
                year=year, organization_id__in=[o.pk for o in items]
            )
        }
        parents = dict(
            Organization.objects.filter(
                path__in={o.path[: -Organization.steplen] for o in items if o.depth > 1}
            ).values_list("path", "name")
        )
        rows = []
        for o in items:
            r = ratings.get(o.pk)
            level = (
                (r.decided_level or (r.proposed_level if include_proposals else "")) if r else ""
            )
            rows.append(
                DrillRow(
                    pk=o.pk,
                    name=o.name,
                    code=o.code,
                    place=parents.get(o.path[: -Organization.steplen], ""),
                    level=_level_short(scheme, level),
                    points=_points(r.points) if r else "",
                    reason=_reason(r.not_rated_reason) if r else "",
                )
            )
        return rows
    return [
        DrillRow(
            pk=u.pk,
            name=u.name,
            place=u.commune.name if u.commune else "",
            extra=u.cell.name if u.cell else "",
        )
        for u in items
    ]


# --- Excel ------------------------------------------------------------------------------------
def title_row(*, what: str, node: Organization, year: int, as_of, who: str) -> str:
    """The line a filed workbook starts with: what, unit, year, as of, who."""
    moment = timezone.localtime(as_of or timezone.now())
    return _("%(what)s · %(unit)s · year %(year)s · as of %(moment)s · exported by %(who)s") % {
        "what": what,
        "unit": node.name,
        "year": year,
        "moment": moment.strftime("%d/%m/%Y %H:%M"),
        "who": who,
    }


def xlsx_bytes(
    *, sheet_title: str, title: str, header: list[str], rows: list[list], watermark: str
) -> bytes:
    """A one-sheet workbook: a bold title row, the bold header, every row; every text cell
    neutralised (a name like a formula stays text) and `watermark` on every printed page."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31].replace("/", "-") or "Sheet"
    xlsx_append(sheet, [title])
    sheet["A1"].font = Font(bold=True, size=13)
    xlsx_append(sheet, header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx_append(sheet, [float(v) if isinstance(v, Decimal) else v for v in row])
    watermark_workbook(book, watermark)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _who(user) -> str:
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or getattr(user, "username", "")


def drill_list_xlsx(drill: DrillList, *, node, year, user, watermark: str) -> bytes:
    """The whole list (the search applied), with the page's columns."""
    title = title_row(
        what=drill.title + (f" · {drill.child.name}" if drill.child else ""),
        node=node,
        year=year,
        as_of=timezone.now(),
        who=_who(user),
    )
    if drill.kind == "member":
        header = [
            _("Full name"),
            _("Record number"),
            _("Cell"),
            _("Level"),
            _("Points"),
            _("Reason not rated"),
        ]
        rows = [[r.name, r.code, r.place, r.level, r.points, r.reason] for r in drill.rows]
    elif drill.kind == "organization":
        header = [_("Name"), _("Code"), _("Under"), _("Level"), _("Points"), _("Reason not rated")]
        rows = [[r.name, r.code, r.place, r.level, r.points, r.reason] for r in drill.rows]
    else:
        header = [_("Name"), _("Commune-level unit"), _("Covering cell")]
        rows = [[r.name, r.place, r.extra] for r in drill.rows]
    return xlsx_bytes(
        sheet_title=drill.title, title=title, header=header, rows=rows, watermark=watermark
    )


def dashboard_table_xlsx(data: DashboardData, *, user, watermark: str) -> bytes:
    """The children table of a group, whole: for each indicator the count and the percentage
    side by side (the same numbers as the page and the PDF), then the total row."""
    title = title_row(
        what=_("Resolution 22 indicators"),
        node=data.node,
        year=data.year,
        as_of=data.as_of,
        who=_who(user),
    )
    header = [_("Unit")]
    for column in data.columns:
        if column.unit == Indicator.Unit.PERCENT:
            header += [f"{column.name} ({_('number')})", f"{column.name} (%)"]
        else:
            header.append(column.name)

    def cells(values) -> list:
        out = []
        for column, cell in zip(data.columns, values, strict=True):
            if column.unit == Indicator.Unit.PERCENT:
                out += [cell.numerator, cell.value]
            else:
                out.append(cell.value)
        return out

    rows = [[r.info.name, *cells(r.cells)] for r in data.rows]
    rows.append([_("Total"), *cells(data.totals)])
    return xlsx_bytes(
        sheet_title=str(data.year), title=title, header=header, rows=rows, watermark=watermark
    )
