"""The report centre, the web side: request a report, retry it, download it; enqueue on commit."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.audit import audit_export, audit_record
from cells.choices import COMMUNE_LEVEL_TYPES
from cells.models import Organization
from cells.permissions import can_view_organization
from partybuild import jobs as pb_jobs

from ...models import ReportJob
from .. import pieces
from .rendering import (
    ACTIVE,
    BATCH_KINDS,
    QUEUED,
    RUNNING,
    STEPS,
    Format,
    Kind,
    State,
)


# --- the report centre: requests -------------------------------------------------------------
def reportjob_is_stale(job: ReportJob, *, now: datetime.datetime | None = None) -> bool:
    """Queued or running for longer than the task time limit: its worker is gone.

    A batch runs as long as its parts take, so it is judged by its last sign of life: every
    part that finishes touches the batch row.
    """
    if job.is_batch and job.state in RUNNING:
        now = now or timezone.now()
        return (job.updated_at or job.created_at) < now - pb_jobs.time_limit()
    return pb_jobs.job_is_stale(job, queued=QUEUED, running=RUNNING, now=now)


def reportjob_display_state(job: ReportJob) -> str:
    return State.FAILED if reportjob_is_stale(job) else job.state


def _enqueue(job: ReportJob) -> None:
    from ... import tasks  # tasks imports this module

    def publish():
        # The view reads this to warn the user; the sweep sends the message later.
        job.publish_failed = not pb_jobs.job_publish(ReportJob, job.pk, tasks.reportjob_render)

    transaction.on_commit(publish)


def reportjobs_publish_unsent() -> tuple[int, int]:
    """Send again the report jobs queued while the broker was down (the periodic sweep)."""
    from ... import tasks

    return pb_jobs.jobs_publish_unsent(
        ReportJob, queued=QUEUED, task_for=lambda job: tasks.reportjob_render
    )


def _require_view(actor, organization: Organization) -> None:
    if actor is not None and not can_view_organization(actor, organization):
        raise PermissionDenied(_("You may not see the reports of this unit."))


def _active_duplicate(*, actor, kind, organization, year, fmt, is_batch) -> ReportJob | None:
    return (
        ReportJob.objects.select_for_update()
        .filter(
            requested_by=actor,
            kind=kind,
            organization=organization,
            year=year,
            format=fmt,
            is_batch=is_batch,
            batch__isnull=True,
            state__in=ACTIVE,
        )
        .first()
    )


def _fail_if_stale(job: ReportJob) -> bool:
    if reportjob_is_stale(job):
        job.state = State.FAILED
        job.error = _("The report stopped without finishing (the background worker was lost).")
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "error", "finished_at", "updated_at"])
        return True
    return False


def _check_user_limit(actor) -> None:
    """At most REPORT_MAX_ACTIVE_PER_USER reports on their way per person (#19): a few
    users clicking through every unit must not fill the queue for everyone else."""
    if actor is None:
        return
    limit = settings.REPORT_MAX_ACTIVE_PER_USER
    active = ReportJob.objects.filter(
        requested_by=actor, batch__isnull=True, state__in=ACTIVE
    ).order_by()
    if sum(1 for job in active if not reportjob_is_stale(job)) >= limit:
        raise ValidationError(
            _(
                "You already have %(count)s reports waiting to be prepared: wait until one "
                "is ready, then ask again."
            )
            % {"count": limit},
            code="limit",
        )


def _create(*, actor, kind, organization, year, fmt, is_batch=False, batch=None) -> ReportJob:
    return ReportJob.objects.create(
        kind=kind,
        organization=organization,
        year=year,
        format=fmt,
        requested_by=actor,
        is_batch=is_batch,
        batch=batch,
        state=State.PENDING,
        queued_at=timezone.now(),
        progress_total=STEPS,
    )


def _validate(kind: str, fmt: str, year: int) -> None:
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Choose a report.")})
    if fmt not in (Format.PDF, Format.XLSX):
        raise ValidationError({"format": _("Choose PDF or Excel.")})
    if not 2008 <= year <= timezone.localdate().year + 1:
        raise ValidationError({"year": _("Choose a year from 2008.")})


@transaction.atomic
def reportjob_request(
    *, actor, kind: str, organization: Organization, year: int, fmt: str
) -> tuple[ReportJob, bool]:
    """Ask for a report: (job, created). The same report already on its way is returned
    instead of a second one, so a double click or an impatient user costs one render.
    """
    _validate(kind, fmt, year)
    _require_view(actor, organization)
    if kind in pieces.PIECE_KINDS and fmt == Format.PDF:
        units = pieces.piece_units(organization=organization, year=year)
        if units:
            return reportjob_pieces_request(
                actor=actor, kind=kind, organization=organization, year=year, units=units
            )
    if (
        kind in pieces.CUT_KINDS
        and fmt == Format.PDF
        and len(pieces.piece_units(organization=organization, year=year)) > 1
    ):
        return reportjob_cut_request(actor=actor, kind=kind, organization=organization, year=year)
    existing = _active_duplicate(
        actor=actor, kind=kind, organization=organization, year=year, fmt=fmt, is_batch=False
    )
    if existing is not None and not _fail_if_stale(existing):
        if pb_jobs.job_is_unsent(existing, queued=QUEUED):
            _enqueue(existing)  # never hand back a job no worker will see: send it again
        return existing, False
    _check_user_limit(actor)
    try:
        with transaction.atomic():
            job = _create(actor=actor, kind=kind, organization=organization, year=year, fmt=fmt)
    except IntegrityError:
        # A concurrent request created it between our look-up and insert.
        existing = _active_duplicate(
            actor=actor, kind=kind, organization=organization, year=year, fmt=fmt, is_batch=False
        )
        if existing is None:
            raise
        return existing, False
    audit_record(
        actor=actor,
        action="report.request",
        instance=job,
        organization=organization,
        changes={"kind": kind, "year": year, "format": fmt},
    )
    _enqueue(job)
    return job, True


def _pdf_batch_on_its_way(*, actor, kind, organization, year) -> ReportJob | None:
    """The same document in pieces already asked for and not lost, or None."""
    existing = _active_duplicate(
        actor=actor, kind=kind, organization=organization, year=year, fmt=Format.PDF, is_batch=True
    )
    return None if existing is None or _fail_if_stale(existing) else existing


@transaction.atomic
def reportjob_pieces_request(
    *, actor, kind: str, organization: Organization, year: int, units: list[Organization]
) -> tuple[ReportJob, bool]:
    """The forms of a unit in pieces: one part per cell of `units` rendered in parallel,
    joined into one PDF in that order when the last is done (assessments.reports.pieces)."""
    existing = _pdf_batch_on_its_way(actor=actor, kind=kind, organization=organization, year=year)
    if existing is not None:
        return existing, False
    batch = _parts_create(
        actor=actor, kind=kind, parent=organization, year=year, fmt=Format.PDF, units=units
    )
    audit_record(
        actor=actor,
        action="report.request_pieces",
        instance=batch,
        organization=organization,
        changes={"kind": kind, "year": year, "pieces": len(units)},
    )
    return batch, True


@transaction.atomic
def reportjob_cut_request(
    *, actor, kind: str, organization: Organization, year: int
) -> tuple[ReportJob, bool]:
    """A unit's long list as one document made in pieces: the batch is queued itself; its
    worker builds the document once and queues the pieces (worker._cut)."""
    existing = _pdf_batch_on_its_way(actor=actor, kind=kind, organization=organization, year=year)
    if existing is not None:
        if pb_jobs.job_is_unsent(existing, queued=QUEUED):
            _enqueue(existing)  # never hand back a job no worker will see: send it again
        return existing, False
    _check_user_limit(actor)
    batch = _create(
        actor=actor, kind=kind, organization=organization, year=year, fmt=Format.PDF, is_batch=True
    )
    audit_record(
        actor=actor,
        action="report.request_pieces",
        instance=batch,
        organization=organization,
        changes={"kind": kind, "year": year, "cut": True},
    )
    _enqueue(batch)
    return batch, True


def _parts_create(*, actor, kind, parent, year, fmt, units, part_fmt=Format.PDF) -> ReportJob:
    batch = _create(actor=actor, kind=kind, organization=parent, year=year, fmt=fmt, is_batch=True)
    batch.state = State.RUNNING
    batch.started_at = timezone.now()
    batch.progress_total = len(units)
    batch.save(update_fields=["state", "started_at", "progress_total", "updated_at"])
    parts = ReportJob.objects.bulk_create(
        [
            ReportJob(
                kind=kind,
                organization=unit,
                year=year,
                format=part_fmt,
                requested_by=actor,
                batch=batch,
                state=State.PENDING,
                queued_at=batch.queued_at,
                progress_total=STEPS,
            )
            for unit in units
        ]
    )
    for part in parts:
        _enqueue(part)
    return batch


def batch_units(*, province: Organization, year: int) -> list[Organization]:
    """The commune-level units under `province` that exist on 31/12 of `year`."""
    day = datetime.date(year, 12, 31)
    return list(
        Organization.objects.existing_on(day)
        .filter(
            path__startswith=province.path,
            type__in=COMMUNE_LEVEL_TYPES,
        )
        .order_by("name_sort_key", "path")
    )


@transaction.atomic
def reportjob_batch_request(
    *, actor, province: Organization, year: int, kind: str = Kind.RESULTS, fmt: str = Format.PDF
) -> tuple[ReportJob, bool]:
    """One report per commune-level unit of the province, rendered in parallel tasks; the
    batch job offers their zip once every part is done."""
    _validate(kind, fmt, year)
    if kind not in BATCH_KINDS:
        raise ValidationError({"kind": _("This report cannot be made for every unit at once.")})
    _require_view(actor, province)
    existing = _active_duplicate(
        actor=actor, kind=kind, organization=province, year=year, fmt=Format.ZIP, is_batch=True
    )
    if existing is not None and not _fail_if_stale(existing):
        return existing, False
    _check_user_limit(actor)
    units = batch_units(province=province, year=year)
    if not units:
        raise ValidationError(_("There is no commune-level unit in this province for that year."))
    batch = _parts_create(
        actor=actor,
        kind=kind,
        parent=province,
        year=year,
        fmt=Format.ZIP,
        units=units,
        part_fmt=fmt,
    )
    audit_record(
        actor=actor,
        action="report.request_batch",
        instance=batch,
        organization=province,
        changes={"kind": kind, "year": year, "format": fmt, "units": len(units)},
    )
    return batch, True


@transaction.atomic
def reportjob_retry(*, actor, job: ReportJob) -> ReportJob:
    """Queue again a job that failed or whose worker was lost (a batch: its failed parts)."""
    job = ReportJob.objects.select_for_update().get(pk=job.pk)
    _require_view(actor, job.organization)
    if not (job.state == State.FAILED or reportjob_is_stale(job)):
        raise ValidationError(_("Only a failed report can be retried."), code="state")
    if job.batch_id is None and _active_duplicate(
        actor=job.requested_by,
        kind=job.kind,
        organization=job.organization,
        year=job.year,
        fmt=job.format,
        is_batch=job.is_batch,
    ) not in (None, job):
        # The same report was asked for again meanwhile: that one is on its way.
        raise ValidationError(_("This report is already being prepared."), code="duplicate")
    # A batch retries its failed parts; one that failed before it had parts (a cut document
    # whose first step failed) runs again itself.
    as_parts = job.is_batch and job.parts.exists()
    targets = (
        list(job.parts.select_for_update().filter(Q(state=State.FAILED) | Q(state__in=ACTIVE)))
        if as_parts
        else [job]
    )
    if as_parts:
        targets = [p for p in targets if p.state == State.FAILED or reportjob_is_stale(p)]
    now = timezone.now()
    for target in targets:
        target.state = State.PENDING
        target.queued_at = now
        target.started_at = None
        target.finished_at = None
        target.task_id = ""
        target.error = ""
        target.progress_done = 0
        target.save(
            update_fields=[
                "state",
                "queued_at",
                "started_at",
                "finished_at",
                "task_id",
                "error",
                "progress_done",
                "updated_at",
            ]
        )
        _enqueue(target)
    if as_parts:
        job.state = State.RUNNING
        job.error = ""
        job.started_at = now
        job.finished_at = None
        job.save(update_fields=["state", "error", "started_at", "finished_at", "updated_at"])
    audit_record(actor=actor, action="report.retry", instance=job, organization=job.organization)
    return job


def reportjob_download(*, actor, job: ReportJob) -> ReportJob:
    """Record that `actor` took the file of a finished job (member data leaves the system).

    Written as an export like every other download, so the audit search finds them all; the
    client address comes from the request context (proxy-aware), not from the caller.
    """
    _require_view(actor, job.organization)
    if job.state != State.DONE or not job.file:
        raise ValidationError(_("The report is not ready yet."), code="state")
    audit_export(
        actor=actor,
        what=f"report_{job.format}",
        organization=job.organization,
        filename=job.filename,
        filters={"kind": job.kind, "year": job.year, "format": job.format, "job": job.pk},
    )
    return job
