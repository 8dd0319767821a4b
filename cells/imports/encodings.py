"""Text files as people save them: which encoding and which separator (DOMAIN.md §8).

Excel on a Vietnamese Windows saves "CSV" in the ANSI code page (Windows-1258), "CSV UTF-8"
with a byte-order mark, "Unicode Text" as UTF-16 with tabs, and separates fields with a
semicolon when the list separator of the locale is one. UTF-8 (with or without BOM) and
UTF-16 are read; Windows-1258 cannot be told apart from other code pages with certainty, so it
is refused with the steps to save the file again rather than guessed.
"""

import csv
import io
import unicodedata

from django.utils.translation import gettext as _

from .errors import ImportFileError

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
DELIMITERS = (",", ";", "\t")
# Letters only Vietnamese uses among the Latin ones a code page maps, and the combining tone
# marks Windows-1258 writes after a vowel (it has no precomposed toned letters).
_VIETNAMESE = set("ăâđêôơưĂÂĐÊÔƠƯ") | {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _utf16(data: bytes) -> str | None:
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16")
    # No BOM: ASCII headers in UTF-16 put a NUL in every other byte.
    sample = data[:200]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return data.decode("utf-16-le")
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
        return data.decode("utf-16-be")
    return None


def _looks_windows_1258(data: bytes) -> bool:
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        return False
    return any(ch in _VIETNAMESE for ch in text)


def decode_text(data: bytes) -> str:
    """The file's text (NFC not applied yet); raises ImportFileError with what to do."""
    try:
        text = _utf16(data)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "The file looks like UTF-16 (Unicode) text but cannot be read as such: save it "
                "from Excel with “Save As” → “CSV UTF-8 (Comma delimited)” and try again."
            )
        ) from exc
    if text is not None:
        return text.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _looks_windows_1258(data):
            raise ImportFileError(
                _(
                    "The file is saved in the Windows-1258 (ANSI) code page, not in Unicode, so "
                    "its Vietnamese letters would be garbled. In Excel choose “Save As” → “CSV "
                    "UTF-8 (Comma delimited) (*.csv)”, or save it as .xlsx, and upload that file."
                )
            ) from exc
        raise ImportFileError(
            _(
                "The file is not Unicode (UTF-8) text: in Excel choose “Save As” → “CSV UTF-8 "
                "(Comma delimited) (*.csv)”, or save it as .xlsx, and try again."
            )
        ) from exc


def _header_width(line: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return 0


def split_separator(text: str) -> tuple[str, str]:
    """(delimiter, text without Excel's `sep=` line): the separator the header row uses.

    The header names carry no separator of their own, so the candidate that splits the first
    line into the most fields is the one (comma on a tie, as DOMAIN.md §8 writes it).
    """
    first, _newline, rest = text.partition("\n")
    directive = first.strip().casefold()
    if directive.startswith("sep=") and len(directive) == 5:
        return first.strip()[4], rest
    widths = {d: _header_width(first, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (widths[d], d == ","))
    return best, text


def csv_records(text: str, delimiter: str):
    """The records of the text, one list of raw strings each (quoted fields may span lines)."""
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def is_text_like(text: str) -> bool:
    """False for binary content decoded by accident (control characters other than tab/newline)."""
    sample = text[:4096]
    return not any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in sample)
