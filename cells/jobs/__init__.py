"""Interchange imports run by the Celery worker: upload → check → preview → confirm → write.

The web process only stores the file and enqueues; the worker runs `cells.imports.run_import`
twice — first as a dry run that fills the preview (every error by row and column, or the
counts of what will be created and updated), then, once a user confirms, for real inside one
transaction (all-or-nothing). Progress and results live on the `ImportJob` row, which the
page polls.

A job never stays "running" forever: each run records its worker task id and start time, a
redelivered task (acks_late) may take over its own job, and a job running or queued for longer
than the task time limit is shown as failed and may be retried (`importjob_retry`).

The package: `selectors` (the statuses, the read side and who may import what), `services` (the
write side: upload, confirm, retry, enqueue) and `runner` (what the worker runs: claim, check,
write). Every name is importable from `cells.jobs` as before.
"""

from partybuild.jobs import TRANSIENT_ERRORS

from .runner import (
    importjob_apply,
    importjob_validate,
    logger,
)
from .selectors import (
    ACTIVE_STATUSES,
    ALLOWED_EXTENSIONS,
    FINISHED_STATUSES,
    PROGRESS_ROWS,
    PROGRESS_SECONDS,
    QUEUED_STATUSES,
    RUNNING_STATUSES,
    TEMPLATE_COLUMNS,
    XLSX_CONTENT_TYPE,
    can_import,
    can_import_anything,
    importjob_display_status,
    importjob_get,
    importjob_is_stale,
    importjob_sorted_errors,
    importjob_template,
    importjobs_visible_to,
    organizations_importable_by,
)
from .services import (
    importjob_confirm,
    importjob_confirm_rows,
    importjob_confirmable,
    importjob_create,
    importjob_retry,
    importjobs_publish_unsent,
)

__all__ = [
    "ACTIVE_STATUSES",
    "ALLOWED_EXTENSIONS",
    "FINISHED_STATUSES",
    "PROGRESS_ROWS",
    "PROGRESS_SECONDS",
    "QUEUED_STATUSES",
    "RUNNING_STATUSES",
    "TEMPLATE_COLUMNS",
    "TRANSIENT_ERRORS",
    "XLSX_CONTENT_TYPE",
    "can_import",
    "can_import_anything",
    "importjob_apply",
    "importjob_confirm",
    "importjob_confirm_rows",
    "importjob_confirmable",
    "importjob_create",
    "importjob_display_status",
    "importjob_get",
    "importjob_is_stale",
    "importjob_retry",
    "importjob_sorted_errors",
    "importjob_template",
    "importjob_validate",
    "importjobs_publish_unsent",
    "importjobs_visible_to",
    "logger",
    "organizations_importable_by",
]
