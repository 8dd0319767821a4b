"""Interchange-file imports through the public API (cells.imports.run_import), DOMAIN.md §8."""

import datetime
import io
import unicodedata

import openpyxl
import pytest
from django.db import DatabaseError, connection
from django.utils import translation

from cells import selectors
from cells.choices import Role
from cells.imports import (
    ImportFileError,
    ImportKind,
    RowError,
    read_rows,
    run_import,
)
from cells.models import (
    AuditEntry,
    Member,
    MemberEvent,
    Membership,
    Organization,
    Post,
    ResidentialUnit,
)
from tests import factories
from tests.factories import SAMPLE_DATA

pytestmark = pytest.mark.django_db

MEMBER_HEADER = "so_ly_lich,ho_ten,gioi_tinh,ngay_sinh,ma_chi_bo,ngay_vao_dang,ngay_chinh_thuc"
EVENT_HEADER = "so_ly_lich,loai,tu_ngay,den_ngay,hinh_thuc,tu_phat_hien_khac_phuc,ghi_chu"
ORG_HEADER = "ma,ten,loai,ma_cap_tren,co_so,ngay_thanh_lap,ngay_giai_the,ma_ke_thua,thon_to_dan_pho"
TABLES = (Organization, Member, Membership, MemberEvent, Post, ResidentialUnit, AuditEntry)


def _file(*lines: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(("\n".join(lines) + "\n").encode(encoding))


def _run(kind, *lines, organization=None, dry_run=False, actor=None, filename="tep.csv", **kw):
    return run_import(
        kind=kind,
        file=_file(*lines),
        filename=filename,
        actor=actor,
        organization=organization,
        dry_run=dry_run,
        **kw,
    )


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


@pytest.fixture
def scene(province):
    """The small province plus two members: one in BG (with card and CCCD), one in HG."""
    province.member = factories.member(
        province.new_cell,
        "Trần Văn Bình",
        record_number="000001BG",
        card_number="11112222",
        citizen_id="001122334455",
    )
    province.foreign_member = factories.member(
        province.foreign_cell, "Lò Văn Páo", record_number="000001HG"
    )
    return province


# --- one case per kind of bad value ------------------------------------------------------
ORG_CASES = [
    ("BG-X,,Chi bộ trực thuộc,BG-AH,không,,,,", "ten", "Không được để trống."),
    ("BG-X,Chi bộ X,Chi bộ thôn,BG-AH,không,,,,", "loai", "“Chi bộ thôn” không thuộc danh mục"),
    ("BG-X,Chi bộ X,Chi bộ trực thuộc,BG-AH,không,31/02/2020,,,", "ngay_thanh_lap", "dd/mm/yyyy"),
    (
        "BG-X,Chi bộ X,Chi bộ trực thuộc,BG-AH,không,01/01/2020,01/01/2019,,",
        "ngay_giai_the",
        "Ngày giải thể trước ngày thành lập.",
    ),
    (
        "BG-X,Chi bộ X,Chi bộ trực thuộc,ZZ,không,,,,",
        "ma_cap_tren",
        "Không có tổ chức nào có mã “ZZ”",
    ),
    ("BG-X,Chi bộ X,Chi bộ trực thuộc,BG-AH,không,,,ZZ,", "ma_ke_thua", "mã “ZZ”"),
    ("BG-X,Chi bộ X,Chi bộ trực thuộc,BG-AH,có lẽ,,,,", "co_so", "Ghi “có” hoặc “không”"),
    ("BG-X,Đảng bộ xã X,Đảng bộ xã,BG,không,,,,Thôn 1", "thon_to_dan_pho", "Chỉ chi bộ"),
    ("BG-X,Chi bộ X,Chi bộ trực thuộc,BG-X,không,,,,", "ma_cap_tren", "vòng lặp"),
    ("BG-PA,Đảng bộ huyện Phú An,Đảng bộ huyện,BG-PA-AH,không,,,,", "ma_cap_tren", "vòng lặp"),
]
MEMBER_CASES = [
    ("12345BG,Lê Văn Chín,Nam,,BG-AH-AH01,,", "so_ly_lich", "Số lý lịch gồm 6 chữ số"),
    ("123456bg,Lê Văn Chín,Nam,,BG-AH-AH01,,", "so_ly_lich", "1 đến 3 chữ cái in hoa"),
    ("123456BG,,Nam,,BG-AH-AH01,,", "ho_ten", "Không được để trống."),
    ("123456BG,Lê Văn Chín,Khác,,BG-AH-AH01,,", "gioi_tinh", "không thuộc danh mục: Nam, Nữ"),
    ("123456BG,Lê Văn Chín,Nam,1/13/1980,BG-AH-AH01,,", "ngay_sinh", "dd/mm/yyyy"),
    ("123456BG,Lê Văn Chín,Nam,01/01/2099,BG-AH-AH01,,", "ngay_sinh", "không thể ở tương lai"),
    (
        "123456BG,Lê Văn Chín,Nam,,BG-AH-AH01,01/01/2000,01/01/1999",
        "ngay_chinh_thuc",
        "Ngày chính thức trước ngày vào Đảng.",
    ),
    ("123456BG,Lê Văn Chín,Nam,,ZZ,,", "ma_chi_bo", "Không có tổ chức nào có mã “ZZ”"),
    ("123456BG,Lê Văn Chín,Nam,,BG-AH,,", "ma_chi_bo", "không phải chi bộ"),
    ("123456BG,Lê Văn Chín,Nam,,HG-C01,,", "ma_chi_bo", "không thuộc Đảng bộ tỉnh Bình Giang"),
    ("123456BG,Lê Văn Chín,Nam,,BG-PA-AH-C01,,", "ma_chi_bo", "đã giải thể ngày 30/06/2025"),
    ("000001HG,Lò Văn Páo,Nam,,BG-AH-AH01,,", "so_ly_lich", "đơn vị khác, ngoài BG"),
]
MEMBER_ID_CASES = [
    ("123456BG,Lê Văn Chín,Nam,1234567,", "so_the_dang_vien", "Số thẻ đảng viên gồm 8 chữ số."),
    ("123456BG,Lê Văn Chín,Nam,,12345678901", "cccd", "Số CCCD gồm 12 chữ số."),
    ("123456BG,Lê Văn Chín,Nam,11112222,", "so_the_dang_vien", "đã thuộc về đảng viên 000001BG"),
    ("123456BG,Lê Văn Chín,Nam,,001122334455", "cccd", "đã thuộc về đảng viên 000001BG"),
]
EVENT_CASES = [
    ("999999BG,Kỷ luật,01/02/2024,,Khiển trách,,", "so_ly_lich", "Không có đảng viên nào"),
    ("000001HG,Nghỉ ốm,01/02/2024,01/03/2024,,,", "so_ly_lich", "không thuộc Đảng bộ tỉnh"),
    ("000001BG,Đi chơi,01/02/2024,,,,", "loai", "không thuộc danh mục"),
    ("000001BG,Kỷ luật,01/02/2024,,,,", "hinh_thuc", "Kỷ luật phải ghi hình thức"),
    ("000001BG,Kỷ luật,01/02/2024,,Phê bình,,", "hinh_thuc", "không thuộc danh mục"),
    ("000001BG,Nghỉ ốm,01/02/2024,,Cảnh cáo,,", "hinh_thuc", "Chỉ sự kiện kỷ luật"),
    ("000001BG,Nghỉ ốm,01/02/2024,01/01/2024,,,", "den_ngay", "Ngày kết thúc trước ngày bắt đầu."),
    ("000001BG,Kỷ luật,01/02/2099,,Cảnh cáo,,", "tu_ngay", "không thể ở tương lai"),
    ("000001BG,Kỷ luật,,,Cảnh cáo,,", "tu_ngay", "Không được để trống."),
    ("000001BG,Kỷ luật,01/02/2024,,Cảnh cáo,ừ,", "tu_phat_hien_khac_phuc", "Ghi “có” hoặc “không”"),
]


def _assert_single_error(result, column, text):
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(2, column)], result.errors
    assert text in result.errors[0].message


