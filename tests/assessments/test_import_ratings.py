"""`import_ratings` (DOMAIN §8 `xep_loai`): the suite's sample files, the rules, all or nothing."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

from assessments.choices import NotRatedReason, RoundState
from assessments.models import MemberRating, OrganizationRating, RatingRound
from cells.models import Member
from tests.factories import SAMPLE_DATA

DATA = SAMPLE_DATA
COLUMNS = ["so_ly_lich", "nam", "muc", "ly_do_khong_xep_loai", "diem"]


@pytest.fixture(autouse=True)
def vietnamese():
    with translation.override("vi"):
        yield


def run(*args) -> tuple[int, str, str]:
    """The command's exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def sample_province(django_db_setup, django_db_blocker):
    """The sample province (organizations, members, events) imported as files, once
    for the module and rolled back after it; each test runs in its own savepoint inside."""
    with django_db_blocker.unblock(), transaction.atomic(), translation.override("vi"):
        assert run("import_orgs", str(DATA / "to_chuc.csv"))[0] == 0
        assert run("import_members", str(DATA / "dang_vien.csv"), "--org", "BG")[0] == 0
        assert run("import_events", str(DATA / "su_kien.csv"), "--org", "BG")[0] == 0
        yield
        transaction.set_rollback(True)


@pytest.fixture
def bg(sample_province, db):
    """The sample province, for one test."""


def sample_rows() -> list[dict[str, str]]:
    with (DATA / "xep_loai_2020.csv").open(encoding="utf-8-sig") as file:
        return list(csv.DictReader(file))


def write_csv(tmp_path, rows: list[dict[str, str]], name="xep_loai.csv", columns=COLUMNS) -> str:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return str(path)


def import_ratings(path, *, org="BG", year="2020", dry_run=False):
    args = ["import_ratings", path, "--org", org, "--year", year]
    return run(*args, *(["--dry-run"] if dry_run else []))


def level_of(record: str, year: int = 2020) -> str:
    return MemberRating.objects.get(member__record_number=record, year=year).proposed_level


def test_import_ratings_sample_file_rates_every_member_on_the_structure_of_2020(bg):
    """The sample 2020 file imports (exit 0): 60 proposals in the old communes' rounds."""
    code, out, err = import_ratings(str(DATA / "xep_loai_2020.csv"))

    assert (code, err) == (0, "")
    assert "60" in out
    assert MemberRating.objects.filter(year=2020).count() == 60
    assert level_of("000110BG") == "good"
    assert level_of("000142BG") == "excellent"
    rounds = RatingRound.objects.filter(year=2020)
    # Before the 2025 merge the members belonged to the old communes' cells (via predecessors).
    assert sorted(r.organization.code for r in rounds) == ["BG-PA-AH", "BG-PA-AT", "BG-PA-PL"]
    assert {(r.state, r.scheme_code) for r in rounds} == {(RoundState.DRAFT, "hd21-2019")}
    rating = MemberRating.objects.select_related("cell").get(
        member__record_number="000110BG", year=2020
    )
    assert rating.cell.code == "BG-PA-AH-C01"
    unrated = MemberRating.objects.filter(year=2020, proposed_level="")
    assert unrated.count() == 5
    assert set(unrated.values_list("not_rated_reason", flat=True)) == {
        NotRatedReason.EXEMPT,
        NotRatedReason.NEWLY_ADMITTED,
    }


def _commune_rows(rows, prefix="BG-PA-AH"):
    """The sample rows of the members of one old commune in 2020."""
    records = set(
        Member.objects.filter(memberships__organization__code__startswith=prefix + "-").values_list(
            "record_number", flat=True
        )
    )
    return [r for r in rows if r["so_ly_lich"] in records]


