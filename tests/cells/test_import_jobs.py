"""Interchange imports from the UI: upload → background check → preview → confirm → write.

Tasks run in-process here (Celery eager mode, on_commit callbacks executed); the real worker
is exercised by tests/integration/test_celery_worker.py.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cells import jobs
from cells.choices import ImportJobPhase, ImportJobStatus, Role
from cells.models import ImportJob, Member, Organization
from partybuild.celery import app as celery_app
from partybuild.jobs import ProgressWriter
from tests import factories

MEMBERS_HEADER = "so_ly_lich,ho_ten,gioi_tinh,ngay_sinh,ma_chi_bo,ngay_vao_dang\n"
GOOD_MEMBERS = (
    MEMBERS_HEADER
    + "100001BG,Nguyễn Văn An,Nam,01/02/1970,BG-AH-AH01,01/01/2000\n"
    + "100002BG,Trần Thị Bình,Nữ,03/04/1975,BG-AH-AH01,05/06/2001\n"
)
BAD_MEMBERS = (
    MEMBERS_HEADER
    + "100003BG,Lê Văn Cường,Nam,01/02/1970,BG-AH-AH01,01/01/2000\n"
    + "100004BG,Phạm Thị Dung,Khác,03/04/1975,BG-AH-AH01,05/06/2001\n"
    + "100005BG,Hoàng Văn Em,Nam,31/02/1980,BG-AH-AH01,05/06/2001\n"
)


def csv_upload(text: str, name: str = "dang_vien.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\ufeff" + text).encode("utf-8"), content_type="text/csv")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Run the Celery tasks in-process, as soon as the enqueuing transaction commits."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True

    class Runner:
        def __call__(self, func, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return func(*args, **kwargs)

    yield Runner()
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def secretary(province):
    """Secretary of the 2025 commune: may edit the roster of its cells."""
    return factories.user_with_role(province.new_commune, Role.SECRETARY)


def make_job(user, organization, text=GOOD_MEMBERS, **fields) -> ImportJob:
    """A stored job without running anything (the queued message is dropped)."""
    job = jobs.importjob_create(
        actor=user, kind="members", organization=organization, uploaded_file=csv_upload(text)
    )
    if fields:
        ImportJob.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
    return job


def test_importjob_create_stores_file_under_imports_with_random_name(
    secretary, province, media_root
):
    """The upload is kept under MEDIA_ROOT/imports/ with a random name; the user's name is
    only shown."""
    job = make_job(secretary, province.new_commune)
    assert job.file.name.startswith("imports/")
    assert "dang_vien" not in job.file.name
    assert job.file.name.endswith(".csv")
    assert (media_root / job.file.name).read_bytes().startswith(b"\xef\xbb\xbf")
    assert job.filename == "dang_vien.csv"
    assert job.status == ImportJobStatus.PENDING
    assert job.queued_at is not None


def test_importjob_upload_valid_file_previews_counts_then_writes_on_confirm(
    client, secretary, province, run_tasks
):
    """Upload → the check runs → the preview says what will be added, nothing is written;
    confirm → the write runs → the members exist and the page says so."""
    client.force_login(secretary)
    response = run_tasks(
        client.post,
        reverse("cells:importjob_create"),
        {
            "kind": "members",
            "organization": province.new_commune.pk,
            "file": csv_upload(GOOD_MEMBERS),
        },
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cells:importjob_detail", args=[job.pk])
    assert job.status == ImportJobStatus.READY
    assert (job.total_rows, job.created_count, job.updated_count) == (2, 2, 0)
    assert job.task_id  # the worker's task id is recorded
    assert not Member.objects.exists()

    page = client.get(reverse("cells:importjob_detail", args=[job.pk])).content.decode()
    assert "Sẽ thêm 2, cập nhật 0" in page
    assert "Xác nhận nhập" in page
    assert "hx-trigger" not in page

    response = run_tasks(client.post, reverse("cells:importjob_confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE
    assert job.confirmed_by == secretary
    assert (job.created_count, job.progress_done, job.progress_total) == (2, 2, 2)
    assert sorted(Member.objects.values_list("record_number", flat=True)) == [
        "100001BG",
        "100002BG",
    ]
    page = client.get(reverse("cells:importjob_detail", args=[job.pk])).content.decode()
    assert "Đã nhập: thêm 2, cập nhật 0" in page
    assert "Xác nhận nhập" not in page


def test_importjob_validate_bad_rows_lists_every_error_and_writes_nothing(
    client, secretary, province, run_tasks
):
    """A file with invalid rows gets an error table (Dòng, Cột, Lỗi) sorted by row, no
    confirm button, and no member is written — not even the valid row."""
    job = run_tasks(make_job, secretary, province.new_commune, BAD_MEMBERS)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.INVALID
    assert {(e["row"], e["column"]) for e in job.errors} >= {(3, "gioi_tinh"), (4, "ngay_sinh")}
    assert not Member.objects.exists()

    client.force_login(secretary)
    page = client.get(reverse("cells:importjob_detail", args=[job.pk])).content.decode()
    for heading in ('<th scope="col">Dòng</th>', '<th scope="col">Cột</th>', "Lỗi</th>"):
        assert heading in page
    assert page.index("gioi_tinh") < page.index("ngay_sinh")
    assert "Xác nhận nhập" not in page
    assert "Khác" in page  # the offending value is quoted in the Vietnamese message


def test_importjob_confirm_refused_for_a_job_with_errors(client, secretary, province, run_tasks):
    """Confirming a file that has errors is refused: it stays invalid and nothing is written."""
    job = run_tasks(make_job, secretary, province.new_commune, BAD_MEMBERS)
    client.force_login(secretary)
    response = run_tasks(
        client.post, reverse("cells:importjob_confirm", args=[job.pk]), follow=True
    )
    job.refresh_from_db()
    assert job.status == ImportJobStatus.INVALID
    assert job.confirmed_by is None
    assert not Member.objects.exists()
    assert "Chỉ có thể nhập tệp đã được kiểm tra và không có lỗi." in response.content.decode()


def test_importjob_confirm_refused_before_validation(client, secretary, province):
    """A job whose check has not run yet cannot be confirmed."""
    job = make_job(secretary, province.new_commune)
    client.force_login(secretary)
    client.post(reverse("cells:importjob_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJobStatus.PENDING
    assert job.confirmed_at is None


def test_importjob_confirm_rejects_get(client, secretary, province):
    """Confirming only happens through POST (a link or a prefetch must not start a write)."""
    job = make_job(secretary, province.new_commune, status=ImportJobStatus.READY)
    client.force_login(secretary)
    response = client.get(reverse("cells:importjob_confirm", args=[job.pk]))
    assert response.status_code == 405
    job.refresh_from_db()
    assert job.status == ImportJobStatus.READY


def test_importjob_create_forbidden_without_edit_rights(client, province):
    """A user with a read-only role cannot open the upload page."""
    reader = factories.user_with_role(province.new_commune, Role.REPORTS)
    client.force_login(reader)
    response = client.get(reverse("cells:importjob_create"))
    assert response.status_code == 403
    response = client.post(
        reverse("cells:importjob_create"),
        {
            "kind": "members",
            "organization": province.new_commune.pk,
            "file": csv_upload(GOOD_MEMBERS),
        },
    )
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_importjob_create_refuses_a_unit_outside_the_users_roster(client, secretary, province):
    """Choosing a unit the user cannot edit is a form error and no job is created."""
    client.force_login(secretary)
    response = client.post(
        reverse("cells:importjob_create"),
        {
            "kind": "members",
            "organization": province.foreign_cell.pk,
            "file": csv_upload(GOOD_MEMBERS),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["organization"]
    assert not ImportJob.objects.exists()


def test_importjob_create_organizations_only_for_administrators(client, secretary, province):
    """The organization tree can be imported by an administrator, not by a secretary."""
    client.force_login(secretary)
    response = client.post(
        reverse("cells:importjob_create"),
        {"kind": "organizations", "organization": "", "file": csv_upload("ma,ten,loai\n")},
    )
    assert response.status_code == 200
    assert "Bạn không được nhập loại tệp này vào đơn vị này." in response.content.decode()
    assert not ImportJob.objects.exists()
    admin = factories.user_with_role(province.province, Role.ADMIN)
    choices = jobs.organizations_importable_by(user=admin, kind="organizations")
    assert province.new_commune in choices
    assert province.foreign_cell not in choices
    assert jobs.can_import(admin, kind="organizations", organization=province.new_commune)
    assert not jobs.can_import(admin, kind="organizations", organization=None)


def test_importjob_create_rejects_oversized_file_with_vietnamese_error(
    client, secretary, province, settings
):
    """A file over IMPORT_MAX_BYTES is refused on the form, in Vietnamese."""
    settings.IMPORT_MAX_BYTES = 20
    client.force_login(secretary)
    response = client.post(
        reverse("cells:importjob_create"),
        {
            "kind": "members",
            "organization": province.new_commune.pk,
            "file": csv_upload(GOOD_MEMBERS),
        },
    )
    assert response.status_code == 200
    assert "Tệp quá lớn" in response.content.decode()
    assert "giới hạn là 20" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_importjob_create_rejects_wrong_extension_with_vietnamese_error(
    client, secretary, province
):
    """Only .csv and .xlsx files are accepted."""
    client.force_login(secretary)
    response = client.post(
        reverse("cells:importjob_create"),
        {
            "kind": "members",
            "organization": province.new_commune.pk,
            "file": csv_upload(GOOD_MEMBERS, name="dang_vien.txt"),
        },
    )
    assert response.status_code == 200
    assert "Chỉ nhập được tệp .csv hoặc .xlsx." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_importjob_other_units_job_is_404(client, province):
    """Another province's job does not exist for this user: detail, progress, confirm and
    retry all answer 404."""
    foreign_secretary = factories.user_with_role(province.other_province, Role.SECRETARY)
    job = make_job(foreign_secretary, province.foreign_cell, status=ImportJobStatus.READY)
    outsider = factories.user_with_role(province.new_commune, Role.SECRETARY)
    client.force_login(outsider)
    for name, method in (
        ("cells:importjob_detail", client.get),
        ("cells:importjob_progress", client.get),
        ("cells:importjob_confirm", client.post),
        ("cells:importjob_retry", client.post),
    ):
        assert method(reverse(name, args=[job.pk])).status_code == 404, name
    job.refresh_from_db()
    assert job.status == ImportJobStatus.READY


def test_importjob_visible_to_viewer_of_unit_but_confirm_needs_edit_rights(
    client, secretary, province
):
    """A reviewer of the unit sees the job but has no confirm button and cannot confirm."""
    job = make_job(secretary, province.new_commune, status=ImportJobStatus.READY)
    reviewer = factories.user_with_role(province.province, Role.REPORTS)
    client.force_login(reviewer)
    page = client.get(reverse("cells:importjob_detail", args=[job.pk])).content.decode()
    assert "dang_vien.csv" in page
    assert "Xác nhận nhập" not in page
    response = client.post(reverse("cells:importjob_confirm", args=[job.pk]))
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJobStatus.READY


def test_importjob_progress_partial_polls_until_finished(client, secretary, province):
    """While queued or running the partial re-polls every second; once finished it has no
    trigger, so htmx stops polling."""
    job = make_job(
        secretary,
        province.new_commune,
        status=ImportJobStatus.VALIDATING,
        started_at=timezone.now(),
        progress_done=50,
        progress_total=200,
    )
    client.force_login(secretary)
    url = reverse("cells:importjob_progress", args=[job.pk])
    running = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert f'hx-get="{url}"' in running
    assert 'aria-valuenow="25"' in running
    assert "Đang kiểm tra tệp" in running

    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.READY, total_rows=2, created_count=2
    )
    finished = client.get(url).content.decode()
    assert "hx-trigger" not in finished
    assert "Sẽ thêm 2, cập nhật 0" in finished


def test_importjob_stale_running_job_shows_failed_with_retry(
    client, secretary, province, settings, run_tasks
):
    """A job running longer than the task time limit is shown as failed with a retry button;
    retrying runs the check again."""
    settings.CELERY_TASK_TIME_LIMIT = 60
    job = make_job(
        secretary,
        province.new_commune,
        status=ImportJobStatus.VALIDATING,
        task_id="lost-worker-task",
        started_at=timezone.now() - datetime.timedelta(seconds=61),
    )
    assert jobs.importjob_is_stale(job)
    client.force_login(secretary)
    page = client.get(reverse("cells:importjob_detail", args=[job.pk])).content.decode()
    assert "Thất bại" in page
    assert "Thử lại" in page
    assert "hx-trigger" not in page
    listing = client.get(reverse("cells:importjob_list")).content.decode()
    assert "Thất bại" in listing

    run_tasks(client.post, reverse("cells:importjob_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJobStatus.READY
    assert job.task_id != "lost-worker-task"


def test_importjob_recent_running_job_is_not_stale(secretary, province):
    """A job within the time limit is still running: no failure, no retry."""
    job = make_job(
        secretary,
        province.new_commune,
        status=ImportJobStatus.APPLYING,
        phase=ImportJobPhase.APPLY,
        started_at=timezone.now(),
    )
    assert not jobs.importjob_is_stale(job)
    assert jobs.importjob_display_status(job) == ImportJobStatus.APPLYING
    with pytest.raises(ValidationError):
        jobs.importjob_retry(actor=secretary, job=job)


def test_importjob_apply_ignores_duplicate_delivery(secretary, province):
    """A second delivery of the write message (another task id) does nothing once the job is
    done, so a file is never written twice."""
    job = make_job(secretary, province.new_commune)
    jobs.importjob_validate(job.pk, task_id="t-validate")
    job.refresh_from_db()
    jobs.importjob_confirm(actor=secretary, job=job)
    assert jobs.importjob_apply(job.pk, task_id="t-apply").status == ImportJobStatus.DONE
    assert jobs.importjob_apply(job.pk, task_id="t-apply-duplicate") is None
    assert jobs.importjob_validate(job.pk, task_id="t-validate") is None
    assert Member.objects.count() == 2


def test_importjob_apply_redelivered_to_its_own_task_takes_over(secretary, province):
    """After a worker loss the same task id is delivered again (acks_late): it may take the
    job over although the job still says "running"."""
    job = make_job(secretary, province.new_commune)
    jobs.importjob_validate(job.pk, task_id="t-validate")
    job.refresh_from_db()
    jobs.importjob_confirm(actor=secretary, job=job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.APPLYING, task_id="t-apply", started_at=timezone.now()
    )
    assert jobs.importjob_apply(job.pk, task_id="someone-else") is None
    assert jobs.importjob_apply(job.pk, task_id="t-apply").status == ImportJobStatus.DONE
    assert Member.objects.count() == 2


def test_importjob_unreadable_file_is_invalid_with_message(client, secretary, province):
    """A file that is not a table at all is shown as an error, nothing is written."""
    job = jobs.importjob_create(
        actor=secretary,
        kind="members",
        organization=province.new_commune,
        uploaded_file=SimpleUploadedFile("dang_vien.xlsx", b"not a workbook"),
    )
    jobs.importjob_validate(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.INVALID
    client.force_login(secretary)
    page = client.get(reverse("cells:importjob_detail", args=[job.pk])).content.decode()
    assert "XLSX" in page
    assert "Xác nhận nhập" not in page


def test_importjob_list_shows_own_and_units_jobs_within_query_budget(
    client, secretary, province, django_assert_max_num_queries
):
    """The list shows my jobs and those of units I can see, never another province's, in a
    fixed number of queries."""
    colleague = factories.user_with_role(province.new_commune, Role.SECRETARY)
    for _ in range(3):
        make_job(colleague, province.new_commune)
    mine = make_job(secretary, province.new_commune)
    foreign_secretary = factories.user_with_role(province.other_province, Role.SECRETARY)
    foreign = make_job(foreign_secretary, province.foreign_cell)
    client.force_login(secretary)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("cells:importjob_list"))
    listed = list(response.context["jobs"])
    assert mine in listed
    assert foreign not in listed
    assert len(listed) == 4
    assert "Đang chờ kiểm tra" in response.content.decode()


def test_importjob_template_download_is_header_row_with_bom(client, secretary):
    """Each kind has an empty CSV template too: UTF-8 with BOM, the header row only."""
    client.force_login(secretary)
    url = reverse("cells:importjob_template", args=["members"])
    response = client.get(url + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "dang_vien_mau.csv" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines == [",".join(jobs.TEMPLATE_COLUMNS["members"])]
    assert client.get(reverse("cells:importjob_template", args=["nope"])).status_code == 404


def test_importjob_template_columns_are_accepted_by_the_importer(secretary, province):
    """A filled-in template is a valid file: the header row matches what the importer reads."""
    header = ",".join(jobs.TEMPLATE_COLUMNS["organizations"]) + "\n"
    row = "BG-AH-X1,Chi bộ ấp X,Chi bộ trực thuộc,BG-AH,không,01/07/2025,,,\n"
    admin = factories.user_with_role(province.province, Role.ADMIN)
    job = jobs.importjob_create(
        actor=admin,
        kind="organizations",
        organization=province.province,
        uploaded_file=csv_upload(header + row, name="to_chuc.csv"),
    )
    jobs.importjob_validate(job.pk)
    job.refresh_from_db()
    assert job.errors == []
    assert (job.status, job.created_count) == (ImportJobStatus.READY, 1)
    assert not Organization.objects.filter(code="BG-AH-X1").exists()


@pytest.mark.django_db(transaction=True)
def test_importjob_progress_is_visible_while_the_write_transaction_is_open(tmp_path):
    """Progress written during an open transaction is committed on its own connection, so
    the page sees it before the import commits; writes are throttled."""
    user = factories.UserFactory(is_superuser=True)
    job = ImportJob.objects.create(
        kind="members", created_by=user, file="imports/x.csv", filename="x.csv"
    )
    writer = ProgressWriter(
        ImportJob, job.pk, seconds=jobs.PROGRESS_SECONDS, step=jobs.PROGRESS_ROWS
    )
    try:
        with transaction.atomic():
            writer(150, 1000)
            assert ImportJob.objects.values_list("progress_done", flat=True).get(pk=job.pk) == 150
            writer(151, 1000)  # too soon and too few rows: not written
            assert ImportJob.objects.values_list("progress_done", flat=True).get(pk=job.pk) == 150
            writer(1000, 1000)  # the end is always written
            assert ImportJob.objects.values_list("progress_done", flat=True).get(pk=job.pk) == 1000
            transaction.set_rollback(True)
    finally:
        writer.close()
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (1000, 1000)
