"""Issuing in the background: asked for in the web request, run by a Celery worker.

An issue renders the document's data, its PDF/A-3 with the Excel twin and the manifest, and
the signature fields: seconds for a commune's report, minutes for a province's summary. The
request (`issuejob_request`) checks what it can at once — the role, the kind, a replacement's
reason — and queues an `IssueJob`; the worker (`issuejob_run`) calls `issuing.report_issue`,
whose `documents.services.document_issue` gives the number under the counter's row lock, and
marks the job done in the same transaction. So the numbering guarantees are the service's
(never reused nor skipped), and a task delivered twice (acks_late after a worker loss) finds
the job done, or its first attempt rolled back with its number: it never issues twice.
Jobs follow the report jobs' pattern (partybuild.jobs): claim, progress, stale, unsent sweep.
"""

from __future__ import annotations

import datetime
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cells.audit import audit_record
from cells.models import Organization
from documents import services as document_services
from documents.models import IssuedDocument, IssueJob
from partybuild import jobs as pb_jobs

from . import issuing

logger = logging.getLogger(__name__)
State = IssueJob.State
QUEUED = frozenset({State.PENDING})
RUNNING = frozenset({State.RUNNING})
ACTIVE = QUEUED | RUNNING


def issuejob_is_stale(job: IssueJob, *, now: datetime.datetime | None = None) -> bool:
    return pb_jobs.job_is_stale(job, queued=QUEUED, running=RUNNING, now=now)


def issuejob_display_state(job: IssueJob) -> str:
    return State.FAILED if issuejob_is_stale(job) else job.state


def _enqueue(job: IssueJob) -> None:
    from .. import tasks  # tasks imports this module

    def publish():
        job.publish_failed = not pb_jobs.job_publish(IssueJob, job.pk, tasks.issuejob_run)

    transaction.on_commit(publish)


def issuejobs_publish_unsent() -> tuple[int, int]:
    """Send again the issues asked for while the broker was down (the periodic sweep)."""
    from .. import tasks

    return pb_jobs.jobs_publish_unsent(
        IssueJob, queued=QUEUED, task_for=lambda job: tasks.issuejob_run
    )


def _on_its_way(*, actor, kind, organization, year) -> IssueJob | None:
    job = (
        IssueJob.objects.select_for_update()
        .filter(
            requested_by=actor, kind=kind, organization=organization, year=year, state__in=ACTIVE
        )
        .first()
    )
    if job is not None and issuejob_is_stale(job):
        _finish(job, state=State.FAILED, error=_lost())
        return None
    return job


def _lost() -> str:
    return _("The issue stopped without finishing (the background worker was lost).")


@transaction.atomic
def issuejob_request(
    *,
    actor,
    kind: str,
    organization: Organization,
    year: int,
    supersedes: IssuedDocument | None = None,
    reason: str = "",
) -> tuple[IssueJob, bool]:
    """Ask for an issue: (job, created). Refused at once (PermissionDenied, ValidationError)
    for a kind that takes no number, a user who may not issue for the unit, or a replacement
    that cannot be; the same issue already on its way is returned (a double click issues
    once). Whether the results are decided is checked when it runs, on the data it prints."""
    issuing.check_issuable(kind)
    document_services.issue_check(
        actor=actor, organization=organization, kind=kind, supersedes=supersedes, reason=reason
    )
    existing = _on_its_way(actor=actor, kind=kind, organization=organization, year=year)
    if existing is not None:
        if pb_jobs.job_is_unsent(existing, queued=QUEUED):
            _enqueue(existing)
        return existing, False
    try:
        with transaction.atomic():
            job = IssueJob.objects.create(
                kind=kind,
                organization=organization,
                year=year,
                supersedes=supersedes,
                reason=reason.strip(),
                requested_by=actor,
                state=State.PENDING,
                queued_at=timezone.now(),
                progress_total=issuing.ISSUE_STEPS,
            )
    except IntegrityError:
        existing = _on_its_way(actor=actor, kind=kind, organization=organization, year=year)
        if existing is None:
            raise
        return existing, False
    audit_record(
        actor=actor,
        action="document.issue_request",
        instance=job,
        organization=organization,
        changes={
            "kind": kind,
            "year": year,
            "supersedes": supersedes.number if supersedes else "",
        },
    )
    _enqueue(job)
    return job, True


def _finish(job: IssueJob, **fields) -> None:
    fields.setdefault("finished_at", timezone.now())
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=[*fields, "updated_at"])


def issuejob_run(job_id: int, *, task_id: str = "") -> IssueJob | None:
    """Run a queued issue (the worker). Transient database errors propagate for the task's
    retry policy; a refusal (results not decided, role gone, already replaced) fails the job
    with its message; any other error fails it with the error and is raised."""
    with translation.override(settings.LANGUAGE_CODE):
        return _run(job_id, task_id=task_id)


def _run(job_id: int, *, task_id: str) -> IssueJob | None:
    with transaction.atomic():
        job = pb_jobs.job_claim(
            IssueJob,
            job_id,
            queued=State.PENDING,
            running=State.RUNNING,
            task_id=task_id,
            is_stale=issuejob_is_stale,
            extra={"progress_done": 0, "progress_total": issuing.ISSUE_STEPS, "error": ""},
        )
        if job is not None:
            job.attempts += 1
            job.save(update_fields=["attempts"])
    if job is None:
        return None
    try:
        with (
            pb_jobs.ProgressWriter(IssueJob, job.pk, seconds=0.2, step=1) as progress,
            transaction.atomic(),
        ):
            document = issuing.report_issue(
                actor=job.requested_by,
                kind=job.kind,
                organization=job.organization,
                year=job.year,
                supersedes=job.supersedes,
                reason=job.reason,
                progress=progress,
            )
            # In the issue's own transaction: done and numbered together, or neither.
            _finish(
                job,
                state=State.DONE,
                document=document,
                progress_done=issuing.ISSUE_STEPS,
                error="",
            )
    except pb_jobs.TRANSIENT_ERRORS:
        raise
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        _finish(job, state=State.FAILED, error=" ".join(messages))
    except SoftTimeLimitExceeded:
        _finish(job, state=State.FAILED, error=_("The issue took too long and was stopped."))
    except Exception as exc:
        logger.exception("Issue job %s failed", job.pk)
        _finish(
            job,
            state=State.FAILED,
            error=_("The document could not be issued because of an unexpected error: %(error)s")
            % {"error": str(exc) or exc.__class__.__name__},
        )
        raise
    return job


def issuejob_get(*, user, pk) -> IssueJob:
    """One of the user's own issue jobs; anyone else's is a 404, like one that does not exist."""
    try:
        return IssueJob.objects.select_related("organization", "document").get(
            pk=pk, requested_by=user
        )
    except (IssueJob.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
