"""Limits that keep one hostile or careless file from occupying a worker (issue #19, finding 4).

A workbook is a zip: a few hundred kilobytes can unpack into a million rows. The unpacked size
is read from the zip's directory before openpyxl opens anything; the sheet's declared size is
checked before its rows are read; the rows are then streamed and counted, so a file whose
declaration lies stops at the first row over the limit. The same checks run when the file is
uploaded (the user is told at once) and in the worker (a file that got in another way).
"""

import io
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .errors import ImportFileError

# <dimension ref="A1:X1000001"/> near the start of a sheet's XML.
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')
_SHEET_HEAD_BYTES = 4096


@dataclass(frozen=True)
class FileLimits:
    """The caps of one read, from the settings (read when a file is read, never at import)."""

    unpacked_bytes: int
    rows: int
    cells: int

    @classmethod
    def from_settings(cls) -> "FileLimits":
        return cls(
            unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
            rows=settings.IMPORT_MAX_ROWS,
            cells=settings.IMPORT_MAX_CELLS,
        )


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


def too_many_rows(limits: FileLimits, *, found: int | None = None) -> ImportFileError:
    if found is None:
        message = _(
            "The file has more than %(limit)s data rows, the most one import takes. Split it "
            "into smaller files (for example one per unit) and import them one by one."
        ) % {"limit": _count(limits.rows)}
    else:
        message = _(
            "The file has %(found)s rows, more than the %(limit)s data rows one import takes. "
            "Split it into smaller files (for example one per unit) and import them one by one."
        ) % {"found": _count(found), "limit": _count(limits.rows)}
    return ImportFileError(message)


def too_many_cells(limits: FileLimits) -> ImportFileError:
    return ImportFileError(
        _(
            "The file has more than %(limit)s filled cells, the most one import takes: delete "
            "the columns and rows that are not part of the list, or split the file."
        )
        % {"limit": _count(limits.cells)}
    )


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.decode():
        number = number * 26 + ord(ch) - 64
    return number


def _first_sheet_name(archive: zipfile.ZipFile) -> str | None:
    names = sorted(
        (n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
        key=lambda n: int(re.sub(r"\D", "", n)),
    )
    return names[0] if names else None


def check_workbook(data: bytes, limits: FileLimits, *, unreadable_ok: bool = False) -> None:
    """Refuse a workbook whose unpacked size or declared sheet size is over the limits,
    reading only the zip directory and the first bytes of the sheet. With `unreadable_ok`
    a file that is not a zip at all passes (the full read reports it, with the others)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if unreadable_ok:
            return
        raise ImportFileError(_("The file is not a valid XLSX workbook.")) from exc
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.unpacked_bytes:
        raise ImportFileError(
            _(
                "The workbook unpacks to %(size)s, more than the %(limit)s one import takes: "
                "keep only the list in its first sheet, or split it into smaller files."
            )
            % {
                "size": filesizeformat(unpacked),
                "limit": filesizeformat(limits.unpacked_bytes),
            }
        )
    name = _first_sheet_name(archive)
    if name is None:
        return
    try:
        with archive.open(name) as sheet:
            head = sheet.read(_SHEET_HEAD_BYTES)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        if unreadable_ok:
            return
        raise ImportFileError(_("The file is not a valid XLSX workbook.")) from exc
    match = _DIMENSION.search(head)
    if not match or not match[4]:
        # No declared size: openpyxl would parse the whole sheet to find one before giving a
        # row. Count the row and cell tags of the unpacked bytes instead, stopping early.
        _count_tags(archive, name, limits)
        return
    rows = int(match[4])
    columns = _column_number(match[3]) - _column_number(match[1] or b"A") + 1
    if rows - 1 > limits.rows:
        raise too_many_rows(limits, found=rows)
    if rows * columns > limits.cells:
        raise too_many_cells(limits)


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
_CHUNK = 1024 * 1024


def _count_tags(archive: zipfile.ZipFile, name: str, limits: FileLimits) -> None:
    rows = cells = 0
    tail = b""
    try:
        with archive.open(name) as sheet:
            while chunk := sheet.read(_CHUNK):
                # A tag cut by the chunk boundary is found in the next window (tags are short).
                window = tail + chunk
                cut = max(0, len(window) - 16)
                rows += len(_ROW_TAG.findall(window, 0, cut))
                cells += len(_CELL_TAG.findall(window, 0, cut))
                tail = window[cut:]
                if rows - 1 > limits.rows:
                    raise too_many_rows(limits)
                if cells > limits.cells:
                    raise too_many_cells(limits)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        raise ImportFileError(_("The file is not a valid XLSX workbook.")) from exc
    rows += len(_ROW_TAG.findall(tail))
    if rows - 1 > limits.rows:
        raise too_many_rows(limits)


def check_csv(data: bytes, limits: FileLimits) -> None:
    """A quick count of the lines of a text file (a quoted field may span lines, so this
    over-counts only such fields; the streamed read counts exactly)."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    # Only a file clearly over is refused here; the streamed read counts records exactly.
    if lines - 1 > limits.rows * 2:
        raise too_many_rows(limits, found=lines)


def check_upload(data: bytes, *, extension: str, limits: FileLimits | None = None) -> None:
    """The cheap checks of a file just uploaded: over a limit raises ImportFileError with the
    message; whether the file is readable at all is left to the background check."""
    limits = limits or FileLimits.from_settings()
    if extension == "xlsx":
        check_workbook(data, limits, unreadable_ok=True)
    elif extension == "csv":
        check_csv(data, limits)


class Counter:
    """Counts rows and cells while a table streams in; raises at the first one over."""

    def __init__(self, limits: FileLimits):
        self.limits = limits
        self.rows = 0
        self.cells = 0

    def add(self, width: int) -> None:
        self.rows += 1
        self.cells += width
        # The header row is not a data row.
        if self.rows - 1 > self.limits.rows:
            raise too_many_rows(self.limits)
        if self.cells > self.limits.cells:
            raise too_many_cells(self.limits)
