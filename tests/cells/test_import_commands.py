"""The import_orgs / import_members / import_events commands on the suite's sample files."""

import datetime
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from cells import selectors
from cells.models import (
    AuditEntry,
    Member,
    MemberEvent,
    Membership,
    Organization,
    Post,
    ResidentialUnit,
)
from tests.factories import SAMPLE_DATA

pytestmark = pytest.mark.django_db

DATA = SAMPLE_DATA
TABLES = (Organization, Member, Membership, MemberEvent, Post, ResidentialUnit, AuditEntry)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def _call(*args) -> tuple[int, str, str]:
    """Run a command; return (exit code, stdout, stderr) as the shell would see them."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def _import_samples() -> list[tuple[int, str, str]]:
    return [
        _call("import_orgs", str(DATA / "to_chuc.csv")),
        _call("import_members", str(DATA / "dang_vien.csv"), "--org", "BG"),
        _call("import_events", str(DATA / "su_kien.csv"), "--org", "BG"),
    ]


def test_import_commands_sample_files_in_order():
    """to_chuc, dang_vien and su_kien import with exit 0 and the counts of the files."""
    results = _import_samples()
    assert [r[0] for r in results] == [0, 0, 0], results
    assert [r[1].strip() for r in results] == [
        "Đã nhập: 33 mới, 0 cập nhật.",
        "Đã nhập: 61 mới, 0 cập nhật.",
        "Đã nhập: 8 mới, 0 cập nhật.",
    ]
    assert (Organization.objects.count(), Member.objects.count()) == (33, 61)
    assert MemberEvent.objects.count() == 8
    assert AuditEntry.objects.filter(action__startswith="import_").count() == 3
    secretary = Member.objects.get(record_number="000110BG")
    assert {(p.kind, p.title, p.is_hamlet_head) for p in secretary.posts.all()} == {
        ("party", "Bí thư chi bộ", False),
        ("government", "Trưởng ấp", True),
    }


def test_import_commands_reimport_updates_instead_of_duplicating():
    """Importing the same three files again updates every row and adds nothing."""
    _import_samples()
    before = _counts()
    results = _import_samples()
    assert [r[1].strip() for r in results] == [
        "Đã nhập: 0 mới, 33 cập nhật.",
        "Đã nhập: 0 mới, 61 cập nhật.",
        "Đã nhập: 0 mới, 8 cập nhật.",
    ]
    after = _counts()
    assert after.pop("AuditEntry") == before.pop("AuditEntry") + 3
    assert after == before


def test_import_members_history_reaches_the_predecessor_cell():
    """A member of a 2025 cell was, on 31/12/2020, a member of the cell it replaced."""
    _import_samples()
    member = Member.objects.get(record_number="000110BG")  # BG-AH-AH01, admitted 2001
    old_cell = Organization.objects.get(code="BG-PA-AH-C01")
    old_members = selectors.members_of(organization=old_cell, on=datetime.date(2020, 12, 31))
    assert member in old_members
    history = [(m.organization.code, m.start, m.end) for m in member.memberships.order_by("start")]
    assert history == [
        ("BG-PA-AH-C01", datetime.date(2001, 2, 6), datetime.date(2025, 6, 30)),
        ("BG-AH-AH01", datetime.date(2025, 7, 1), None),
    ]


def test_import_members_bad_file_exits_1_and_changes_nothing(tmp_path):
    """Several bad rows: exit 1, every bad row listed with row and column, no table changed."""
    _import_samples()
    bad = tmp_path / "dang_vien_loi.csv"
    bad.write_text(
        "so_ly_lich,ho_ten,gioi_tinh,ma_chi_bo,ngay_vao_dang,so_the_dang_vien\n"
        "700001BG,Lê Văn Một,Nam,BG-AH-AH01,01/01/2010,\n"
        "70002BG,Lê Văn Hai,Nam,BG-AH-AH01,01/01/2010,\n"
        "700003BG,Lê Văn Ba,Nam,BG-AH-AH01,31/12/2010,48210637\n"
        "700004BG,Lê Thị Bốn,Nữ,BG-AH,01/01/2010,\n"
        "700005BG,Lê Thị Năm,Nữ,BG-AH-AH01,2010-01-01,\n",
        encoding="utf-8",
    )
    before = _counts()
    code, out, err = _call("import_members", str(bad), "--org", "BG")
    assert code == 1
    lines = err.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "Dòng 3, cột so_ly_lich",
        "Dòng 4, cột so_the_dang_vien",
        "Dòng 5, cột ma_chi_bo",
        "Dòng 6, cột ngay_vao_dang",
    ]
    assert "đã thuộc về đảng viên 000110BG" in lines[1]
    assert lines[-1] == "Tệp có 4 lỗi; chưa ghi dữ liệu nào."
    assert out == ""
    assert _counts() == before


def test_import_orgs_dry_run_writes_nothing():
    """--dry-run validates and counts exactly, and leaves every table as it was."""
    code, out, _err = _call("import_orgs", str(DATA / "to_chuc.csv"), "--dry-run")
    assert code == 0
    assert out.strip() == "Chạy thử, không ghi gì: 33 mới, 0 cập nhật."
    assert all(count == 0 for count in _counts().values())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import_members", str(DATA / "dang_vien.csv")), "Phải ghi tùy chọn --org"),
        (("import_events", str(DATA / "su_kien.csv"), "--org", "ZZ"), "mã “ZZ”"),
        (("import_orgs", "/khong/co/tep.csv"), "Không tìm thấy tệp"),
        (("import_members", "/khong/co/tep.csv", "--org", "BG"), "Không tìm thấy tệp"),
    ],
)
def test_import_commands_wrong_usage_exits_2(args, message):
    """Missing --org, an unknown org code or a missing file is wrong usage: exit code 2."""
    code, _out, err = _call(*args)
    assert code == 2
    assert message in err


def _manage(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_commands_exit_codes_from_the_shell(tmp_path):
    """Run as a process: a missing file exits 2, a file with a bad header exits 1."""
    missing = _manage("import_orgs", str(tmp_path / "khong_co.csv"))
    assert missing.returncode == 2
    assert "Không tìm thấy tệp" in missing.stderr
    bad = tmp_path / "to_chuc.csv"
    bad.write_text("ma,ten,mau_sac\nBG,Tỉnh,đỏ\n", encoding="utf-8")
    result = _manage("import_orgs", str(bad))
    assert result.returncode == 1
    assert "Dòng 1, cột mau_sac: Cột “mau_sac” không được dùng và đã bỏ qua" in result.stderr
    assert "Dòng 1, cột loai: Thiếu cột bắt buộc này." in result.stderr
