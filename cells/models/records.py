"""The audit trail's rows and the interchange-file import jobs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import (
    ImportJobPhase,
    ImportJobStatus,
    ImportKind,
)
from .tree import Organization


class AuditEntry(models.Model):
    """One recorded change or access: who, when, from where, what, before and after.

    Written by the service that makes the change (never by a signal), inside the same
    transaction, so a change without its audit row cannot exist. Read-only in the app.
    """

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="audit_entries",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on behalf of"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    action = models.CharField(_("action"), max_length=60)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="audit_entries",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("The unit whose scope the change falls in."),
    )
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    remote_addr = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.created_at:%d/%m/%Y %H:%M} {self.action} {self.object_repr}"


def import_kind_choices():
    """The interchange file kinds (a callable: migration 0002 names it)."""
    return ImportKind.choices


class ImportJob(models.Model):
    """One interchange file going through upload → background check → preview → confirm → write.

    The row is the hand-over between the web process and the Celery worker: the worker writes
    its progress and the preview here and the page polls it. `task_id` and `started_at` let a
    job whose worker died be recognised (see cells.jobs.importjob_is_stale) instead of staying
    "running" forever.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=import_kind_choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("unit"),
        related_name="import_jobs",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("The unit whose scope the imported rows must fall in."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        related_name="import_jobs",
        on_delete=models.PROTECT,
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    file = models.FileField(_("file"), upload_to="imports/", max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportJobStatus.choices, default="pending"
    )
    phase = models.CharField(
        _("phase"), max_length=16, choices=ImportJobPhase.choices, default="validate"
    )
    progress_done = models.PositiveIntegerField(_("rows processed"), default=0)
    progress_total = models.PositiveIntegerField(_("rows to process"), default=0)
    total_rows = models.PositiveIntegerField(_("rows in the file"), default=0)
    created_count = models.PositiveIntegerField(_("rows created"), default=0)
    updated_count = models.PositiveIntegerField(_("rows updated"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # How many errors the check found; `errors` keeps the first IMPORT_MAX_ERRORS of them.
    error_count = models.PositiveIntegerField(_("errors found"), default=0)
    # The preview of updates: [{row, record, name, changes: [{field, old, new}]}].
    changes = models.JSONField(_("changes"), default=list, blank=True)
    # Record numbers whose probable-typo rows the user confirmed as the same person.
    confirmed_records = models.JSONField(_("confirmed rows"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    task_id = models.CharField(_("worker task id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportJobStatus.values), name="import_job_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(phase__in=ImportJobPhase.values), name="import_job_phase_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="import_job_creator_idx")
        ]

    def __str__(self):
        return f"{self.filename} ({self.created_at:%d/%m/%Y %H:%M})"
