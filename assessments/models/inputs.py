"""The inputs the rules count besides the ratings: assigned tasks and their results, and the
cell meetings held in the year.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cells.models import Member, Organization

from ..choices import MeetingKind, TaskResult


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
    # Điều 11 (2025–): a task not completed that the subject found and remedied themself is
    # left out of the "more than 50% of tasks not completed" case of KHTNV.
    not_done_remedied = models.BooleanField(
        _("not done, but found and remedied by the subject"), default=False, db_default=False
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
            models.CheckConstraint(
                condition=Q(not_done_remedied=False) | Q(result=TaskResult.NOT_DONE),
                name="task_remedied_only_not_done",
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
