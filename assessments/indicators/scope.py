"""What a dashboard number counts: a node's subtree on a year's tree, or mapped onto today's units.

A `Scope` fetches the tree metadata once (one query, plus one per level of merge chains) and
answers, for any counted row's organization path, which child of the node it rolls up to
(its *bucket*). Every family of indicators then groups in SQL or in Python by organization
path and adds its counts into buckets, so the number of queries never depends on the number
of children.

Merge mapping (DOMAIN §2): a counted organization goes to the successor of its deepest
ancestor-or-self that is dissolved and has a successor (following the chain to a unit that
still exists); with no such ancestor it stays where it was. A unit whose successor lies
outside the node's subtree no longer belongs to the node and is left out.

On PostgreSQL that rule is stored per unit (`Organization.maps_to`, kept by triggers), so a
mapped scope reads only the units it meets and the tallies group by it in SQL. The chain is
resolved in Python instead (the whole subtree loaded once) on SQLite and while a recorded
dissolution is not yet in force (dated today or later: the stored rule applies them all).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from cells.choices import CELL_TYPES, COMMUNE_LEVEL_TYPES, OrganizationType
from cells.models import Organization

SELF = ""  # the bucket of rows that belong to the node itself, not to one of its children
_MAX_CHAIN = 5  # merges of merges: the chain of successors is short in practice


def year_end(year: int) -> datetime.date:
    """The day a year's tree is read on (the rating period's end, DOMAIN §4)."""
    return datetime.date(year, 12, 31)


def exists_on(
    established: datetime.date | None, dissolved: datetime.date | None, day: datetime.date
) -> bool:
    """Whether a unit with these dates exists on `day` (both ends included, None: open)."""
    return (established is None or established <= day) and (dissolved is None or day <= dissolved)


@dataclass(frozen=True, slots=True)
class OrgInfo:
    """The tree facts of one organization that the indicators need."""

    id: int
    path: str
    depth: int
    code: str
    name: str
    name_sort_key: str
    type: str
    is_grassroots: bool
    established_on: datetime.date | None
    dissolved_on: datetime.date | None
    successor_id: int | None

    def exists_on(self, day: datetime.date) -> bool:
        return exists_on(self.established_on, self.dissolved_on, day)

    @property
    def is_cell(self) -> bool:
        return self.type == OrganizationType.CELL

    @property
    def holds_members(self) -> bool:
        return self.type in CELL_TYPES

    @property
    def is_commune_level(self) -> bool:
        return self.type in COMMUNE_LEVEL_TYPES


_ORG_FIELDS = (
    "id",
    "path",
    "depth",
    "code",
    "name",
    "name_sort_key",
    "type",
    "is_grassroots",
    "established_on",
    "dissolved_on",
    "successor_id",
)


def path_q(roots, field: str = "path") -> Q:
    """Rows whose `field` starts with one of `roots` (an empty list matches nothing)."""
    q = Q(pk__in=[])
    for root in roots:
        q |= Q(**{f"{field}__startswith": root})
    return q


def _mapping_stored(today: datetime.date) -> bool:
    """Whether a mapped scope can read `Organization.maps_to`: on PostgreSQL (its triggers
    keep it), unless a recorded dissolution with a successor is not yet in force today."""
    if connection.vendor != "postgresql":
        return False
    return not Organization.objects.filter(
        successor__isnull=False, dissolved_on__gte=today
    ).exists()


def _roots_map_alone(roots: list[str]) -> bool:
    """Whether no root unit takes its stored mapping from an ancestor above it (a unit
    outside the roots, which the chain walk would not see)."""
    return not (
        Organization.objects.filter(path__in=roots, maps_to__isnull=False)
        .exclude(dissolved_on__isnull=False, successor__isnull=False)
        .exists()
    )


def _intersect(roots: list[str], allowed: list[str] | None) -> list[str]:
    """The parts of the `roots` subtrees that lie in the `allowed` subtrees (None: all)."""
    if allowed is None:
        return roots
    found = set()
    for root in roots:
        for ok in allowed:
            if root.startswith(ok):
                found.add(root)
            elif ok.startswith(root):
                found.add(ok)
    return sorted(p for p in found if not any(p != q and p.startswith(q) for q in found))


@dataclass
class Scope:
    """A node, how its years are read, and the tree facts to roll rows up to its children."""

    # Set only by the tallies' per-unit scope (`tally._UnitScope`): count exactly these units
    # instead of the subtrees of `roots` (read by `grouped.scope_where`).
    exact_paths = None

    node: Organization
    mapped: bool = False
    include_proposals: bool = False
    allowed_roots: list[str] | None = None  # the user's visible subtrees (None: everything)
    today: datetime.date = field(default_factory=timezone.localdate)
    roots: list[str] = field(init=False)
    # The roots are the node's whole subtree (and, mapped, every unit counting inside it):
    # the user's visible subtrees cut nothing off (the roll-ups can serve the page).
    whole: bool = field(init=False, default=False)
    _orgs: dict[str, OrgInfo] | None = field(init=False, default=None)
    _by_id: dict[int, OrgInfo] | None = field(init=False, default=None)
    _children: dict[str, OrgInfo] | None = field(init=False, default=None)
    _bucket_cache: dict[str, str | None] = field(init=False, default_factory=dict)
    # Mapped on the stored `maps_to` (see the module's docstring); unit path → the path its
    # rows count under, for the units met so far.
    mapping_stored: bool = field(init=False, default=False)
    _maps: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        roots = [self.node.path]
        if self.mapped:
            # Stored only where it gives what the chain walk gives: the walk sees the
            # dissolutions inside the scope's roots only, the stored rule every ancestor's.
            self.mapping_stored = _mapping_stored(self.today) and self.node.maps_to_id is None
            if self.mapping_stored:
                unrestricted = roots + self._stored_predecessor_roots()
                self.roots = _intersect(unrestricted, self.allowed_roots)
                self.whole = set(self.roots) == set(unrestricted)
                if self.allowed_roots is None or _roots_map_alone(self.roots):
                    return
                self.mapping_stored = False
            roots += self._predecessor_roots()
        self.roots = _intersect(roots, self.allowed_roots)
        self.whole = set(self.roots) == set(roots)

    # The whole subtree (28,000 units in a large province) is loaded only when needed: merge
    # mapping and the lists behind a number. The page's counts are keyed by the child's path
    # prefix and need only the children.
    @property
    def orgs(self) -> dict[str, OrgInfo]:
        if self._orgs is None:
            rows = Organization.objects.filter(path_q(self.roots)).values_list(*_ORG_FIELDS)
            self._orgs = {row[1]: OrgInfo(*row) for row in rows}
        return self._orgs

    @property
    def by_id(self) -> dict[int, OrgInfo]:
        if self._by_id is None:
            self._by_id = {info.id: info for info in self.orgs.values()}
        return self._by_id

    def child_info(self, path: str) -> OrgInfo | None:
        """A child of the node (on any year's tree) by path."""
        if self._orgs is not None:
            return self._orgs.get(path)
        if self._children is None:
            rows = Organization.objects.filter(
                path_q(self.roots), path__startswith=self.node.path, depth=self.node.depth + 1
            ).values_list(*_ORG_FIELDS)
            self._children = {row[1]: OrgInfo(*row) for row in rows}
        return self._children.get(path)

    # --- scope --------------------------------------------------------------------------------
    def _predecessor_roots(self) -> list[str]:
        """Subtrees of units outside the node whose successor chain ends inside it."""
        found: list[str] = []
        targets = [self.node.path]
        for _ in range(_MAX_CHAIN):
            new = list(
                Organization.objects.filter(path_q(targets, "successor__path"))
                .exclude(path_q([self.node.path, *found]))
                .values_list("path", flat=True)
            )
            if not new:
                break
            found += new
            targets = new
        return [p for p in found if not any(p != q and p.startswith(q) for q in found)]

    def _stored_predecessor_roots(self) -> list[str]:
        """`_predecessor_roots` from the stored mapping: units outside the node whose rows
        count inside it (one query)."""
        # Outside the node exactly when the unit and its target part above the node's depth
        # (`maps_across`): for each such depth, the range of targets under the node
        # (`maps_to_path`, one index: org_maps_across_path_idx), not every mapped unit.
        found = list(
            Organization.objects.filter(
                maps_to__isnull=False,
                maps_across__in=list(range(self.node.depth)),
                maps_to_path__startswith=self.node.path,
            )
            .exclude(path__startswith=self.node.path)
            .values_list("path", flat=True)
        )
        return [p for p in found if not any(p != q and p.startswith(q) for q in found)]

    def prefetch(self, paths) -> None:
        """Read the stored mapping of these units at once (one query; nothing when the
        mapping is resolved in Python), so `bucket` never asks per row."""
        if not self.mapping_stored:
            return
        wanted = [p for p in set(paths) if p not in self._maps]
        if not wanted:
            return
        org = Organization._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT c.path, m.path FROM {org} c LEFT JOIN {org} m ON m.id = c.maps_to_id "  # noqa: S608
                "WHERE c.path = ANY(%s)",
                [wanted],
            )
            for path, target in cursor.fetchall():
                self._maps[path] = target or path

    def in_roots(self, path: str) -> bool:
        return any(path.startswith(root) for root in self.roots)

    def q(self, field: str = "path") -> Q:
        """Filter for rows whose organization path (`field`) is in scope."""
        return path_q(self.roots, field)

    @property
    def child_len(self) -> int:
        return len(self.node.path) + Organization.steplen

    # --- roll-up ------------------------------------------------------------------------------
    def _resolve(self, path: str) -> str | None:
        """The path the row of organization `path` counts under (merge mapping applied)."""
        if not self.mapped:
            return path
        if self.mapping_stored:
            if path not in self._maps:
                self.prefetch([path])
            resolved = self._maps.get(path, path)
            # A target the user may not see (or outside the scope) is not counted, as when
            # the chain is followed through the scope's own units below.
            return resolved if self.in_roots(resolved) else None
        step = Organization.steplen
        for depth in range(len(path) // step, 0, -1):
            info = self.orgs.get(path[: step * depth])
            if info is None or info.successor_id is None:
                continue
            if info.dissolved_on is None or info.dissolved_on >= self.today:
                continue
            target = self.by_id.get(info.successor_id)
            for _ in range(_MAX_CHAIN):
                if target is None or target.dissolved_on is None or target.successor_id is None:
                    break
                target = self.by_id.get(target.successor_id)
            return target.path if target is not None else None
        return path

    def bucket(self, path: str) -> str | None:
        """The child path (or SELF) a row of organization `path` rolls up to; None: not counted."""
        if path in self._bucket_cache:
            return self._bucket_cache[path]
        resolved = self._resolve(path)
        node_path = self.node.path
        if resolved is None or not resolved.startswith(node_path):
            result = None
        elif len(resolved) <= len(node_path):
            result = SELF
        else:
            result = resolved[: self.child_len]
        self._bucket_cache[path] = result
        return result

    def children(self, year: int) -> list[OrgInfo]:
        """The node's children on the year's tree, or today's children when mapped."""
        day = self.today if self.mapped else year_end(year)
        depth = self.node.depth + 1
        if self._orgs is None:
            self.child_info(self.node.path)
            candidates = self._children.values()
        else:
            candidates = self._orgs.values()
        found = [
            info
            for info in candidates
            if info.depth == depth and info.path.startswith(self.node.path) and info.exists_on(day)
        ]
        return sorted(found, key=lambda i: (i.name_sort_key, i.path))

    def paths_in_bucket(self, bucket: str | None) -> list[str]:
        """Every organization path in scope that rolls up to `bucket` (None: the whole node)."""
        self.prefetch(self.orgs)
        found = []
        for path in self.orgs:
            where = self.bucket(path)
            if where is not None and (bucket is None or where == bucket):
                found.append(path)
        return found
