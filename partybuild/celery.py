"""The Celery application; configuration comes from Django settings (CELERY_* namespace).

The beat schedule is defined here rather than in settings because it names tasks, not
environment: it is the same on every installation. Times are in CELERY_TIMEZONE
(Asia/Ho_Chi_Minh). Run exactly one `celery beat` per installation (deploy/).
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")

app = Celery("partybuild")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The periodic jobs below live in the apps' tasks modules (cells.tasks, assessments.tasks)
# under their historical "partybuild.…" names.
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Just after midnight: the deadline day is over, so entry is closed from now on.
    "rating-entry-close": {
        "task": "partybuild.rating_entry_close",
        "schedule": crontab(hour=0, minute=10),
    },
    # Morning, before office hours: reminders arrive for the working day.
    "rating-entry-remind": {
        "task": "partybuild.rating_entry_remind",
        "schedule": crontab(hour=7, minute=0),
    },
    # Night, outside the backup window (deploy/backup.sh runs at 01:30 in the samples).
    "generated-files-cleanup": {
        "task": "partybuild.generated_files_cleanup",
        "schedule": crontab(hour=3, minute=30),
    },
    # Every minute: send the imports and reports asked for while the broker was down.
    "jobs-publish-unsent": {
        "task": "partybuild.jobs_publish_unsent",
        "schedule": 60.0,
    },
    # Every minute: recompute the tallies of units changed since, before a reader must.
    "indicator-tallies-refresh": {
        "task": "partybuild.indicator_tallies_refresh",
        "schedule": 60.0,
    },
    # Every minute: recompute the review summaries a change made stale, before a list must.
    "review-summaries-refresh-stale": {
        "task": "partybuild.review_summaries_refresh_stale",
        "schedule": 60.0,
    },
    # Just after New Year's midnight the tallies' window moves to the new year; daily, so a
    # restored or new database, or a release that changed the counting, is rebuilt that night.
    "indicator-tallies-rebuild": {
        "task": "partybuild.indicator_tallies_rebuild",
        "schedule": crontab(hour=0, minute=20),
    },
}
