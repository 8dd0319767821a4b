"""The register of official documents (sổ văn bản) and what makes one an electronic original.

A document is *issued* once: it gets its number from `DocumentNumber` (locked, never reused or
skipped), a frozen snapshot of the numbers it shows, and the PDF/A-3 file that carries them.
The signed file that comes back (Quy định 379-QĐ/TW: the signer's and the organization's
digital signatures) is kept as a `SignedOriginal` with what verification found. The trust
roots that verification accepts are data an administrator loads (`TrustRoot`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cells.models import Organization

from .choices import DocumentState


class DocumentNumber(models.Model):
    """The next number of one document type (BC, DS, BB…) of an organization in one term.

    Party documents are numbered from 01 for each type in each committee term (Hướng dẫn
    36-HD/VPTW); the counter is kept here so two issues never hand out the same number (the
    service locks the row). `term` is empty for a unit with no term recorded: its numbers then
    run per calendar year (`year`).
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="document_counters",
        on_delete=models.PROTECT,
    )
    term = models.ForeignKey(
        "cells.Term",
        verbose_name=_("term"),
        related_name="document_counters",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    year = models.PositiveSmallIntegerField(_("year"), default=0)
    document_type = models.CharField(_("document type"), max_length=10)
    next_number = models.PositiveIntegerField(_("next number"), default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("document number")
        verbose_name_plural = _("document numbers")
        ordering = ["organization", "document_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "term", "year", "document_type"],
                name="documents_counter_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(next_number__gte=1), name="documents_counter_positive"
            ),
        ]

    def __str__(self):
        return f"{self.organization} · {self.document_type} · {self.next_number}"


class IssuedDocument(models.Model):
    """One issued document of the register: its number, what it reports, its files and state.

    `snapshot` is the frozen content (the numbers printed), `snapshot_sha256` its checksum,
    written into the manifest embedded in the PDF; a signed copy is accepted only over that
    content. A document issued again after a re-rating `supersedes` the one it replaces.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("issuing unit"),
        related_name="issued_documents",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("what"), max_length=32)
    kind_label = models.CharField(_("document"), max_length=255)
    document_type = models.CharField(_("document type"), max_length=10)
    term = models.ForeignKey(
        "cells.Term",
        verbose_name=_("term"),
        related_name="issued_documents",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    counter_year = models.PositiveSmallIntegerField(_("numbering year"), default=0)
    serial = models.PositiveIntegerField(_("serial number"))
    number = models.CharField(_("document number"), max_length=40)
    title = models.CharField(_("title"), max_length=500)
    issued_on = models.DateField(_("date of the document"))
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        related_name="issued_documents",
        on_delete=models.PROTECT,
        null=True,
    )
    scope = models.CharField(_("scope"), max_length=255)
    data_as_of = models.DateTimeField(_("data as of"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=DocumentState.choices, default=DocumentState.ISSUED
    )
    snapshot = models.JSONField(_("snapshot"))
    snapshot_sha256 = models.CharField(_("snapshot checksum"), max_length=64)
    pdf = models.FileField(_("issued PDF"), upload_to="documents/", max_length=255)
    pdf_sha256 = models.CharField(_("PDF checksum"), max_length=64)
    xlsx = models.FileField(_("Excel twin"), upload_to="documents/", max_length=255, blank=True)
    filename_stem = models.CharField(_("file name"), max_length=200)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        related_name="superseded_by",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    supersede_reason = models.TextField(_("reason for replacing"), blank=True)

    class Meta:
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            # The database's own guard against a reused number.
            models.UniqueConstraint(
                fields=["organization", "term", "counter_year", "document_type", "serial"],
                name="issued_document_number_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(state__in=DocumentState.values), name="issued_document_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "year"])]

    def __str__(self):
        return f"{self.number} · {self.title}"


class SignedOriginal(models.Model):
    """A signed copy that passed verification: the electronic original of its document.

    `signatures` keeps, per signature, the role, the signer's name from the certificate, the
    signing time and the issuing CA, as verification read them.
    """

    document = models.ForeignKey(
        IssuedDocument,
        verbose_name=_("document"),
        related_name="originals",
        on_delete=models.PROTECT,
    )
    file = models.FileField(_("signed PDF"), upload_to="documents/signed/", max_length=255)
    sha256 = models.CharField(_("checksum"), max_length=64)
    signer_name = models.CharField(_("signer"), max_length=255)
    organization_name = models.CharField(_("signing organization"), max_length=255)
    signed_at = models.DateTimeField(_("signed at"))
    signatures = models.JSONField(_("signatures"), default=list)
    result = models.TextField(_("verification result"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        related_name="signed_originals",
        on_delete=models.PROTECT,
        null=True,
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("electronic original")
        verbose_name_plural = _("electronic originals")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.document.number} · {self.signer_name}"


class TrustRoot(models.Model):
    """A CA certificate that signatures must chain to (e.g. the Ban Cơ yếu's root CA).

    Loaded by an administrator (admin or `manage.py trustroot_load`): which authorities are
    trusted is data, not code. Only active roots are used.
    """

    name = models.CharField(_("name"), max_length=255)
    certificate_pem = models.TextField(_("certificate (PEM)"))
    fingerprint_sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    subject = models.CharField(_("subject"), max_length=500)
    not_after = models.DateTimeField(_("valid until"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("trusted root certificate")
        verbose_name_plural = _("trusted root certificates")
        ordering = ["name"]

    def __str__(self):
        return self.name


class IssueJob(models.Model):
    """An issue asked for by staff and run by a Celery worker, the page polling its progress.

    Issuing builds the document's data, renders the PDF/A-3 with its attachments and adds the
    signature fields: seconds for a commune's report, minutes for a province's summary, too
    long for a web request. The number is still given by `documents.services.document_issue`
    inside the worker's transaction, so the numbering guarantees are the service's; the row
    only carries the request, its progress and, when done, the issued `document`.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Issuing")
        DONE = "done", _("Issued")
        FAILED = "failed", _("Not issued")

    kind = models.CharField(_("what"), max_length=32)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("issuing unit"),
        related_name="issue_jobs",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    supersedes = models.ForeignKey(
        IssuedDocument,
        verbose_name=_("supersedes"),
        related_name="replacement_jobs",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    reason = models.TextField(_("reason for replacing"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        related_name="issue_jobs",
        on_delete=models.PROTECT,
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    progress_done = models.PositiveIntegerField(_("steps done"), default=0)
    progress_total = models.PositiveIntegerField(_("steps"), default=0)
    error = models.TextField(_("error"), blank=True)
    document = models.ForeignKey(
        IssuedDocument,
        verbose_name=_("issued document"),
        related_name="issue_jobs",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    task_id = models.CharField(_("worker task id"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("issue request")
        verbose_name_plural = _("issue requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "running", "done", "failed"]),
                name="issue_job_state_valid",
            ),
            # A double click issues once: the same issue on its way is returned instead.
            models.UniqueConstraint(
                fields=["requested_by", "kind", "organization", "year"],
                condition=Q(state__in=["pending", "running"]),
                name="issue_job_one_active",
            ),
        ]

    def __str__(self):
        return f"{self.kind} · {self.organization} · {self.year} · {self.state}"
