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
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from cells.choices import CELL_TYPES, COMMUNE_LEVEL_TYPES, OrganizationType
from cells.models import Organization

SELF = ""  # the bucket of rows that belong to the node itself, not to one of its children
_MAX_CHAIN = 5  # merges of merges: the chain of successors is short in practice


def year_end(year: int) -> datetime.date:
    """The day a year's tree is read on (the rating period's end, DOMAIN §4)."""
    return datetime.date(year, 12, 31)


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
        return (self.established_on is None or self.established_on <= day) and (
            self.dissolved_on is None or day <= self.dissolved_on
        )

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
    _orgs: dict[str, OrgInfo] | None = field(init=False, default=None)
    _by_id: dict[int, OrgInfo] | None = field(init=False, default=None)
    _children: dict[str, OrgInfo] | None = field(init=False, default=None)
    _bucket_cache: dict[str, str | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        roots = [self.node.path]
        if self.mapped:
            roots += self._predecessor_roots()
        self.roots = _intersect(roots, self.allowed_roots)

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
        found = []
        for path in self.orgs:
            where = self.bucket(path)
            if where is not None and (bucket is None or where == bucket):
                found.append(path)
        return found
