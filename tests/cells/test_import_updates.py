"""Safe updates by a members file (issue #17): the preview shows old → new per field, and a
row whose record number names someone else (another name and date of birth) is refused as a
probable typo unless that row is confirmed — in the UI and on the command line."""

import datetime
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from cells import jobs
from cells.choices import ImportJobStatus, Role
from cells.models import AuditEntry, Member
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "so_ly_lich,ho_ten,gioi_tinh,ngay_sinh,ma_chi_bo,dan_toc"


@pytest.fixture(autouse=True)
def vietnamese():
    with translation.override("vi"):
        yield


@pytest.fixture
def scene(province):
    province.member = factories.member(
        province.new_cell,
        "Trần Văn Khánh",
        record_number="700001BG",
        birth_date=datetime.date(1968, 9, 3),
        ethnicity="Kinh",
    )
    province.secretary = factories.user_with_role(province.new_commune, Role.SECRETARY)
    return province


def _job(scene, *rows: str):
    upload = SimpleUploadedFile("dang_vien.csv", "\n".join([HEADER, *rows]).encode())
    job = jobs.importjob_create(
        actor=scene.secretary,
        kind="members",
        organization=scene.new_commune,
        uploaded_file=upload,
    )
    jobs.importjob_validate(job.pk)
    job.refresh_from_db()
    return job


def test_update_preview_lists_old_and_new_per_field(client, scene):
    """A correction of the name and the ethnicity: the preview names each field, old → new."""
    job = _job(scene, "700001BG,Trần Văn Khanh,Nam,03/09/1968,BG-AH-AH01,Khmer")

    assert (job.status, job.updated_count) == (ImportJobStatus.READY, 1)
    assert job.changes == [
        {
            "row": 2,
            "record": "700001BG",
            "name": "Trần Văn Khánh",
            "changes": [
                {"field": "họ và tên", "old": "Trần Văn Khánh", "new": "Trần Văn Khanh"},
                {"field": "dân tộc", "old": "Kinh", "new": "Khmer"},
            ],
        }
    ]
    client.force_login(scene.secretary)
    page = client.get(reverse("cells:importjob_detail", args=[job.pk])).content.decode()
    assert "Những gì sẽ thay đổi khi nhập" in page
    assert "<del>Kinh</del>" in page and "<ins>Khmer</ins>" in page
    assert "<del>Trần Văn Khánh</del>" in page


def test_update_typo_guard_refuses_until_the_row_is_confirmed(
    client, scene, django_capture_on_commit_callbacks
):
    """Another name and another date of birth under an existing record number: refused with
    a message naming both, nothing written; ticking the row checks the file again and the
    member is then updated, the confirmation audited."""
    job = _job(scene, "700001BG,Lê Thị Hồng,Nữ,01/01/1990,BG-AH-AH01,Kinh")

    assert job.status == ImportJobStatus.INVALID
    [error] = job.errors
    assert error["confirm"] == "700001BG"
    assert error["message"].startswith(
        "Số lý lịch 700001BG là của đảng viên Trần Văn Khánh (sinh 03/09/1968), nhưng dòng "
        "này ghi Lê Thị Hồng (sinh 01/01/1990): có thể số lý lịch bị gõ nhầm"
    )
    client.force_login(scene.secretary)
    page = client.get(reverse("cells:importjob_detail", args=[job.pk])).content.decode()
    assert 'name="confirm" value="700001BG"' in page
    assert "Xác nhận các dòng đã đánh dấu và kiểm tra lại" in page

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("cells:importjob_confirm_rows", args=[job.pk]), {"confirm": ["700001BG"]}
        )
    assert response.status_code == 302
    jobs.importjob_validate(job.pk)
    job.refresh_from_db()

    assert (job.status, job.confirmed_records, job.updated_count) == (
        ImportJobStatus.READY,
        ["700001BG"],
        1,
    )
    assert Member.objects.get(record_number="700001BG").full_name == "Trần Văn Khánh"
    assert AuditEntry.objects.filter(action="import.confirm_rows").count() == 1
    with django_capture_on_commit_callbacks(execute=False):
        jobs.importjob_confirm(actor=scene.secretary, job=job)
    jobs.importjob_apply(job.pk)
    member = Member.objects.get(record_number="700001BG")
    assert (member.full_name, member.birth_date) == ("Lê Thị Hồng", datetime.date(1990, 1, 1))


def test_update_one_differing_is_a_correction_not_a_typo(scene):
    """Only the date of birth differs (the name is the same, case and accents forgiven by
    NFC): a correction, shown in the preview, not refused."""
    job = _job(scene, "700001BG,TRẦN VĂN KHÁNH,Nam,04/09/1968,BG-AH-AH01,Kinh")

    assert job.status == ImportJobStatus.READY, job.errors
    fields = [c["field"] for c in job.changes[0]["changes"]]
    assert "ngày sinh" in fields


def test_update_rows_cannot_be_confirmed_unless_refused_as_typos(scene):
    """Confirming a record number that was not refused as a probable typo is refused."""
    job = _job(scene, "700001BG,Lê Thị Hồng,Nữ,01/01/1990,ZZ,Kinh")
    with pytest.raises(Exception, match="đánh dấu"):
        jobs.importjob_confirm_rows(actor=scene.secretary, job=job, records=["700009BG"])


def test_update_typo_guard_on_the_command_line(scene, tmp_path):
    """import_members: refused (exit 1) with the --confirm to give; given, it updates; the
    dry run prints the changes old → new."""
    path = tmp_path / "dang_vien.csv"
    path.write_text(HEADER + "\n700001BG,Lê Thị Hồng,Nữ,01/01/1990,BG-AH-AH01,Kinh\n")
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as excinfo:
        call_command("import_members", str(path), "--org", "BG", stdout=out, stderr=err)
    assert excinfo.value.code == 1
    assert "có thể số lý lịch bị gõ nhầm" in err.getvalue()
    assert "chạy lại với: --confirm 700001BG" in err.getvalue()

    out = StringIO()
    call_command(
        "import_members", str(path), "--org", "BG", "--confirm", "700001BG", "--dry-run", stdout=out
    )
    assert (
        "Dòng 2, 700001BG Trần Văn Khánh: họ và tên: Trần Văn Khánh → Lê Thị Hồng" in out.getvalue()
    )
    assert Member.objects.get(record_number="700001BG").full_name == "Trần Văn Khánh"

    call_command(
        "import_members", str(path), "--org", "BG", "--confirm", "700001BG", stdout=StringIO()
    )
    assert Member.objects.get(record_number="700001BG").full_name == "Lê Thị Hồng"
