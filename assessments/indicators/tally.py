"""Tallies: the heavy indicator families counted per unit and year ahead of the page.

Why: a province page counts ≈ 2 million source rows (two years of member ratings, memberships,
meetings, posts, admissions) — about 2 s on PostgreSQL however it is grouped. Summing one row
per unit and year (`IndicatorTally`, ≈ 28,000 units in a large province) takes ≈ 80 ms.

Exact and live, with no nightly batch:
- A unit's tally rows are computed by the same grouped SQL as the live path (`grouped`),
  keyed by the unit's own path instead of rolled up, so both count by the same rules. The
  families are written so that a unit's counts do not depend on the scope asked (a member is
  counted in one official membership; an admission in one cell chosen among all the
  member's memberships), which is what lets per-unit counts add up.
- Triggers on the tables those families read append marks for the units a statement may
  have changed (`IndicatorTallyDirty`, migration 0006 says which); before counting, a read
  recomputes the marked units under its node, in its own transaction. A decision shows on the
  next read; a minute job (`tallies_refresh_marked`) usually gets there first.
- Counted live instead: years outside `IndicatorTallyWindow`, a database never rebuilt,
  tallies computed by other counting code (`rules_fingerprint`: after a release, until the
  nightly `tallies_rebuild_if_stale`), SQLite (the demo), and a read that finds another
  transaction recomputing — readers never wait.

Above the tallies, the roll-ups (`rollups`): the tallies of everything below a unit, summed,
kept by triggers on the tally table, so a province or national page reads one row per child
instead of every unit below it.

Concurrency: one refresher at a time (a transaction-level advisory lock, tried, not waited
for). It claims only committed marks (DELETE … RETURNING) and then counts; a writer still in
flight keeps its own mark (append-only: no unique key to merge on or wait for), so its change
is counted by the read after its commit.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import inspect
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from cells.models import Organization
from partybuild import replicas

from .. import schemes
from ..models import (
    TALLY_COUNTERS,
    IndicatorRollup,
    IndicatorTally,
    IndicatorTallyDirty,
    IndicatorTallyWindow,
    tally_column,
)
from . import counters, families, grouped, rollups
from .families import FamilyResult
from .scope import SELF, Scope

# Families whose counts are tallied, and those counted live on every read (small tables).
TALLIED = (
    grouped.organizations_existing,
    grouped.organization_ratings,
    grouped.member_ratings,
    grouped.member_counts,
    grouped.admissions,
    grouped.cadres,
    grouped.cell_meetings,
    # Small (≈ 15,000 rows a province) but counted per unit with a join to every cell's
    # other units: live it was a fifth of the province page's SQL.
    grouped.residential_units,
)
LIVE = (grouped.new_rural,)
# Families whose counts depend on the dashboard's proposals switch (one tally row per basis).
BY_BASIS = (grouped.organization_ratings, grouped.member_ratings)

ORG = Organization._meta.db_table
TALLY = IndicatorTally._meta.db_table
DIRTY = IndicatorTallyDirty._meta.db_table
COLUMNS = [tally_column(c) for c in TALLY_COUNTERS]
_LOCK_KEY = 220_2008  # pg_advisory_xact_lock key of tally refreshes (Resolution 22, 2008)


@dataclass
class _UnitScope:
    """What the grouped families need to count units one by one: the units' own paths (or
    every unit), keyed by full path (`mapped`), on one basis."""

    exact_paths: list[str] | None
    include_proposals: bool
    mapped: bool = True
    roots: list[str] = field(default_factory=lambda: [""])


def expected_window(today: datetime.date | None = None) -> tuple[int, int]:
    """First and last tallied year: from the setting to next year (ratings of the year in
    progress and, around New Year, the one starting)."""
    today = today or timezone.localdate()
    return settings.INDICATOR_TALLY_FIRST_YEAR, today.year + 1


def window() -> IndicatorTallyWindow | None:
    """The tallies' window, if they are built and were computed by this code."""
    if connection.vendor != "postgresql":
        return None
    found = IndicatorTallyWindow.objects.first()
    if found is None or found.fingerprint != rules_fingerprint():
        return None
    return found


