"""The pieces of a rating dossier that the forms helper records (Hướng dẫn 43-HD/BTCTW):
members' quarterly self-assessments (Mẫu 05), the documents of the Điều 17 dossier the app
does not write itself (the residence committee's comment, suggestions, comments of related
bodies, complaints), and each annulment of a decided rating with what was redone (Mẫu 03).

Re-exported by assessments.models (the one app label).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cells.models import Member, Organization

from ..choices import LEVEL_VALUES


class QuarterlyAssessment(models.Model):
    """A member's self-assessment of one quarter (Mẫu 05); the four quarters feed the year.

    Members have no accounts: the cell secretary (or an editor above) enters what the member
    wrote, and `entered_by` records who did, so the form can say it was entered on the
    member's behalf (the practice of DOMAIN §4.4 for paper that is re-entered).
    """

    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        related_name="quarterly_assessments",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2, null=True, blank=True)
    level = models.CharField(_("self-assessed level"), max_length=32, blank=True)
    results = models.TextField(_("results of assigned tasks"), blank=True)
    shortcomings = models.TextField(_("shortcomings and remedies"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("quarterly self-assessment")
        verbose_name_plural = _("quarterly self-assessments")
        ordering = ["member", "year", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year", "quarter"], name="quarterly_assessment_unique"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="qa_quarter_valid"
            ),
            models.CheckConstraint(
                condition=Q(level="") | Q(level__in=LEVEL_VALUES), name="qa_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | (Q(points__gte=0) & Q(points__lte=100)),
                name="qa_points_range",
            ),
        ]
        indexes = [models.Index(fields=["year", "member"], name="qa_year_member_idx")]

    def __str__(self):
        return f"{self.member} · {self.year} · Q{self.quarter}"


class DossierDocument(models.Model):
    """A piece of a unit's rating dossier (Điều 17) received on paper or electronically.

    The app writes the self-reviews, minutes, appraisal and conclusion itself; these are the
    pieces it can only record as received. A residence committee's comment concerns one member.
    """

    class Kind(models.TextChoices):
        RESIDENCE_COMMENT = "residence_comment", _("Comment of the place-of-residence committee")
        REVIEW_SUGGESTION = "review_suggestion", _("Review suggestions")
        RELATED_COMMENT = "related_comment", _("Comments of related bodies")
        COMPLAINT = "complaint", _("Complaint or denunciation")

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("unit"),
        related_name="dossier_documents",
        on_delete=models.PROTECT,
        help_text=_("The grassroots organization whose dossier holds the document."),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        related_name="dossier_documents",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    received_on = models.DateField(_("received on"))
    sender = models.CharField(_("from"), max_length=255, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dossier document")
        verbose_name_plural = _("dossier documents")
        ordering = ["organization", "year", "kind", "received_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "residence_comment",
                        "review_suggestion",
                        "related_comment",
                        "complaint",
                    ]
                ),
                name="dossier_document_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="residence_comment") | Q(member__isnull=False),
                name="dossier_residence_comment_has_member",
            ),
        ]
        indexes = [models.Index(fields=["organization", "year"], name="dossier_doc_org_year_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.organization} · {self.year}"


class RatingReopening(models.Model):
    """A decided rating annulled by the deciding level and redone (Điều 13, 15; Mẫu 03).

    Written by the reopening with the decided levels it withdrew; the next decision of the
    round closes it with the levels that changed. The Mẫu 03 decision lists those changes;
    it is issued once, through the register (documents.services.document_issue).
    """

    round = models.ForeignKey(
        "assessments.RatingRound",
        verbose_name=_("rating round"),
        related_name="reopenings",
        on_delete=models.PROTECT,
    )
    # A chi bộ trực thuộc whose decision its đảng ủy cơ sở reopened (HD 43 §3: the đảng ủy
    # issues that Mẫu 03); empty: the round's own decision, reopened by the tier above.
    organization = models.ForeignKey(
        "cells.Organization",
        verbose_name=_("subordinate cell reopened"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    reason = models.TextField(_("reason for reopening"))
    reopened_at = models.DateTimeField(_("reopened at"))
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    # {"members": {"<member id>": "<level>"}, "organizations": {"<org id>": "<level>"}}
    withdrawn = models.JSONField(_("decided levels withdrawn"), default=dict)
    redecided_at = models.DateTimeField(_("decided again at"), null=True, blank=True)
    redecided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    # [{"subject": "member"|"organization", "id": 1, "old": "good", "new": "complete"}, …]
    changes = models.JSONField(_("levels changed"), default=list)
    # The committee that decided again, kept then: it issues Mẫu 03 even if the unit is moved
    # under another committee before the decision is issued. Empty before it is decided again
    # (and for reopenings closed before 03/12/2026: the tree of the day says who).
    issuer = models.ForeignKey(
        "cells.Organization",
        verbose_name=_("committee that decided again"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    # The issued Mẫu 03 in the register (documents app): numbered once, when first issued.
    document = models.OneToOneField(
        "documents.IssuedDocument",
        verbose_name=_("issued decision"),
        related_name="rating_reopening",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("rating reopening")
        verbose_name_plural = _("rating reopenings")
        ordering = ["round", "reopened_at", "id"]
        constraints = [
            # One reopening at a time of the round's decision (it is decided again before it
            # can be reopened), and of each cell's step: a đảng ủy may reopen two of its cells,
            # or one while the tier above has reopened the round's own decision.
            models.UniqueConstraint(
                fields=["round"],
                condition=Q(redecided_at__isnull=True, organization__isnull=True),
                name="rating_reopening_one_open",
            ),
            models.UniqueConstraint(
                fields=["round", "organization"],
                condition=Q(redecided_at__isnull=True, organization__isnull=False),
                name="rating_reopening_one_open_per_cell",
            ),
            models.CheckConstraint(
                condition=Q(document__isnull=True) | Q(redecided_at__isnull=False),
                name="rating_reopening_issued_when_redecided",
            ),
        ]

    def __str__(self):
        return f"{self.round} · {self.reopened_at:%d/%m/%Y}"