@pytest.mark.parametrize(("row", "column", "text"), ORG_CASES)
def test_run_import_organizations_rejects_bad_value(scene, row, column, text):
    """Each kind of bad organization value is reported on its row and column, in Vietnamese."""
    before = _counts()
    result = _run(ImportKind.ORGANIZATIONS, ORG_HEADER, row)
    _assert_single_error(result, column, text)
    assert _counts() == before


@pytest.mark.parametrize(("row", "column", "text"), MEMBER_CASES)
def test_run_import_members_rejects_bad_value(scene, row, column, text):
    """Each kind of bad member value is reported on its row and column, in Vietnamese."""
    before = _counts()
    result = _run(ImportKind.MEMBERS, MEMBER_HEADER, row, organization=scene.province)
    _assert_single_error(result, column, text)
    after = _counts()
    # Nothing written, except the audit of a probe into another unit's records (#19).
    after["AuditEntry"] -= AuditEntry.objects.filter(action="import.foreign_match").count()
    assert after == before


@pytest.mark.parametrize(("row", "column", "text"), MEMBER_ID_CASES)
def test_run_import_members_rejects_bad_card_or_citizen_id(scene, row, column, text):
    """Party card and CCCD: format, and uniqueness against the other members in the database."""
    header = "so_ly_lich,ho_ten,gioi_tinh,so_the_dang_vien,cccd,ma_chi_bo"
    result = _run(ImportKind.MEMBERS, header, row + ",BG-AH-AH01", organization=scene.province)
    _assert_single_error(result, column, text)


@pytest.mark.parametrize(("row", "column", "text"), EVENT_CASES)
def test_run_import_events_rejects_bad_value(scene, row, column, text):
    """Each kind of bad event value is reported on its row and column, in Vietnamese."""
    before = _counts()
    result = _run(ImportKind.EVENTS, EVENT_HEADER, row, organization=scene.province)
    _assert_single_error(result, column, text)
    assert _counts() == before


