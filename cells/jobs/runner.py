"""Import jobs, what the worker runs: claim the job, check the file, write it."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partybuild.jobs import TRANSIENT_ERRORS, ProgressWriter, job_claim

from ..choices import ImportJobPhase, ImportJobStatus
from ..imports import ImportFileError, ImportKind, run_import
from ..models import ImportJob
from .selectors import (
    PROGRESS_ROWS,
    PROGRESS_SECONDS,
    importjob_is_stale,
)

logger = logging.getLogger("cells.jobs")


def _claim(job_id: int, *, queued: str, running: str, phase: str, task_id: str) -> ImportJob | None:
    """Mark the job as running under this task, or None when it is not this task's to run
    (see partybuild.jobs.job_claim: a redelivered message or a retry may take over)."""
    with transaction.atomic():
        return job_claim(
            ImportJob,
            job_id,
            queued=queued,
            running=running,
            task_id=task_id,
            is_stale=importjob_is_stale,
            extra={"phase": phase, "progress_done": 0, "message": ""},
            state_field="status",
        )


def _finish(job: ImportJob, **fields) -> None:
    fields.setdefault("finished_at", timezone.now())
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=[*fields, "updated_at"])


def _options(job: ImportJob) -> dict | None:
    """The kind's own options kept on the job: the members' confirmed record numbers."""
    if job.kind == ImportKind.MEMBERS and job.confirmed_records:
        return {"confirmed": list(job.confirmed_records)}
    return None


def _errors_json(result) -> list[dict]:
    rows = [
        {"row": e.row, "column": str(e.column), "message": str(e.message), "confirm": e.confirm}
        for e in result.errors
    ]
    return sorted(rows, key=lambda e: (e["row"], e["column"]))


def _fail(job: ImportJob, exc: BaseException) -> None:
    logger.exception("Import job %s failed", job.pk)
    _finish(
        job,
        status=ImportJobStatus.FAILED,
        message=_("The import stopped because of an unexpected error: %(error)s")
        % {"error": str(exc) or exc.__class__.__name__},
    )


class _Rejected(Exception):
    """Raised inside the write transaction to roll it back when the file has errors."""

    def __init__(self, result):
        super().__init__("import rejected")
        self.result = result


def importjob_validate(job_id: int, *, task_id: str = "") -> ImportJob | None:
    """Check a queued job's file without writing anything (run by the worker).

    Stores every error by row and column, or the exact counts of rows that the write would
    create and update, so the user can decide on the preview.
    """
    job = _claim(
        job_id,
        queued=ImportJobStatus.PENDING,
        running=ImportJobStatus.VALIDATING,
        phase=ImportJobPhase.VALIDATE,
        task_id=task_id,
    )
    if job is None:
        return None
    progress = ProgressWriter(ImportJob, job.pk, seconds=PROGRESS_SECONDS, step=PROGRESS_ROWS)
    try:
        with translation.override(settings.LANGUAGE_CODE), job.file.open("rb") as fh:
            result = run_import(
                kind=job.kind,
                file=fh,
                filename=job.filename,
                actor=job.created_by,
                organization=job.organization,
                dry_run=True,
                progress=progress,
                options=_options(job),
            )
    except ImportFileError as exc:
        _finish(job, status=ImportJobStatus.INVALID, message=str(exc), errors=[])
        return job
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        _fail(job, exc)
        raise
    finally:
        progress.close()
    _finish(
        job,
        status=ImportJobStatus.READY if result.ok else ImportJobStatus.INVALID,
        total_rows=result.total_rows,
        created_count=result.created,
        updated_count=result.updated,
        errors=_errors_json(result),
        error_count=max(result.error_count, len(result.errors)),
        changes=result.changes,
        # The ignored columns (stt, ho_ten…) are told on the preview, not refused.
        message=" ".join(str(n.message) for n in result.notices),
        progress_done=result.total_rows,
        progress_total=result.total_rows,
    )
    return job


def importjob_apply(job_id: int, *, task_id: str = "") -> ImportJob | None:
    """Write a confirmed job's file, all or nothing (run by the worker).

    The file is checked again inside the write transaction: if the data changed since the
    preview and a row is now invalid, nothing is written and the new errors are shown.
    The job is marked done in the same transaction as the write, so a write that committed
    is never reported as lost.
    """
    job = _claim(
        job_id,
        queued=ImportJobStatus.CONFIRMED,
        running=ImportJobStatus.APPLYING,
        phase=ImportJobPhase.APPLY,
        task_id=task_id,
    )
    if job is None:
        return None
    progress = ProgressWriter(ImportJob, job.pk, seconds=PROGRESS_SECONDS, step=PROGRESS_ROWS)
    try:
        with (
            translation.override(settings.LANGUAGE_CODE),
            job.file.open("rb") as fh,
            transaction.atomic(),
        ):
            result = run_import(
                kind=job.kind,
                file=fh,
                filename=job.filename,
                actor=job.confirmed_by or job.created_by,
                organization=job.organization,
                dry_run=False,
                progress=progress,
                options=_options(job),
            )
            if not result.ok:
                raise _Rejected(result)
            _finish(
                job,
                status=ImportJobStatus.DONE,
                total_rows=result.total_rows,
                created_count=result.created,
                updated_count=result.updated,
                errors=[],
                progress_done=result.total_rows,
                progress_total=result.total_rows,
            )
    except _Rejected as rejected:
        _finish(
            job,
            status=ImportJobStatus.INVALID,
            total_rows=rejected.result.total_rows,
            errors=_errors_json(rejected.result),
            error_count=max(rejected.result.error_count, len(rejected.result.errors)),
        )
    except ImportFileError as exc:
        _finish(job, status=ImportJobStatus.INVALID, message=str(exc), errors=[])
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        job.refresh_from_db()
        _fail(job, exc)
        raise
    finally:
        progress.close()
    return job