def covers(years: Iterable[int]) -> bool:
    """Whether these years can be read from the tallies (else they are counted live)."""
    found = window()
    years = list(years)
    return found is not None and found.first_year <= min(years) and max(years) <= found.last_year


@functools.cache
def rules_fingerprint() -> str:
    """A digest of the code that decides what the tallies hold: the counting SQL and rules
    (`grouped`, `families`, `counters`), the schemes' levels, the tallied counters. A release that
    changes any of them makes the stored tallies stale at once (the dashboard counts live)
    until the nightly job rebuilds them."""
    digest = hashlib.sha256()
    for module in (grouped, families, counters, schemes):
        digest.update(inspect.getsource(module).encode())
    digest.update(rollups.fingerprint_source().encode())
    digest.update(repr((TALLY_COUNTERS, [f.__name__ for f in TALLIED])).encode())
    return digest.hexdigest()


# --- computing ------------------------------------------------------------------------------
def _counted(paths: list[str] | None, years: list[int], roots: list[str] | None = None):
    """Counters per (unit path, year, with proposals) of the units `paths` (None: all, or all
    under `roots`), and the latest change of the ratings counted per (year, unit path)."""
    wanted = set(years)
    found: dict[tuple[str, int, bool], Counter] = defaultdict(Counter)
    changed: dict[tuple[int, str], datetime.datetime] = {}
    for with_proposals in (False, True):
        scope = _UnitScope(exact_paths=paths, include_proposals=with_proposals, roots=roots or [""])
        for family in TALLIED:
            by_basis = family in BY_BASIS
            if with_proposals and not by_basis:
                continue
            bases = (with_proposals,) if by_basis else (False, True)
            result = family(scope, years)
            for key, moment in result.changed.items():
                if changed.get(key) is None or moment > changed[key]:
                    changed[key] = moment
            for fact in result.facts:
                if not fact.n or fact.year not in wanted:
                    continue
                if fact.counter not in TALLY_COUNTERS:
                    raise ValueError(f"counter {fact.counter!r} has no tally column")
                for basis in bases:
                    found[(fact.path, fact.year, basis)][fact.counter] += fact.n
    return found, changed


def tallies_count(
    *, roots: list[str] | None = None, paths: list[str] | None = None, today=None
) -> tuple[dict, dict]:
    """The counts a rebuild writes, of the units under `roots` or of the units `paths`, for
    the expected window: a bulk load counts its subtrees in parallel processes and hands the
    merged counts to `tallies_rebuild(counted=…)` (no other writer may run meanwhile)."""
    first, last = expected_window(today)
    return _counted(paths, list(range(first, last + 1)), roots)


# The tally table's columns in the order `_tally_rows` builds them.
_ROW_COLUMNS = [
    "organization_id",
    "year",
    "with_proposals",
    "has_twin",
    "last_change",
    "ancestors",
    "mapped_ancestors",
    *COLUMNS,
]


def _write(ids: list[int] | None, paths: dict[str, int], years: list[int], counted=None) -> int:
    """Replace the tally rows of units `ids` (None: all) with freshly counted ones (or, all
    units, with those `counted` beforehand); returns the rows written."""
    counted, changed = counted or _counted(None if ids is None else list(paths), years)
    with connection.cursor() as cursor:
        # The roll-ups each row goes to (the triggers add and subtract them: rollups).
        anchors = rollups.anchors(paths.values() if ids is None else ids, cursor)
        rows = _tally_rows(counted, changed, paths, anchors)
        if ids is None:
            cursor.execute(f"DELETE FROM {TALLY}")  # noqa: S608 - table name from code
        else:
            rows = _keep_unchanged(cursor, ids, rows)
        if rows:
            statement = f"COPY {TALLY} ({', '.join(_ROW_COLUMNS)}) FROM STDIN"
            with cursor.cursor.copy(statement) as copy:
                for row in rows:
                    # The id tuples as lists: what psycopg writes as PostgreSQL arrays.
                    copy.write_row((*row[:5], list(row[5]), list(row[6]), *row[7:]))
    return len(rows)


