"""Background work of the cells app (Celery). Thin: each task takes an id, calls one service
and owns the retry policy.

acks_late (with reject_on_worker_lost in settings) means a task whose worker dies is
delivered again; the services let a redelivered task take over its own job.
"""

from celery import shared_task

from partybuild.jobs import PERIODIC

from . import housekeeping, jobs

# A database outage is worth waiting out; any other error is recorded on the job as
# "failed" by the service and left to the user's retry button.
RETRY_POLICY = {
    "acks_late": True,
    "autoretry_for": jobs.TRANSIENT_ERRORS,
    "max_retries": 3,
    "retry_backoff": 5,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


@shared_task(bind=True, name="cells.importjob_validate", **RETRY_POLICY)
def importjob_validate(self, job_id: int) -> None:
    """Check an uploaded interchange file and store the preview on its job."""
    jobs.importjob_validate(job_id, task_id=self.request.id or "")


@shared_task(bind=True, name="cells.importjob_apply", **RETRY_POLICY)
def importjob_apply(self, job_id: int) -> None:
    """Write a confirmed interchange file, all or nothing."""
    jobs.importjob_apply(job_id, task_id=self.request.id or "")


# A periodic job (beat): it keeps the name it had in partybuild.tasks, so the beat schedule
# and queued messages still find it.


@shared_task(name="partybuild.generated_files_cleanup", **PERIODIC)
def generated_files_cleanup() -> int:
    """Delete expired report files and abandoned uploads under MEDIA_ROOT."""
    return len(housekeeping.generated_files_delete_expired().deleted)
