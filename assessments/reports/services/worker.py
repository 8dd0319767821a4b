"""The report centre, the worker side: claim a job, render it, finish a batch and zip it.

A document cut in pieces (pieces.CUT_KINDS, the proposals list) starts as one batch job: the
worker that claims it builds the document once, stores the print page of each piece and
queues the pieces; each piece is rendered from its stored page; the last one joins them and
stamps the page numbers of the whole.
"""

from __future__ import annotations

import logging
import secrets
import tempfile

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cells.audit import audit_export
from cells.models import Organization
from partybuild import jobs as pb_jobs
from partybuild import replicas

from ...models import ReportJob
from .. import context, pieces
from .rendering import (
    CONTENT_TYPES,
    STEPS,
    Format,
    RenderedReport,
    State,
    page_numbers_pdf,
    report_pieces_html,
    report_render,
)
from .requests import (
    _enqueue,
    _require_view,
    reportjob_is_stale,
)

logger = logging.getLogger("assessments.reports.services")


# --- the worker side -------------------------------------------------------------------------
def _requester_name(job: ReportJob) -> str:
    user = job.requested_by
    return user.get_full_name() or user.get_username()


def _finish(job: ReportJob, **fields) -> None:
    fields.setdefault("finished_at", timezone.now())
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=[*fields, "updated_at"])


def reportjob_run(job_id: int, *, task_id: str = "") -> ReportJob | None:
    """Render a queued job (run by the worker) and, for a batch part, finish the batch when it
    was the last one. Transient database errors propagate for the task's retry policy; any
    other error is recorded on the job as failed, with its message."""
    with translation.override(settings.LANGUAGE_CODE):
        return _run(job_id, task_id=task_id)


def _run(job_id: int, *, task_id: str) -> ReportJob | None:
    with transaction.atomic():
        job = pb_jobs.job_claim(
            ReportJob,
            job_id,
            queued=State.PENDING,
            running=State.RUNNING,
            task_id=task_id,
            is_stale=reportjob_is_stale,
            extra={"progress_done": 0, "progress_total": STEPS, "error": ""},
        )
        if job is not None:
            job.attempts += 1
            job.save(update_fields=["attempts"])
    if job is None:
        return None
    organization = Organization.objects.get(pk=job.organization_id)
    try:
        with pb_jobs.ProgressWriter(ReportJob, job.pk, seconds=0.2, step=1) as progress:
            if job.is_batch:
                if pieces.is_cut(job):
                    _cut(job, organization)  # on the primary: it writes the pieces
                return job
            if pieces.is_cut(job):
                rendered = _piece_render(job, progress)  # reads its stored page only
            else:
                # The report's reads on the replica once it has replayed everything committed
                # before this point (the request, and any decision before it); else on the
                # primary.
                with replicas.reads_on_replica(
                    since=replicas.primary_lsn(), wait=settings.REPLICA_TASK_WAIT_SECONDS
                ):
                    rendered = report_render(
                        kind=job.kind,
                        organization=organization,
                        year=job.year,
                        fmt=job.format,
                        exported_by=_requester_name(job),
                        progress=progress,
                    )
    except pb_jobs.TRANSIENT_ERRORS:
        raise
    except context.ReportError as exc:
        _finish(job, state=State.FAILED, error=str(exc))
        _batch_part_finished(job)
        return job
    except SoftTimeLimitExceeded:
        _finish(job, state=State.FAILED, error=_("The report took too long and was stopped."))
        _batch_part_finished(job)
        return job
    except Exception as exc:
        logger.exception("Report job %s failed", job.pk)
        _finish(
            job,
            state=State.FAILED,
            error=_("The report could not be made because of an unexpected error: %(error)s")
            % {"error": str(exc) or exc.__class__.__name__},
        )
        _batch_part_finished(job)
        raise
    job.file.save(
        f"{secrets.token_hex(16)}.{job.format}", ContentFile(rendered.content), save=False
    )
    _finish(
        job,
        state=State.DONE,
        file=job.file.name,
        filename=rendered.filename,
        document_number=rendered.number,
        data_as_of=rendered.as_of,
        progress_done=STEPS,
        progress_total=STEPS,
        error="",
    )
    if pieces.is_cut(job):
        default_storage.delete(pieces.source_name(job.pk))  # its page is rendered now
    _batch_part_finished(job)
    return job


def _cut(batch: ReportJob, organization: Organization) -> None:
    """The first step of a document made in pieces: build it once (every piece shows the
    same moment of the data), cut it between cells, store each piece's print page and queue
    the pieces. Errors go to the caller's handling, as a render's do."""
    document = context.build_document(
        kind=batch.kind,
        organization=organization,
        year=batch.year,
        number="",
        exported_by=_requester_name(batch),
    )
    sizes = [len(group.lines) for group in document.body.groups]
    runs = pieces.cut(sizes, settings.REPORT_CUT_PIECES) or [range(0)]
    pages = report_pieces_html(document, runs)
    now = timezone.now()
    with transaction.atomic():
        parts = ReportJob.objects.bulk_create(
            [
                ReportJob(
                    kind=batch.kind,
                    organization=batch.organization,
                    year=batch.year,
                    format=Format.PDF,
                    requested_by=batch.requested_by,
                    batch=batch,
                    state=State.PENDING,
                    queued_at=now,
                    progress_total=STEPS,
                    data_as_of=document.footer.as_of,
                    filename=f"{document.filename_stem}-{index + 1:02d}.pdf",
                )
                for index in range(len(runs))
            ]
        )
        for part, page in zip(parts, pages, strict=True):
            name = pieces.source_name(part.pk)
            default_storage.delete(name)
            default_storage.save(name, ContentFile(page.encode()))
        _finish(
            batch,
            state=State.RUNNING,
            finished_at=None,
            progress_done=0,
            progress_total=len(parts),
            data_as_of=document.footer.as_of,
        )
        for part in parts:
            _enqueue(part)


