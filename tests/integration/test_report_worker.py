"""Reports rendered end to end by a real Celery worker process (Redis broker, PostgreSQL)."""

import subprocess
import time
import zipfile

import pytest

from assessments import services as rating_services
from assessments.models import ReportJob
from assessments.reports import services
from cells.choices import Role
from tests import factories
from tests.assessments.conftest import make_members, open_round, save_levels, submit

WAIT_SECONDS = 90
FINISHED = {ReportJob.State.DONE, ReportJob.State.FAILED}


def wait_for(job: ReportJob, worker) -> ReportJob:
    """Poll the job row (as the page does) until it is finished; record the progress seen."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in FINISHED:
            return job
        worker.assert_alive()
        time.sleep(0.2)
    pytest.fail(f"Job stayed {job.state} for {WAIT_SECONDS} s. Worker log:\n{worker.log()}")


def decided_commune_round(province) -> None:
    """The old commune's 2021 round decided: five members good, one excellent."""
    reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    round_ = open_round(province.old_commune, 2021)
    members = make_members(province.old_cell, 6)
    save_levels(round_, {m: "good" for m in members[:5]} | {members[5]: "excellent"})
    submit(round_)
    round_.refresh_from_db()
    rating_services.round_decide(actor=reviewer, round=round_)


@pytest.mark.integration
def test_report_rendered_by_real_worker(celery_worker_process, tmp_path):
    """A results report and a province batch are rendered by a real worker: the PDF has the
    official header, the statistics and the requester in its footer; the batch offers a zip."""
    worker = celery_worker_process
    province = factories.build_small_province()
    decided_commune_round(province)
    officer = factories.user_with_role(
        province.province, Role.REPORTS, first_name="Lan", last_name="Trần Thị"
    )

    job, created = services.reportjob_request(
        actor=officer, kind="results", organization=province.old_commune, year=2021, fmt="pdf"
    )
    batch, _ = services.reportjob_batch_request(
        actor=officer, province=province.province, year=2021
    )
    worker.wait_ready()

    job = wait_for(job, worker)
    assert job.state == "done", (job.error, worker.log())
    assert job.task_id and job.started_at and job.finished_at and job.attempts == 1
    assert (job.progress_done, job.progress_total) == (4, 4)
    path = tmp_path / "r.pdf"
    with job.file.open("rb") as fh:
        path.write_bytes(fh.read())
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    )
    assert "ĐẢNG ỦY XÃ AN HÒA" in text and "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "DỰ THẢO" in text and job.document_number == ""  # a draft: no number
    assert "Chi bộ ấp 1 6 0 0 0 0 0 6 1 16,67 5 83,33" in text
    assert "Xuất bởi Lan Trần Thị" in text  # Django's full name: first then last

    batch = wait_for(batch, worker)
    assert batch.state == "done", (batch.error, worker.log())
    with batch.file.open("rb") as fh, zipfile.ZipFile(fh) as archive:
        assert archive.namelist() == ["results-BG-PA-AH-2021.pdf"]


@pytest.mark.integration
def test_forms_in_pieces_rendered_by_real_worker(celery_worker_process, tmp_path):
    """A unit's forms asked for as one document are rendered by the worker one cell per
    part and joined: one PDF with every member's form, cells in order."""
    import io

    from pypdf import PdfReader

    worker = celery_worker_process
    province = factories.build_small_province()
    make_members(province.old_cell, 3)
    make_members(province.other_cell, 2, family="Trần Thị")
    officer = factories.user_with_role(province.old_commune, Role.SECRETARY)
    batch, created = services.reportjob_request(
        actor=officer, kind="self_review", organization=province.old_commune, year=2021, fmt="pdf"
    )
    assert created and batch.is_batch and batch.parts.count() == 2
    worker.wait_ready()
    batch = wait_for(batch, worker)
    assert batch.state == "done", (batch.error, worker.log())
    assert all(p.state == "done" for p in batch.parts.all())
    with batch.file.open("rb") as fh:
        content = fh.read()
    # Five forms, each with its task annex (a form is several pages since Mẫu 2A/2B/2C).
    assert len(PdfReader(io.BytesIO(content)).pages) >= 5
    path = tmp_path / "forms.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert " ".join(text.split()).count("NGƯỜI TỰ KIỂM ĐIỂM") == 5
    assert text.index("Nguyễn Văn An 1") < text.index("Trần Thị An 1")


@pytest.mark.integration
def test_proposals_list_in_pieces_rendered_by_real_worker(celery_worker_process, tmp_path):
    """The proposals list of a unit asked for in the report centre is cut by the worker and
    its pieces rendered and joined by the worker: one PDF, "Trang x/y" of the whole."""
    worker = celery_worker_process
    province = factories.build_small_province()
    round_ = open_round(province.old_commune, 2021)
    save_levels(round_, {m: "good" for m in make_members(province.old_cell, 3)})
    save_levels(
        round_, {m: "good" for m in make_members(province.other_cell, 2, family="Trần Thị")}
    )
    officer = factories.user_with_role(province.old_commune, Role.SECRETARY)
    batch, created = services.reportjob_request(
        actor=officer, kind="proposals", organization=province.old_commune, year=2021, fmt="pdf"
    )
    assert created and batch.is_batch
    worker.wait_ready()
    batch = wait_for(batch, worker)
    assert batch.state == "done", (batch.error, worker.log())
    assert batch.parts.count() == 2 and all(p.state == "done" for p in batch.parts.all())
    path = tmp_path / "ds.pdf"
    with batch.file.open("rb") as fh:
        path.write_bytes(fh.read())
    pages = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\f")
    pages = [" ".join(p.split()) for p in pages if p.strip()]
    assert all(f"Trang {n}/{len(pages)}" in page for n, page in enumerate(pages, start=1))
    whole = " ".join(pages)
    assert whole.count("DANH SÁCH") == 1 and whole.count("Tổng hợp và kiểm tra tỷ lệ") == 1
    assert whole.index("Nguyễn Văn An 1") < whole.index("Trần Thị An 1")


@pytest.mark.integration
def test_issue_run_by_real_worker(celery_worker_process):
    """Issuing is a Celery task: the request only queues it; the worker gives the number,
    renders the PDF/A-3 with its attachments and signature fields, and marks the job done."""
    from assessments.reports import issue_jobs
    from documents import signing
    from documents.models import IssueJob

    worker = celery_worker_process
    province = factories.build_small_province()
    reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    round_ = open_round(province.old_commune, 2021)
    save_levels(round_, {m: "good" for m in make_members(province.old_cell, 4)})
    submit(round_)
    round_.refresh_from_db()
    rating_services.round_decide(actor=reviewer, round=round_)
    staff = factories.user_with_role(province.old_commune, Role.REPORTS)
    job, created = issue_jobs.issuejob_request(
        actor=staff, kind="results", organization=province.old_commune, year=2021
    )
    assert created and job.state == "pending"
    worker.wait_ready()
    deadline = time.monotonic() + WAIT_SECONDS
    while job.state not in ("done", "failed") and time.monotonic() < deadline:
        worker.assert_alive()
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.state == IssueJob.State.DONE, (job.error, worker.log())
    assert job.task_id and job.attempts == 1 and (job.progress_done, job.progress_total) == (4, 4)
    with job.document.pdf.open("rb") as fh:
        pdf = fh.read()
    assert job.document.number == "Số 01-BC/ĐU"
    assert len(signing.signature_field_names(pdf)) == 2
    assert set(signing.embedded_files(pdf)) == {"manifest.json", "results-BG-PA-AH-2021.xlsx"}
