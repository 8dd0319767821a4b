"""Roll-ups: the tallies of everything below a unit, summed ahead of the page (`IndicatorRollup`).

Why: with the tallies a province page still sums every unit below it (≈ 42,000 rows for its
two years, ≈ 150 ms at 400,000 members), and the national root sums every province's — a cost
that grows with the country (≈ 11× at 34 provinces), not with what the page shows. A page
needs one number per child: each child's own tally rows plus its roll-up, ≈ 400 rows.

Exact, by the tallies' own writes: triggers on the tally table (migration 0018; `install`
replaces the function they call) add every row
inserted to the roll-ups of the units listed on the row (`ancestors`, `mapped_ancestors`,
filled by `anchors` when the row is written) and subtract every row deleted from the units
listed on it then — so a unit moved or re-mapped since is taken out of its old ancestors and
put under its new ones when its marks are recomputed (the tree's triggers mark a unit whose
path or `maps_to` changes, and the units mapped onto a unit that moves). A read claims the
marks of units whose rows its node's roll-ups hold, wherever they are now (`listing`). A
rebuild switches the triggers off for its transaction (`pause`) and sums the table once.
`last_change` is never lowered by a removal: after a reopening or a deletion a page's "as of"
is the time of the latest change summed in, which may be later than the remaining rows'.

Two sums per unit, year and basis:
- plain: the units strictly below it (its own rows are its tally rows);
- mapped: the units whose rows count, on today's tree, at or below it (`maps_to`, else the
  unit itself), the unit's own rows left out — a child's mapped number is its own rows (when it
  is not itself mapped elsewhere) plus this sum, and the node's own is what its sum holds
  beyond its children's.

Read only where a page's scope is the node's whole subtree (a user who sees all of it, the
stored mapping in force); anything narrower sums the tallies as before.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Iterable

from cells.models import Organization

from ..models import TALLY_COUNTERS, IndicatorRollup, IndicatorTally, tally_column
from .scope import SELF, Scope

ORG = Organization._meta.db_table
TALLY = IndicatorTally._meta.db_table
ROLLUP = IndicatorRollup._meta.db_table
TRIGGERS = ("pb_rollup_lock", "pb_rollup_ins", "pb_rollup_upd", "pb_rollup_del")
COLUMNS = [tally_column(c) for c in TALLY_COUNTERS]

# Every (tally row, roll-up it goes to) pair of `source`, summed per roll-up row.
_PAIRS = """
        SELECT a.id AS unit, t.year, b.basis, m.mapped, max(t.last_change) AS last_change,
            {sums}
        FROM {source} t
        CROSS JOIN LATERAL (VALUES (false, t.ancestors), (true, t.mapped_ancestors))
            AS m(mapped, ids)
        CROSS JOIN LATERAL unnest(m.ids) AS a(id)
        CROSS JOIN (VALUES (false), (true)) AS b(basis)
        -- An official row without a twin serves the proposals basis too (IndicatorTally).
        WHERE CASE WHEN b.basis THEN t.with_proposals OR NOT t.has_twin
                   ELSE NOT t.with_proposals END
        GROUP BY 1, 2, 3, 4"""


def _add_sql(source: str, columns: list[str]) -> str:
    """Add the tally rows of `source` to every roll-up they list (creating missing rows)."""
    sums = ", ".join(f"sum(t.{c})::int AS {c}" for c in columns)
    updates = ", ".join(f"{c} = r.{c} + EXCLUDED.{c}" for c in columns)
    return f"""
        INSERT INTO {ROLLUP} AS r
            (organization_id, year, with_proposals, mapped, last_change, {", ".join(columns)})
        {_PAIRS.format(sums=sums, source=source)}
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (organization_id, year, with_proposals, mapped) DO UPDATE SET
            last_change = greatest(r.last_change, EXCLUDED.last_change), {updates}
    """  # noqa: S608 - table and column names from code


def _subtract_sql(source: str, columns: list[str]) -> str:
    """Take the tally rows of `source` out of the roll-ups they list. Only rows that exist:
    a unit deleted since (a commune emptied by a move, then deleted) has no roll-up left to
    take them from, and inserting one for it would break the foreign key."""
    sums = ", ".join(f"sum(t.{c})::int AS {c}" for c in columns)
    updates = ", ".join(f"{c} = r.{c} - s.{c}" for c in columns)
    return f"""
        UPDATE {ROLLUP} AS r SET {updates}
        FROM ({_PAIRS.format(sums=sums, source=source)}) AS s
        WHERE r.organization_id = s.unit AND r.year = s.year AND r.with_proposals = s.basis
          AND r.mapped = s.mapped
    """  # noqa: S608 - table and column names from code


def function_sql(lock_key: int) -> str:
    """The trigger functions keeping the roll-ups (the triggers calling them: migration 0018).

    `pb_rollup_lock` runs before any row of a statement is touched: the tallies' refresh lock
    (`lock_key`, which a refresh and a rebuild already hold) taken first, so a cascade delete
    of a unit's tallies and a refresh lock rows in the same order and never deadlock."""
    return f"""
CREATE OR REPLACE FUNCTION pb_rollup_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({int(lock_key)});
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION pb_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Removed first: an update (never done by the code) moves a row's counts.
    IF TG_OP IN ('UPDATE', 'DELETE') THEN{_subtract_sql("old_rows", COLUMNS)};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN{_add_sql("new_rows", COLUMNS)};
    END IF;
    RETURN NULL;
END $$;
"""


