"""Reports: the report jobs the report centre queues, and the document-number register."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cells.models import Organization


class ReportJob(models.Model):
    """One report asked for in the report centre, rendered by a Celery worker.

    The row is the hand-over between the web process and the worker, like cells.ImportJob:
    the worker writes its progress and the file here and the page polls it. `task_id` and
    `started_at` let a job whose worker died be recognised as stale instead of staying
    "running" forever. A batch ("every commune-level unit of the province") is a parent row
    whose `parts` are one job per unit; the parent's file is the zip of theirs.
    """

    class Kind(models.TextChoices):
        RESULTS = "results", _("Report on the review and rating results")
        PROPOSALS = "proposals", _("List of proposed levels")
        SELF_REVIEW = "self_review", _("Pre-filled self-review forms")
        MINUTES = "minutes", _("Pre-filled minutes of the cell rating meeting")
        SUMMARY = "summary", _("Summary of the units and Resolution 22 indicators")

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Excel"
        ZIP = "zip", "ZIP"

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Rendering")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("report"), max_length=16, choices=Kind.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("unit"),
        related_name="report_jobs",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        related_name="report_jobs",
        on_delete=models.PROTECT,
    )
    batch = models.ForeignKey(
        "self",
        verbose_name=_("batch"),
        related_name="parts",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    is_batch = models.BooleanField(_("batch of units"), default=False)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    progress_done = models.PositiveIntegerField(_("steps done"), default=0)
    progress_total = models.PositiveIntegerField(_("steps"), default=0)
    error = models.TextField(_("error"), blank=True)
    file = models.FileField(_("file"), upload_to="reports/", max_length=255, blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    document_number = models.CharField(_("document number"), max_length=40, blank=True)
    data_as_of = models.DateTimeField(_("data as of"), null=True, blank=True)
    task_id = models.CharField(_("worker task id"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["results", "proposals", "self_review", "minutes", "summary"]),
                name="report_job_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(format__in=["pdf", "xlsx", "zip"]), name="report_job_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "running", "done", "failed"]),
                name="report_job_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(batch__isnull=True) | Q(is_batch=False),
                name="report_job_batch_not_nested",
            ),
            # Asking twice for the same report while one is on its way returns that one.
            models.UniqueConstraint(
                fields=["requested_by", "kind", "organization", "year", "format", "is_batch"],
                condition=Q(state__in=["pending", "running"], batch__isnull=True),
                name="report_job_one_active",
            ),
        ]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="report_job_requester_idx"),
            models.Index(
                fields=["organization", "kind", "year", "format", "state"],
                name="report_job_lookup_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.organization} · {self.year}"