def test_run_import_reports_duplicates_within_the_file(scene):
    """A key twice in one file (record number, card, CCCD, org code, event) names the first row."""
    members = _run(
        ImportKind.MEMBERS,
        "so_ly_lich,ho_ten,gioi_tinh,ma_chi_bo,so_the_dang_vien,cccd",
        "100001BG,Lê Văn Một,Nam,BG-AH-AH01,22223333,000000000001",
        "100001BG,Lê Văn Một,Nam,BG-AH-AH01,,",
        "100002BG,Lê Văn Hai,Nam,BG-AH-AH01,22223333,000000000001",
        organization=scene.province,
    )
    assert [(e.row, e.column) for e in members.errors] == [
        (3, "so_ly_lich"),
        (4, "so_the_dang_vien"),
        (4, "cccd"),
    ]
    assert all("đã có ở dòng 2" in e.message for e in members.errors)
    orgs = _run(
        ImportKind.ORGANIZATIONS,
        "ma,ten,loai,ma_cap_tren",
        "BG-X,Chi bộ X,Chi bộ trực thuộc,BG-AH",
        "BG-X,Chi bộ X,Chi bộ trực thuộc,BG-AH",
    )
    assert [(e.row, e.column, e.message) for e in orgs.errors] == [
        (3, "ma", "“BG-X” đã có ở dòng 2.")
    ]
    events = _run(
        ImportKind.EVENTS,
        "so_ly_lich,loai,tu_ngay",
        "000001BG,Nghỉ ốm,01/02/2024",
        "000001BG,nghỉ ốm,01/02/2024",
        organization=scene.province,
    )
    assert [(e.row, e.column) for e in events.errors] == [(3, "tu_ngay")]


def test_run_import_header_problems_are_row_one_errors(scene):
    """A missing required column is one error on row 1; an unknown column is ignored with a
    notice on row 1 (DOMAIN §8: real sheets carry stt, ho_ten, notes)."""
    result = _run(ImportKind.MEMBERS, "so_ly_lich,ho_ten,mau_sac", "1", organization=scene.province)
    assert {(e.row, e.column) for e in result.errors} == {(1, "gioi_tinh"), (1, "ma_chi_bo")}
    messages = {e.column: e.message for e in result.errors}
    assert messages["gioi_tinh"] == "Thiếu cột bắt buộc này."
    assert [(n.row, n.column) for n in result.notices] == [(1, "mau_sac")]
    assert result.notices[0].message.startswith("Cột “mau_sac” không được dùng và đã bỏ qua")


def test_run_import_lists_every_bad_row_and_writes_nothing(scene):
    """All-or-nothing: good rows are not written when another row is bad; every error listed."""
    before = _counts()
    result = _run(
        ImportKind.MEMBERS,
        MEMBER_HEADER,
        "100001BG,Lê Văn Một,Nam,,BG-AH-AH01,,",
        "100002BG,Lê Văn Hai,Nam,30/02/1970,BG-AH-AH01,,",
        "100003BG,Lê Văn Ba,Nam,,BG-AH-AH01,,",
        "100004BG,Lê Thị Bốn,Nu,,XX,,",
        organization=scene.province,
    )
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "ngay_sinh"),
        (5, "gioi_tinh"),
        (5, "ma_chi_bo"),
    ]
    assert (result.created, result.updated, result.total_rows) == (0, 0, 4)
    assert _counts() == before