def _tally_rows(counted: dict, changed: dict, paths: dict[str, int], anchors: dict) -> list[tuple]:
    """The tally rows of `counted`, in `_ROW_COLUMNS` order. Year by year: a page reads two
    years of ≈ 12, and rows laid out in that order fill a twelfth of the table's pages
    instead of nearly all of them."""
    rows = []
    for (path, year, basis), counts in sorted(
        counted.items(), key=lambda item: (item[0][1], item[0][2], item[0][0])
    ):
        unit = paths.get(path)
        # Every rating adds `*.total` on both bases, so a unit-year with ratings has both rows
        # in `counted`; one without has only the official row.
        twin = counted.get((path, year, not basis))
        if unit is None or (basis and twin == counts):
            continue  # proposals that change nothing: the official row serves both
        has_twin = not basis and twin is not None and twin != counts
        rows.append(
            (unit, year, basis, has_twin, changed.get((year, path)), *anchors[unit])
            + tuple(counts.get(c, 0) for c in TALLY_COUNTERS)
        )
    return rows


def _keep_unchanged(cursor, ids: list[int], rows: list[tuple]) -> list[tuple]:
    """Delete the rows of units `ids` that `rows` does not hold as they are; returns the rows
    still to write. A decision changes one year of a unit's ≈ 13, and every row rewritten is
    taken out of and added to ≈ 8 roll-ups by the triggers (a commune's 112 cells: 1,221
    rows, 2,530 roll-up rows updated twice)."""
    cursor.execute(
        f"SELECT {', '.join(_ROW_COLUMNS)} FROM {TALLY} WHERE organization_id = ANY(%s)",  # noqa: S608
        [ids],
    )
    # The id lists as tuples, as `_tally_rows` builds them (NULL, before the roll-ups: none).
    before = {(*r[:5], tuple(r[5] or ()), tuple(r[6] or ()), *r[7:]) for r in cursor.fetchall()}
    gone = [row[:3] for row in before.difference(rows)]
    if gone:
        cursor.execute(
            f"DELETE FROM {TALLY} WHERE (organization_id, year, with_proposals) IN "  # noqa: S608
            "(SELECT * FROM unnest(%s::bigint[], %s::smallint[], %s::bool[]))",
            [list(column) for column in zip(*gone, strict=True)],
        )
    return [row for row in rows if row not in before]


def tallies_rebuild(*, today: datetime.date | None = None, counted=None) -> int:
    """Recompute every unit's tallies for the expected window; returns the rows written.
    `counted`: every unit's counts made beforehand (`tallies_count`, merged)."""
    if connection.vendor != "postgresql":
        return 0
    first, last = expected_window(today)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            # Claim the committed marks first: a change committed later leaves its own mark
            # (the marks are append-only) and is recomputed by the next read.
            cursor.execute(f"DELETE FROM {DIRTY}")  # noqa: S608 - table name from code
            # The roll-ups are summed once at the end, not row set by row set.
            rollups.install(cursor, _LOCK_KEY)
            rollups.pause(cursor)
        paths = dict(Organization.objects.values_list("path", "id"))
        written = _write(None, paths, list(range(first, last + 1)), counted)
        with connection.cursor() as cursor:
            rollups.rebuild(cursor)
        IndicatorTallyWindow.objects.all().delete()
        IndicatorTallyWindow.objects.create(
            first_year=first,
            last_year=last,
            rebuilt_at=timezone.now(),
            fingerprint=rules_fingerprint(),
        )
    return written


