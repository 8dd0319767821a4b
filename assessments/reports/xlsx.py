"""Excel twins of the statistics tables (openpyxl), from the same objects as the PDF.

The columns come from reports.context.table_columns, so every number in the workbook is the
number in the PDF; percentages are stored as numbers rounded to 2 places (the PDF prints the
same Decimal with a decimal comma). Text that a spreadsheet would run as a formula
(= + - @ at the start) is neutralised with a leading apostrophe.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from partybuild.spreadsheets import safe_cell, watermark_workbook

from . import bodies, context
from .formatting import nfc


def safe(value):
    """A cell value that cannot run as a formula (the one shared check); Decimals become
    numbers so the spreadsheet can add them up."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        value = nfc(value)
    return safe_cell(value)


def _sheet_title(text: str, used: set[str]) -> str:
    base = "".join(ch for ch in text if ch not in "[]:*?/\\")[:28] or "Sheet"
    title, n = base, 1
    while title in used:
        n += 1
        title = f"{base[:26]} {n}"
    used.add(title)
    return title


def _write_table(sheet, view: context.TableView, *, start_row: int) -> int:
    bold = Font(bold=True)
    row = start_row
    for col, column in enumerate(view.columns, start=1):
        sheet.cell(row=row, column=col, value=safe(column.group or column.label)).font = bold
        sheet.cell(
            row=row + 1, column=col, value=safe(column.label if column.group else "")
        ).font = bold
    row += 2
    for stat_row in [*view.table.rows, view.table.total]:
        for col, column in enumerate(view.columns, start=1):
            cell = sheet.cell(row=row, column=col, value=safe(column.value(stat_row)))
            if column.kind == "pct":
                cell.number_format = "0.00"
            if stat_row is view.table.total:
                cell.font = bold
        row += 1
    return row


def document_xlsx(document: context.ReportDocument) -> bytes:
    """A workbook with one sheet per statistics table of the report (or a plain list for the
    kinds without tables), headed with the unit, the title and the data's "as of" time."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    header = document.header
    intro = [
        header.issuer,
        f"{header.doc_type} — {header.summary}",
        document.footer.text,
    ]
    views = document.tables
    if not views:
        sheet = book.create_sheet(_sheet_title(header.doc_type.title(), used))
        for n, line in enumerate(intro, start=1):
            sheet.cell(row=n, column=1, value=safe(line))
        _write_rows(sheet, document, start_row=len(intro) + 2)
    for view in views:
        sheet = book.create_sheet(_sheet_title(view.table.title, used))
        for n, line in enumerate(intro, start=1):
            sheet.cell(row=n, column=1, value=safe(line)).font = Font(bold=n == 1)
        _write_table(sheet, view, start_row=len(intro) + 2)
        sheet.column_dimensions[get_column_letter(1)].width = 36
        for col in range(2, len(view.columns) + 1):
            sheet.column_dimensions[get_column_letter(col)].width = 9
            sheet.cell(row=len(intro) + 2, column=col).alignment = Alignment(wrap_text=True)
    watermark_workbook(book, document.footer.text)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_rows(sheet, document: context.ReportDocument, *, start_row: int) -> None:
    """The list kinds (proposals, forms, minutes) as one flat table."""
    body = document.body
    row = start_row
    if isinstance(body, bodies.ProposalsBody):
        head = ["Chi bộ", "STT", "Họ và tên", "Năm sinh", "Tự nhận", "Chi bộ đề nghị",
                "Biểu quyết", "Đề nghị", "Quyết định", "Ghi chú"]  # fmt: skip
        lines = [
            [
                g.cell,
                ln.number,
                ln.name,
                ln.birth_year,
                ln.self_level,
                ln.cell_level,
                ln.votes,
                ln.proposed,
                ln.decided,
                ln.note,
            ]  # fmt: skip
            for g in body.groups
            for ln in g.lines
        ]
    elif isinstance(body, list) and body and isinstance(body[0], bodies.MemberFormSheet):
        head = ["Mẫu", "Họ và tên", "Ngày sinh", "Chi bộ", "Chức vụ Đảng", "Chức vụ chính quyền"]
        lines = [
            [
                # A form not yet confirmed by the committee says so, as on the PDF.
                s.form_code + ("" if s.category_recorded else " (gợi ý)"),
                s.full_name,
                s.birth_date,
                s.cell,
                s.party_posts,
                s.government_posts,
            ]
            for s in body
        ]
    elif isinstance(body, list) and body and isinstance(body[0], bodies.MinutesSheet):
        head = ["Chi bộ", "STT", "Họ và tên", "Tự nhận", "Biểu quyết", "Chi bộ đề nghị"]
        lines = [
            [s.cell, ln.number, ln.name, ln.self_level, ln.votes, ln.cell_level]
            for s in body
            for ln in s.lines
        ]
    else:
        head, lines = [], []
    for col, text in enumerate(head, start=1):
        sheet.cell(row=row, column=col, value=safe(text)).font = Font(bold=True)
    for line in lines:
        row += 1
        for col, value in enumerate(line, start=1):
            sheet.cell(row=row, column=col, value=safe(value))
