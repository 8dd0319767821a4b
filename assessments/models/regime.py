"""The facts the 2025– regime adds (Quy định 366-QĐ/TW, Hướng dẫn 43-HD/BTCTW; DOMAIN §4.3).

A member's form category for the year (2A/2B/2C), the peer groups the quota is counted in and
the decisions raising its ceiling to 25%, the province's criteria items of the 30 + 70 points
and the score sheets (self-score, cell proposal, committee appraisal) that hold the parts.
The rules over them are pure (assessments.rules); the writes go through
assessments.regime_services.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cells.models import Member, Organization

from ..choices import FormCategory, PeerGroupSubject, PointsPart, ScoreStage, ScoringMode

# Points of each part (Quy định 366, Điều 10): the province sets the items inside them.
GENERAL_POINTS = 30
TASK_POINTS = 70


class MemberCategory(models.Model):
    """Which self-review form a member uses for one year (2A, 2B or 2C), as recorded by the
    committee. A suggestion is computed from the member's posts and occupation and shown
    beside it, never stored in its place (Hướng dẫn 43: a fact, not a guess)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), related_name="form_categories", on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("form category"), max_length=24, choices=FormCategory.choices)
    # What the app suggested when the committee recorded it: a later difference is visible.
    suggested = models.CharField(
        _("suggested category"), max_length=24, choices=FormCategory.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("member form category")
        verbose_name_plural = _("member form categories")
        ordering = ["year", "member"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="member_category_unique"),
            models.CheckConstraint(
                condition=Q(category__in=FormCategory.values), name="member_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(suggested="") | Q(suggested__in=FormCategory.values),
                name="member_category_suggested_valid",
            ),
        ]
        indexes = [models.Index(fields=["year", "member"], name="member_category_year_idx")]

    def __str__(self):
        return f"{self.member_id} · {self.year} · {self.category}"


class PeerGroup(models.Model):
    """A group of subjects of similar position, role, function and task in which the
    deciding level (`owner`) counts the quota for one year (Quy định 366, Điều 11).

    Members fall in by rule (their form category, a post title) or by hand
    (`PeerGroupAssignment`, which wins over the rules); the first group by `order` whose
    rule matches takes a subject. A subject in no group is counted per grassroots
    organization, the default. `code` is the `nhom` column of the ratings file.
    """

    owner = models.ForeignKey(
        Organization,
        verbose_name=_("deciding level"),
        related_name="peer_groups",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=160)
    subject = models.CharField(
        _("counts"),
        max_length=16,
        choices=PeerGroupSubject.choices,
        default=PeerGroupSubject.MEMBERS,
    )
    rule_category = models.CharField(
        _("members of form category"), max_length=24, choices=FormCategory.choices, blank=True
    )
    rule_posts = models.CharField(
        _("holders of the posts"),
        max_length=255,
        blank=True,
        help_text=_("Post titles separated by “;”, e.g. “Bí thư; Phó Bí thư”."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("peer group")
        verbose_name_plural = _("peer groups")
        ordering = ["owner", "year", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "year", "code"], name="peer_group_unique"),
            models.CheckConstraint(
                condition=Q(subject__in=PeerGroupSubject.values), name="peer_group_subject_valid"
            ),
            models.CheckConstraint(
                condition=Q(rule_category="") | Q(rule_category__in=FormCategory.values),
                name="peer_group_category_valid",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code}, {self.year})"


class PeerGroupAssignment(models.Model):
    """A member or an organization put in a peer group by hand."""

    group = models.ForeignKey(
        PeerGroup,
        verbose_name=_("peer group"),
        related_name="assignments",
        on_delete=models.CASCADE,
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), related_name="+", on_delete=models.PROTECT, null=True
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now=True)

    class Meta:
        verbose_name = _("peer group assignment")
        verbose_name_plural = _("peer group assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False) ^ Q(organization__isnull=False),
                name="peer_assignment_one_subject",
            ),
            models.UniqueConstraint(fields=["group", "member"], name="peer_assignment_member"),
            models.UniqueConstraint(
                fields=["group", "organization"], name="peer_assignment_organization"
            ),
        ]

    def __str__(self):
        return f"{self.group_id} ← {self.member_id or self.organization_id}"


