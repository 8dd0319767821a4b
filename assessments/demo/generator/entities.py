"""The dataclasses of a generated province's plan, and the rates and sizes it is drawn with."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from cells.choices import EventKind, OrganizationType

from ... import rules
from ..province_data import (
    HAMLET_NAMES,
)

T = OrganizationType
D = datetime.date
DAY = datetime.timedelta(days=1)

# Sizes of cells (members on the reference day), by kind.
CELL_SIZES = {
    "hamlet": (14, 46),
    "joint": (30, 60),
    "school": (8, 18),
    "clinic": (6, 14),
    "centre": (20, 45),
}
# How many old communes a 2025 commune-level unit merged (nationally ≈ 10,000 → 3,321).
MERGE_WEIGHTS = {1: 10, 2: 35, 3: 40, 4: 15}
OLD_COMMUNES_PER_DISTRICT = 16
WARD_SHARE = 0.22
JOINT_CELL_SHARE = 0.08  # hamlet cells covering two hamlets
MERGED_PAIR_SHARE = 0.06  # pairs of old hamlet cells merged into one 2025 cell
SPLIT_CELL_SHARE = 0.02  # old cells founded during the years, split off a sibling
GAP_UNIT_SHARE = 0.03  # residential units with no cell yet (Resolution 22 gap)
# Yearly rates among current members.
LEAVER_RATE = 0.009  # deaths, transfers out, struck off
DISCIPLINE_RATE = 0.004
SUSPENSION_RATE = 0.0004
SICK_LEAVE_SHARE = 0.05
MATERNITY_SHARE = 0.15
EXEMPT_SHARE_OVER_75 = 0.3

# The event kinds the member rules read (as assessments.facts.RULE_EVENT_KINDS).
RULE_EVENT_KINDS = frozenset(
    {EventKind.DISCIPLINE, EventKind.EXEMPTION, EventKind.SUSPENSION, EventKind.SICK_LEAVE}
)
_WORDS = sorted({w for name in HAMLET_NAMES for w in name.split()})


@dataclass(eq=False)
class Org:
    """A node of the plan; `id`, `path`, `depth` are filled in by the writer."""

    code: str
    name: str
    type: str
    parent: Org | None
    established_on: datetime.date
    dissolved_on: datetime.date | None = None
    is_grassroots: bool = False
    kind: str = ""  # hamlet · joint · school · clinic · centre for cells
    successor: Org | None = None
    split_from: Org | None = None  # a sibling the cell's first members came from
    units: list[str] = field(default_factory=list)
    place: str = ""
    size: int = 0
    children: list[Org] = field(default_factory=list)
    predecessors: list[Org] = field(default_factory=list)
    id: int = 0
    path: str = ""
    depth: int = 0

    @property
    def abbreviation(self) -> str:
        if self.type in (T.CELL, T.GRASSROOTS_CELL):
            return "CB"
        return {T.PROVINCE: "TU", T.DISTRICT: "HU"}.get(self.type, "ĐU")

    def active_on(self, day: datetime.date) -> bool:
        return self.established_on <= day and (
            self.dissolved_on is None or day <= self.dissolved_on
        )


@dataclass(eq=False)
class Person:
    """A member: the record, the cells they belonged to (cell, start, end) and their events."""

    fields: dict
    memberships: list[tuple[Org, datetime.date, datetime.date | None]] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    rule_events: tuple[rules.EventFact, ...] = ()
    id: int = 0

    def cell_on(self, day: datetime.date) -> Org | None:
        # The latest start wins, as members_of and the rating seeders read it.
        found = None
        for cell, start, end in self.memberships:
            if start <= day and (end is None or day <= end):
                found = cell
        return found


@dataclass
class Plan:
    province: Org
    orgs: list[Org]  # parents before children
    people: list[Person]
    units: list[tuple[str, str, Org, Org | None]]  # (name, kind, commune, cell)
    posts: list[tuple] = field(default_factory=list)  # (person, kind, title, org, start, end, head)
    followers: list[tuple] = field(default_factory=list)  # (person, cell, start, end)
    terms: list[tuple[Org, int, int]] = field(default_factory=list)
    first_year: int = 2016
    last_year: int = 2025
    reference_day: datetime.date = D(2025, 12, 1)

    def cells(self) -> list[Org]:
        return [o for o in self.orgs if o.type in (T.CELL, T.GRASSROOTS_CELL)]
