"""Safe spreadsheet output, shared by every CSV and XLSX export.

A cell whose text starts with `=`, `+`, `-` or `@` (or a tab / carriage return, which some
programs strip before looking) is run as a formula by Excel and LibreOffice: a member's name
or a note typed as `=HYPERLINK("http://…")` would act on the computer of whoever opens the
export ("CSV/formula injection", OWASP). `safe_cell` turns such text into plain text by
prefixing an apostrophe; numbers, dates and booleans pass unchanged so they stay numbers.

Every export also carries a watermark (who, when, which scope): `export_watermark` gives the
line and `watermark_workbook` puts it in each sheet's header and footer.
"""

import csv
import datetime
import io
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value):
    """`value` as it may be written to a spreadsheet cell: text never starts a formula.

    Numbers (int, float, Decimal), dates and booleans are returned as they are; None stays
    None; anything else becomes text, prefixed with an apostrophe when it would start a
    formula (including the full-width forms ＝ ＋ － ＠ that spreadsheet programs also accept).
    """
    if value is None or isinstance(
        value, bool | int | float | Decimal | datetime.date | datetime.time
    ):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def safe_row(values: Iterable) -> list:
    """Every cell of a row through `safe_cell`."""
    return [safe_cell(v) for v in values]


def csv_bytes(rows: Iterable[Iterable], *, header: Iterable[str] | None = None) -> bytes:
    """A CSV file (UTF-8 with BOM, CRLF: what Excel opens correctly) with every cell safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header is not None:
        writer.writerow(safe_row(header))
    for row in rows:
        writer.writerow(["" if v is None else v for v in safe_row(row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_append(sheet, values: Iterable) -> None:
    """Append one row to an openpyxl worksheet, every cell safe.

    openpyxl itself stores any text starting with `=` as a formula: never call
    `sheet.append` with raw user text, call this.
    """
    sheet.append(safe_row(values))


def export_watermark(*, user, scope: str, when: datetime.datetime | None = None) -> str:
    """The line printed on every export and PDF: who exported, when, and which scope."""
    moment = timezone.localtime(when or timezone.now())
    name = (user.get_full_name() or user.get_username()) if user is not None else _("system")
    return _("Exported by %(user)s at %(time)s · scope: %(scope)s") % {
        "user": name,
        "time": moment.strftime("%H:%M %d/%m/%Y"),
        "scope": scope,
    }


def watermark_workbook(workbook, text: str) -> None:
    """Put the watermark in the printed header and footer of every sheet of an openpyxl book."""
    # "&" starts a formatting code in Excel headers ("&D" prints the date): double it.
    text = text.replace("&", "&&")
    for sheet in workbook.worksheets:
        sheet.oddHeader.right.text = text
        sheet.oddFooter.left.text = text
        sheet.evenHeader.right.text = text
        sheet.evenFooter.left.text = text
