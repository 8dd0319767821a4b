"""Members and their dated history: memberships, events, posts, cell followers, and the
disciplines of organizations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import (
    DisciplineForm,
    EventKind,
    Gender,
    MembershipKind,
    OrganizationDisciplineForm,
    OrganizationDisciplineTarget,
    PoliticalTheoryLevel,
    PostKind,
    ProfessionalLevel,
)
from ..fields import VietnameseSortKeyField
from .tree import Organization


class Member(models.Model):
    """A Party member's record (fields of forms 2-KNĐ and 2-HSĐV).

    Status, cell and state on a date are not stored here: they follow from `Membership`
    and `MemberEvent`, so that past years stay answerable.
    """

    record_number = models.CharField(_("record number"), max_length=12, unique=True)
    full_name = models.CharField(_("full name"), max_length=120)
    name_sort_key = VietnameseSortKeyField(source="full_name")
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birthplace = models.CharField(_("birthplace"), max_length=255, blank=True)
    hometown = models.CharField(_("hometown"), max_length=255, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=60, blank=True)
    religion = models.CharField(_("religion"), max_length=60, blank=True)
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)
    general_education = models.CharField(_("general education"), max_length=10, blank=True)
    professional_level = models.CharField(
        _("professional qualification"),
        max_length=16,
        choices=ProfessionalLevel.choices,
        blank=True,
    )
    political_theory = models.CharField(
        _("political theory"), max_length=16, choices=PoliticalTheoryLevel.choices, blank=True
    )
    admitted_on = models.DateField(_("admission date"), null=True, blank=True)
    ceremony_on = models.DateField(_("admission ceremony date"), null=True, blank=True)
    full_member_on = models.DateField(_("full member since"), null=True, blank=True)
    # NULL, not "", when absent: both are unique only among the members who have one.
    card_number = models.CharField(_("party card number"), max_length=8, null=True, blank=True)  # noqa: DJ001
    citizen_id = models.CharField(_("citizen ID"), max_length=12, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["name_sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["card_number"], name="member_card_number_unique"),
            models.UniqueConstraint(fields=["citizen_id"], name="member_citizen_id_unique"),
            models.CheckConstraint(
                condition=Q(gender__in=Gender.values), name="member_gender_valid"
            ),
        ]
        indexes = [models.Index(fields=["name_sort_key"], name="member_sort_idx")]

    def __str__(self):
        return self.full_name

    @property
    def is_probationary(self) -> bool:
        return self.full_member_on is None


class Membership(models.Model):
    """A member's belonging to a cell from `start` to `end` (inclusive; open when null)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), related_name="memberships", on_delete=models.PROTECT
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("cell"),
        related_name="memberships",
        on_delete=models.PROTECT,
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=MembershipKind.choices, default="official"
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["member", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="membership_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MembershipKind.values), name="membership_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "start", "end"], name="membership_org_period_idx")
        ]

    def __str__(self):
        return f"{self.member} @ {self.organization}"


class MemberEvent(models.Model):
    """A dated fact about a member: discipline, exemption, leave, transfer, removal, death."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), related_name="events", on_delete=models.PROTECT
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)
    discipline_form = models.CharField(
        _("discipline form"), max_length=16, choices=DisciplineForm.choices, blank=True
    )
    self_remedied = models.BooleanField(
        _("found and remedied by the member"),
        default=False,
        help_text=_("From 2023 a violation the member found and remedied does not force KHTNV."),
    )
    deciding_body = models.CharField(_("deciding body"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("member event")
        verbose_name_plural = _("member events")
        ordering = ["member", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="member_event_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="member_event_end_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(kind="discipline") | ~Q(discipline_form=""),
                name="member_event_discipline_has_form",
            ),
        ]
        indexes = [models.Index(fields=["kind", "start"], name="member_event_kind_start_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.start:%d/%m/%Y}"


class OrganizationDiscipline(models.Model):
    """A dated discipline of an organization: of its leadership collective or of the
    organization as a whole (form, date, deciding body). O3 and O4 read it (DOMAIN §4.1)."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="disciplines",
        on_delete=models.PROTECT,
    )
    target = models.CharField(
        _("disciplined"), max_length=16, choices=OrganizationDisciplineTarget.choices
    )
    form = models.CharField(
        _("discipline form"), max_length=16, choices=OrganizationDisciplineForm.choices
    )
    decided_on = models.DateField(_("date"))
    deciding_body = models.CharField(_("deciding body"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = _("organization discipline")
        verbose_name_plural = _("organization disciplines")
        ordering = ["organization", "decided_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__in=OrganizationDisciplineTarget.values),
                name="org_discipline_target_valid",
            ),
            models.CheckConstraint(
                condition=Q(form__in=OrganizationDisciplineForm.values),
                name="org_discipline_form_valid",
            ),
            models.UniqueConstraint(
                fields=["organization", "target", "decided_on"], name="org_discipline_unique"
            ),
        ]
        indexes = [models.Index(fields=["decided_on"], name="org_discipline_date_idx")]

    def __str__(self):
        return f"{self.get_form_display()} {self.decided_on:%d/%m/%Y}"


class Post(models.Model):
    """A post held by a member: Party (bí thư, chi ủy viên…) or government (trưởng thôn…)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), related_name="posts", on_delete=models.PROTECT
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PostKind.choices)
    title = models.CharField(_("title"), max_length=120)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="posts",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    start = models.DateField(_("from"), null=True, blank=True)
    end = models.DateField(_("to"), null=True, blank=True)
    is_hamlet_head = models.BooleanField(_("hamlet or street group head"), default=False)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["member", "kind", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PostKind.values), name="post_kind_valid"),
        ]

    def __str__(self):
        return self.title


class CellFollower(models.Model):
    """A committee member assigned to follow and guide a cell (Resolution 22 practice)."""

    member = models.ForeignKey(
        Member,
        verbose_name=_("committee member"),
        related_name="followed_cells",
        on_delete=models.PROTECT,
    )
    cell = models.ForeignKey(
        Organization, verbose_name=_("cell"), related_name="followers", on_delete=models.PROTECT
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("cell follower")
        verbose_name_plural = _("cell followers")
        ordering = ["cell", "start"]

    def __str__(self):
        return f"{self.member} → {self.cell}"