def test_import_ratings_quota_breach_lists_q1_on_the_extra_rows_and_writes_nothing(bg, tmp_path):
    """Too many HTXSNV in one commune: exit 1, the Q1 message on the rows beyond the quota."""
    rows = sample_rows()
    commune = _commune_rows(rows)
    good = [r for r in commune if r["muc"] == "Hoàn thành tốt nhiệm vụ"]
    for row in good[:12]:
        row["muc"] = "HTXSNV"
    path = write_csv(tmp_path, rows)
    total_good = sum(r["muc"] in ("Hoàn thành tốt nhiệm vụ", "HTTNV") for r in commune)
    excellent_rows = [
        n
        for n, r in enumerate(rows, start=2)
        if r in commune and r["muc"] in ("HTXSNV", "Hoàn thành xuất sắc nhiệm vụ")
    ]
    allowed = total_good // 5

    code, _out, err = import_ratings(path)

    assert code == 1
    q1 = [line for line in err.splitlines() if "Vượt tỷ lệ" in line]
    assert len(q1) == len(excellent_rows) - allowed
    expected = f"tối đa {allowed} đảng viên Hoàn thành xuất sắc nhiệm vụ (20% của {total_good}"
    assert all(expected in line and ", cột muc:" in line for line in q1)
    flagged = {int(line.split(",")[0].removeprefix("Dòng ")) for line in q1}
    assert flagged == set(excellent_rows[allowed:])
    assert "Hướng dẫn 21-HD/BTCTW" in q1[0]
    assert not MemberRating.objects.exists()
    assert not RatingRound.objects.exists()


def test_import_ratings_bad_values_each_give_their_vietnamese_message(bg, tmp_path):
    """Unknown label, missing reason, wrong year, outside --org, points: one message each."""
    rows = _commune_rows(sample_rows())
    rated = [r for r in rows if r["muc"]]
    rated[0]["muc"] = "Xuất sắc lắm"
    rated[1]["muc"] = ""
    rated[2]["nam"] = "2019"
    rated[3]["diem"] = "85"
    other = next(r for r in _commune_rows(sample_rows(), "BG-PA-PL") if r["muc"])
    rows.append(other)
    rows.append({"so_ly_lich": "999999BG", "nam": "2020", "muc": "HTTNV"})
    rows.append({"so_ly_lich": rated[4]["so_ly_lich"], "nam": "2020", "muc": "HTTNV"})
    path = write_csv(tmp_path, rows)
    row_of = {id(r): n for n, r in enumerate(rows, start=2)}

    code, _out, err = import_ratings(path, org="BG-PA-AH")

    assert code == 1
    lines = err.splitlines()

    def error(row: dict, column: str) -> str:
        prefix = f"Dòng {row_of[id(row)]}, cột {column}: "
        return next(line.removeprefix(prefix) for line in lines if line.startswith(prefix))

    assert error(rated[0], "muc").startswith(
        "“Xuất sắc lắm” không phải là mức xếp loại năm 2020 (Hướng dẫn 21-HD/BTCTW)"
    )
    assert "Hoàn thành tốt nhiệm vụ (HTTNV)" in error(rated[0], "muc")
    assert "Mới kết nạp chưa đủ 06 tháng" in error(rated[1], "ly_do_khong_xep_loai")
    assert error(rated[1], "ly_do_khong_xep_loai").startswith("Dòng không có mức xếp loại")
    assert error(rated[2], "nam") == "Năm “2019” khác năm 2020 của tệp đang nhập."
    assert "Hướng dẫn 21-HD/BTCTW" in error(rated[3], "diem")
    assert error(other, "so_ly_lich") == (
        f"Đảng viên {other['so_ly_lich']} không sinh hoạt ở chi bộ nào thuộc "
        "Đảng bộ xã An Hòa (BG-PA-AH) vào ngày 31/12/2020, cuối năm đánh giá."
    )
    assert error(rows[-2], "so_ly_lich") == "Không có đảng viên nào có số lý lịch “999999BG”."
    assert error(rows[-1], "so_ly_lich") == (
        f"“{rated[4]['so_ly_lich']}” đã có ở dòng {row_of[id(rated[4])]}."
    )
    assert lines[-1] == f"Tệp có {len(lines) - 1} lỗi; chưa ghi dữ liệu nào."
    assert not MemberRating.objects.exists()


