"""Periodic jobs run by Celery beat (schedule in partybuild.celery). Thin: each calls one
service and logs what it did; the services are idempotent, so a job that runs twice (a
beat restart, a redelivery after a worker loss) does no harm."""

import logging

from celery import shared_task

from assessments import deadlines
from assessments.indicators import tally
from partybuild import housekeeping

logger = logging.getLogger(__name__)

# A periodic job is not worth retrying hard: the next run comes tomorrow.
PERIODIC = {"acks_late": True, "ignore_result": True}


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


@shared_task(name="partybuild.generated_files_cleanup", **PERIODIC)
def generated_files_cleanup() -> int:
    """Delete expired report files and abandoned uploads under MEDIA_ROOT."""
    return len(housekeeping.generated_files_delete_expired().deleted)


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
    from assessments.reports.services import reportjobs_publish_unsent
    from cells.jobs import importjobs_publish_unsent

    summary = {"imports": importjobs_publish_unsent(), "reports": reportjobs_publish_unsent()}
    if any(sent or failed for sent, failed in summary.values()):
        logger.info("Unsent jobs (sent, failed): %s", summary)
    return summary
