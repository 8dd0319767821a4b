"""The organization tree (any depth, nodes never deleted), its terms and the residential units."""

from django.db import OperationalError, connection, models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from ..choices import (
    CELL_TYPES,
    OrganizationType,
    ResidentialUnitKind,
)
from ..fields import VietnameseSortKeyField


class OrganizationQuerySet(MP_NodeQuerySet):
    def existing_on(self, day):
        """Units that exist on `day`: founded by then (or undated), not dissolved before it."""
        return self.filter(
            Q(established_on__isnull=True) | Q(established_on__lte=day),
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=day),
        )


# The tree's write lock (migration cells 0009 takes it before any statement writes the tree):
# the mapping refresh updates rows a writer did not name, so tree edits go one at a time.
# Whoever reads or locks a unit's row before writing the tree (treebeard locks the parent
# FOR UPDATE before it adds a child; organization_update reads the unit FOR UPDATE) takes it
# first, or it would hold that row while waiting for another edit that needs the row.
TREE_LOCK_KEY = 2025_0701


class TreeBusyError(Exception):
    """The tree's lock was not free within the wait given (another reorganisation saving)."""


def lock_tree(*, wait_seconds: float | None = None) -> None:
    """Take the tree's lock for the current transaction (PostgreSQL; nothing elsewhere).
    `wait_seconds`: give up after that long (TreeBusyError) instead of queueing behind an
    import's whole transaction — PostgreSQL's own lock_timeout, so the waiter stays in the lock
    queue and in pg_locks; None waits."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if wait_seconds is None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])
            return
        cursor.execute("SELECT current_setting('lock_timeout')")
        before = cursor.fetchone()[0]
        try:
            with transaction.atomic():  # a savepoint: a timeout leaves the caller's work usable
                cursor.execute(
                    "SELECT set_config('lock_timeout', %s, true)", [f"{int(wait_seconds * 1000)}ms"]
                )
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
                raise TreeBusyError from exc
            raise
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [before])


def _with_tree_lock(method):
    """A treebeard write with the tree's lock taken before treebeard locks anything."""

    def locked(self, *args, **kwargs):
        with transaction.atomic():
            lock_tree()
            return method(self, *args, **kwargs)

    locked.__name__ = method.__name__
    return locked


class OrganizationManager(MP_NodeManager):
    # treebeard's manager builds its own queryset class, so from_queryset() would not reach it.
    def get_queryset(self):
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")

    def existing_on(self, day):
        return self.get_queryset().existing_on(day)

    # Every way treebeard changes the tree (the node methods and the admin call these).
    add_root = _with_tree_lock(MP_NodeManager.add_root)
    add_child = _with_tree_lock(MP_NodeManager.add_child)
    add_sibling = _with_tree_lock(MP_NodeManager.add_sibling)
    move = _with_tree_lock(MP_NodeManager.move)


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
    # Where this unit's rows count on today's tree (the dashboard's "mapped" years): the final
    # successor (end of the successor chain) of its deepest dissolved ancestor-or-self that
    # has one; for a dissolved unit with a successor, its own final successor. Null: it counts
    # where it is. Derived, never edited: kept by PostgreSQL triggers on this table (migration
    # cells 0006, `pb_org_maps_refresh`), whatever changed the tree; unset on SQLite, where the
    # dashboard resolves the chain in Python.
    maps_to = models.ForeignKey(
        "self",
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
    )
    # The depth of the deepest unit above both this one and its `maps_to` (their paths'
    # common steps); null when unmapped. A unit counts inside a node N from outside it exactly
    # when its target is under N and this is below N's depth: a mapped page finds those units
    # among the few that map across a deep boundary instead of joining every mapped unit of
    # the country to N's subtree. Kept with `maps_to` (migration cells 0008).
    maps_across = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    # `maps_to`'s path, kept beside it (cells 0011): with `maps_across`, a mapped page reads
    # exactly the units counting inside its node from outside, an index range per depth, even
    # when whole provinces merged (2025) and most units of the country map across the root.
    maps_to_path = models.CharField(  # noqa: DJ001 - null exactly when maps_to is
        max_length=255, null=True, blank=True, editable=False
    )
    document_abbreviation = models.CharField(
        _("document abbreviation"), max_length=10, blank=True, help_text=_("e.g. ĐU, CB")
    )
    name_sort_key = VietnameseSortKeyField(source="name", whole_text=True)

    node_order_by = ["code"]

    objects = OrganizationManager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        indexes = [
            # A mapped dashboard asks whether a recorded dissolution is not yet in force
            # (assessments.indicators.scope): a handful of rows, read on every mapped page.
            models.Index(
                fields=["dissolved_on"],
                condition=Q(successor__isnull=False),
                name="org_dissolved_with_successor",
            ),
            # A node's children (depth + 1 under its path): treebeard's get_children and the
            # dashboard's rows. Under a province every row matches the path prefix, so the
            # path index alone scans the table: 14 ms for 198 children of 28,190 units, 0.4 ms
            # with this one. Small (one row a unit), built in well under a second.
            models.Index(
                fields=["depth", "path"],
                opclasses=["int4_ops", "varchar_pattern_ops"],
                name="org_depth_path_idx",
            ),
            # The units that count inside a node from outside it (`maps_across`, then the
            # target's path by prefix).
            models.Index(
                fields=["maps_across", "maps_to_path"],
                opclasses=["int2_ops", "varchar_pattern_ops"],
                condition=Q(maps_to__isnull=False),
                name="org_maps_across_path_idx",
            ),
        ]
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

    # Derived by the database (cells 0006–0011), never written back from Python: a full save
    # of a unit read before a concurrent refresh (the admin's form) would put the old mapping
    # back, and the triggers see no change in path, dissolution or successor to redo it.
    DERIVED_FIELDS = frozenset({"maps_to", "maps_across", "maps_to_path"})

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is None and not self._state.adding and self.pk:
            skip = self.DERIVED_FIELDS | self.get_deferred_fields()  # as Django skips deferred
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in skip
            ]
        super().save(*args, **kwargs)

    @property
    def is_cell(self) -> bool:
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