def _piece_render(job: ReportJob, progress) -> RenderedReport:
    """One piece of a cut document, from the print page its batch stored."""
    from .. import pdf  # WeasyPrint only where a PDF is made

    progress(1, STEPS)
    with default_storage.open(pieces.source_name(job.pk), "rb") as fh:
        html = fh.read().decode()
    progress(2, STEPS)
    content = pdf.render_pdf(html)
    progress(3, STEPS)
    return RenderedReport(
        content=content,
        filename=job.filename,
        content_type=CONTENT_TYPES[Format.PDF],
        number="",
        as_of=job.data_as_of,
    )


def _batch_part_finished(job: ReportJob) -> None:
    if job.batch_id is None:
        return
    with transaction.atomic():
        batch = ReportJob.objects.select_for_update().get(pk=job.batch_id)
        parts = list(batch.parts.order_by(*_part_order(batch)))
        done = [p for p in parts if p.state == State.DONE]
        failed = [p for p in parts if p.state == State.FAILED]
        batch.progress_done = len(done)
        batch.progress_total = len(parts)
        fields = ["progress_done", "progress_total"]
        if len(done) + len(failed) == len(parts) and batch.state == State.RUNNING:
            if failed:
                batch.state = State.FAILED
                batch.error = _("%(failed)s of %(total)s units failed: retry them.") % {
                    "failed": len(failed),
                    "total": len(parts),
                }
                batch.finished_at = timezone.now()
                fields += ["state", "error", "finished_at"]
            else:
                (_batch_join if batch.format == Format.PDF else _batch_zip)(batch, done)
                fields += ["state", "file", "filename", "finished_at", "data_as_of"]
        batch.save(update_fields=[*fields, "updated_at"])


def _part_order(batch: ReportJob) -> tuple[str, ...]:
    # A cut document's pieces in the order they were cut; per-unit parts in Vietnamese order.
    if pieces.is_cut(batch):
        return ("id",)
    return ("organization__name_sort_key", "id")


def _part_files(parts: list[ReportJob]):
    """(name, open file) of each part, one at a time: each file is closed before the next."""
    for part in parts:
        with part.file.open("rb") as fh:
            yield part.filename or part.file.name, fh


def _batch_join(batch: ReportJob, parts: list[ReportJob]) -> None:
    """The pieces joined in order into one PDF, through temporary files (never every piece in
    memory at once); a cut document then gets the page numbers of the whole."""
    name = f"{secrets.token_hex(16)}.pdf"
    with tempfile.TemporaryFile() as joined:
        # By path: qpdf reads a file itself twice as fast as through a Python file object.
        count = pieces.join_pdfs([part.file.path for part in parts], joined)
        joined.seek(0)
        if pieces.is_cut(batch):
            overlay = page_numbers_pdf(pages=count, landscape=pieces.is_landscape(joined))
            joined.seek(0)
            with tempfile.TemporaryFile() as numbered:
                pieces.stamp_page_numbers(joined, overlay, numbered)
                numbered.seek(0)
                batch.file.save(name, File(numbered), save=False)
        else:
            batch.file.save(name, File(joined), save=False)
    batch.filename = f"{batch.kind}-{batch.organization.code}-{batch.year}.pdf"
    _batch_done(batch, parts)


def _batch_done(batch: ReportJob, parts: list[ReportJob]) -> None:
    batch.state = State.DONE
    batch.finished_at = timezone.now()
    moments = [p.data_as_of for p in parts if p.data_as_of]
    batch.data_as_of = max(moments) if moments else None


def reportjob_parts_zip(*, actor, job: ReportJob) -> tuple[str, bytes]:
    """A finished pieces job as a zip with one file per cell (audited like a download)."""
    _require_view(actor, job.organization)
    if not job.is_batch or job.state != State.DONE:
        raise ValidationError(_("The report is not ready yet."), code="state")
    parts = list(job.parts.filter(state=State.DONE).order_by("organization__name_sort_key", "id"))
    filename = f"{job.kind}-{job.organization.code}-{job.year}-theo-chi-bo.zip"
    audit_export(
        actor=actor,
        what="report_zip",
        organization=job.organization,
        filename=filename,
        filters={"kind": job.kind, "year": job.year, "job": job.pk, "parts": len(parts)},
    )
    return filename, pieces.zip_files(_part_files(parts))


def _batch_zip(batch: ReportJob, parts: list[ReportJob]) -> None:
    """The zip of every part's file (stored, not recompressed: PDFs are compressed already)."""
    with tempfile.TemporaryFile() as archive:
        pieces.zip_files(_part_files(parts), archive)
        archive.seek(0)
        batch.file.save(f"{secrets.token_hex(16)}.zip", File(archive), save=False)
    batch.filename = f"{batch.kind}-{batch.organization.code}-{batch.year}.zip"
    _batch_done(batch, parts)
