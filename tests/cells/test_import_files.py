"""Files as people save them (DOMAIN.md §8) and the limits that keep a hostile one from holding
a worker (issue #19, finding 4): separators, BOMs, quoted fields, encodings, Excel dates."""

import datetime
import io
import unicodedata
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from cells import jobs
from cells.choices import ImportJobStatus, Role
from cells.imports import ImportKind, read_table, run_import
from cells.models import ImportJob, Member
from tests import factories

pytestmark = pytest.mark.django_db

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

MEMBERS = [
    "so_ly_lich;ho_ten;gioi_tinh;ngay_sinh;ma_chi_bo;ngay_vao_dang;chuc_vu_dang",
    '700001BG;Nguyễn Thị Kim Yến;Nữ;05/03/1979;BG-AH-AH01;12/10/2005;"Bí thư chi bộ; Chi ủy viên"',
    "700002BG;Võ Hữu Lộc;Nam;1/2/1985;BG-AH-AH01;3/9/2012;",
]


@pytest.fixture(autouse=True)
def vietnamese():
    with translation.override("vi"):
        yield


def _import(data: bytes, filename: str, organization, kind=ImportKind.MEMBERS, **kwargs):
    return run_import(
        kind=kind,
        file=io.BytesIO(data),
        filename=filename,
        actor=None,
        organization=organization,
        dry_run=False,
        **kwargs,
    )


def _table(data: bytes, filename="tep.csv"):
    return read_table(file=io.BytesIO(data), filename=filename)


