"""The rating of one year: its settings, each grassroots organization's round, and the member
and organization ratings made in it. A rating stores the code of the scheme it was made under.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cells.models import Member, Organization

from .. import schemes
from ..choices import NotRatedReason, RoundState
from .fields import level_field as _level_field
from .fields import level_ok as _level_ok

_SCHEME_CODES = [s.code for s in schemes.SCHEMES]


class RatingYear(models.Model):
    """Settings of one rating year that an administrator edits without code.

    DOMAIN §4.1 marks the 2023+ quota ratio and scope configurable: when set here they
    override the scheme's default for that year.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    entry_deadline = models.DateField(
        _("entry deadline"),
        null=True,
        blank=True,
        help_text=_("After this day units can no longer change proposals unless reopened."),
    )
    quota_numerator = models.PositiveSmallIntegerField(_("quota numerator"), null=True, blank=True)
    quota_denominator = models.PositiveSmallIntegerField(
        _("quota denominator"), null=True, blank=True
    )
    quota_scope = models.CharField(
        _("quota scope"),
        max_length=16,
        blank=True,
        choices=[
            (schemes.QUOTA_SCOPE_GRASSROOTS, _("Per grassroots organization")),
            (schemes.QUOTA_SCOPE_MEMBER_GROUP, _("Per group of similar members")),
            (schemes.QUOTA_SCOPE_PEER_GROUP, _("Per peer group of the deciding level")),
        ],
    )

    class Meta:
        verbose_name = _("rating year")
        verbose_name_plural = _("rating years")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(quota_numerator__isnull=True) & Q(quota_denominator__isnull=True))
                | (Q(quota_numerator__isnull=False) & Q(quota_denominator__gt=0)),
                name="rating_year_quota_complete",
            ),
        ]

    def __str__(self):
        return str(self.year)


