"""The organization tree, residential units, members and their dated history (DOMAIN.md §2–3).

Nodes are never deleted: a dissolved district or merged commune keeps its history and a
`successor` link, so any year can be shown on that year's structure or mapped onto today's.
Who belonged to which cell, and in which state, on a given day is derived from the dated
`Membership` and `MemberEvent` rows (see cells.selectors.members_of).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from .choices import (
    DisciplineForm,
    EventKind,
    Gender,
    ImportJobPhase,
    ImportJobStatus,
    MembershipKind,
    OrganizationDisciplineForm,
    OrganizationDisciplineTarget,
    OrganizationType,
    PoliticalTheoryLevel,
    PostKind,
    ProfessionalLevel,
    ResidentialUnitKind,
    Role,
)
from .fields import VietnameseSortKeyField


class Organization(MP_Node):
    """A node of the Party tree: province, district, commune, grassroots organization or cell.

    The materialized path (treebeard) makes "everything under X" one indexed prefix query,
    which every scoped selector relies on.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    type = models.CharField(_("type"), max_length=32, choices=OrganizationType.choices)
    is_grassroots = models.BooleanField(_("grassroots organization"), default=False)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        related_name="predecessors",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("The unit that took over after a merge or dissolution."),
    )
    document_abbreviation = models.CharField(
        _("document abbreviation"), max_length=10, blank=True, help_text=_("e.g. ĐU, CB")
    )
    name_sort_key = VietnameseSortKeyField(source="name", whole_text=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=OrganizationType.values), name="organization_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True)
                | Q(established_on__isnull=True)
                | Q(dissolved_on__gte=models.F("established_on")),
                name="organization_dissolved_after_established",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_cell(self) -> bool:
        from .choices import CELL_TYPES

        return self.type in CELL_TYPES

    def is_active_on(self, day) -> bool:
        return (self.established_on is None or self.established_on <= day) and (
            self.dissolved_on is None or day <= self.dissolved_on
        )


class Term(models.Model):
    """A committee term (nhiệm kỳ) of an organization, e.g. 2020–2025."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), related_name="terms", on_delete=models.PROTECT
    )
    start_year = models.PositiveSmallIntegerField(_("start year"))
    end_year = models.PositiveSmallIntegerField(_("end year"))

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["organization", "start_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "start_year"], name="term_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")), name="term_end_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.start_year}–{self.end_year}"


class ResidentialUnit(models.Model):
    """A hamlet (thôn) or street group (tổ dân phố) and the cell that covers it, if any.

    A cell covering several units is a joint cell; a unit with no cell is a gap that the
    Resolution 22 dashboard lists.
    """

    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(
        _("kind"), max_length=16, choices=ResidentialUnitKind.choices, default="hamlet"
    )
    commune = models.ForeignKey(
        Organization,
        verbose_name=_("commune-level unit"),
        related_name="residential_units",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    cell = models.ForeignKey(
        Organization,
        verbose_name=_("covering cell"),
        related_name="covered_units",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("residential unit")
        verbose_name_plural = _("residential units")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "name"], name="residential_unit_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ResidentialUnitKind.values), name="residential_unit_kind_valid"
            ),
        ]

    def __str__(self):
        return self.name


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


class RoleAssignment(models.Model):
    """A user's role on an organization node, valid for a period (a term ends, reforms move people).

    A role covers the node and its whole subtree; there is no global "district user".
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="role_assignments",
        on_delete=models.CASCADE,
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="role_assignments",
        on_delete=models.PROTECT,
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    start = models.DateField(_("from"), null=True, blank=True)
    end = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user", "organization"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="role_valid"),
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="role_assignment_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.organization}"


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
    """The interchange file kinds, owned by cells.imports (imported lazily: it imports us)."""
    from .imports import ImportKind

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
