"""Resolution 22 indicators (DOMAIN §6), computed on request from the rated and approved data.

Public API:
- `Scope(node=…, mapped=…, include_proposals=…, allowed_roots=…)`: what is counted.
- `compute(scope=…, years=[…])` → `Results`: every counter of every family for those years,
  per child of the node; one query per family whatever the number of children.
- `Results.value(formula, year, bucket=None)`: an indicator's value (Decimal, 2 places).
- `drill(scope=…, year=…, counter=…, bucket=…)` → `(kind, queryset)`: the units or members
  behind a number.
- `ensure_indicator_catalogue()`: the indicator rows (idempotent; seed and migration call it).

Counts come from per-unit tallies kept fresh by database triggers (`tally`) when they cover
the years asked, else from grouped SQL (`grouped`), else from the per-item families (SQLite).
The rule for which level counts is in `families` (decided rounds only, unless proposals are
included); the arithmetic in `catalogue.FORMULAS`; the tree and merge mapping in `scope`.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from cells.models import Member, Organization, ResidentialUnit

from . import families, grouped, tally
from .catalogue import CATALOGUE, FORMULAS, Formula, ensure_indicator_catalogue
from .scope import SELF, OrgInfo, Scope, year_end

__all__ = [
    "CATALOGUE",
    "FORMULAS",
    "SELF",
    "Formula",
    "OrgInfo",
    "Results",
    "Scope",
    "compute",
    "drill",
    "ensure_indicator_catalogue",
    "tally",
    "year_end",
]

# A child with no counts: one shared empty mapping (a table asks for ≈ 1,800 of them).
_NOTHING: Mapping[str, int] = MappingProxyType({})


@dataclass
class Results:
    """Counters per (year, bucket) for a scope; values are derived on demand."""

    scope: Scope
    years: list[int]
    counts: dict[tuple[int, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    as_of: datetime.datetime | None = None

    _totals: dict[int, Counter] = field(default_factory=dict, init=False, repr=False, compare=False)

    def counters(self, year: int, bucket: str | None = None) -> Mapping[str, int]:
        """The counters of one child (bucket) or, with None, of the whole node: read only, and
        read with `.get` (a child without counts shares one empty mapping, not a Counter)."""
        if bucket is not None:
            return self.counts.get((year, bucket), _NOTHING)
        if year not in self._totals:  # asked once per indicator: add the children up once
            total: Counter = Counter()
            for (y, _b), found in self.counts.items():
                if y == year:
                    total.update(found)
            self._totals[year] = total
        return self._totals[year]

    def value(self, formula: str, year: int, bucket: str | None = None) -> Decimal | None:
        return FORMULAS[formula].value(self.counters(year, bucket))

    def parts(self, formula: str, year: int, bucket: str | None = None):
        return FORMULAS[formula].parts(self.counters(year, bucket))

    def value_and_parts(self, formula: str, year: int, bucket: str | None = None):
        """(value, numerator, denominator), the counters summed once (a children table asks
        for ≈ 1,800 of them)."""
        return FORMULAS[formula].value_and_parts(self.counters(year, bucket))

    def buckets(self, year: int) -> set[str]:
        return {b for (y, b) in self.counts if y == year}


def compute(*, scope: Scope, years: list[int]) -> Results:
    """Every family over the scope for `years`, rolled up to the node's children."""
    years = sorted(set(years))
    results = Results(scope=scope, years=years)
    moments = []
    found_all = _facts(scope, years)
    if scope.mapped:  # the stored mapping of every unit met, in one query
        scope.prefetch({f.path for found in found_all if not found.bucketed for f in found.facts})
    for found in found_all:
        moments.append(found.as_of)
        for key, counts in found.counts.items():
            if key[0] in years:
                results.counts[key].update(counts)
        for fact in found.facts:
            bucket = fact.path if found.bucketed else scope.bucket(fact.path)
            if bucket is not None and fact.year in years:
                results.counts[(fact.year, bucket)][fact.counter] += fact.n
    known = [m for m in moments if m is not None]
    results.as_of = max(known) if known else timezone.now()
    return results


def _facts(scope: Scope, years: list[int]) -> list[families.FamilyResult]:
    """Where the counts come from: the tallies when they cover the years (PostgreSQL, built),
    else grouped SQL (PostgreSQL), else the per-item families (the SQLite demo). All three
    apply the same rules; tests check that they agree."""
    if tally.covers(years):
        return tally.compute_facts(scope, years)
    if connection.vendor == "postgresql":
        return grouped.facts_for(scope, years)
    return families.facts_for(scope, years)


def drill(
    *, scope: Scope, year: int, counter: str, bucket: str | None = None
) -> tuple[str, QuerySet]:
    """The list behind a counter: ("organization" | "member" | "residential_unit", queryset).

    Uses the same family (hence the same rule and the same roll-up) as the number itself.
    """
    prefix = counter.split(".", 1)[0]
    family, kind = families.FAMILY_OF_PREFIX[prefix]
    if prefix in families.SQL_MEMBER_LISTS:
        paths = None if bucket is None and not scope.mapped else scope.paths_in_bucket(bucket)
        return kind, families.SQL_MEMBER_LISTS[prefix](scope, year, counter, paths)
    ids = set()
    for fact in family(scope, [year]).facts:
        if fact.counter != counter or fact.year != year:
            continue
        where = scope.bucket(fact.path)
        if where is not None and (bucket is None or where == bucket):
            ids.add(fact.item_id)
    model = {"organization": Organization, "member": Member, "residential_unit": ResidentialUnit}
    return kind, model[kind].objects.filter(pk__in=ids)