def test_import_ratings_points_checked_from_2025(bg, tmp_path):
    """2025 uses a 100-point score: out of range is refused; a comma decimal is read."""
    day_rows = [
        {"so_ly_lich": "000110BG", "nam": "2025", "muc": "HTTNV", "diem": "105"},
        {"so_ly_lich": "000142BG", "nam": "2025", "muc": "HTTNV", "diem": "abc"},
    ]
    code, _out, err = import_ratings(write_csv(tmp_path, day_rows), year="2025")

    assert code == 1
    assert "Dòng 2, cột diem: “105” không phải là điểm từ 0 đến 100 (ví dụ 85 hoặc 85,5)." in err
    assert "Dòng 3, cột diem: “abc” không phải là điểm từ 0 đến 100" in err

    ok = [
        {"so_ly_lich": "000110BG", "nam": "2025", "muc": "HTTNV", "diem": "85,5"},
        {"so_ly_lich": "000142BG", "nam": "2025", "muc": "HTNV", "diem": "60.25"},
    ]
    code, _out, err = import_ratings(write_csv(tmp_path, ok), year="2025")

    assert (code, err) == (0, "")
    rating = MemberRating.objects.select_related("round__organization").get(
        member__record_number="000110BG", year=2025
    )
    assert (rating.proposed_level, rating.points) == ("good", Decimal("85.5"))
    # From July 2025 the hamlet cell is a grassroots organization of its own.
    assert rating.round.organization.code == "BG-AH-AH01"
    assert rating.round.scheme_code == "hd43-2025"


def test_import_ratings_points_band_is_a_rule_error_on_the_level(bg, tmp_path):
    """M5: 75 points with HTXSNV breaks the points band; the message is on the level column."""
    rows = [{"so_ly_lich": "000110BG", "nam": "2025", "muc": "HTXSNV", "diem": "75"}]

    code, _out, err = import_ratings(write_csv(tmp_path, rows), year="2025")

    assert code == 1
    assert "Dòng 2, cột muc: Đảng viên đạt 75 điểm: chỉ được xếp loại tối đa Hoàn thành tốt" in err


def test_import_ratings_dry_run_counts_and_writes_nothing(bg):
    """--dry-run validates the whole file and reports the counts, with nothing written."""
    code, out, err = import_ratings(str(DATA / "xep_loai_2020.csv"), dry_run=True)

    assert (code, err) == (0, "")
    assert "60" in out
    assert not MemberRating.objects.exists()
    assert not RatingRound.objects.exists()


def test_import_ratings_reimport_updates_the_proposals(bg, tmp_path):
    """A second import of the year updates the members' proposals instead of adding rows."""
    assert import_ratings(str(DATA / "xep_loai_2020.csv"))[0] == 0
    rows = sample_rows()
    changed = next(r for r in rows if r["so_ly_lich"] == "000142BG")
    changed["muc"] = "Hoàn thành nhiệm vụ"
    reason = next(r for r in rows if r["ly_do_khong_xep_loai"].startswith("Miễn"))
    reason["ly_do_khong_xep_loai"] = "Khác: đi lao động ở nước ngoài"

    code, out, err = import_ratings(write_csv(tmp_path, rows))

    assert code == 0
    # The "Khác:" reason is left to the deciding level: told as a notice, not refused.
    assert err.count("\n") == 1 and "Không xếp loại vì lý do khác" in err
    assert "0" in out and "60" in out
    assert MemberRating.objects.filter(year=2020).count() == 60
    assert level_of("000142BG") == "complete"
    rating = MemberRating.objects.get(member__record_number=reason["so_ly_lich"], year=2020)
    assert (rating.not_rated_reason, rating.not_rated_note) == (
        NotRatedReason.OTHER,
        "đi lao động ở nước ngoài",
    )


