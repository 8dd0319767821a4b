"""Import jobs, the write side: upload, confirm, retry; enqueueing the worker task."""

import os
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from partybuild import jobs as pb_jobs

from ..audit import audit_record
from ..choices import ImportJobPhase, ImportJobStatus
from ..imports import ImportFileError, ImportKind
from ..imports.limits import check_upload
from ..models import ImportJob, Organization
from .selectors import (
    ALLOWED_EXTENSIONS,
    QUEUED_STATUSES,
    can_import,
    importjob_is_stale,
)


def _enqueue(job: ImportJob, *, phase: str) -> None:
    # Imported here: cells.tasks imports this module.
    from .. import tasks

    task = tasks.importjob_apply if phase == ImportJobPhase.APPLY else tasks.importjob_validate

    def publish():
        # The view reads this to warn the user; the sweep sends the message later.
        job.publish_failed = not pb_jobs.job_publish(ImportJob, job.pk, task)

    transaction.on_commit(publish)


def importjobs_publish_unsent() -> tuple[int, int]:
    """Send again the jobs queued while the broker was down (the periodic sweep)."""
    from .. import tasks

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
