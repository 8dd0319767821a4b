"""How long a hostile workbook holds a worker (issue #19, finding 4).

Builds the finding's file — an XLSX of a million rows, one error each, a few hundred KB — and
times the import's read of it: refused from the sheet's declared size, and (the declaration
removed) refused while streaming at IMPORT_MAX_ROWS. Floor: opening the zip and reading its
directory, which any check has to do. The peak memory the read allocates is measured in a second,
traced run (tracemalloc slows it). No database is touched: the read is refused before any row
is validated.

    DATABASE_URL=… .venv/bin/python bench/import_limits.py
"""

import io
import re
import time
import tracemalloc
import zipfile

from _common import setup_django


def _workbook(rows: int, *, dimension: bool) -> bytes:
    import openpyxl

    names = ("so_ly_lich", "ho_ten", "gioi_tinh", "ma_chi_bo")
    values = ("x", "Lê Văn Một", "Nam", "BG-AH-AH01")

    def row(cells):
        return (
            "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in cells) + "</row>"
        )

    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="A1:D{rows + 1}"/>' if dimension else "")
        + "<sheetData>"
        + row(names)
        + row(values) * rows
        + "</sheetData></worksheet>"
    ).encode()
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source:
        files = {n: source.read(n) for n in source.namelist()}
    files["xl/worksheets/sheet1.xml"] = sheet
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def _refusal(read_table, data: bytes) -> str:
    from django.utils import translation

    from cells.imports import ImportFileError

    try:
        with translation.override("vi"):
            read_table(file=io.BytesIO(data), filename="bom.xlsx")
    except ImportFileError as exc:
        return re.sub(r"\s+", " ", exc.message)[:90]
    return "read (not refused!)"


def main() -> None:
    setup_django()
    from django.conf import settings

    from cells.imports import read_table

    settings.IMPORT_MAX_UNPACKED_BYTES = 10**9  # the row limit is what is measured here
    for dimension in (True, False):
        data = _workbook(1_000_000, dimension=dimension)
        start = time.perf_counter()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
        floor = time.perf_counter() - start
        start = time.perf_counter()
        message = _refusal(read_table, data)
        took = time.perf_counter() - start
        tracemalloc.start()
        _refusal(read_table, data)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        label = "declared size" if dimension else "no <dimension>, streamed"
        print(
            f"{label}: file {len(data) / 1024:.0f} KB, unpacked {unpacked / 2**20:.0f} MB — "
            f"refused in {took * 1000:.0f} ms (floor: zip directory {floor * 1000:.1f} ms, "
            f"ratio {took / floor:.0f}×), peak {peak:.1f} MB allocated by the read: {message}"
        )


if __name__ == "__main__":
    main()
