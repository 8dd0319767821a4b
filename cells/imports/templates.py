"""Empty XLSX templates of the interchange files, ready to fill in (DOMAIN.md §8).

A template has the kind's columns under their Vietnamese headings (the reader maps them back),
a frozen header row, a drop-down list of the exact labels on every column that takes one (the
lists sit on a hidden sheet: a label may contain a comma), text-formatted code and number
columns (Excel would drop the leading 0 of a CCCD) and date-formatted date columns, and a
second sheet explaining each column. Filled in and uploaded, it imports as it is.

The kinds of cells register here; another app adds its own (the ratings, whose labels depend on
the year's scheme) with `register_template`.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from ..choices import (
    DisciplineForm,
    EventKind,
    Gender,
    ImportKind,
    OrganizationDisciplineForm,
    OrganizationDisciplineTarget,
    OrganizationEventKind,
    OrganizationType,
    PoliticalTheoryLevel,
    ProfessionalLevel,
)
from .base import IMPORTERS
from .columns import column
from .posts import PARTY_POST_TITLES

YES_NO = ["có", "không"]
# Rows that carry the drop-downs and formats: more than a commune's roster (≈ 1,700).
TEMPLATE_ROWS = 5000
_HEADER_FILL = PatternFill("solid", fgColor="FFF2CC")
_REQUIRED_FILL = PatternFill("solid", fgColor="F8CBAD")
_NUMBER_FORMATS = {"text": "@", "date": "DD/MM/YYYY"}


@dataclass(frozen=True)
class TemplateSpec:
    """What one kind's template holds."""

    kind: str
    filename: str
    title: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    # column → the exact labels offered in its drop-down
    choices: dict[str, list[str]] = field(default_factory=dict)
    # columns whose list is a suggestion (free text allowed after a warning: "Khác: …")
    open_lists: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    # the columns to put first (the rest follow, required ones first)
    leading: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        rest = [c for c in (*self.required, *self.optional) if c not in self.leading]
        return (*self.leading, *rest)


# kind → build(year=…): a year-dependent kind (the ratings) uses it, the others ignore it.
TemplateBuilder = Callable[..., TemplateSpec]
TEMPLATES: dict[str, TemplateBuilder] = {}


def register_template(kind: str):
    """Make `kind`'s template available (to the download page and `import_template`)."""

    def decorator(build: TemplateBuilder) -> TemplateBuilder:
        TEMPLATES[kind] = build
        return build

    return decorator


def vietnamese_labels(choices) -> list[str]:
    """The official Vietnamese labels of a choices class, whatever the UI language."""
    with translation.override("vi"):
        return [str(label) for label in choices.labels]


def _importer_spec(kind: str, filename: str, title: str, choices: dict, **extra) -> TemplateSpec:
    importer = IMPORTERS[kind]
    return TemplateSpec(
        kind=kind,
        filename=filename,
        title=title,
        required=tuple(importer.required_columns),
        optional=tuple(importer.optional_columns),
        choices=choices,
        **extra,
    )


@register_template(ImportKind.ORGANIZATIONS)
def organizations_template(**_options) -> TemplateSpec:
    return _importer_spec(
        ImportKind.ORGANIZATIONS,
        "to_chuc_mau.xlsx",
        "Tổ chức đảng (to_chuc)",
        {"loai": vietnamese_labels(OrganizationType), "co_so": YES_NO},
    )


@register_template(ImportKind.MEMBERS)
def members_template(**_options) -> TemplateSpec:
    return _importer_spec(
        ImportKind.MEMBERS,
        "dang_vien_mau.xlsx",
        "Đảng viên (dang_vien)",
        {
            "gioi_tinh": vietnamese_labels(Gender),
            "chuyen_mon": vietnamese_labels(ProfessionalLevel),
            "ly_luan_chinh_tri": vietnamese_labels(PoliticalTheoryLevel),
        },
        notes=("Nhập lại một tệp sẽ cập nhật các đảng viên theo số lý lịch.",),
    )


@register_template(ImportKind.EVENTS)
def events_template(**_options) -> TemplateSpec:
    return _importer_spec(
        ImportKind.EVENTS,
        "su_kien_mau.xlsx",
        "Sự kiện của đảng viên (su_kien)",
        {
            "loai": vietnamese_labels(EventKind),
            "hinh_thuc": vietnamese_labels(DisciplineForm),
            "tu_phat_hien_khac_phuc": YES_NO,
        },
    )


@register_template(ImportKind.ORGANIZATION_EVENTS)
def organization_events_template(**_options) -> TemplateSpec:
    return _importer_spec(
        ImportKind.ORGANIZATION_EVENTS,
        "su_kien_to_chuc_mau.xlsx",
        "Sự kiện của tổ chức đảng (su_kien_to_chuc)",
        {
            "loai": vietnamese_labels(OrganizationEventKind),
            "doi_tuong": vietnamese_labels(OrganizationDisciplineTarget),
            "hinh_thuc": vietnamese_labels(OrganizationDisciplineForm),
        },
        notes=(
            "Mỗi dòng một quyết định kỷ luật tổ chức đảng hoặc tập thể cấp ủy, ghi ở cấp trên "
            "của tổ chức đó (một đơn vị không tự ghi kỷ luật của mình).",
        ),
    )