def tallies_vacuum() -> str | None:
    """Reclaim the rows a rebuild replaced and refresh the planner's statistics.

    A rebuild rewrites every row: until a VACUUM the table carries as many dead rows as live
    ones, and a province page read ≈ 28,000 pages instead of 19,000 (autovacuum gets there
    later, or never where an operator turned it off). VACUUM cannot run inside a
    transaction: there (tests, a caller's atomic block) the statistics alone are refreshed.
    Returns the statement run (None: not PostgreSQL, no tallies).
    """
    if connection.vendor != "postgresql":
        return None
    tables = f"{TALLY}, {rollups.ROLLUP}"
    statement = f"ANALYZE {tables}" if connection.in_atomic_block else f"VACUUM (ANALYZE) {tables}"
    with connection.cursor() as cursor:
        cursor.execute(statement)
    return statement


def tallies_rebuild_if_stale(*, today: datetime.date | None = None) -> bool:
    """Rebuild when the tallies were never built, were computed by other counting code, or
    their window no longer matches (New Year, a changed setting); the nightly job calls it."""
    if connection.vendor != "postgresql":
        return False
    found = window()
    if found is not None and (found.first_year, found.last_year) == expected_window(today):
        return False
    tallies_rebuild(today=today)
    tallies_vacuum()
    return True


def ensure_fresh(scope: Scope) -> bool:
    """Recompute the marked units in the scope's subtrees. False when another transaction
    is recomputing right now: the caller then counts this scope live (never waits)."""
    if not scope.roots:
        return True
    where, params = grouped.scope_where(scope, "c.path")
    if rollups.serves(scope):
        # Also the units that left the subtree (moved, mapped elsewhere): their rows are in
        # the node's roll-ups until they are rewritten.
        where, params = rollups.listing(where, params, scope)
    return _refresh_marked(where, params) is not None


