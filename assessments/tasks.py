"""Background work of the assessments app (Celery). Thin: each task takes an id, calls one
service and owns the retry policy.

acks_late (with reject_on_worker_lost in settings) means a task whose worker dies is
delivered again; the report service lets a redelivered task take over its own job, and a job
whose worker is gone for good is shown as failed after the task time limit (stale detection,
partybuild.jobs). Time limits are CELERY_TASK_TIME_LIMIT / CELERY_TASK_SOFT_TIME_LIMIT; on
the soft limit the job is marked failed with a clear message.

Memory is bounded per worker process, which is a worker option, not a task one. Run report
workers as, e.g.:

    celery -A partybuild worker --concurrency=2 --max-memory-per-child=700000 \\
        --max-tasks-per-child=50 --prefetch-multiplier=1 -Q celery

(--max-memory-per-child is in KiB: a child that grows past ~700 MB is replaced after its
current task; WeasyPrint's caches are released with the process.)
"""

from celery import shared_task

from partybuild.jobs import TRANSIENT_ERRORS

from .reports import services as report_services

# A database outage is worth waiting out; any other error is recorded on the job as
# "failed" by the service and left to the user's retry button.
RETRY_POLICY = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "max_retries": 3,
    "retry_backoff": 5,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


@shared_task(bind=True, name="assessments.reportjob_render", **RETRY_POLICY)
def reportjob_render(self, job_id: int) -> None:
    """Render a requested report and store its file on the job."""
    report_services.reportjob_run(job_id, task_id=self.request.id or "")
