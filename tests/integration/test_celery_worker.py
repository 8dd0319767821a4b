"""The interchange import through a real Celery worker process (Redis broker, PostgreSQL)."""

import time

import pytest
from django.core.files import File

from cells import jobs
from cells.choices import ImportJobStatus
from cells.models import ImportJob, Organization
from tests import factories
from tests.factories import SAMPLE_DATA

SAMPLE = SAMPLE_DATA / "to_chuc.csv"
WAIT_SECONDS = 60
SETTLED = {ImportJobStatus.READY, ImportJobStatus.INVALID, ImportJobStatus.FAILED}
WRITTEN = {ImportJobStatus.DONE, ImportJobStatus.INVALID, ImportJobStatus.FAILED}


def wait_for(job: ImportJob, statuses: set[str], worker) -> ImportJob:
    """Poll the job row (as the page does) until it reaches one of `statuses`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        worker.assert_alive()
        time.sleep(0.25)
    pytest.fail(
        f"Job stayed {job.status} ({job.progress_done}/{job.progress_total}) for "
        f"{WAIT_SECONDS} s. Worker log:\n{worker.log()}"
    )


@pytest.mark.integration
def test_importjob_runs_in_real_worker_check_then_write(celery_worker_process):
    """Upload the sample organization file; a real worker checks it (33 rows, no error,
    nothing written), then after confirmation writes all 33 organizations."""
    worker = celery_worker_process
    admin = factories.UserFactory(is_superuser=True)
    with SAMPLE.open("rb") as fh:
        job = jobs.importjob_create(
            actor=admin, kind="organizations", organization=None, uploaded_file=File(fh)
        )
    worker.wait_ready()

    job = wait_for(
        job, {ImportJobStatus.READY, ImportJobStatus.INVALID, ImportJobStatus.FAILED}, worker
    )
    assert job.errors == [], job.errors[:5]
    assert (job.status, job.total_rows, job.created_count) == (ImportJobStatus.READY, 33, 33)
    assert job.task_id and job.started_at and job.finished_at
    assert not Organization.objects.exists()

    jobs.importjob_confirm(actor=admin, job=job)
    job = wait_for(
        job, {ImportJobStatus.DONE, ImportJobStatus.INVALID, ImportJobStatus.FAILED}, worker
    )
    assert job.status == ImportJobStatus.DONE, (job.message, job.errors[:5])
    assert Organization.objects.count() == 33
    assert Organization.objects.filter(code="BG-PA", dissolved_on__isnull=False).exists()
    assert job.progress_done == job.progress_total > 0