def fingerprint_source() -> str:
    """What decides the roll-ups' stored contents (the pairs summed, the units a row lists),
    for the tallies' fingerprint: the reading code is left out, a change to it needs no
    rebuild."""
    return function_sql(0) + inspect.getsource(anchors)


def install(cursor, lock_key: int) -> None:
    """The trigger functions for today's counters (a rebuild replaces them: a release that
    adds a counter changes the fingerprint, so the tallies are rebuilt before they are read;
    a migration that drops or renames one must replace them itself, as 0018 created them —
    `test_indicator_rollups` checks the installed function names every counter). Replacing
    a function locks no table: the page's reads go on during a rebuild."""
    cursor.execute(function_sql(lock_key))


def pause(cursor) -> None:
    """The triggers off for the rest of this transaction (a rebuild rewrites every tally row
    and sums the roll-ups once at the end: with them on, each statement would also fill its
    transition tables). The lock this takes blocks other writers of the tallies, not readers."""
    _alter_triggers(cursor, "DISABLE")


def _alter_triggers(cursor, action: str) -> None:
    # A table with deferred foreign-key checks pending cannot be altered: run them now (as
    # Django's check_constraints does; they would run at the commit), then defer again.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    actions = ", ".join(f"{action} TRIGGER {name}" for name in TRIGGERS)
    cursor.execute(f"ALTER TABLE {TALLY} {actions}")


def rebuild(cursor) -> int:
    """Every roll-up summed again from the tally table, then the triggers on again (inside
    the rebuild's transaction, after `pause`); returns the rows written."""
    cursor.execute(f"DELETE FROM {ROLLUP}")  # noqa: S608 - table name from code
    # Millions of (row, roll-up) pairs grouped at country size: hashed in memory, not
    # sorted on disk (the rest of the rebuild's transaction keeps the setting).
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute(_add_sql(TALLY, COLUMNS))
    written = cursor.rowcount
    _alter_triggers(cursor, "ENABLE")
    return written