def test_run_import_database_error_mid_write_rolls_everything_back(scene):
    """A database failure on the third row undoes the first two and the audit row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION pb_test_refuse() RETURNS trigger AS $$ BEGIN "
            "IF NEW.record_number = '100003BG' THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER pb_test_refuse BEFORE INSERT ON cells_member "
            "FOR EACH ROW EXECUTE FUNCTION pb_test_refuse()"
        )
    before = _counts()
    with pytest.raises(DatabaseError):
        _run(
            ImportKind.MEMBERS,
            MEMBER_HEADER,
            "100001BG,Lê Văn Một,Nam,,BG-AH-AH01,,",
            "100002BG,Lê Văn Hai,Nam,,BG-AH-AH01,,",
            "100003BG,Lê Văn Ba,Nam,,BG-AH-AH01,,",
            organization=scene.province,
        )
    assert _counts() == before


def test_run_import_service_refusal_becomes_a_row_error(scene):
    """A user without rights on the cell gets an error for the row, and nothing is written."""
    outsider = factories.user_with_role(scene.other_province, Role.SECRETARY)
    before = _counts()
    result = _run(
        ImportKind.MEMBERS,
        MEMBER_HEADER,
        "100001BG,Lê Văn Một,Nam,,BG-AH-AH01,,",
        organization=scene.province,
        actor=outsider,
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "so_ly_lich")]
    assert _counts() == before


def test_run_import_dry_run_counts_exactly_and_writes_nothing(scene):
    """A dry run goes through the writes and rolls them back: the counts are the real ones."""
    before = _counts()
    result = _run(
        ImportKind.MEMBERS,
        MEMBER_HEADER,
        "100001BG,Lê Văn Một,Nam,,BG-AH-AH01,,",
        "000001BG,Trần Văn Bình,Nam,,BG-AH-AH01,,",
        organization=scene.province,
        dry_run=True,
    )
    assert result.ok and result.dry_run
    assert (result.created, result.updated) == (1, 1)
    assert _counts() == before


def test_run_import_writes_one_summary_audit_row(scene):
    """One audit row per import, on the --org node, with the counts and the file name."""
    result = _run(
        ImportKind.MEMBERS,
        MEMBER_HEADER,
        "100001BG,Lê Văn Một,Nam,,BG-AH-AH01,,",
        "100002BG,Lê Văn Hai,Nam,,BG-AH-AH01,,",
        organization=scene.province,
        filename="dang_vien.csv",
    )
    assert result.ok
    entry = AuditEntry.objects.get()
    assert entry.action == "import_members"
    assert entry.organization == scene.province
    assert entry.changes == {"created": 2, "updated": 0, "rows": 2, "file": "dang_vien.csv"}


def test_run_import_reports_progress(scene):
    """progress(done, total) is called every 100 steps of validation + writing and at the end."""
    rows = [f"{200000 + i:06d}BG,Lê Văn Một,Nam,,BG-AH-AH01,," for i in range(150)]
    calls = []
    result = _run(
        ImportKind.MEMBERS,
        MEMBER_HEADER,
        *rows,
        organization=scene.province,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert result.created == 150
    assert calls == [(100, 300), (200, 300), (300, 300), (300, 300)]


def test_run_import_validation_does_not_query_per_row(scene, django_assert_max_num_queries):
    """Validation prefetches in bulk: 300 rows cost the same few queries as 3."""
    rows = [f"{200000 + i:06d}BG,Lê Văn Một,Khác,,BG-AH-AH01,," for i in range(300)]
    with django_assert_max_num_queries(12):
        result = _run(ImportKind.MEMBERS, MEMBER_HEADER, *rows, organization=scene.province)
    assert len(result.errors) == 300


# --- organizations ------------------------------------------------------------------------
SAMPLE_ORGS = SAMPLE_DATA / "to_chuc.csv"


def _sample_lines(path) -> list[str]:
    with open(path, encoding="utf-8-sig") as f:
        return f.read().splitlines()


@pytest.mark.django_db
def test_run_import_organizations_in_any_order():
    """Children before parents and predecessors before successors still build the tree."""
    header, *rows = _sample_lines(SAMPLE_ORGS)
    result = _run(ImportKind.ORGANIZATIONS, header, *reversed(rows))
    assert result.ok, result.errors
    assert result.created == 33
    old_cell = Organization.objects.get(code="BG-PA-AH-C01")
    assert Organization.objects.get_parent(old_cell).code == "BG-PA-AH"
    assert old_cell.successor.code == "BG-AH-AH01"
    assert old_cell.document_abbreviation == "CB"
    assert Organization.objects.get(code="BG-PA-AH").document_abbreviation == "ĐU"
    assert Organization.objects.get(code="BG-PA-AH").is_grassroots is True
    codes = set(
        Organization.objects.filter(
            path__startswith=Organization.objects.get(code="BG-AH").path
        ).values_list("code", flat=True)
    )
    assert {"BG-AH", "BG-AH-AH01", "BG-AH-AT04"} <= codes and "BG-PA-AH-C01" not in codes


@pytest.mark.django_db
def test_run_import_organizations_units_end_covered_by_the_active_cell():
    """A hamlet named by its dissolved and its new cell is one unit of today's commune,
    covered by the new cell; a joint cell covers several."""
    header, *rows = _sample_lines(SAMPLE_ORGS)
    assert _run(ImportKind.ORGANIZATIONS, header, *rows).ok
    assert ResidentialUnit.objects.count() == 15
    unit = ResidentialUnit.objects.get(name="Ấp Tân Lập xã An Thạnh")
    assert (unit.commune.code, unit.cell.code, unit.kind) == ("BG-AH", "BG-AH-AT01", "hamlet")
    joint = ResidentialUnit.objects.filter(cell__code="BG-AH-AH06").values_list("name", flat=True)
    assert sorted(joint) == ["Ấp 6 xã An Hòa", "Ấp 7 xã An Hòa"]


def test_run_import_organizations_updates_and_moves_by_code(scene):
    """An existing code is updated, and a different parent moves the node with its subtree."""
    result = _run(
        ImportKind.ORGANIZATIONS,
        "ma,ten,loai,ma_cap_tren,ngay_giai_the",
        "BG-PA-AH-C02,Chi bộ ấp Hai,Chi bộ trực thuộc,BG-AH,",
    )
    assert (result.created, result.updated) == (0, 1), result.errors
    cell = Organization.objects.get(code="BG-PA-AH-C02")
    assert cell.name == "Chi bộ ấp Hai"
    assert Organization.objects.get_parent(cell).code == "BG-AH"


def test_run_import_organizations_sets_successor_and_abbreviation(scene):
    """ma_ke_thua links a merged unit to its successor; an explicit ky_hieu wins."""
    result = _run(
        ImportKind.ORGANIZATIONS,
        "ma,ten,loai,ma_cap_tren,ngay_thanh_lap,ngay_giai_the,ma_ke_thua,ky_hieu",
        "BG-PA-AH-C09,Chi bộ ấp 9,Chi bộ trực thuộc,BG-PA-AH,01/01/2000,30/06/2025,BG-AH-AH09,",
        "BG-AH-AH09,Chi bộ ấp 9 (An Hòa),Chi bộ cơ sở,BG-AH,01/07/2025,,,CBCS",
    )
    assert result.ok and result.created == 2, result.errors
    assert Organization.objects.get(code="BG-PA-AH-C09").successor.code == "BG-AH-AH09"
    assert Organization.objects.get(code="BG-AH-AH09").document_abbreviation == "CBCS"


# --- members ------------------------------------------------------------------------------
def test_run_import_members_history_through_predecessor_cell(scene):
    """A member placed in a 2025 cell belonged to its predecessor before the merge."""
    result = _run(
        ImportKind.MEMBERS,
        MEMBER_HEADER,
        "100001BG,Lê Văn Một,Nam,01/01/1970,BG-AH-AH01,15/03/2010,15/03/2011",
        organization=scene.province,
    )
    assert result.ok, result.errors
    old = selectors.members_of(organization=scene.old_cell, on=datetime.date(2020, 12, 31))
    assert "100001BG" in {m.record_number for m in old}
    new = selectors.members_of(organization=scene.new_cell, on=datetime.date(2025, 12, 31))
    assert "100001BG" in {m.record_number for m in new}


def test_run_import_members_different_cell_is_a_transfer(scene):
    """Re-importing a member with another cell code moves them there from today."""
    result = _run(
        ImportKind.MEMBERS,
        MEMBER_HEADER,
        "000001BG,Trần Văn Bình,Nam,,BG-PA-AH-C02,,",
        organization=scene.province,
    )
    assert (result.created, result.updated) == (0, 1), result.errors
    open_cells = Membership.objects.filter(member=scene.member, end__isnull=True)
    assert [m.organization.code for m in open_cells] == ["BG-PA-AH-C02"]


def test_run_import_members_replaces_posts(scene):
    """Posts come from the file: re-import replaces them; a hamlet head is flagged."""
    header = "so_ly_lich,ho_ten,gioi_tinh,ma_chi_bo,chuc_vu_dang,chuc_vu_chinh_quyen"
    first = _run(
        ImportKind.MEMBERS,
        header,
        "000001BG,Trần Văn Bình,Nam,BG-AH-AH01,Bí thư chi bộ,Trưởng ấp",
        organization=scene.province,
    )
    assert first.ok, first.errors
    posts = {(p.kind, p.title, p.is_hamlet_head) for p in scene.member.posts.all()}
    assert posts == {("party", "Bí thư chi bộ", False), ("government", "Trưởng ấp", True)}
    _run(
        ImportKind.MEMBERS,
        header,
        "000001BG,Trần Văn Bình,Nam,BG-AH-AH01,Phó Bí thư chi bộ,",
        organization=scene.province,
    )
    assert [p.title for p in scene.member.posts.all()] == ["Phó Bí thư chi bộ"]


def test_run_import_members_labels_forgive_case_and_normalisation(scene):
    """Labels match whatever the case or Unicode form; text is stored NFC."""
    nfd = unicodedata.normalize("NFD", "100001BG,Ngô Thị Hường,NỮ,,BG-AH-AH01,ĐẠI HỌC,cao cấp")
    result = _run(
        ImportKind.MEMBERS,
        "so_ly_lich,ho_ten,gioi_tinh,ngay_sinh,ma_chi_bo,chuyen_mon,ly_luan_chinh_tri",
        nfd,
        organization=scene.province,
    )
    assert result.ok, result.errors
    member = Member.objects.get(record_number="100001BG")
    assert member.full_name == unicodedata.normalize("NFC", "Ngô Thị Hường")
    assert (member.gender, member.professional_level, member.political_theory) == (
        "female",
        "university",
        "advanced",
    )


# --- events -------------------------------------------------------------------------------
def test_run_import_events_reimport_updates_same_key(scene):
    """Same member, kind and start date updates the event instead of adding one."""
    line = "000001BG,Kỷ luật,01/02/2024,,Khiển trách,có,{}"
    first = _run(ImportKind.EVENTS, EVENT_HEADER, line.format(""), organization=scene.province)
    assert (first.created, first.updated) == (1, 0), first.errors
    again = _run(
        ImportKind.EVENTS, EVENT_HEADER, line.format("Đã sửa"), organization=scene.province
    )
    assert (again.created, again.updated) == (0, 1)
    event = MemberEvent.objects.get(member=scene.member)
    assert (event.discipline_form, event.self_remedied, event.note) == (
        "reprimand",
        True,
        "Đã sửa",
    )


def test_run_import_events_death_ends_membership(scene):
    """A leaving event from a file ends the member's open membership, as the service does."""
    result = _run(
        ImportKind.EVENTS,
        "so_ly_lich,loai,tu_ngay",
        "000001BG,Từ trần,05/10/2026",
        organization=scene.province,
    )
    assert result.ok, result.errors
    assert not Membership.objects.filter(member=scene.member, end__isnull=True).exists()


