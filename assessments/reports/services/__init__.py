"""Writing side of the reports: rendering drafts, and the report centre's jobs.

What the report centre renders is a draft ("DỰ THẢO", no number): a document gets its number
only when it is issued (assessments.reports.issuing over documents.services.document_issue).

`report_render` is the one code path of a report: the worker (through `reportjob_run`) and
the `render_report` command both call it. Jobs follow the import jobs' design (cells.jobs,
generic pieces in partybuild.jobs): the web process creates the row and enqueues on commit;
the worker claims it with its task id, writes progress and the file; a job left running past
the task time limit is stale, shown as failed and may be retried.

The package: `rendering` (the kinds and formats, and `report_render`), `requests` (the report
centre: request, retry, download) and `worker` (what the worker runs: claim, render, join a
batch). Every name is importable from `assessments.reports.services` as before.
"""

from partybuild import jobs as pb_jobs  # noqa: F401 (reached as services.pb_jobs)

from .rendering import (
    ACTIVE,
    BATCH_KINDS,
    CONTENT_TYPES,
    QUEUED,
    RUNNING,
    STEPS,
    Format,
    Kind,
    RenderedReport,
    State,
    report_html,
    report_render,
)
from .requests import (
    batch_units,
    reportjob_batch_request,
    reportjob_cut_request,
    reportjob_display_state,
    reportjob_download,
    reportjob_is_stale,
    reportjob_pieces_request,
    reportjob_request,
    reportjob_retry,
    reportjobs_publish_unsent,
)
from .worker import (
    logger,
    reportjob_parts_zip,
    reportjob_run,
)

__all__ = [
    "ACTIVE",
    "BATCH_KINDS",
    "CONTENT_TYPES",
    "Format",
    "Kind",
    "QUEUED",
    "RUNNING",
    "RenderedReport",
    "STEPS",
    "State",
    "batch_units",
    "logger",
    "report_html",
    "report_render",
    "reportjob_batch_request",
    "reportjob_display_state",
    "reportjob_download",
    "reportjob_is_stale",
    "reportjob_parts_zip",
    "reportjob_cut_request",
    "reportjob_pieces_request",
    "reportjob_request",
    "reportjob_retry",
    "reportjob_run",
    "reportjobs_publish_unsent",
]