class QuotaCeilingDecision(models.Model):
    """The competent level allows up to 25% HTXSNV (of HTTNV) for the subjects an
    organization with outstanding results manages: a reasoned decision, recorded with who
    and when, shown on the review screen and in the reports (Quy định 366, Điều 11).

    `group` None raises the ceiling of every count of the organization that year.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="quota_ceiling_decisions",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    group = models.ForeignKey(
        PeerGroup,
        verbose_name=_("peer group"),
        related_name="ceiling_decisions",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    percent = models.PositiveSmallIntegerField(_("ceiling (%)"))
    reason = models.TextField(_("reason"))
    deciding_organization = models.ForeignKey(
        Organization,
        verbose_name=_("decided by (level)"),
        related_name="+",
        on_delete=models.PROTECT,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
    )
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("quota ceiling decision")
        verbose_name_plural = _("quota ceiling decisions")
        ordering = ["-year", "organization"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "group"],
                name="quota_ceiling_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=1) & Q(percent__lte=25), name="quota_ceiling_at_most_25"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="quota_ceiling_has_reason"),
        ]

    def __str__(self):
        return f"{self.organization_id} · {self.year} · {self.percent}%"


class PointsItem(models.Model):
    """One criteria item of the 30 + 70 points, as a province sets them for a year.

    `audience` empty: every subject; else a form category or "collective" (Phụ lục 1, 3–5
    differ by subject). Without any item for the province and year, one item per part
    (30 and 70 points) is used.
    """

    province = models.ForeignKey(
        Organization,
        verbose_name=_("province"),
        related_name="points_items",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    part = models.CharField(_("part"), max_length=8, choices=PointsPart.choices)
    audience = models.CharField(_("for"), max_length=24, blank=True)
    name = models.CharField(_("item"), max_length=255)
    max_points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    scoring = models.CharField(
        _("scoring"), max_length=10, choices=ScoringMode.choices, default=ScoringMode.POINTS
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("criteria item")
        verbose_name_plural = _("criteria items")
        ordering = ["province", "year", "part", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(part__in=PointsPart.values), name="points_item_part"
            ),
            models.CheckConstraint(
                condition=Q(scoring__in=ScoringMode.values), name="points_item_scoring"
            ),
            models.CheckConstraint(
                condition=Q(max_points__gt=0) & Q(max_points__lte=TASK_POINTS),
                name="points_item_max_range",
            ),
        ]

    def __str__(self):
        return self.name


class ScoreSheet(models.Model):
    """The two parts of one subject's score at one stage: the member's self-score, the
    cell's proposal or the committee's appraisal (of a member or an organization).

    `tasks_suggested` is what the task ledger suggested for the 70 part when the sheet was
    saved; a different `tasks` needs `tasks_reason`. `items` holds the per-item values
    ({item id: points or true/false}) where the province scores items.
    """

    member_rating = models.ForeignKey(
        "assessments.MemberRating",
        verbose_name=_("member rating"),
        related_name="score_sheets",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    organization_rating = models.ForeignKey(
        "assessments.OrganizationRating",
        verbose_name=_("organization rating"),
        related_name="score_sheets",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    stage = models.CharField(_("stage"), max_length=10, choices=ScoreStage.choices)
    general = models.DecimalField(
        _("general criteria (30)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    tasks = models.DecimalField(
        _("task results (70)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    tasks_suggested = models.DecimalField(
        _("suggested from the task ledger"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    tasks_reason = models.TextField(_("reason for differing from the suggestion"), blank=True)
    items = models.JSONField(_("item scores"), default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")
        constraints = [
            models.CheckConstraint(
                condition=Q(member_rating__isnull=False) ^ Q(organization_rating__isnull=False),
                name="score_sheet_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=ScoreStage.values), name="score_sheet_stage_valid"
            ),
            models.UniqueConstraint(
                fields=["member_rating", "stage"],
                condition=Q(member_rating__isnull=False),
                name="score_sheet_member_stage",
            ),
            models.UniqueConstraint(
                fields=["organization_rating", "stage"],
                condition=Q(organization_rating__isnull=False),
                name="score_sheet_organization_stage",
            ),
            models.CheckConstraint(
                condition=Q(general__isnull=True)
                | (Q(general__gte=0) & Q(general__lte=GENERAL_POINTS)),
                name="score_sheet_general_range",
            ),
            models.CheckConstraint(
                condition=Q(tasks__isnull=True) | (Q(tasks__gte=0) & Q(tasks__lte=TASK_POINTS)),
                name="score_sheet_tasks_range",
            ),
        ]

    def __str__(self):
        return f"{self.stage} · {self.general} + {self.tasks}"

    @property
    def total(self):
        if self.general is None or self.tasks is None:
            return None
        return self.general + self.tasks
