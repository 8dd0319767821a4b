"""Rating imports, reading the rows: each cell of a row parsed and checked on its own.

`RowParsing` is the part of `RatingImporter` that turns a row into a `_Rating` (year, level,
reason, points, category, the member or organization it names); the module-level pieces
(the columns, the parsed row) are shared by the other parts.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from cells.imports import Row
from cells.imports.base import (
    outside_scope,
)
from cells.imports.members import RECORD_NUMBER, record_number_message
from cells.models import Member, Organization
from cells.selectors import members_of
from cells.vietnamese import nfc

from .. import rules, selectors
from ..choices import NotRatedReason
from ..models.regime import GENERAL_POINTS, TASK_POINTS
from ..schemes import (
    ASSESSMENT_POINTS,
    RatingScheme,
    normalize_label,
)

KIND = "ratings"
LEVEL_COLUMN = "muc"
_POINTS = re.compile(r"^\d{1,3}([.,]\d{1,2})?$")
_HUNDRED = Decimal(100)
# "Khác: …" — the free-text reason of §8; the colon may be typed as a full-width one.
_OTHER = re.compile(r"^khác\s*[:：]\s*(.*)$", re.IGNORECASE | re.DOTALL)
_REASONS = {normalize_label(label): slug for slug, label in rules.NOT_RATED_LABELS.items()}


@dataclass
class _Rating:
    """One valid row: a member's or an organization's proposed level for the year."""

    row: int
    level: str | None
    reason: str
    note: str
    points: Decimal | None
    member: Member | None = None
    organization: Organization | None = None
    cell_id: int | None = None
    grassroots: Organization | None = None
    # 2025– (DOMAIN §8): the points' parts, the form category, the peer group, a reason
    # for a task part that differs from the ledger's suggestion.
    general: Decimal | None = None
    tasks: Decimal | None = None
    category: str | None = None
    group: str = ""
    parts_reason: str = ""


def _level_labels(scheme: RatingScheme, *, organization: bool) -> str:
    levels = scheme.organization_levels if organization else scheme.member_levels
    return ", ".join(f"{lv.label} ({lv.short})" for lv in levels)


def _reason_labels() -> str:
    fixed = [label for slug, label in rules.NOT_RATED_LABELS.items() if slug != "other"]
    return ", ".join([*fixed, "Khác: …"])


class RowParsing:
    """The value checks of `RatingImporter` (a mixin: the state lives on the importer)."""

    def _prefetch(self, rows: list[Row]) -> None:
        records = {row.values.get("so_ly_lich", "") for row in rows} - {""}
        codes = {row.values.get("ma", "") for row in rows} - {""}
        self.members = {
            m.record_number: m for m in Member.objects.filter(record_number__in=records)
        }
        # Who is rated where is the structure of the rating year: the cell on 31/12.
        self.cell_of = dict(
            members_of(organization=self.organization, on=self.period_end, subtree=True)
            .filter(record_number__in=records)
            .values_list("pk", "cell_id")
        )
        cells = Organization.objects.in_bulk(set(self.cell_of.values()))
        self.organizations = {o.code: o for o in Organization.objects.filter(code__in=codes)}
        self._grassroots: dict[int, Organization | None] = {}
        self.cells = cells

    def grassroots(self, organization: Organization) -> Organization | None:
        """The organization whose round rates `organization` (a commune-level committee is
        rated in its own round, by the province)."""
        if organization.pk not in self._grassroots:
            self._grassroots[organization.pk] = selectors.rating_home_for(organization)
        return self._grassroots[organization.pk]

    def _parse(self, row: Row) -> _Rating | None:
        record = row.values.get("so_ly_lich", "")
        code = row.values.get("ma", "")
        if record and code:
            row.error("ma", _("Fill in either so_ly_lich (a member) or ma (an organization)."))
            return None
        if not record and not code:
            column = "so_ly_lich" if row.has("so_ly_lich") else "ma"
            row.error(column, _("Fill in so_ly_lich (a member) or ma (an organization)."))
            return None
        is_org = bool(code)
        self._year(row)
        level = self._level(row, is_org=is_org)
        reason, note = self._reason(row, level)
        points = self._points(row, is_org=is_org)
        general, tasks = self._parts(row, points, is_org=is_org)
        category = self._category(row, is_org=is_org)
        group = nfc(row.text("nhom", max_length=40)).strip()
        subject_ok = not row.failed
        if is_org:
            organization = self._organization(row, code)
            if organization is None or not subject_ok:
                return None
            return _Rating(
                row.number,
                level,
                reason,
                note,
                points,
                organization=organization,
                grassroots=self.grassroots(organization),
                general=general,
                tasks=tasks,
                group=group,
                parts_reason=nfc(row.text("ly_do_diem_nhiem_vu")).strip(),
            )
        member = self._member(row, record)
        if member is None or not subject_ok:
            return None
        cell = self.cells[self.cell_of[member.pk]]
        grassroots = self.grassroots(cell)
        if grassroots is None:
            row.error(
                "so_ly_lich",
                _("Cell %(code)s is not under any grassroots organization.") % {"code": cell.code},
            )
            return None
        return _Rating(
            row.number,
            level,
            reason,
            note,
            points,
            member=member,
            cell_id=cell.pk,
            grassroots=grassroots,
            general=general,
            tasks=tasks,
            category=category,
            group=group,
            parts_reason=nfc(row.text("ly_do_diem_nhiem_vu")).strip(),
        )

    def _year(self, row: Row) -> None:
        value = row.text("nam", required=True)
        if value and value != str(self.year):
            row.error(
                "nam",
                _("The year “%(value)s” is not %(year)s, the year this file is imported for.")
                % {"value": value, "year": self.year},
            )

    def _level(self, row: Row, *, is_org: bool) -> str | None:
        value = row.text(LEVEL_COLUMN)
        if not value:
            return None
        find = (
            self.scheme.organization_level_from_label
            if is_org
            else self.scheme.member_level_from_label
        )
        slug = find(value)
        if slug is None:
            row.error(
                LEVEL_COLUMN,
                _(
                    "“%(value)s” is not a rating level of %(year)s (%(basis)s); "
                    "the levels are: %(labels)s."
                )
                % {
                    "value": value,
                    "year": self.year,
                    "basis": self.scheme.citation,
                    "labels": _level_labels(self.scheme, organization=is_org),
                },
            )
        return slug

    def _reason(self, row: Row, level: str | None) -> tuple[str, str]:
        value = nfc(row.text("ly_do_khong_xep_loai")).strip()
        if level is not None or LEVEL_COLUMN in row.failed:
            if value and level is not None:
                row.error(
                    "ly_do_khong_xep_loai",
                    _("A rated row has no reason for not being rated: leave this cell empty."),
                )
            return "", ""
        if not value:
            row.error(
                "ly_do_khong_xep_loai",
                _("A row without a level needs the reason it is not rated: %(reasons)s.")
                % {"reasons": _reason_labels()},
            )
            return "", ""
        if match := _OTHER.match(value):
            note = match[1].strip()
            if not note:
                row.error(
                    "ly_do_khong_xep_loai",
                    _("Write the reason after “Khác:”, e.g. “Khác: đi lao động ở nước ngoài”."),
                )
            return NotRatedReason.OTHER, note[:255]
        reason = _REASONS.get(normalize_label(value))
        if reason is None or reason == NotRatedReason.OTHER:
            row.error(
                "ly_do_khong_xep_loai",
                _("“%(value)s” is not a reason for not rating: %(reasons)s.")
                % {"value": value, "reasons": _reason_labels()},
            )
            return "", ""
        return reason, ""

    def _points(self, row: Row, *, is_org: bool) -> Decimal | None:
        value = row.text("diem")
        if not value:
            return None
        assessment = (
            self.scheme.organization_assessment if is_org else self.scheme.member_assessment
        )
        if assessment != ASSESSMENT_POINTS:
            row.error(
                "diem",
                _("No points are given under the %(year)s rating scheme (%(basis)s).")
                % {"year": self.year, "basis": self.scheme.citation},
            )
            return None
        points = None
        if _POINTS.match(value):
            try:
                points = Decimal(value.replace(",", "."))
            except InvalidOperation:
                points = None
        if points is None or points > _HUNDRED:
            row.error(
                "diem",
                _("“%(value)s” is not a score from 0 to 100 (e.g. 85 or 85,5).") % {"value": value},
            )
            return None
        return points

    def _part(self, row: Row, column: str, top: int) -> Decimal | None:
        value = row.text(column)
        if not value:
            return None
        points = Decimal(value.replace(",", ".")) if _POINTS.match(value) else None
        if points is None or points > top:
            row.error(
                column,
                _("“%(value)s” is not a score from 0 to %(top)s (e.g. 25 or 25,5).")
                % {"value": value, "top": top},
            )
            return None
        return points

    def _parts(
        self, row: Row, points: Decimal | None, *, is_org: bool
    ) -> tuple[Decimal | None, Decimal | None]:
        """`diem_chung` (0–30) and `diem_nhiem_vu` (0–70), whose sum must equal `diem`."""
        if not (row.values.get("diem_chung") or row.values.get("diem_nhiem_vu")):
            return None, None
        assessment = (
            self.scheme.organization_assessment if is_org else self.scheme.member_assessment
        )
        if assessment != ASSESSMENT_POINTS:
            row.error(
                "diem_chung",
                _("No points are given under the %(year)s rating scheme (%(basis)s).")
                % {"year": self.year, "basis": self.scheme.citation},
            )
            return None, None
        general = self._part(row, "diem_chung", GENERAL_POINTS)
        tasks = self._part(row, "diem_nhiem_vu", TASK_POINTS)
        if "diem_chung" in row.failed or "diem_nhiem_vu" in row.failed:
            return None, None
        if general is None or tasks is None:
            missing = "diem_nhiem_vu" if general is not None else "diem_chung"
            row.error(missing, _("Give both parts of the score (diem_chung and diem_nhiem_vu)."))
            return None, None
        for code, message in rules.parts_problems(general=general, tasks=tasks, total=points):
            row.error("diem_nhiem_vu" if code == "P2" else "diem_chung", message)
        if points is None and "diem" not in row.failed:
            row.error("diem", _("The total (diem) is required with the two parts."))
        return general, tasks

    def _category(self, row: Row, *, is_org: bool) -> str | None:
        value = row.text("doi_tuong")
        if not value:
            return None
        if is_org:
            row.error("doi_tuong", _("Only a member has a form category (2A, 2B, 2C)."))
            return None
        category = rules.category_from_text(value)
        if category is None:
            row.error(
                "doi_tuong",
                _(
                    "“%(value)s” is not a form category: write 2A, 2B, 2C or “giữ chức vụ "
                    "lãnh đạo, quản lý”, “không giữ chức vụ lãnh đạo, quản lý”, “không công "
                    "tác trong hệ thống chính trị”."
                )
                % {"value": value},
            )
        return category

    def _member(self, row: Row, record: str) -> Member | None:
        if not RECORD_NUMBER.fullmatch(record):
            row.error("so_ly_lich", record_number_message())
            return None
        member = self.members.get(record)
        if member is None:
            row.error(
                "so_ly_lich",
                _("No member has record number “%(record)s”.") % {"record": record},
            )
            return None
        if member.pk not in self.cell_of:
            row.error(
                "so_ly_lich",
                _(
                    "Member %(record)s was not in a cell of %(organization)s (%(scope)s) "
                    "on %(date)s, the end of the rating year."
                )
                % {
                    "record": record,
                    "organization": self.organization.name,
                    "scope": self.organization.code,
                    "date": self.period_end.strftime("%d/%m/%Y"),
                },
            )
            return None
        return member

    def _organization(self, row: Row, code: str) -> Organization | None:
        organization = self.organizations.get(code)
        if organization is None:
            row.error("ma", _("Unknown organization code “%(code)s”.") % {"code": code})
            return None
        if not organization.path.startswith(self.organization.path):
            row.error("ma", outside_scope(code, self.organization))
            return None
        if not organization.is_active_on(self.period_end):
            row.error(
                "ma",
                _("%(code)s did not exist on %(date)s, the end of the rating year.")
                % {"code": code, "date": self.period_end.strftime("%d/%m/%Y")},
            )
            return None
        if self.grassroots(organization) is None:
            row.error(
                "ma",
                _(
                    "%(code)s is not a grassroots organization nor under one: its rating "
                    "is not made in a grassroots round."
                )
                % {"code": code},
            )
            return None
        return organization
