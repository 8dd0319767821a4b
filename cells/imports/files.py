"""Reading an interchange file (CSV or the first sheet of an XLSX) into rows of text."""

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.etree.ElementTree import ParseError  # noqa: S405  (the exception only, no parsing)

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from ..vietnamese import nfc
from .columns import header_name
from .encodings import csv_records, decode_text, is_text_like, split_separator
from .errors import ImportFileError
from .limits import Counter, FileLimits, check_workbook

_ZIP_MAGIC = b"PK\x03\x04"

__all__ = ["ImportFileError", "Table", "read_rows", "read_table"]


@dataclass
class Table:
    columns: list[str]
    # (spreadsheet row number, {column: text}); blank rows are skipped but keep their numbers.
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # (row number, message) for problems of the table's shape rather than of a value.
    problems: list[tuple[int, str]] = field(default_factory=list)


def _cell_text(value) -> str:
    if value is None:
        return ""
    # A date typed into Excel is a date cell (openpyxl gives a datetime): written back the
    # way §8 spells dates, whatever the cell's display format.
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(str(value))


def _counted(records: Iterable[Iterable], limits: FileLimits) -> Iterator[list[str]]:
    """The records as text cells, counted against the limits as they stream in."""
    counter = Counter(limits)
    for record in records:
        cells = [_cell_text(v) for v in record]
        while cells and not cells[-1]:
            cells.pop()
        counter.add(len(cells))
        yield cells


def _csv_rows(data: bytes, limits: FileLimits) -> list[list[str]]:
    if data.startswith(_ZIP_MAGIC):
        raise ImportFileError(_("This file is a spreadsheet, not CSV: save it as .xlsx."))
    text = decode_text(data)
    if "\x00" in text or not is_text_like(text):
        raise ImportFileError(_("The file is not CSV text."))
    delimiter, text = split_separator(text)
    try:
        return list(_counted(csv_records(text, delimiter), limits))
    except csv.Error as exc:
        raise ImportFileError(_("The file is not valid CSV: %(reason)s") % {"reason": exc}) from exc


def _xlsx_rows(data: bytes, limits: FileLimits) -> list[list[str]]:
    if not data.startswith(_ZIP_MAGIC):
        raise ImportFileError(_("The file is not a valid XLSX workbook."))
    # Before openpyxl unpacks anything: the zip directory and the sheet's declared size.
    check_workbook(data, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(_("The file is not a valid XLSX workbook.")) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The workbook has no sheet."))
        sheet = workbook.worksheets[0]
        # read_only streams the sheet's XML row by row; the counter stops it at the limit.
        return list(_counted(sheet.iter_rows(values_only=True), limits))
    except ParseError as exc:
        # read_only parses the sheet while iterating. Python's expat never fetches external
        # entities (an XXE reference is "undefined entity") and stops entity expansion bombs
        # ("amplification factor"): both end here, as an unreadable file.
        raise ImportFileError(_("The file is not a valid XLSX workbook.")) from exc
    finally:
        workbook.close()


def read_table(*, file: BinaryIO, filename: str) -> Table:
    """The file as a header and numbered rows; raises ImportFileError when it is unreadable."""
    limit = settings.IMPORT_MAX_BYTES
    data = file.read(limit + 1)
    if len(data) > limit:
        raise ImportFileError(
            _("The file is larger than the limit of %(size)s MB.")
            % {"size": f"{round(limit / 1024 / 1024, 1):g}"}
        )
    extension = filename.rsplit(".", 1)[-1].casefold() if "." in filename else ""
    limits = FileLimits.from_settings()
    if extension == "csv":
        raw = _csv_rows(data, limits)
    elif extension == "xlsx":
        raw = _xlsx_rows(data, limits)
    else:
        raise ImportFileError(_("Only CSV and XLSX files can be imported."))
    while raw and not any(raw[-1]):
        raw.pop()
    if not raw:
        raise ImportFileError(_("The file is empty: the first row must name the columns."))
    header = [header_name(v) for v in raw[0]]
    while header and not header[-1]:
        header.pop()
    table = Table(columns=[c for c in header if c])
    if "" in header:
        table.problems.append((1, _("A column of the header row has no name.")))
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            table.problems.append(
                (1, _("Column “%(column)s” appears more than once.") % {"column": name})
            )
        seen.add(name)
    for number, cells in enumerate(raw[1:], start=2):
        if not any(cells):
            continue
        if any(cells[len(header) :]):
            table.problems.append((number, _("This row has more cells than the header row.")))
        cells = cells + [""] * (len(header) - len(cells))
        table.rows.append((number, {name: cells[i] for i, name in enumerate(header) if name}))
    return table


def read_rows(*, file: BinaryIO, filename: str) -> list[dict[str, str]]:
    """The data rows of a CSV/XLSX file as {column: NFC text}; raises ImportFileError.

    Column names are folded to lower case; blank rows are left out; every row has every column.
    """
    return [values for _number, values in read_table(file=file, filename=filename).rows]