class RatingRound(models.Model):
    """One grassroots organization's rating for one year, and where it stands.

    The round is the unit of the workflow (draft → submitted → returned | decided →
    published) and of the quota, which DOMAIN §4.1 counts per grassroots organization.
    `version` rises with every change so concurrent edits are detected, never overwritten.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("grassroots organization"),
        related_name="rating_rounds",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    scheme_code = models.CharField(_("rating scheme"), max_length=16)
    state = models.CharField(
        _("state"), max_length=16, choices=RoundState.choices, default=RoundState.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    return_comment = models.TextField(_("reason for returning"), blank=True)
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)
    # A reopening after the entry deadline lets the unit edit again (DOMAIN §4.2).
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    quota_exception = models.TextField(
        _("justified quota exception"),
        blank=True,
        help_text=_("Recorded by the deciding level; shown in reports."),
    )
    # A past year's results imported as decided carry the decision they were decided by.
    decision_number = models.CharField(_("decision number"), max_length=60, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rating round")
        verbose_name_plural = _("rating rounds")
        ordering = ["-year", "organization"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="rating_round_unique"),
            models.CheckConstraint(
                condition=Q(state__in=RoundState.values), name="rating_round_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(scheme_code__in=_SCHEME_CODES), name="rating_round_scheme_valid"
            ),
        ]
        indexes = [models.Index(fields=["year", "state"], name="rating_round_year_state_idx")]

    def __str__(self):
        return f"{self.organization} · {self.year}"

    @property
    def scheme(self) -> schemes.RatingScheme:
        return schemes.scheme_by_code(self.scheme_code)


class MemberRating(models.Model):
    """A member's rating for a year: each step's level, the vote, the decision.

    `proposed_level` is what the grassroots committee proposes (the grid edits it and the
    quota counts it); `decided_level` is set by the superior committee's decision.
    """

    round = models.ForeignKey(
        RatingRound,
        verbose_name=_("rating round"),
        related_name="member_ratings",
        on_delete=models.PROTECT,
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), related_name="ratings", on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField(_("year"))
    cell = models.ForeignKey(
        Organization,
        verbose_name=_("cell"),
        related_name="member_ratings",
        on_delete=models.PROTECT,
        help_text=_("The cell the member belonged to in the rating year."),
    )
    self_level = _level_field(_("self-assessed level"))
    cell_level = _level_field(_("level proposed by the cell"))
    votes_for = models.PositiveSmallIntegerField(_("votes for"), null=True, blank=True)
    votes_total = models.PositiveSmallIntegerField(_("members voting"), null=True, blank=True)
    proposed_level = _level_field(_("proposed level"))
    decided_level = _level_field(_("decided level"))
    not_rated_reason = models.CharField(
        _("reason not rated"), max_length=20, choices=NotRatedReason.choices, blank=True
    )
    not_rated_note = models.CharField(_("details"), max_length=255, blank=True)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2, null=True, blank=True)
    civil_servant_level = _level_field(_("civil-servant rating"))
    group = models.CharField(
        _("member group"),
        max_length=60,
        blank=True,
        help_text=_("Only where the quota is counted per group of similar members."),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = _("member rating")
        verbose_name_plural = _("member ratings")
        ordering = ["round", "member__name_sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="member_rating_unique"),
            models.CheckConstraint(condition=_level_ok("self_level"), name="mr_self_level_ok"),
            models.CheckConstraint(condition=_level_ok("cell_level"), name="mr_cell_level_ok"),
            models.CheckConstraint(
                condition=_level_ok("proposed_level"), name="mr_proposed_level_ok"
            ),
            models.CheckConstraint(
                condition=_level_ok("decided_level"), name="mr_decided_level_ok"
            ),
            models.CheckConstraint(
                condition=_level_ok("civil_servant_level"), name="mr_civil_level_ok"
            ),
            models.CheckConstraint(
                condition=Q(not_rated_reason="") | Q(not_rated_reason__in=NotRatedReason.values),
                name="mr_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(proposed_level="") | Q(not_rated_reason=""),
                name="mr_rated_or_reason",
            ),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | (Q(points__gte=0) & Q(points__lte=100)),
                name="mr_points_range",
            ),
            models.CheckConstraint(
                condition=Q(votes_for__isnull=True)
                | Q(votes_total__isnull=True)
                | Q(votes_for__lte=models.F("votes_total")),
                name="mr_votes_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "decided_level"], name="mr_year_level_idx"),
            # The dashboard counts a year's ratings per cell and level in one index-only scan.
            models.Index(
                fields=["year", "cell", "round", "decided_level", "not_rated_reason"],
                include=["proposed_level", "updated_at"],
                name="mr_year_cell_cover_idx",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.year}"


class OrganizationRating(models.Model):
    """An organization's rating for a year.

    Every rating sits in the round of its grassroots organization; who decides it is
    `rules.decider_for` (assessments.deciders): from 2025 a cell of a đảng bộ cơ sở by its đảng
    ủy cơ sở, the grassroots organization by its directly superior committee.
    """

    round = models.ForeignKey(
        RatingRound,
        verbose_name=_("rating round"),
        related_name="organization_ratings",
        on_delete=models.PROTECT,
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="ratings",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    proposed_level = _level_field(_("proposed level"))
    decided_level = _level_field(_("decided level"))
    is_exemplary = models.BooleanField(_("exemplary (tiêu biểu)"), default=False)
    not_rated_reason = models.CharField(
        _("reason not rated"), max_length=20, choices=NotRatedReason.choices, blank=True
    )
    not_rated_note = models.CharField(_("details"), max_length=255, blank=True)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Who decided this organization's rating, when (HD 43 §3: a chi bộ trực thuộc by its đảng
    # ủy cơ sở, in a step of its own; the grassroots organization by the tier above, with the
    # round). Set: the sub-unit's rows are locked until its decider reopens it.
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organization rating")
        verbose_name_plural = _("organization ratings")
        ordering = ["round", "organization__name_sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="org_rating_unique"),
            models.CheckConstraint(
                condition=_level_ok("proposed_level"), name="or_proposed_level_ok"
            ),
            models.CheckConstraint(
                condition=_level_ok("decided_level"), name="or_decided_level_ok"
            ),
            models.CheckConstraint(
                condition=Q(not_rated_reason="") | Q(not_rated_reason__in=NotRatedReason.values),
                name="or_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | (Q(points__gte=0) & Q(points__lte=100)),
                name="or_points_range",
            ),
        ]
        indexes = [models.Index(fields=["year", "decided_level"], name="or_year_level_idx")]

    def __str__(self):
        return f"{self.organization} · {self.year}"
