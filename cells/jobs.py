"""Interchange imports run by the Celery worker: upload → check → preview → confirm → write.

The web process only stores the file and enqueues; the worker runs `cells.imports.run_import`
twice — first as a dry run that fills the preview (every error by row and column, or the
counts of what will be created and updated), then, once a user confirms, for real inside one
transaction (all-or-nothing). Progress and results live on the `ImportJob` row, which the
page polls.

A job never stays "running" forever: each run records its worker task id and start time, a
redelivered task (acks_late) may take over its own job, and a job running or queued for longer
than the task time limit is shown as failed and may be retried (`importjob_retry`).
"""

import csv
import datetime
import io
import logging
import os
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partybuild import jobs as pb_jobs
from partybuild.jobs import TRANSIENT_ERRORS, ProgressWriter, job_claim, job_is_stale

from .audit import audit_record
from .choices import ImportJobPhase, ImportJobStatus, Role
from .imports import IMPORTERS, ImportFileError, ImportKind, run_import
from .imports.limits import check_upload
from .imports.templates import template_spec, template_workbook
from .models import ImportJob, Organization
from .permissions import EDITING_ROLES, active_assignments, can_edit_roster, roles_on
from .selectors import organizations_visible_to

logger = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = (".csv", ".xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Queued or running: the states a lost worker could leave a job in.
QUEUED_STATUSES = frozenset({ImportJobStatus.PENDING, ImportJobStatus.CONFIRMED})
RUNNING_STATUSES = frozenset({ImportJobStatus.VALIDATING, ImportJobStatus.APPLYING})
ACTIVE_STATUSES = QUEUED_STATUSES | RUNNING_STATUSES
FINISHED_STATUSES = frozenset(
    {ImportJobStatus.INVALID, ImportJobStatus.READY, ImportJobStatus.DONE, ImportJobStatus.FAILED}
)
# Database outages (partybuild.jobs.TRANSIENT_ERRORS) are left to the task's retry policy: the
# job stays running, and if the retries run out the stale check reports it.
# Progress is written at most this often, or every PROGRESS_ROWS rows.
PROGRESS_SECONDS = 0.5
PROGRESS_ROWS = 100

# Header rows of the CSV templates (DOMAIN.md §8): the columns each importer reads, required
# ones first, so a template can never offer a column the importer refuses.
TEMPLATE_COLUMNS: dict[str, list[str]] = {
    kind: [*importer.required_columns, *importer.optional_columns]
    for kind, importer in IMPORTERS.items()
}


# --- read side -------------------------------------------------------------------------------


def importjobs_visible_to(*, user) -> QuerySet[ImportJob]:
    """The jobs a user may see: their own and those of the units they can view."""
    qs = ImportJob.objects.select_related("organization", "created_by")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(Q(created_by=user) | Q(organization__in=organizations_visible_to(user=user)))


def importjob_get(*, user, pk) -> ImportJob:
    """One job the user may see; another unit's job is a 404, like one that does not exist."""
    try:
        return importjobs_visible_to(user=user).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def importjob_is_stale(job: ImportJob, *, now: datetime.datetime | None = None) -> bool:
    """Queued or running for longer than the task time limit: its worker is gone."""
    return job_is_stale(
        job, queued=QUEUED_STATUSES, running=RUNNING_STATUSES, state_field="status", now=now
    )


def importjob_display_status(job: ImportJob) -> str:
    """The status to show: a stale job is shown as failed."""
    return ImportJobStatus.FAILED if importjob_is_stale(job) else job.status


def importjob_sorted_errors(job: ImportJob) -> list[dict]:
    """The stored errors by row, then column (the preview's order), at most IMPORT_MAX_ERRORS
    of them: a page listing a million errors would hold a web worker for minutes."""
    errors = job.errors[: settings.IMPORT_MAX_ERRORS]
    return sorted(errors, key=lambda e: (e.get("row") or 0, e.get("column") or ""))


def can_import(user, *, kind: str, organization: Organization | None) -> bool:
    """Members and events need roster rights on the unit; the organization tree needs an
    administrator of the unit (or a superuser, who may import whole new provinces)."""
    if kind == ImportKind.ORGANIZATIONS:
        if user.is_superuser:
            return True
        return organization is not None and Role.ADMIN in roles_on(user, organization)
    return organization is not None and can_edit_roster(user, organization)


def can_import_anything(user) -> bool:
    """Whether the user may import into at least one unit (opens the upload page)."""
    if getattr(user, "is_superuser", False):
        return True
    return any(a.role in EDITING_ROLES for a in active_assignments(user))


def organizations_importable_by(*, user, kind: str) -> QuerySet[Organization]:
    """The units a user may choose for an import of `kind` (the form's choices)."""
    qs = Organization.objects.order_by("path")
    if user.is_superuser:
        return qs
    wanted = {Role.ADMIN} if kind == ImportKind.ORGANIZATIONS else EDITING_ROLES
    paths = [a.organization.path for a in active_assignments(user) if a.role in wanted]
    if not paths:
        return qs.none()
    subtree = Q()
    for path in paths:
        subtree |= Q(path__startswith=path)
    return qs.filter(subtree)


def importjob_template(*, kind: str, file_format: str = "xlsx") -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of an empty template of `kind`.

    XLSX (the default): Vietnamese headings, drop-down lists, a frozen header row and a sheet
    explaining each column (cells.imports.templates). CSV: the header row of technical names,
    UTF-8 with a BOM so that spreadsheet programs open the Vietnamese text correctly.
    """
    spec = template_spec(kind) if kind in ImportKind.values else None
    if spec is None:
        raise Http404
    if file_format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(TEMPLATE_COLUMNS[kind])
        content = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        return spec.filename.replace(".xlsx", ".csv"), "text/csv; charset=utf-8", content
    return spec.filename, XLSX_CONTENT_TYPE, template_workbook(spec)


# --- write side ------------------------------------------------------------------------------


def _enqueue(job: ImportJob, *, phase: str) -> None:
    # Imported here: cells.tasks imports this module.
    from . import tasks

    task = tasks.importjob_apply if phase == ImportJobPhase.APPLY else tasks.importjob_validate

    def publish():
        # The view reads this to warn the user; the sweep sends the message later.
        job.publish_failed = not pb_jobs.job_publish(ImportJob, job.pk, task)

    transaction.on_commit(publish)


def importjobs_publish_unsent() -> tuple[int, int]:
    """Send again the jobs queued while the broker was down (the periodic sweep)."""
    from . import tasks

    return pb_jobs.jobs_publish_unsent(
        ImportJob,
        queued=QUEUED_STATUSES,
        state_field="status",
        task_for=lambda job: (
            tasks.importjob_apply if job.phase == ImportJobPhase.APPLY else tasks.importjob_validate
        ),
    )


def _validate_upload(uploaded_file) -> str:
    """The extension of an acceptable upload, or a ValidationError on the `file` field."""
    ext = os.path.splitext(uploaded_file.name or "")[1].lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            {"file": _("Only .csv and .xlsx files can be imported.")}, code="extension"
        )
    if uploaded_file.size > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is too large (%(size)s): the limit is %(limit)s.")
                % {
                    "size": filesizeformat(uploaded_file.size),
                    "limit": filesizeformat(settings.IMPORT_MAX_BYTES),
                }
            },
            code="size",
        )
    if uploaded_file.size == 0:
        raise ValidationError({"file": _("The file is empty.")}, code="empty")
    # Over the row, cell or unpacked-size limits: said now, not after a worker chewed on it.
    uploaded_file.seek(0)
    try:
        check_upload(uploaded_file.read(), extension=ext.lstrip("."))
    except ImportFileError as exc:
        raise ValidationError({"file": exc.message}, code="limits") from exc
    finally:
        uploaded_file.seek(0)
    return ext


@transaction.atomic
def importjob_create(
    *, actor, kind: str, organization: Organization | None, uploaded_file
) -> ImportJob:
    """Store an uploaded interchange file and queue its check in the background.

    The file is saved under MEDIA_ROOT/imports/ with a random name (never the user's, which
    could collide or be crafted) and checked for size and type before anything is queued.
    """
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Choose what the file contains.")})
    if kind != ImportKind.ORGANIZATIONS and organization is None:
        raise ValidationError({"organization": _("Choose the unit to import into.")})
    if not can_import(actor, kind=kind, organization=organization):
        raise PermissionDenied(_("You may not import this kind of file into this unit."))
    ext = _validate_upload(uploaded_file)
    job = ImportJob(
        kind=kind,
        organization=organization,
        created_by=actor,
        filename=os.path.basename(uploaded_file.name)[:255],
        status=ImportJobStatus.PENDING,
        phase=ImportJobPhase.VALIDATE,
        queued_at=timezone.now(),
    )
    job.file.save(secrets.token_hex(16) + ext, uploaded_file, save=False)
    job.save()
    audit_record(
        actor=actor,
        action="import.upload",
        instance=job,
        organization=organization,
        changes={"kind": kind, "filename": job.filename},
    )
    _enqueue(job, phase=ImportJobPhase.VALIDATE)
    return job


@transaction.atomic
def importjob_confirm(*, actor, job: ImportJob) -> ImportJob:
    """Accept a checked file's preview and queue the write.

    Refused unless the check finished with no error: confirming is the user's statement
    that the preview is what they want written.
    """
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not can_import(actor, kind=job.kind, organization=job.organization):
        raise PermissionDenied(_("You may not import this kind of file into this unit."))
    if job.status != ImportJobStatus.READY:
        raise ValidationError(
            _("Only a file that was checked and has no errors can be imported."), code="state"
        )
    now = timezone.now()
    job.status = ImportJobStatus.CONFIRMED
    job.phase = ImportJobPhase.APPLY
    job.confirmed_by = actor
    job.confirmed_at = now
    job.queued_at = now
    job.started_at = None
    job.task_id = ""
    job.progress_done = 0
    job.progress_total = job.total_rows
    job.save(
        update_fields=[
            "status",
            "phase",
            "confirmed_by",
            "confirmed_at",
            "queued_at",
            "started_at",
            "task_id",
            "progress_done",
            "progress_total",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="import.confirm",
        instance=job,
        organization=job.organization,
        changes={"kind": job.kind, "created": job.created_count, "updated": job.updated_count},
    )
    _enqueue(job, phase=ImportJobPhase.APPLY)
    return job


def _requeue(job: ImportJob, *, status: str, also: tuple[str, ...] = ()) -> None:
    """Put a job back in the queue (as a fresh run of its phase); `also`: fields the caller set."""
    job.status = status
    job.queued_at = timezone.now()
    job.started_at = None
    job.task_id = ""
    job.message = ""
    job.progress_done = 0
    job.save(
        update_fields=[
            *also,
            "status",
            "queued_at",
            "started_at",
            "task_id",
            "message",
            "progress_done",
            "updated_at",
        ]
    )


def importjob_confirmable(job: ImportJob) -> list[str]:
    """The record numbers of the job's rows refused as probable typos (confirmable)."""
    return sorted({e["confirm"] for e in job.errors if e.get("confirm")})


@transaction.atomic
def importjob_confirm_rows(*, actor, job: ImportJob, records: list[str]) -> ImportJob:
    """Accept rows refused as probable typos (a record number that names someone else) as the
    same person, and check the file again with them; the rest of the file is checked as before.
    """
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not can_import(actor, kind=job.kind, organization=job.organization):
        raise PermissionDenied(_("You may not import this kind of file into this unit."))
    chosen = set(records) & set(importjob_confirmable(job))
    if job.status != ImportJobStatus.INVALID or not chosen:
        raise ValidationError(_("Tick the rows you confirm first."), code="state")
    job.confirmed_records = sorted(set(job.confirmed_records) | chosen)
    job.phase = ImportJobPhase.VALIDATE
    _requeue(job, status=ImportJobStatus.PENDING, also=("confirmed_records", "phase"))
    audit_record(
        actor=actor,
        action="import.confirm_rows",
        instance=job,
        organization=job.organization,
        changes={"confirmed": sorted(chosen)},
    )
    _enqueue(job, phase=ImportJobPhase.VALIDATE)
    return job


@transaction.atomic
def importjob_retry(*, actor, job: ImportJob) -> ImportJob:
    """Queue again the phase of a job that failed or whose worker was lost.

    Safe because a write is all-or-nothing: a failed or interrupted write left nothing behind.
    """
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not can_import(actor, kind=job.kind, organization=job.organization):
        raise PermissionDenied(_("You may not import this kind of file into this unit."))
    if not (job.status == ImportJobStatus.FAILED or importjob_is_stale(job)):
        raise ValidationError(_("Only a failed import can be retried."), code="state")
    applying = job.phase == ImportJobPhase.APPLY
    _requeue(job, status=ImportJobStatus.CONFIRMED if applying else ImportJobStatus.PENDING)
    audit_record(actor=actor, action="import.retry", instance=job, organization=job.organization)
    _enqueue(job, phase=job.phase)
    return job


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