# --- files --------------------------------------------------------------------------------
def test_run_import_reads_xlsx_with_real_dates_and_numbers(scene, tmp_path):
    """The first sheet of an XLSX is read; date cells and number cells become text."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["ma_chi_bo", "so_ly_lich", "ho_ten", "gioi_tinh", "ngay_sinh", "so_the_dang_vien"]
    )
    sheet.append(
        ["BG-AH-AH01", "100001BG", "Lê Văn Một", "Nam", datetime.datetime(1970, 5, 4), 55556666]
    )
    sheet.append([None, None, None, None, None, None])
    sheet.append(["BG-AH-AH01", "100002BG", "Lê Thị Hai", "Nữ", "04/05/1971", None])
    book.create_sheet("Khác").append(["bỏ qua"])
    path = tmp_path / "dang_vien.xlsx"
    book.save(path)
    with path.open("rb") as f:
        result = run_import(
            kind=ImportKind.MEMBERS,
            file=f,
            filename=path.name,
            actor=None,
            organization=scene.province,
            dry_run=False,
        )
    assert (result.created, result.total_rows) == (2, 2), result.errors
    member = Member.objects.get(record_number="100001BG")
    assert (member.birth_date, member.card_number) == (datetime.date(1970, 5, 4), "55556666")


def test_read_rows_handles_bom_and_nfd(scene):
    """A UTF-8 BOM is skipped and NFD text comes back NFC, headers folded to lower case."""
    data = "\ufeffSo_Ly_Lich,Ho_Ten\n100001BG," + unicodedata.normalize("NFD", "Đỗ Thị Ánh") + "\n"
    rows = read_rows(file=io.BytesIO(data.encode("utf-8")), filename="a.CSV")
    assert rows == [{"so_ly_lich": "100001BG", "ho_ten": "Đỗ Thị Ánh"}]
    assert unicodedata.is_normalized("NFC", rows[0]["ho_ten"])


@pytest.mark.parametrize(
    ("data", "filename", "text"),
    [
        (b"\x00\x01garbage", "a.xlsx", "không phải bảng tính XLSX hợp lệ"),
        (b"PK\x03\x04garbage", "a.xlsx", "không phải bảng tính XLSX hợp lệ"),
        ("ma,ten\nX,Thành\n".encode("cp1258"), "a.csv", "không phải văn bản UTF-8"),
        (b"ma,ten\n", "a.xls", "Chỉ nhập được tệp CSV hoặc XLSX."),
        (b"", "a.csv", "Tệp trống"),
    ],
)
def test_run_import_unreadable_file_is_one_file_error(db, data, filename, text):
    """An unreadable file is one error on row 0 from run_import, and ImportFileError from
    read_rows."""
    result = run_import(
        kind=ImportKind.ORGANIZATIONS,
        file=io.BytesIO(data),
        filename=filename,
        actor=None,
        organization=None,
        dry_run=False,
    )
    assert len(result.errors) == 1 and result.errors[0].row == 0
    assert text in result.errors[0].message
    with pytest.raises(ImportFileError):
        read_rows(file=io.BytesIO(data), filename=filename)


def test_run_import_rejects_file_over_size_limit(db, settings):
    """settings.IMPORT_MAX_BYTES caps what is read."""
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    rows = ["X,Chi bộ ấp,Chi bộ trực thuộc,,,,,," + "x" * 1000] * 1100
    result = _run(ImportKind.ORGANIZATIONS, ORG_HEADER, *rows)
    assert result.errors == [RowError(0, "", "Tệp vượt quá giới hạn 1 MB.")]


def test_import_kind_labels_are_vietnamese():
    """The kinds carry Vietnamese labels for the upload screen."""
    with translation.override("vi"):
        assert [str(label) for label in ImportKind.labels] == [
            "Tổ chức đảng",
            "Đảng viên",
            "Sự kiện của đảng viên",
            "Sự kiện của tổ chức đảng",
            "Chức vụ",
        ]


# --- bulk writing of new members ----------------------------------------------------------
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from cells import services  # noqa: E402
from cells.vietnamese import collation_key, nfc  # noqa: E402


def _merge_chain(scene):
    """Add an older cell merged into the old cell (two merges deep) and a 2025 cell that took
    over from two cells (the history cannot tell which one)."""
    d = datetime.date
    factories.org(
        scene.old_commune,
        "BG-PA-AH-C00",
        "Chi bộ ấp Cũ",
        "cell",
        established_on=d(1980, 1, 1),
        dissolved_on=d(1994, 12, 31),
        successor=scene.old_cell,
    )
    joint = factories.org(
        scene.new_commune,
        "BG-AH-AH02",
        "Chi bộ ấp 2 (An Hòa)",
        "grassroots_cell",
        is_grassroots=True,
        established_on=d(2025, 7, 1),
    )
    for code in ("BG-PA-AH-C03", "BG-PA-AH-C04"):
        factories.org(
            scene.old_commune,
            code,
            f"Chi bộ {code}",
            "cell",
            established_on=d(1995, 1, 1),
            dissolved_on=d(2025, 6, 30),
            successor=joint,
        )
    return joint


def _written(record_numbers: list[str]) -> list[tuple]:
    """Everything written for these members, without ids, timestamps and record numbers."""
    skipped = {"id", "record_number", "created_at", "updated_at"}
    rows = []
    for number in record_numbers:
        member = Member.objects.get(record_number=number)
        fields = {
            f.attname: getattr(member, f.attname)
            for f in Member._meta.concrete_fields
            if f.attname not in skipped
        }
        # Both paths cannot hold the same unique numbers: compare their shape.
        for name in ("card_number", "citizen_id"):
            fields[name] = None if fields[name] is None else len(fields[name])
        memberships = list(
            member.memberships.order_by("start").values_list(
                "organization__code", "kind", "start", "end"
            )
        )
        posts = sorted(
            member.posts.values_list("kind", "title", "organization__code", "is_hamlet_head")
        )
        rows.append((fields, memberships, posts))
    return rows


def _new_member_specs(scene, joint, *, card: str, citizen_id: str):
    d = datetime.date
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    return [
        (
            scene.new_cell,
            {"full_name": "  Lê   Văn  Một ", "gender": "male", "admitted_on": d(1985, 3, 2)},
            [],
        ),
        (
            scene.new_cell,
            {
                "full_name": nfd,
                "gender": "female",
                "birth_date": d(1980, 5, 6),
                "admitted_on": d(2010, 3, 15),
                "full_member_on": d(2011, 3, 15),
                "card_number": "",
                "citizen_id": "",
                "professional_level": "university",
            },
            [("party", "Bí thư chi bộ"), ("government", "Trưởng ấp")],
        ),
        (scene.new_cell, {"full_name": "Đỗ Văn Ba", "gender": "male"}, []),
        (
            scene.other_cell,
            {
                "full_name": "Trần Thị Bốn",
                "gender": "female",
                "admitted_on": d(2000, 1, 1),
                "card_number": card,
                "citizen_id": citizen_id,
            },
            [("government", "Trưởng thôn Hai"), ("government", "Công an viên")],
        ),
        (joint, {"full_name": "Hoàng Văn Năm", "gender": "male", "admitted_on": d(1999, 9, 9)}, []),
    ]


def _posts_for(cell, posts):
    return [
        Post(
            kind=kind,
            title=title,
            organization=cell,
            is_hamlet_head=kind == "government" and title.startswith("Trưởng"),
        )
        for kind, title in posts
    ]


def test_members_bulk_create_writes_what_member_create_writes(scene):
    """Bulk and per-row creation write the same members (NFC names, sort keys, NULL for an
    empty card), the same memberships through one and two merges (none past a cell with two
    predecessors), the same posts and the same audit rows."""
    joint = _merge_chain(scene)
    specs = _new_member_specs(scene, joint, card="33334444", citizen_id="001122334466")
    bulk_specs = _new_member_specs(scene, joint, card="55556666", citizen_id="001122334477")
    one_by_one = [f"{300000 + i:06d}BG" for i in range(len(specs))]
    in_bulk = [f"{400000 + i:06d}BG" for i in range(len(specs))]
    for number, (cell, fields, posts) in zip(one_by_one, specs, strict=True):
        member = services.member_create(actor=None, cell=cell, record_number=number, **fields)
        for post in _posts_for(cell, posts):
            post.member = member
            post.save()
    members = services.members_bulk_create(
        actor=None,
        rows=[
            services.NewMember(
                cell=cell, fields={"record_number": n, **fields}, posts=_posts_for(cell, posts)
            )
            for n, (cell, fields, posts) in zip(in_bulk, bulk_specs, strict=True)
        ],
    )
    assert [m.record_number for m in members] == in_bulk and all(m.pk for m in members)
    per_row, bulk = _written(one_by_one), _written(in_bulk)
    assert bulk == per_row
    first, second = bulk[0], bulk[1]
    assert first[0]["full_name"] == "Lê Văn Một"
    assert first[0]["name_sort_key"] == collation_key("Lê Văn Một") != ""
    assert second[0]["name_sort_key"] == collation_key("Nguyễn Thị Ánh")
    assert second[0]["card_number"] is None
    assert first[1] == [
        ("BG-PA-AH-C00", "official", datetime.date(1985, 3, 2), datetime.date(1994, 12, 31)),
        ("BG-PA-AH-C01", "official", datetime.date(1995, 1, 1), datetime.date(2025, 6, 30)),
        ("BG-AH-AH01", "official", datetime.date(2025, 7, 1), None),
    ]
    assert bulk[4][1] == [("BG-AH-AH02", "official", datetime.date(2025, 7, 1), None)]

    unique_numbers = {"record_number", "card_number", "citizen_id"}

    def audited(numbers):
        entries = AuditEntry.objects.filter(
            action="member_create",
            object_id__in=[str(m.pk) for m in Member.objects.filter(record_number__in=numbers)],
        ).order_by("id")
        return [
            (
                e.actor_id,
                e.organization_id,
                e.object_type,
                e.object_repr,
                {k: v for k, v in e.changes.items() if k not in unique_numbers},
            )
            for e in entries
        ]

    assert audited(in_bulk) == audited(one_by_one) and len(audited(in_bulk)) == len(specs)


def test_members_bulk_create_refuses_the_row_member_create_would(scene):
    """The first row member_create would refuse is named by index, with member_create's own
    messages (unique numbers against the database and earlier rows; rights per cell), and
    nothing of the call is written."""
    taken = {"gender": "male", "full_name": "Lê Văn Hai", "card_number": "11112222"}
    with pytest.raises(ValidationError) as per_row:
        services.member_create(actor=None, cell=scene.new_cell, record_number="000001BG", **taken)
    before = _counts()
    rows = [
        services.NewMember(
            cell=scene.new_cell,
            fields={"record_number": "500001BG", "full_name": "Lê Văn Một", "gender": "male"},
        ),
        services.NewMember(cell=scene.new_cell, fields={"record_number": "000001BG", **taken}),
    ]
    with pytest.raises(services.MemberRowRefused) as refused:
        services.members_bulk_create(actor=None, rows=rows)
    assert refused.value.index == 1
    assert refused.value.error.messages == per_row.value.messages
    assert len(per_row.value.messages) == 2
    twice = [rows[0], services.NewMember(cell=scene.old_cell, fields=dict(rows[0].fields))]
    with pytest.raises(services.MemberRowRefused) as duplicate:
        services.members_bulk_create(actor=None, rows=twice)
    assert duplicate.value.index == 1
    assert "record_number" in duplicate.value.error.message_dict
    outsider = factories.user_with_role(scene.other_province, Role.SECRETARY)
    with pytest.raises(services.MemberRowRefused) as denied:
        services.members_bulk_create(actor=outsider, rows=rows[:1])
    assert isinstance(denied.value.error, PermissionDenied)
    assert _counts() == before


def test_run_import_members_writes_new_members_as_member_create_does(scene):
    """An imported file writes the same members, memberships and posts as member_create (the
    former per-row path) given the same values."""
    joint = _merge_chain(scene)
    header = (
        "so_ly_lich,ho_ten,gioi_tinh,ngay_sinh,ma_chi_bo,ngay_vao_dang,ngay_chinh_thuc,"
        "so_the_dang_vien,cccd,chuyen_mon,chuc_vu_dang,chuc_vu_chinh_quyen"
    )
    result = _run(
        ImportKind.MEMBERS,
        header,
        "100001BG,Lê Văn Một,Nam,,BG-AH-AH01,02/03/1985,,,,,,",
        "100002BG,Nguyễn Thị Ánh,Nữ,06/05/1980,BG-AH-AH01,15/03/2010,15/03/2011,,,Đại học,"
        "Bí thư chi bộ,Trưởng ấp",
        "100003BG,Đỗ Văn Ba,Nam,,BG-AH-AH01,,,,,,,",
        "100004BG,Trần Thị Bốn,Nữ,,BG-PA-AH-C02,01/01/2000,,33334444,001122334466,,,"
        "Trưởng thôn Hai;Công an viên",
        "100005BG,Hoàng Văn Năm,Nam,,BG-AH-AH02,09/09/1999,,,,,,",
        organization=scene.province,
    )
    assert (result.created, result.updated) == (5, 0), result.errors
    numbers = []
    specs = _new_member_specs(scene, joint, card="55556666", citizen_id="001122334477")
    for i, (cell, fields, posts) in enumerate(specs):
        numbers.append(f"{300000 + i:06d}BG")
        fields = {**fields, "full_name": nfc(fields["full_name"])}
        fields.setdefault("card_number", None)
        fields.setdefault("citizen_id", None)
        member = services.member_create(actor=None, cell=cell, record_number=numbers[-1], **fields)
        for post in _posts_for(cell, posts):
            post.member = member
            post.save()
    imported = _written([f"{100001 + i:06d}BG" for i in range(5)])
    assert imported == _written(numbers)
    assert AuditEntry.objects.filter(action="import_members").count() == 1
    assert (
        not AuditEntry.objects.filter(action="member_create")
        .exclude(
            object_id__in=[str(m.pk) for m in Member.objects.filter(record_number__in=numbers)]
        )
        .exists()
    )


def test_run_import_members_new_member_takes_a_number_given_up_in_the_file(scene):
    """Updates are written before new members: a card an existing member gives up in the
    file may go to a new member listed above them."""
    result = _run(
        ImportKind.MEMBERS,
        "so_ly_lich,ho_ten,gioi_tinh,ma_chi_bo,so_the_dang_vien",
        "100001BG,Lê Văn Một,Nam,BG-AH-AH01,11112222",
        "000001BG,Trần Văn Bình,Nam,BG-AH-AH01,",
        organization=scene.province,
    )
    assert (result.created, result.updated) == (1, 1), result.errors
    assert Member.objects.get(record_number="100001BG").card_number == "11112222"
    assert Member.objects.get(record_number="000001BG").card_number is None


def _import_queries(scene, count: int, start: int) -> int:
    cells = ["BG-AH-AH01", "BG-PA-AH-C02", "BG-AH-AH02"]
    rows = [
        f"{start + i:06d}BG,Lê Văn Một,Nam,,{cells[i % 3]},02/03/{1985 + i % 30},"
        f",,,,Chi ủy viên,{'Trưởng ấp' if i % 2 else ''}"
        for i in range(count)
    ]
    header = (
        "so_ly_lich,ho_ten,gioi_tinh,ngay_sinh,ma_chi_bo,ngay_vao_dang,ngay_chinh_thuc,"
        "so_the_dang_vien,cccd,chuyen_mon,chuc_vu_dang,chuc_vu_chinh_quyen"
    )
    secretary = factories.user_with_role(scene.province, Role.SECRETARY)
    with CaptureQueriesContext(connection) as captured:
        result = _run(
            ImportKind.MEMBERS, header, *rows, organization=scene.province, actor=secretary
        )
    assert result.created == count, result.errors
    return len(captured)


def test_run_import_members_new_rows_cost_no_queries_per_row(scene):
    """Writing new members does not query per row: 200 cost what 50 do (± a few)."""
    _merge_chain(scene)
    fifty = _import_queries(scene, 50, 600000)
    two_hundred = _import_queries(scene, 200, 700000)
    assert Membership.objects.filter(member__record_number__startswith="7").count() > 200
    assert abs(two_hundred - fifty) <= 3, (fifty, two_hundred)
    assert two_hundred <= 25
