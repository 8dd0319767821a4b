"""The HTXSNV quota by group, as the entry grid and the submission show it (pure Python).

The rules (assessments.rules, Q1) say whether a set of ratings breaks the quota. This module
answers what a person entering the ratings needs to act on: per quota group, how many HTXSNV
are proposed against how many are allowed, how many must come down, and how many of them
are in each cell. It works from counts (one grouped query over the round, see
assessments.grid), not from one input per member, so a cell's grid does not read the whole
organization's rows.

A group is identified by a key: `None` is the whole grassroots organization (the default
scope, DOMAIN §4.1), any other key is a peer group's code (the 2025 regime's "nhóm đối tượng
tương đồng", DOMAIN §4.3). The tally's `group` is where peer groups plug in: the grid fills
it with the member's peer group (assessments.peer_groups: by hand, else by rule), or with
`MemberRating.group` under the 2023–2024 per-group option. The ratio of each group comes
from the caller (`ratio_for`), which applies a recorded 25% ceiling decision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from assessments.schemes import GROUPED_QUOTA_SCOPES, Rank, RatingScheme


@dataclass(frozen=True, slots=True)
class LevelTally:
    """`count` members of `cell_id`, in quota group `group`, at level `level` ("" = none)."""

    group: str | None
    cell_id: int | None
    level: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaGroup:
    """One quota group's state: HTTNV and HTXSNV counted, the ceiling, HTXSNV per cell."""

    key: str | None
    good: int
    excellent: int
    max_excellent: int
    excellent_by_cell: Mapping[int | None, int] = field(default_factory=dict)
    ratio: Fraction | None = None
    ceiling: object | None = (
        None  # the recorded decision that raised the ratio (rules.QuotaCeiling)
    )

    @property
    def exceeded(self) -> bool:
        return self.excellent > self.max_excellent

    @property
    def excess(self) -> int:
        """How many HTXSNV proposals must come down for the group to be within its quota."""
        return max(0, self.excellent - self.max_excellent)

    def cells_over(self) -> list[tuple[int | None, int]]:
        """(cell, HTXSNV) of the cells holding HTXSNV proposals, most first."""
        return sorted(
            ((c, n) for c, n in self.excellent_by_cell.items() if n),
            key=lambda item: (-item[1], item[0] or 0),
        )


def group_key(scheme: RatingScheme, group: str | None) -> str | None:
    """The quota group a rating counts in under `scheme`: its peer group, or the whole unit."""
    if scheme.quota_scope in GROUPED_QUOTA_SCOPES:
        return group or None
    return None


def quota_ceiling(ratio: Fraction, good: int) -> int:
    """HTXSNV allowed for `good` HTTNV: integer arithmetic, rounded down (DOMAIN §4.1 Q1)."""
    return good * ratio.numerator // ratio.denominator


def quota_groups(
    scheme: RatingScheme,
    tallies: Iterable[LevelTally],
    *,
    ratio_for: Callable[[str | None], tuple[Fraction, object | None]] | None = None,
) -> list[QuotaGroup]:
    """The quota state of every group holding a rating, in key order (the whole unit first).

    `ratio_for(key)` gives a group's (ratio, ceiling decision); the scheme's ratio without.
    Empty when the scheme has no quota (before 2019, or a ratio not set).
    """
    if scheme.quota_ratio is None or not scheme.applies("Q1"):
        return []
    good: dict[str | None, int] = defaultdict(int)
    excellent: dict[str | None, int] = defaultdict(int)
    by_cell: dict[str | None, dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    for tally in tallies:
        key = group_key(scheme, tally.group)
        good[key] += 0
        if not tally.level or not scheme.is_member_level(tally.level):
            continue
        rank = scheme.level(tally.level).rank
        if rank == Rank.GOOD:
            good[key] += tally.count
        elif rank == Rank.EXCELLENT:
            excellent[key] += tally.count
            by_cell[key][tally.cell_id] += tally.count
    found = []
    for key in sorted(good, key=lambda k: (k is not None, k or "")):
        ratio, ceiling = ratio_for(key) if ratio_for else (scheme.quota_ratio, None)
        found.append(
            QuotaGroup(
                key=key,
                good=good[key],
                excellent=excellent[key],
                max_excellent=quota_ceiling(ratio, good[key]),
                excellent_by_cell=dict(by_cell[key]),
                ratio=ratio,
                ceiling=ceiling,
            )
        )
    return found
