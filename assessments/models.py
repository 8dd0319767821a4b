"""The annual rating: per-year settings, each grassroots organization's round, member and
organization ratings, and the inputs the rules count (tasks, civil-servant ratings, meetings).

The rules themselves are in assessments.rules (pure); the scheme of a year in
assessments.schemes (data). A rating stores the code of the scheme it was made under.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cells.models import Member, Organization

from . import schemes
from .choices import LEVEL_VALUES, MeetingKind, NotRatedReason, RoundState, TaskResult

_SCHEME_CODES = [s.code for s in schemes.SCHEMES]


def _level_field(verbose_name, **kwargs):
    return models.CharField(verbose_name, max_length=32, blank=True, **kwargs)


def _level_ok(field: str) -> Q:
    return Q(**{field: ""}) | Q(**{f"{field}__in": LEVEL_VALUES})


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

    Cells are rated by their grassroots committee (inside its round); a grassroots
    organization is rated by its directly superior committee (in its own round).
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


class AssignedTask(models.Model):
    """A task assigned to a member (or an organization) for the year, and its result.

    The 2025 rules count them (100% done on time for HTTNV, ≥ 30% exceeding for HTXSNV).
    """

    year = models.PositiveSmallIntegerField(_("year"))
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        related_name="tasks",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="tasks",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    title = models.CharField(_("task"), max_length=255)
    result = models.CharField(_("result"), max_length=16, choices=TaskResult.choices, blank=True)
    shortcoming_remedied = models.BooleanField(
        _("earlier shortcomings remedied"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("assigned task")
        verbose_name_plural = _("assigned tasks")
        ordering = ["year", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False) ^ Q(organization__isnull=False),
                name="task_has_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(result="") | Q(result__in=TaskResult.values), name="task_result_valid"
            ),
        ]
        indexes = [models.Index(fields=["member", "year"], name="task_member_year_idx")]

    def __str__(self):
        return self.title


class CellMeeting(models.Model):
    """A cell meeting (regular monthly or thematic) with its attendance (Kết luận 18-KL/TW)."""

    cell = models.ForeignKey(
        Organization, verbose_name=_("cell"), related_name="meetings", on_delete=models.PROTECT
    )
    held_on = models.DateField(_("date"))
    kind = models.CharField(
        _("kind"), max_length=16, choices=MeetingKind.choices, default=MeetingKind.REGULAR
    )
    topic = models.CharField(_("topic"), max_length=255, blank=True)
    attended = models.PositiveSmallIntegerField(_("attended"))
    expected = models.PositiveSmallIntegerField(_("members expected"))

    class Meta:
        verbose_name = _("cell meeting")
        verbose_name_plural = _("cell meetings")
        ordering = ["cell", "held_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MeetingKind.values), name="meeting_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(attended__lte=models.F("expected")), name="meeting_attendance_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["cell", "held_on"], name="meeting_cell_date_idx"),
            # The dashboard reads one year of meetings for a whole province by date range.
            models.Index(
                fields=["held_on"], include=["cell", "kind"], name="meeting_date_cover_idx"
            ),
        ]

    def __str__(self):
        return f"{self.cell} {self.held_on:%d/%m/%Y}"


# --- Resolution 22 dashboard -----------------------------------------------------------------
class Indicator(models.Model):
    """A Resolution 22 indicator as data (DOMAIN §6): what it measures and on which basis.

    The arithmetic lives in assessments.indicators (looked up by `formula`); everything a
    reports officer may want to change (name, unit, direction, source, order) is here.
    """

    class Unit(models.TextChoices):
        PERCENT = "percent", _("Percent")
        COUNT = "count", _("Count")
        RATIO = "ratio", _("Ratio")
        PER_100 = "per_100", _("Per 100 members")
        AVERAGE = "average", _("Average")

    class Better(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    group = models.CharField(_("group"), max_length=40)
    formula = models.CharField(_("formula"), max_length=60)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    better = models.CharField(_("better direction"), max_length=6, choices=Better.choices)
    source_number = models.CharField(_("source document number"), max_length=60)
    source_date = models.DateField(_("source document date"), null=True, blank=True)
    source_issuer = models.CharField(_("source document issuer"), max_length=120)
    is_headline = models.BooleanField(_("headline figure"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__in=["percent", "count", "ratio", "per_100", "average"]),
                name="indicator_unit_valid",
            ),
            models.CheckConstraint(
                condition=Q(better__in=["higher", "lower"]), name="indicator_better_valid"
            ),
        ]

    def __str__(self):
        return self.name


class IndicatorTarget(models.Model):
    """A baseline and a target of one indicator for one scope (a node of the tree).

    Entered by reports staff; a node without its own target shows its nearest ancestor's.
    """

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), related_name="targets", on_delete=models.CASCADE
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("scope"),
        related_name="indicator_targets",
        on_delete=models.PROTECT,
    )
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    baseline_value = models.DecimalField(
        _("baseline value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    target_year = models.PositiveSmallIntegerField(_("target year"))
    target_value = models.DecimalField(_("target value"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        ordering = ["indicator", "organization", "target_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "organization", "target_year"],
                name="indicator_target_unique",
            ),
            models.CheckConstraint(
                condition=Q(baseline_year__isnull=True)
                | Q(baseline_year__lte=models.F("target_year")),
                name="indicator_target_baseline_before_target",
            ),
        ]
        indexes = [models.Index(fields=["organization", "indicator"], name="ind_target_org_idx")]

    def __str__(self):
        return f"{self.indicator} · {self.organization} · {self.target_year}"


class NewRuralRecognition(models.Model):
    """A commune recognised as meeting the national new-rural standard (xã đạt chuẩn NTM)."""

    commune = models.ForeignKey(
        Organization,
        verbose_name=_("commune-level unit"),
        related_name="new_rural_recognitions",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year recognised"))
    decision_number = models.CharField(_("decision number"), max_length=60, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("new-rural recognition")
        verbose_name_plural = _("new-rural recognitions")
        ordering = ["commune", "year"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "year"], name="new_rural_unique"),
        ]
        indexes = [models.Index(fields=["year"], name="new_rural_year_idx")]

    def __str__(self):
        return f"{self.commune} · {self.year}"


# --- Indicator tallies -----------------------------------------------------------------------
def _level_counters(prefix: str) -> tuple[str, ...]:
    reasons = [r.value for r in NotRatedReason] + ["unspecified"]
    return (
        f"{prefix}.total",
        f"{prefix}.rated",
        *(f"{prefix}.r{rank}" for rank in (3, 2, 1, 0)),
        f"{prefix}.not_rated",
        *(f"{prefix}.not_rated.{reason}" for reason in reasons),
        f"{prefix}.pending",
    )


# Cadre qualification on 31/12 (DOMAIN §6), in the order the grouped SQL returns them.
CADRE_COUNTERS = (
    "cad.committee",
    "cad.committee_degree",
    "cad.official",
    "cad.official_professional",
    "cad.official_theory",
    "cad.secretary",
    "cad.secretary_head",
)

# The counters of the indicator families that are tallied (assessments.indicators.tally): the
# families over the large tables. Each is an integer column named with "_" for ".".
TALLY_COUNTERS = (
    *_level_counters("gro"),
    "gro.exemplary",
    "gro.weak2",
    *_level_counters("cell"),
    "cell.exemplary",
    "cell.weak2",
    *_level_counters("mem"),
    "mc.end",
    "mc.start",
    "adm.total",
    "adm.women",
    "adm.youth",
    "adm.minority",
    "adm.religious",
    *CADRE_COUNTERS,
    "mt.thematic",
    "mt.full12",
    "exist.gro",
    "exist.cell",
    "exist.meeting_cell",
    "exist.commune",
)


def tally_column(counter: str) -> str:
    return counter.replace(".", "_")


class IndicatorTally(models.Model):
    """The dashboard counters of one unit's own rows for one year, on one basis.

    A derived table, never edited: `assessments.indicators.tally` recomputes a unit's rows
    from the source tables with the same grouped SQL the live computation uses, whenever a
    trigger has marked the unit changed (`IndicatorTallyDirty`). Summing a province's ≈ 28,000
    units is then ~50 ms instead of counting ≈ 2 million source rows on every page view.
    `with_proposals`: the row counts undecided rounds with their proposed levels (the
    dashboard's proposals switch), written only where that differs from the official row.
    """

    organization = models.ForeignKey(
        Organization, related_name="+", on_delete=models.CASCADE, db_index=False
    )
    year = models.PositiveSmallIntegerField()
    with_proposals = models.BooleanField()
    # On an official row: a `with_proposals` twin exists (the unit had undecided proposals
    # that year). Without one the official row serves both bases: half the rows.
    has_twin = models.BooleanField(default=False)
    last_change = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "with_proposals"], name="tally_unique"
            ),
        ]
        indexes = [models.Index(fields=["year", "with_proposals"], name="tally_year_idx")]

    def __str__(self):
        return f"{self.organization_id} · {self.year}"


for _counter in TALLY_COUNTERS:
    IndicatorTally.add_to_class(tally_column(_counter), models.IntegerField(default=0))


class IndicatorTallyDirty(models.Model):
    """A unit whose tallies may be out of date: appended by database triggers (migration
    0006 says which changes mark which units), claimed when the tallies are recomputed.
    Append-only (no unique key): see the migration. No foreign key: a trigger may mark a
    unit that its own statement is deleting."""

    organization_id = models.BigIntegerField(db_index=True)

    def __str__(self):
        return str(self.organization_id)


class IndicatorTallyWindow(models.Model):
    """The years the tallies cover (one row); other years are counted live."""

    first_year = models.PositiveSmallIntegerField()
    last_year = models.PositiveSmallIntegerField()
    rebuilt_at = models.DateTimeField()
    # The counting code the tallies were computed with (tally.rules_fingerprint): after a
    # release that changes it, the dashboard counts live until the tallies are rebuilt.
    fingerprint = models.CharField(max_length=64)

    def __str__(self):
        return f"{self.first_year}–{self.last_year}"


# --- Reports ---------------------------------------------------------------------------------
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


class DocumentNumber(models.Model):
    """The next number of one document type (BC, DS, BB…) of an organization in one term.

    Party documents are numbered from 01 for each type in each committee term (Hướng dẫn
    36-HD/VPTW); the counter is kept here so two workers never hand out the same number
    (the service locks the row). `term` is empty for a unit with no term recorded: its
    numbers then run per calendar year (`year`).
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="document_numbers",
        on_delete=models.PROTECT,
    )
    term = models.ForeignKey(
        "cells.Term",
        verbose_name=_("term"),
        related_name="document_numbers",
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
                name="document_number_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(next_number__gte=1), name="document_number_positive"
            ),
        ]

    def __str__(self):
        return f"{self.organization} · {self.document_type} · {self.next_number}"


# The forms helper's dossier records live in their own module (re-exported here).
from .dossier_models import (  # noqa: E402, F401
    DossierDocument,
    QuarterlyAssessment,
    RatingReopening,
)