# A few government posts of DOMAIN §8 offered after the Party ones: the list is open (any
# other post of the government or a mass organisation is typed as it is).
GOVERNMENT_POST_EXAMPLES = ("Trưởng thôn", "Tổ trưởng tổ dân phố", "Cán bộ, công chức cấp xã")


@register_template(ImportKind.POSTS)
def posts_template(**_options) -> TemplateSpec:
    return _importer_spec(
        ImportKind.POSTS,
        "chuc_vu_mau.xlsx",
        "Chức vụ của đảng viên (chuc_vu)",
        {"chuc_vu": [*PARTY_POST_TITLES, *GOVERNMENT_POST_EXAMPLES]},
        open_lists=frozenset({"chuc_vu"}),
        notes=(
            "Mỗi dòng một chức vụ một đảng viên giữ trong một khoảng thời gian; để trống "
            "“Đến ngày” nếu còn giữ. Nhập lại tệp sẽ cập nhật ngày thôi giữ chức vụ đã có.",
        ),
    )


def template_spec(kind: str, *, year: int | None = None) -> TemplateSpec | None:
    """The template of a registered kind (for the ratings, of `year`'s scheme), or None."""
    build = TEMPLATES.get(kind)
    return build(year=year) if build else None


def _lists_sheet(workbook: Workbook, spec: TemplateSpec) -> dict[str, str]:
    """The drop-down lists on a hidden sheet; returns column → the range formula."""
    sheet = workbook.create_sheet("Danh sách")
    formulas = {}
    for index, (name, labels) in enumerate(spec.choices.items(), start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index, value=column(name).heading).font = Font(bold=True)
        for row, label in enumerate(labels, start=2):
            sheet.cell(row=row, column=index, value=label)
        sheet.column_dimensions[letter].width = max(len(x) for x in labels) + 4
        formulas[name] = f"{quote_sheetname(sheet.title)}!${letter}$2:${letter}${len(labels) + 1}"
    sheet.sheet_state = "hidden"
    return formulas


def _help_sheet(workbook: Workbook, spec: TemplateSpec) -> None:
    sheet = workbook.create_sheet("Hướng dẫn")
    sheet.append([f"Mẫu nhập {spec.title}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(
        [
            "Ghi từ dòng 2 của trang “Dữ liệu”, mỗi dòng một mục; giữ nguyên dòng tiêu đề. "
            "Các cột có thể đổi thứ tự; cột tô đỏ là bắt buộc. Nhập cả tệp hoặc không nhập gì: "
            "có một dòng sai thì không ghi dòng nào và mọi lỗi được liệt kê theo dòng và cột."
        ]
    )
    for note in spec.notes:
        sheet.append([note])
    sheet.append([])
    header = ["Cột", "Tên trong tệp CSV", "Bắt buộc", "Cách ghi", "Giá trị được chọn"]
    sheet.append(header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for name in spec.columns:
        col = column(name)
        sheet.append(
            [
                col.heading,
                name,
                "có" if name in spec.required else "không",
                col.help,
                " · ".join(spec.choices.get(name, [])),
            ]
        )
    for letter, width in zip("ABCDE", (26, 24, 10, 70, 70), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def template_workbook(spec: TemplateSpec) -> bytes:
    """The template of `spec` as XLSX bytes."""
    workbook = Workbook()
    data = workbook.active
    data.title = "Dữ liệu"
    lists = _lists_sheet(workbook, spec) if spec.choices else {}
    last_row = TEMPLATE_ROWS + 1
    for index, name in enumerate(spec.columns, start=1):
        col = column(name)
        letter = get_column_letter(index)
        cell = data.cell(row=1, column=index, value=col.heading)
        cell.font = Font(bold=True)
        cell.fill = _REQUIRED_FILL if name in spec.required else _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        data.column_dimensions[letter].width = max(14, len(col.heading) + 4)
        if col.format in _NUMBER_FORMATS:
            data.column_dimensions[letter].number_format = _NUMBER_FORMATS[col.format]
        if name in lists:
            open_list = name in spec.open_lists
            validation = DataValidation(
                type="list",
                formula1=lists[name],
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning" if open_list else "stop",
                errorTitle="Giá trị không có trong danh sách",
                error="Hãy chọn một giá trị trong danh sách"
                + (" (hoặc ghi “Khác: …”)." if open_list else "."),
                promptTitle=col.heading,
                prompt=col.help[:255],
                showInputMessage=True,
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            data.add_data_validation(validation)
    data.freeze_panes = "A2"
    _help_sheet(workbook, spec)
    workbook.active = 0
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
