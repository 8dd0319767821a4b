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

import logging

from celery import shared_task

from partybuild.jobs import PERIODIC, TRANSIENT_ERRORS

from . import deadlines, review
from .indicators import tally
from .reports import issue_jobs
from .reports import services as report_services

logger = logging.getLogger(__name__)

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


@shared_task(bind=True, name="assessments.issuejob_run", **RETRY_POLICY)
def issuejob_run(self, job_id: int) -> None:
    """Issue a document asked for by staff: number, snapshot, PDF/A-3, signature fields."""
    issue_jobs.issuejob_run(job_id, task_id=self.request.id or "")


# Periodic jobs run by Celery beat (schedule in partybuild.celery). Thin: each calls one
# service and logs what it did; the services are idempotent, so a job that runs twice (a beat
# restart, a redelivery after a worker loss) does no harm. They keep the names they had in
# partybuild.tasks ("partybuild.…"), so the beat schedule and queued messages still find them.


@shared_task(name="partybuild.rating_entry_close", **PERIODIC)
def rating_entry_close() -> int:
    """Record the rounds still open when their year's entry deadline passed."""
    return len(deadlines.rounds_entry_close())


@shared_task(name="partybuild.rating_entry_remind", **PERIODIC)
def rating_entry_remind() -> dict:
    """Email the secretaries of units that have not submitted, N days before the deadline."""
    result = deadlines.rating_entry_remind()
    summary = {
        "sent": len(result.sent),
        "no_recipient": len(result.no_recipient),
        "failed": len(result.failed),
        "disabled": result.skipped_disabled,
    }
    logger.info("Rating entry reminders: %s", summary)
    return summary


@shared_task(name="partybuild.indicator_tallies_rebuild", **PERIODIC, time_limit=30 * 60)
def indicator_tallies_rebuild() -> bool:
    """Rebuild the dashboard's tallies when their window moved (New Year) or they were never
    built (a fresh database); otherwise nothing: changes keep them fresh as they happen."""
    rebuilt = tally.tallies_rebuild_if_stale()
    if rebuilt:
        logger.info("Dashboard tallies rebuilt: %s", tally.status())
    return rebuilt


@shared_task(name="partybuild.indicator_tallies_refresh", **PERIODIC, expires=50)
def indicator_tallies_refresh() -> int:
    """Recompute the dashboard tallies of units changed since the last run, ahead of the
    next reader (who would otherwise do it in the request; the figures are exact either
    way). Expires unstarted after 50 s: the next minute's run does the same work."""
    return tally.tallies_refresh_marked()


@shared_task(name="partybuild.jobs_publish_unsent", **PERIODIC, expires=50)
def jobs_publish_unsent() -> dict:
    """Send the import and report jobs requested while the broker was down (#19)."""
    from cells.jobs import importjobs_publish_unsent

    from .reports.services import reportjobs_publish_unsent

    summary = {
        "imports": importjobs_publish_unsent(),
        "reports": reportjobs_publish_unsent(),
        "issues": issue_jobs.issuejobs_publish_unsent(),
    }
    if any(sent or failed for sent, failed in summary.values()):
        logger.info("Unsent jobs (sent, failed): %s", summary)
    return summary


@shared_task(name="assessments.review_summaries_refresh", **PERIODIC, expires=300)
def review_summaries_refresh(round_ids: list[int]) -> int:
    """Recompute the review summaries a list view left pending (its time budget ran out)."""
    return review.summaries_refresh(round_ids)


@shared_task(name="partybuild.review_summaries_refresh_stale", **PERIODIC, expires=50)
def review_summaries_refresh_stale() -> tuple[int, int]:
    """Recompute stale review summaries for up to 45 s, ahead of the next list view."""
    done, left = review.summaries_refresh_stale(budget=45.0)
    if done or left:
        logger.info("Review summaries recomputed: %s, still stale: %s", done, left)
    return done, left