def anchors(units: Iterable[int], cursor) -> dict[int, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Per unit id, the roll-ups its tally rows go to: (its proper ancestors, and the unit
    it counts under today with that unit's ancestors, itself left out) — see the module.
    One statement, so a move committed meanwhile cannot mix two trees. (The prefixes are an
    array, not a join to generate_series: estimating 1,000 rows per unit, the planner hashed
    the whole tree for each — 3.9 s for a commune's 114 cells in 1.3 M members, 2 ms now.)"""
    units = list(units)
    if not units:
        return {}
    step = int(Organization.steplen)
    cursor.execute(
        f"""
        SELECT c.id,
            ARRAY(SELECT a.id FROM {ORG} a WHERE a.path = ANY(ARRAY(
                      SELECT substring(c.path, 1, {step} * k)
                      FROM generate_series(1, c.depth - 1) k))
                  ORDER BY a.depth),
            ARRAY(SELECT a.id FROM {ORG} a WHERE a.path = ANY(ARRAY(
                      SELECT substring(coalesce(m.path, c.path), 1, {step} * k)
                      FROM generate_series(1, coalesce(m.depth, c.depth)) k))
                    AND a.id <> c.id
                  ORDER BY a.depth)
        FROM {ORG} c LEFT JOIN {ORG} m ON m.id = c.maps_to_id
        WHERE c.id = ANY(%s)
        """,  # noqa: S608 - names from code
        [units],
    )
    return {unit: (tuple(above), tuple(mapped)) for unit, above, mapped in cursor.fetchall()}


def listing(where: str, params: list, scope: Scope) -> tuple[str, list]:
    """`where` (over a marked unit `c`), or: the unit's tally rows are in the roll-ups the
    scope reads (its node's, plain or mapped)."""
    column = "t.mapped_ancestors" if scope.mapped else "t.ancestors"
    listed = (
        f"EXISTS (SELECT 1 FROM {TALLY} t WHERE t.organization_id = c.id "  # noqa: S608
        f"AND %s = ANY({column}))"
    )
    return f"({where} OR {listed})", [*params, scope.node.pk]


# --- reading --------------------------------------------------------------------------------
def serves(scope: Scope) -> bool:
    """Whether the roll-ups give this scope's numbers: its node's whole subtree (with, mapped,
    every unit whose rows count inside it), and not a tally refresh's exact units."""
    if scope.exact_paths is not None or not scope.whole:
        return False
    return scope.mapping_stored if scope.mapped else True


def read_sql(mapped: bool, include_proposals: bool) -> str:
    """The node's and its children's own tally rows, and their roll-ups, on one basis."""
    cols = ", ".join(f"t.{c}" for c in COLUMNS)
    rcols = ", ".join(f"r.{c}" for c in COLUMNS)
    basis = "t.with_proposals OR NOT t.has_twin" if include_proposals else "NOT t.with_proposals"
    # Both halves find the node and its children by (depth, path): org_depth_path_idx.
    return f"""
        SELECT false, t.year, c.path, c.maps_to_id IS NULL, t.last_change, {cols}
        FROM {ORG} c JOIN {TALLY} t ON t.organization_id = c.id
        WHERE c.depth = ANY(ARRAY[%(depth)s, %(depth)s + 1]) AND c.path LIKE %(path)s
          AND t.year = ANY(%(years)s) AND ({basis})
        UNION ALL
        SELECT true, r.year, c.path, c.maps_to_id IS NULL, r.last_change, {rcols}
        FROM {ORG} c JOIN {ROLLUP} r ON r.organization_id = c.id
        WHERE c.depth = ANY(ARRAY[%(depth)s, %(depth)s + 1]) AND c.path LIKE %(path)s
          AND r.year = ANY(%(years)s) AND r.with_proposals = {bool(include_proposals)}
          AND r.mapped = {bool(mapped)}
    """  # noqa: S608 - only names and booleans from code; values are parameters


def buckets(scope: Scope, rows: list[tuple]) -> tuple[dict, object]:
    """The page's counters per (year, child path or SELF) from `read_sql`'s rows, and the
    latest change among them."""
    node_path = scope.node.path
    own: dict[tuple[int, str], Counter] = {}
    below: dict[tuple[int, str], Counter] = {}
    as_of = None
    for is_rollup, year, path, unmapped, last, *counts in rows:
        # A unit mapped elsewhere counts its own rows under its successor (in a roll-up).
        if not is_rollup and scope.mapped and not unmapped:
            continue
        if last is not None and (as_of is None or last > as_of):
            as_of = last
        counter = Counter({c: n for c, n in zip(TALLY_COUNTERS, counts, strict=True) if n})
        (below if is_rollup else own)[(year, path)] = counter
    summed: dict[tuple[int, str], Counter] = {}
    for (year, path), counter in (*own.items(), *below.items()):
        if path == node_path:
            continue
        summed.setdefault((year, path), Counter()).update(counter)
    for year in {year for year, _ in (*own, *below)}:
        node = Counter(own.get((year, node_path), ()))
        if scope.mapped:
            # The node's roll-up holds its children's numbers and the units mapped onto
            # the node itself: the latter are what is left once the children's are taken out.
            rest = Counter(below.get((year, node_path), ()))
            for (y, _path), counter in summed.items():
                if y == year:
                    rest.subtract(counter)
            node.update(+rest)
        if node:
            summed[(year, SELF)] = node
    return {key: counter for key, counter in summed.items() if counter}, as_of
