"""Finding 5 of #19: the member import resolved out-of-scope citizen IDs and party card
numbers to their owners' record numbers and cells. Out of scope it now says only that the
value is registered elsewhere and that the upper level can help, and audits the hit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cells.choices import Role
from cells.models import AuditEntry, ImportJob
from partybuild.celery import app as celery_app
from tests import factories

HEADER = "so_ly_lich,ho_ten,gioi_tinh,ngay_sinh,ma_chi_bo,ngay_vao_dang,so_the_dang_vien,cccd\n"
FOREIGN_ID = "098068865384"
FOREIGN_CARD = "77665544"
OWN_ID = "001122334455"


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    yield run
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def owners(province):
    """A member of another province holding a CCCD and a card number; one of ours holding
    another CCCD."""
    foreign = factories.member(
        province.foreign_cell,
        full_name="Người Ngoài",
        record_number="590063SH",
        citizen_id=FOREIGN_ID,
        card_number=FOREIGN_CARD,
    )
    own = factories.member(
        province.new_cell, full_name="Người Nhà", record_number="123456BG", citizen_id=OWN_ID
    )
    return foreign, own


def _upload(client, run_tasks, province, text):
    return run_tasks(
        client.post,
        reverse("cells:importjob_create"),
        {
            "kind": "members",
            "organization": province.new_commune.pk,
            "file": SimpleUploadedFile("dang_vien.csv", text.encode("utf-8")),
        },
    )


def test_import_never_names_an_out_of_scope_owner(client, province, owners, run_tasks):
    """Values of another unit's member: the error names neither the owner's record number
    nor their cell, and says the upper level can help; the user's own duplicate still names
    the member (it is theirs to fix)."""
    client.force_login(factories.user_with_role(province.new_commune, Role.SECRETARY))
    text = (
        HEADER
        + f"200001BG,Dò Tìm,Nam,01/02/1970,BG-AH-AH01,01/01/2000,{FOREIGN_CARD},{FOREIGN_ID}\n"
        + f"200002BG,Trùng Nhà,Nữ,01/02/1971,BG-AH-AH01,01/01/2001,,{OWN_ID}\n"
    )
    _upload(client, run_tasks, province, text)
    # A record number of another unit's member: not "belongs to HG-C01".
    _upload(client, run_tasks, province, HEADER + "590063SH,Chuyển Về,Nam,,BG-AH-AH01,,,\n")
    first, second = ImportJob.objects.order_by("pk")
    pages = "".join(
        client.get(reverse("cells:importjob_detail", args=[job.pk])).content.decode()
        for job in (first, second)
    )
    stored = str(first.errors) + str(second.errors)
    for leak in ("thuộc về đảng viên 590063SH", "HG-C01", "Chi bộ thôn Một", "Người Ngoài"):
        assert leak not in pages and leak not in stored, leak
    # The record number shows only where the user typed it, never as an owner.
    assert "590063SH" not in str(first.errors)
    assert stored.count("đã được đăng ký ở đơn vị khác") == 3, stored
    assert "cấp ủy cấp trên" in pages
    assert "123456BG" in pages  # in scope: named, it is the user's own to fix


def test_import_out_of_scope_hits_are_audited(client, province, owners, run_tasks):
    """Each upload that touched another unit's values leaves one audit row saying how many
    and in which columns, filed under the importing unit: the probing is visible."""
    user = factories.user_with_role(province.new_commune, Role.SECRETARY, username="do-tim")
    client.force_login(user)
    text = HEADER + "".join(
        f"20000{n}BG,Dò {n},Nam,01/02/1970,BG-AH-AH01,01/01/2000,,{FOREIGN_ID if n == 1 else ''}\n"
        for n in range(1, 3)
    )
    text += f"200009BG,Dò Thẻ,Nam,01/02/1970,BG-AH-AH01,01/01/2000,{FOREIGN_CARD},\n"
    _upload(client, run_tasks, province, text)
    entry = AuditEntry.objects.get(action="import.foreign_match")
    assert entry.actor == user
    assert entry.organization == province.new_commune
    assert entry.changes["hits"] == 2
    assert sorted(entry.changes["columns"]) == ["cccd", "so_the_dang_vien"]
    assert FOREIGN_ID not in str(entry.changes)