def tallies_refresh_marked() -> int:
    """Recompute every marked unit (the minute job: most reads then find nothing to do);
    returns how many, 0 when another transaction is at it. Marks of deleted units (the
    marks have no foreign key) are dropped: no read would claim them, and every claim reads
    all the marks."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {DIRTY} d WHERE NOT EXISTS "  # noqa: S608 - names from code
            f"(SELECT 1 FROM {ORG} c WHERE c.id = d.organization_id)"
        )
    return _refresh_marked("TRUE", []) or 0


def _refresh_marked(where: str, params: list) -> int | None:
    """Claim the committed marks of units whose path matches `where` and recompute those
    units; the number of units, or None when the lock is taken by another refresh."""
    found = window()
    if found is None:
        return 0
    # The marks first, then their units: the marks are few (a round's cells), the tree is
    # large, and with the roll-ups' `listing` in `where` the planner would otherwise scan the
    # whole tree testing each unit (0.24–0.4 s at 1.3 M members for 114 marks).
    marked = (
        f"WITH m AS MATERIALIZED (SELECT DISTINCT organization_id FROM {DIRTY}) "  # noqa: S608
        f"SELECT c.id, c.path FROM m JOIN {ORG} c ON c.id = m.organization_id WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({marked})", params)  # noqa: S608
        if not cursor.fetchone()[0]:
            return 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            # One refresher at a time, and nobody waits: a reader that cannot have the lock
            # counts live (a rebuild holds it for a minute at province scale).
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return None
            # Only committed marks are seen and deleted: a writer still in flight keeps its
            # mark, and its rows are counted by the read after its commit.
            cursor.execute(
                f"WITH x AS MATERIALIZED ({marked}) "  # noqa: S608 - names from code
                f"DELETE FROM {DIRTY} d USING x WHERE d.organization_id = x.id "
                "RETURNING x.id, x.path",
                params,
            )
            claimed = set(cursor.fetchall())
        if claimed:
            # Written with raw SQL, which the router does not see: the rest of this request
            # reads the primary, where the recomputed tallies are.
            replicas.wrote()
            # By path (what the grouped SQL keys on). A unit moved after this claim marked
            # itself again (its path changed), so the next read redoes it.
            paths = {path: unit for unit, path in claimed}
            years = list(range(found.first_year, found.last_year + 1))
            _write(sorted(paths.values()), paths, years)
    return len(claimed)


# --- reading --------------------------------------------------------------------------------
def _rows_sql(scope: Scope) -> tuple[str, str, str, list]:
    """The FROM clause, the bucket key and a condition (with their parameters) of the page's
    sums.

    The bucketing of `Scope.bucket`, done in PostgreSQL so the page gets one row per child,
    not one per unit. Unmapped: the child-level prefix of the unit's path (the node's own path
    for its own rows). Mapped: the same prefix of the path of the unit its rows count under
    today (`Organization.maps_to`), kept only when that unit is the node's and in scope; or,
    where the mapping is resolved in Python (`Scope.mapping_stored` unset), every unit in
    scope bucketed once and the pairs joined by unit id.
    """
    child_len = int(scope.child_len)
    where, params = grouped.scope_where(scope, "c.path")
    if not scope.mapped:
        source = f"{TALLY} t JOIN {ORG} c ON c.id = t.organization_id AND {where}"
        return source, f"substring(c.path, 1, {child_len})", "TRUE", params
    if scope.mapping_stored:
        source = (
            f"{TALLY} t JOIN {ORG} c ON c.id = t.organization_id AND {where} "
            f"LEFT JOIN {ORG} m ON m.id = c.maps_to_id"
        )
        resolved = "coalesce(m.path, c.path)"
        in_scope, in_params = grouped.scope_where(scope, resolved)
        condition = f"starts_with({resolved}, %s) AND {in_scope}"
        return (
            source,
            f"substring({resolved}, 1, {child_len})",
            condition,
            [*params, scope.node.path, *in_params],
        )
    ids, buckets = [], []
    for info in scope.orgs.values():
        bucket = scope.bucket(info.path)
        if bucket is not None:
            ids.append(info.id)
            buckets.append(bucket)
    source = (
        f"{TALLY} t JOIN unnest(%s::bigint[], %s::text[]) AS m(id, bucket) "
        "ON m.id = t.organization_id"
    )
    return source, "m.bucket", "TRUE", [ids, buckets]


# Above this many units under the node the mapped sums are planned as hash joins.
MANY_UNITS = 2_000


def _many_units(cursor, scope: Scope) -> bool:
    """Whether the scope's units (the node's and the predecessors' merged into it) number more
    than MANY_UNITS (index scans, ≈ 2 ms for a province, capped so it never counts further)."""
    where, params = grouped.scope_where(scope, "c.path")
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {ORG} c WHERE {where} LIMIT %s) u",  # noqa: S608
        [*params, MANY_UNITS + 1],
    )
    return cursor.fetchone()[0] > MANY_UNITS


def facts_for(scope: Scope, years: list[int]) -> FamilyResult:
    """The tallied counters of the scope, rolled up to the node's children (the caller has
    brought the scope's tallies up to date: `ensure_fresh`): from the roll-ups where they
    serve the scope, else summed from every unit's tallies."""
    if rollups.serves(scope):
        return rollup_facts(scope, years)
    return summed_facts(scope, years)


def rollup_facts(scope: Scope, years: list[int]) -> FamilyResult:
    """`facts_for` from the roll-ups (the caller checked `rollups.serves(scope)`)."""
    alias = replicas.reading_alias(IndicatorTally)  # raw SQL is not routed
    params = {
        "depth": scope.node.depth,
        "path": grouped.like_prefix(scope.node.path),
        "years": list(years),
    }
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # ≈ 400 rows: compiling costs more than it saves
        cursor.execute(rollups.read_sql(scope.mapped, scope.include_proposals), params)
        rows = cursor.fetchall()
    summed, as_of = rollups.buckets(scope, rows)
    return FamilyResult([], as_of, bucketed=True, counts=summed)


