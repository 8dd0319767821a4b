"""Import jobs, the read side: statuses, visibility, who may import what, templates."""

import csv
import datetime
import io

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from partybuild.jobs import job_is_stale

from ..choices import ImportJobStatus, Role
from ..imports import IMPORTERS, ImportKind
from ..imports.templates import template_spec, template_workbook
from ..models import ImportJob, Organization
from ..permissions import EDITING_ROLES, active_assignments, can_edit_roster, roles_on
from ..selectors import organizations_visible_to

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