def test_import_ratings_refuses_a_submitted_round(bg, tmp_path):
    """A round already submitted to the deciding level cannot be changed by an import."""
    assert import_ratings(str(DATA / "xep_loai_2020.csv"))[0] == 0
    RatingRound.objects.filter(organization__code="BG-PA-AH").update(state=RoundState.SUBMITTED)
    rows = _commune_rows(sample_rows())[:1]

    code, _out, err = import_ratings(write_csv(tmp_path, rows))

    assert code == 1
    assert "Đảng bộ xã An Hòa" in err and "Đã gửi" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "BG"], "--year"),
        (["--year", "2020"], "--org"),
        (["--org", "XX", "--year", "2020"], "XX"),
        (["--org", "BG", "--year", "20x0"], "20x0"),
    ],
)
def test_import_ratings_wrong_usage_exits_2(bg, args, message):
    """Missing or wrong options are a usage error (exit 2), not a file error."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as excinfo:
        call_command("import_ratings", str(DATA / "xep_loai_2020.csv"), *args)

    assert excinfo.value.returncode == 2
    assert message in str(excinfo.value)


def test_import_ratings_organization_rows_checked_after_their_members(bg, tmp_path):
    """`ma` rows rate cells and the grassroots organization; O1 counts the file's own levels."""
    rows = _commune_rows(sample_rows())
    orgs = [
        {"ma": f"BG-PA-AH-C0{n}", "nam": "2020", "muc": "Hoàn thành tốt nhiệm vụ"}
        for n in range(1, 7)
    ]
    orgs.append({"ma": "BG-PA-AH", "nam": "2020", "muc": "HTXSNV"})
    columns = [*COLUMNS, "ma"]
    assert import_ratings(write_csv(tmp_path, rows + orgs, columns=columns))[0] == 0

    commune = OrganizationRating.objects.get(organization__code="BG-PA-AH", year=2020)
    assert (commune.proposed_level, commune.round.organization.code) == ("excellent", "BG-PA-AH")
    cell = OrganizationRating.objects.get(organization__code="BG-PA-AH-C03", year=2020)
    assert (cell.proposed_level, cell.round_id) == ("good", commune.round_id)

    orgs[2]["muc"] = "Không hoàn thành nhiệm vụ"
    code, _out, err = import_ratings(write_csv(tmp_path, rows + orgs, columns=columns))

    assert code == 1
    commune_row = len(rows) + len(orgs) + 1
    assert (
        f"Dòng {commune_row}, cột muc: Có tổ chức đảng trực thuộc không hoàn thành nhiệm vụ: "
        "chỉ được xếp loại tối đa Hoàn thành tốt nhiệm vụ"
    ) in err
    cell.refresh_from_db()
    assert cell.proposed_level == "good"


def test_import_ratings_template_round_trip(bg, tmp_path):
    """The 2020 ratings template (its levels from Hướng dẫn 21), filled with the sample's rows
    under its Vietnamese headings, imports as it is."""
    import openpyxl

    from cells.imports.columns import COLUMNS
    from cells.imports.templates import template_spec, template_workbook

    workbook = openpyxl.load_workbook(
        io.BytesIO(template_workbook(template_spec("ratings", year=2020)))
    )
    sheet = workbook["Dữ liệu"]
    position = {cell.value: cell.column for cell in sheet[1]}
    assert "Hoàn thành tốt nhiệm vụ" in [c.value for c in workbook["Danh sách"]["A"]]
    for number, row in enumerate(sample_rows(), start=2):
        for name in ("so_ly_lich", "muc", "ly_do_khong_xep_loai"):
            sheet.cell(row=number, column=position[COLUMNS[name].heading], value=row[name])
        sheet.cell(row=number, column=position[COLUMNS["nam"].heading], value=2020)
    path = tmp_path / "xep_loai_2020.xlsx"
    workbook.save(path)

    code, out, err = import_ratings(str(path))

    assert (code, err) == (0, "")
    assert MemberRating.objects.filter(year=2020).count() == 60
    assert level_of("000142BG") == "excellent"