def summed_facts(scope: Scope, years: list[int]) -> FamilyResult:
    """`facts_for` summing every unit's tallies (a scope the roll-ups do not serve; and what
    the roll-ups are checked against)."""
    source, key, condition, params = _rows_sql(scope)
    sums = ", ".join(f"sum(t.{column})::int" for column in COLUMNS)
    # An official row without a twin serves the proposals basis too (see IndicatorTally).
    basis = (
        "t.with_proposals OR NOT t.has_twin" if scope.include_proposals else "NOT t.with_proposals"
    )
    sql = f"""
        SELECT t.year, {key}, max(t.last_change), {sums}
        FROM {source}
        WHERE {condition} AND t.year = ANY(%s) AND ({basis})
        GROUP BY 1, 2
    """  # noqa: S608 - only table and column names from code; values are parameters
    node_path = scope.node.path
    as_of = None
    alias = replicas.reading_alias(IndicatorTally)  # raw SQL is not routed
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        # Summing ~60 columns over tens of thousands of rows looks costly to the planner,
        # whose JIT compilation then takes longer (≈ 1 s) than the query itself (≈ 60 ms).
        cursor.execute("SET LOCAL jit = off")
        # A province's two years are ≈ 42,000 rows of 70 sums: with the default 4 MB the
        # planner sorts them on disk to group them (75–90 ms); in memory it hashes (≈ 50 ms).
        cursor.execute("SET LOCAL work_mem = '32MB'")
        if scope.mapped and scope.mapping_stored and _many_units(cursor, scope):
            # The planner puts the filter on the mapped path at one row and then probes the
            # tallies once per unit (28,000 index scans, 1.2 s); a hash join takes 0.1 s.
            # (Under a commune, ~250 units, those probes are the fast plan: 2.7 ms vs 20.)
            cursor.execute("SET LOCAL enable_nestloop = off")
            # Estimating one row, it sorts the ~30,000 rows by the text key to group them
            # (≈ 25 ms with the database's collation); hashing them is cheaper (94 → 68 ms
            # for the 400,000-member province, EXPLAIN ANALYZE).
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(sql, [*params, list(years)])
        rows = cursor.fetchall()
    summed: dict[tuple[int, str], Counter] = {}
    for year, bucket, last, *counts in rows:
        bucket = SELF if bucket == node_path else bucket
        if last is not None and (as_of is None or last > as_of):
            as_of = last
        summed[(year, bucket)] = Counter(
            {counter: n for counter, n in zip(TALLY_COUNTERS, counts, strict=True) if n}
        )
    return FamilyResult([], as_of, bucketed=True, counts=summed)


def compute_facts(scope: Scope, years: list[int]) -> list[FamilyResult]:
    """Tallied families from the tallies, the others live; all live when the tallies of the
    scope cannot be brought up to date right now (another refresh holds the lock)."""
    if not ensure_fresh(scope):
        return grouped.facts_for(scope, years)
    return [facts_for(scope, years), *(family(scope, years) for family in LIVE)]


# --- checking -------------------------------------------------------------------------------
def differences(scope: Scope, years: list[int]) -> list[tuple[int, str, str, int, int]]:
    """(year, bucket, counter, tallied, live) wherever the tallies and a live count of the
    tallied families disagree for the scope (an empty list: they agree)."""
    tallied: Counter = Counter()
    if not ensure_fresh(scope):
        raise RuntimeError("another transaction is recomputing the tallies: try again")
    for (year, bucket), counts in facts_for(scope, years).counts.items():
        for counter, n in counts.items():
            tallied[(year, bucket, counter)] += n
    live: Counter = Counter()
    for family in TALLIED:
        for fact in family(scope, years).facts:
            bucket = scope.bucket(fact.path)
            if bucket is not None and fact.n and fact.year in years:
                live[(fact.year, bucket, fact.counter)] += fact.n
    return sorted(
        (*key, tallied[key], live[key])
        for key in set(tallied) | set(live)
        if tallied[key] != live[key]
    )


def status() -> dict:
    """What `indicator_tallies status` prints: the window, rows, units waiting."""
    found = IndicatorTallyWindow.objects.first()
    return {
        "window": None if found is None else f"{found.first_year}–{found.last_year}",
        "rebuilt_at": None if found is None else found.rebuilt_at,
        "same_counting_code": found is not None and found.fingerprint == rules_fingerprint(),
        "rows": IndicatorTally.objects.count(),
        "rollup_rows": IndicatorRollup.objects.count(),
        "marked_units": IndicatorTallyDirty.objects.count(),
    }