def _windows_1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: base letters precomposed, tone marks combining."""
    out = []
    for char in text:
        base, *marks = unicodedata.normalize("NFD", char)
        tones = [m for m in marks if m in TONES]
        rest = "".join(m for m in marks if m not in TONES)
        out.append(unicodedata.normalize("NFC", base + rest) + "".join(tones))
    return "".join(out).encode("cp1258")


# --- separators, BOM, quoting -------------------------------------------------------------
def test_read_semicolon_csv_with_bom_and_quoted_fields_imports(province):
    """Excel in a Vietnamese locale: semicolons, a BOM, a quoted field holding a semicolon."""
    data = ("\ufeff" + "\r\n".join(MEMBERS) + "\r\n").encode("utf-8")

    result = _import(data, "dang_vien.csv", province.province)

    assert result.ok, result.errors
    assert result.created == 2
    secretary = Member.objects.get(record_number="700001BG")
    assert secretary.full_name == "Nguyễn Thị Kim Yến"
    assert sorted(p.title for p in secretary.posts.all()) == ["Bí thư chi bộ", "Chi ủy viên"]
    assert Member.objects.get(record_number="700002BG").birth_date == datetime.date(1985, 2, 1)


def test_read_comma_csv_without_bom_and_quoted_newline():
    """Commas, no BOM, a quoted field with a comma and a line break inside it."""
    data = 'ma,ten,ghi_chu\nA1,"Chi bộ ấp 1, xã An Hòa","dòng một\ndòng hai"\n'.encode()

    table = _table(data)

    assert table.columns == ["ma", "ten", "ghi_chu"]
    assert table.rows == [
        (2, {"ma": "A1", "ten": "Chi bộ ấp 1, xã An Hòa", "ghi_chu": "dòng một dòng hai"})
    ]


def test_read_excel_sep_directive_line_is_not_the_header():
    """A `sep=;` first line (Excel's own hint) names the separator and is not a row."""
    table = _table(b"sep=;\nma;ten\nA1;Chi b\xe1\xbb\x99 \xe1\xba\xa5p 1\n")

    assert table.columns == ["ma", "ten"]
    assert table.rows == [(2, {"ma": "A1", "ten": "Chi bộ ấp 1"})]


def test_read_utf16_tab_separated_unicode_text():
    """Excel's "Unicode Text": UTF-16 with a BOM, tab-separated."""
    text = "ma\tten\r\nA1\tChi bộ ấp Tân Lập\r\n"

    table = _table(text.encode("utf-16"))

    assert table.rows == [(2, {"ma": "A1", "ten": "Chi bộ ấp Tân Lập"})]


def test_read_windows_1258_is_refused_with_what_to_do(province):
    """An ANSI (Windows-1258) CSV is named as such, with how to save it as CSV UTF-8."""
    data = _windows_1258("so_ly_lich,ho_ten\n700001BG,Lê Văn Đức\n")

    result = _import(data, "dang_vien.csv", province.province)

    assert [e.row for e in result.errors] == [0]
    message = result.errors[0].message
    assert "Windows-1258" in message and "CSV UTF-8" in message
    assert not Member.objects.filter(record_number="700001BG").exists()


@pytest.mark.parametrize("typed", ["15/03/2010", "15-03-2010", "15.03.2010", "5/3/2010"])
def test_read_dates_typed_as_people_write_them(province, typed):
    """dd/mm/yyyy text, also with "-" or "."; day and month may have one digit."""
    lines = [
        "so_ly_lich,ho_ten,gioi_tinh,ma_chi_bo,ngay_vao_dang",
        f"700003BG,Trần Thị Thu Hạnh,Nữ,BG-AH-AH01,{typed}",
    ]
    result = _import("\n".join(lines).encode(), "dang_vien.csv", province.province)

    assert result.ok, result.errors
    day = Member.objects.get(record_number="700003BG").admitted_on
    assert (day.month, day.year) == (3, 2010) and day.day in (5, 15)


def test_read_excel_date_cells_and_numbers(province):
    """XLSX: a date cell (whatever its display format) and a card number typed as a number."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        ["Số lý lịch", "Họ và tên", "Giới tính", "Mã chi bộ", "Ngày vào Đảng", "so_the_dang_vien"]
    )
    sheet.append(
        ["700004BG", "Đặng Văn Tùng", "Nam", "BG-AH-AH01", datetime.datetime(2011, 4, 30), 12345678]
    )
    sheet["E2"].number_format = "mmm d, yyyy"
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = _import(buffer.getvalue(), "dang_vien.xlsx", province.province)

    assert result.ok, result.errors
    member = Member.objects.get(record_number="700004BG")
    assert (member.admitted_on, member.card_number) == (datetime.date(2011, 4, 30), "12345678")


# --- limits (issue #19, finding 4) --------------------------------------------------------
def _sheet_xml(rows: int, *, dimension: bool = True) -> bytes:
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    if dimension:
        head += f'<dimension ref="A1:D{rows + 1}"/>'
    cells = "".join(
        f'<c t="inlineStr"><is><t>{name}</t></is></c>'
        for name in ("so_ly_lich", "ho_ten", "gioi_tinh", "ma_chi_bo")
    )
    parts = [head, f"<sheetData><row>{cells}</row>"]
    # One bad record number per row, each row byte for byte the same (no optional r="…"):
    # a million of them compress to a few hundred KB, like the finding's file.
    row = "".join(
        f'<c t="inlineStr"><is><t>{value}</t></is></c>'
        for value in ("x", "Lê Văn Một", "Nam", "BG-AH-AH01")
    )
    parts.append(f"<row>{row}</row>" * rows)
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode()


def _workbook(sheet: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A real workbook whose first sheet is replaced by `sheet`, compressed as Excel does (a
    few hundred KB can hold a million rows)."""
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source:
        files = {name: source.read(name) for name in source.namelist()}
    files["xl/worksheets/sheet1.xml"] = sheet
    files.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_limits_million_row_workbook_is_refused_before_reading_rows(province, settings):
    """The finding: a small XLSX holding a million rows (one error each) is refused with one
    clear message before a row is parsed, instead of a million errors after minutes."""
    settings.IMPORT_MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # only the row limit is at stake
    data = _workbook(_sheet_xml(1_000_000))
    assert len(data) < 1024 * 1024  # as small as the attacker's file

    result = _import(data, "dang_vien.xlsx", province.province)

    assert len(result.errors) == 1 and result.errors[0].row == 0
    assert result.errors[0].message.startswith("Tệp có 1.000.001 dòng, vượt quá 50.000 dòng")
    assert "Chia tệp" in result.errors[0].message


def test_limits_rows_counted_while_streaming_when_the_sheet_declares_no_size(province, settings):
    """No <dimension> to trust: the rows are streamed and the read stops at the limit."""
    settings.IMPORT_MAX_ROWS = 1000
    data = _workbook(_sheet_xml(5000, dimension=False))

    result = _import(data, "dang_vien.xlsx", province.province)

    assert len(result.errors) == 1 and result.errors[0].row == 0
    assert "nhiều hơn 1.000 dòng dữ liệu" in result.errors[0].message


def test_limits_zip_bomb_refused_from_the_zip_directory(province):
    """A member that unpacks to 100 MB (zeros compress a thousandfold) is refused before
    openpyxl opens the workbook."""
    bomb = {"xl/sharedStrings.xml": b"\0" * (100 * 1024 * 1024)}
    data = _workbook(_sheet_xml(3), extra=bomb)
    assert len(data) < 1024 * 1024

    result = _import(data, "dang_vien.xlsx", province.province)

    assert len(result.errors) == 1
    assert "giải nén" in result.errors[0].message and "64" in result.errors[0].message


def test_limits_cells_counted(settings):
    """Rows of many filled cells count against the cell limit."""
    settings.IMPORT_MAX_CELLS = 100
    data = ("a,b,c,d,e\n" + "1,2,3,4,5\n" * 30).encode()

    with pytest.raises(Exception) as excinfo:
        _table(data)

    assert "100 ô" in str(excinfo.value)


def test_limits_first_500_errors_kept_with_the_count(province, settings):
    """1,200 bad rows: 1,200 counted, the first 500 (by row) kept and listed."""
    lines = ["so_ly_lich,ho_ten,gioi_tinh,ma_chi_bo"]
    lines += [f"{800000 + n:06d}BG,Lê Văn Một,Khác,BG-AH-AH01" for n in range(1200)]

    result = _import("\n".join(lines).encode(), "dang_vien.csv", province.province)

    assert result.error_count == 1200
    assert len(result.errors) == 500
    assert [e.row for e in result.errors[:3]] == [2, 3, 4]


@pytest.fixture
def secretary(province):
    return factories.user_with_role(province.new_commune, Role.SECRETARY)


def test_limits_upload_over_the_row_limit_refused_at_once(secretary, province, settings):
    """The web process reads the workbook's declared size: the form says so, no job is made."""
    settings.IMPORT_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
    upload = SimpleUploadedFile("dang_vien.xlsx", _workbook(_sheet_xml(1_000_000)))

    with pytest.raises(ValidationError) as excinfo:
        jobs.importjob_create(
            actor=secretary, kind="members", organization=province.new_cell, uploaded_file=upload
        )

    assert "vượt quá 50.000 dòng" in " ".join(excinfo.value.message_dict["file"])
    assert not ImportJob.objects.exists()


def test_limits_job_page_lists_the_first_500_errors_with_the_total(
    client, secretary, province, settings
):
    """The job page of a file with 1,200 errors: the total, and a table of the first 500."""
    lines = ["so_ly_lich,ho_ten,gioi_tinh,ma_chi_bo"]
    lines += [f"{800000 + n:06d}BG,Lê Văn Một,Khác,BG-AH-AH01" for n in range(1200)]
    upload = SimpleUploadedFile("dang_vien.csv", "\n".join(lines).encode())
    job = jobs.importjob_create(
        actor=secretary, kind="members", organization=province.new_cell, uploaded_file=upload
    )
    jobs.importjob_validate(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error_count, len(job.errors)) == (ImportJobStatus.INVALID, 1200, 500)

    client.force_login(secretary)
    response = client.get(reverse("cells:importjob_detail", args=[job.pk]))

    content = response.content.decode()
    assert "Tệp có 1200 lỗi" in content
    assert "500 lỗi đầu tiên" in content
    assert content.count("<tr><td>") == 500
