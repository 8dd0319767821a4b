"""The families of `families`, counted in SQL: one grouped query per family, no row per item.

`compute` only needs how many of each counter fall under each child of the node, so here every
family groups in PostgreSQL by the organization path key (the child-level prefix of the path,
or the full path when mapping onto today's units, which is resolved row by row in Python) and
returns a handful of rows per child. The per-item functions of `families` stay the source of
the lists behind a number (`drill`); both apply the same rules (which level counts, the
consecutive-weak flag, the cadre standards), and a test checks that they agree.

Large tables are first grouped by cell on their own, through covering indexes, and joined to
the tree only afterwards: the join then sees one row per cell instead of one per member.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connections

from cells.choices import (
    CELL_TYPES,
    COMMUNE_LEVEL_TYPES,
    Gender,
    MembershipKind,
    OrganizationType,
    PostKind,
)
from cells.models import Member, Membership, Organization, Post, ResidentialUnit
from partybuild import replicas

from .. import schemes
from ..choices import DECIDED_STATES, MeetingKind
from ..models import (
    CADRE_COUNTERS,
    CellMeeting,
    MemberRating,
    NewRuralRecognition,
    OrganizationRating,
    RatingRound,
)
from . import families
from .counters import PENDING, RANK_OF_SLUG, level_counters
from .families import (
    DEGREE_LEVELS,
    INTERMEDIATE_PROFESSIONAL,
    INTERMEDIATE_THEORY,
    MAJORITY_ETHNICITY,
    NO_RELIGION,
    REGULAR_MEETINGS_PER_YEAR,
    SECRETARY_TITLE_PREFIX,
    YOUTH_MAX_AGE,
    Fact,
    FamilyResult,
    _latest,
)
from .scope import Scope, exists_on, year_end

ORG = Organization._meta.db_table
WEAK_SLUGS = [s for s, r in RANK_OF_SLUG.items() if r == schemes.Rank.NOT_COMPLETE]


def scope_where(scope: Scope, column: str) -> tuple[str, list]:
    """SQL for rows whose organization path `column` lies in the scope's subtrees (or, for a
    tally refresh, is one of the scope's `exact_paths`)."""
    if scope.exact_paths is not None:
        return f"{column} = ANY(%s)", [list(scope.exact_paths)]
    if not scope.roots:
        return "FALSE", []
    return "(" + " OR ".join(f"{column} LIKE %s" for _ in scope.roots) + ")", [
        like_prefix(r) for r in scope.roots
    ]


def like_prefix(path: str) -> str:
    """A LIKE pattern for paths starting with `path` (its wildcards escaped)."""
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _key(scope: Scope, column: str) -> str:
    """Group key: the full path when mapping (mapped row by row), else the child's prefix."""
    return column if scope.mapped else f"substring({column}, 1, {int(scope.child_len)})"


def _level(scope: Scope, state: str, decided: str, proposed: str) -> tuple[str, list]:
    """SQL for the level that counts (`counters.effective_level`)."""
    other = proposed if scope.include_proposals else "%s"
    params = [list(DECIDED_STATES)] + ([] if scope.include_proposals else [PENDING])
    return f"CASE WHEN {state} = ANY(%s) THEN {decided} ELSE {other} END", params


def _rows(sql: str, params: list) -> list[tuple]:
    # Raw SQL is not routed: it asks where reads go now (the replica on a read-only page).
    with connections[replicas.reading_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- organizations ---------------------------------------------------------------------------
def organization_ratings(scope: Scope, years: list[int]) -> FamilyResult:
    """`families.organization_ratings`, grouped; the previous year is joined for `*.weak2`."""
    where, where_params = scope_where(scope, "c.path")
    level, level_params = _level(scope, "rr.state", "o.decided_level", "o.proposed_level")
    sql = f"""
        WITH r AS (
            SELECT o.year, o.organization_id, c.path, c.is_grassroots, c.type,
                   o.not_rated_reason, o.is_exemplary, o.updated_at, {level} AS level
            FROM {OrganizationRating._meta.db_table} o
            JOIN {RatingRound._meta.db_table} rr ON rr.id = o.round_id
            JOIN {ORG} c ON c.id = o.organization_id
            WHERE o.year = ANY(%s) AND {where}
        )
        SELECT r.year, {_key(scope, "r.path")}, r.is_grassroots, r.type = %s, r.level,
               r.not_rated_reason, r.is_exemplary,
               (r.level = ANY(%s) AND p.level = ANY(%s)), count(*), max(r.updated_at)
        FROM r LEFT JOIN r p ON p.organization_id = r.organization_id AND p.year = r.year - 1
        WHERE r.year = ANY(%s) AND (r.is_grassroots OR r.type = %s)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    """  # noqa: S608 - only table names and literals from code; values are parameters
    wanted = sorted({*years, min(years) - 1})
    params = [
        *level_params,
        wanted,
        *where_params,
        OrganizationType.CELL,
        WEAK_SLUGS,
        WEAK_SLUGS,
        years,
        OrganizationType.CELL,
    ]
    result = FamilyResult([])
    for year, key, grassroots, is_cell, level_, reason, exemplary, weak2, n, last in _rows(
        sql, params
    ):
        prefix = "gro" if grassroots else "cell" if is_cell else None
        if prefix is None:
            continue
        result.note_change(year, key, last)
        counters = [f"{prefix}.total", *level_counters(prefix, level_, reason)]
        if f"{prefix}.r3" in counters and exemplary:
            counters.append(f"{prefix}.exemplary")
        if weak2:
            counters.append(f"{prefix}.weak2")
        result.facts += [Fact(year, key, c, n) for c in counters]
    return result


def organizations_existing(scope: Scope, years: list[int]) -> FamilyResult:
    """`families.organizations_existing`: units existing on 31/12, counted per year in SQL."""
    where, where_params = scope_where(scope, "c.path")
    columns, params = [], []
    kinds = (
        ("exist.gro", "c.is_grassroots", []),
        ("exist.cell", "c.type = %s", [OrganizationType.CELL]),
        ("exist.meeting_cell", "c.type = ANY(%s)", [list(CELL_TYPES)]),
        ("exist.commune", "c.type = ANY(%s)", [list(COMMUNE_LEVEL_TYPES)]),
    )
    labels = []
    for year in years:
        day = year_end(year)
        for counter, condition, condition_params in kinds:
            columns.append(
                f"count(*) FILTER (WHERE {condition} AND (c.established_on IS NULL OR "
                "c.established_on <= %s) AND (c.dissolved_on IS NULL OR c.dissolved_on >= %s))"
            )
            params += [*condition_params, day, day]
            labels.append((year, counter))
    sql = f"""
        SELECT {_key(scope, "c.path")}, {", ".join(columns)}
        FROM {ORG} c WHERE {where} GROUP BY 1
    """  # noqa: S608 - only table names and literals from code; values are parameters
    facts = []
    for key, *counts in _rows(sql, params + where_params):
        facts += [Fact(y, key, c, n) for (y, c), n in zip(labels, counts, strict=True) if n]
    return FamilyResult(facts)


# --- members ---------------------------------------------------------------------------------
def member_ratings(scope: Scope, years: list[int]) -> FamilyResult:
    """`families.member_ratings`: grouped by cell first (index-only), then by child."""
    where, where_params = scope_where(scope, "c.path")
    level, level_params = _level(scope, "rr.state", "g.decided_level", "g.proposed_level")
    proposed = "proposed_level" if scope.include_proposals else "''"
    sql = f"""
        SELECT g.year, {_key(scope, "c.path")}, {level}, g.not_rated_reason, sum(g.n)::int,
               max(g.last)
        FROM (
            SELECT year, cell_id, round_id, decided_level, not_rated_reason,
                   {proposed} AS proposed_level, count(*) AS n, max(updated_at) AS last
            FROM {MemberRating._meta.db_table}
            WHERE year = ANY(%s) AND cell_id IN (SELECT c.id FROM {ORG} c WHERE {where})
            GROUP BY 1, 2, 3, 4, 5, 6
        ) g
        JOIN {RatingRound._meta.db_table} rr ON rr.id = g.round_id
        JOIN {ORG} c ON c.id = g.cell_id
        WHERE {where}
        GROUP BY 1, 2, 3, 4
    """  # noqa: S608 - only table names and literals from code; values are parameters
    result = FamilyResult([])
    for year, key, level_, reason, n, last in _rows(
        sql, [*level_params, years, *where_params, *where_params]
    ):
        result.note_change(year, key, last)
        for counter in ["mem.total", *level_counters("mem", level_, reason)]:
            result.facts.append(Fact(year, key, counter, n))
    return result


def member_counts(scope: Scope, years: list[int]) -> FamilyResult:
    """`families.member_counts`: distinct members on 31/12 of each year and the one before."""
    where, where_params = scope_where(scope, "c.path")
    days = sorted({year_end(y) for y in years} | {year_end(y - 1) for y in years})
    columns = ", ".join(
        'count(DISTINCT m.member_id) FILTER (WHERE m.start <= %s AND (m."end" IS NULL OR '
        'm."end" >= %s))'
        for _ in days
    )
    sql = f"""
        SELECT {_key(scope, "c.path")}, {columns}
        FROM {Membership._meta.db_table} m JOIN {ORG} c ON c.id = m.organization_id
        WHERE m.kind = %s AND m.start <= %s AND (m."end" IS NULL OR m."end" >= %s) AND {where}
        GROUP BY 1
    """  # noqa: S608 - only table names and literals from code; values are parameters
    params = [d for day in days for d in (day, day)]
    params += [MembershipKind.OFFICIAL, max(days), min(days), *where_params]
    facts = []
    for key, *counts in _rows(sql, params):
        on = dict(zip(days, counts, strict=True))
        for year in years:
            facts.append(Fact(year, key, "mc.end", on[year_end(year)]))
            facts.append(Fact(year, key, "mc.start", on[year_end(year - 1)]))
    return FamilyResult(facts)


def admissions(scope: Scope, years: list[int]) -> FamilyResult:
    """`families.admissions`: the first official membership covering the admission day among
    all the member's memberships (so a unit's count does not depend on the scope asked),
    for members with any membership in scope; admissions over a date range (indexed)."""
    where, where_params = scope_where(scope, "c.path")
    memberships = Membership._meta.db_table
    sql = f"""
        SELECT m.id, {_key(scope, "c.path")}, m.admitted_on, m.gender,
               m.birth_date, m.ethnicity, m.religion, m.updated_at
        FROM {Member._meta.db_table} m
        JOIN LATERAL (
            SELECT s.organization_id FROM {memberships} s
            WHERE s.member_id = m.id AND s.kind = %s AND s.start <= m.admitted_on
              AND (s."end" IS NULL OR s."end" >= m.admitted_on)
            ORDER BY s.start, s.id LIMIT 1
        ) joined ON TRUE
        JOIN {ORG} c ON c.id = joined.organization_id
        WHERE m.admitted_on BETWEEN %s AND %s AND {where}
          AND m.id IN (
              SELECT s.member_id FROM {memberships} s JOIN {ORG} c ON c.id = s.organization_id
              WHERE {where}
          )
    """  # noqa: S608 - only table names and literals from code; values are parameters
    first, last = datetime.date(min(years), 1, 1), year_end(max(years))
    facts, as_of = [], None
    for _id, key, admitted, gender, born, ethnicity, religion, updated in _rows(
        sql, [MembershipKind.OFFICIAL, first, last, *where_params, *where_params]
    ):
        if admitted.year not in years:
            continue
        as_of = _latest(as_of, updated)
        counters = ["adm.total"]
        if gender == Gender.FEMALE:
            counters.append("adm.women")
        if born is not None and families._age(born, admitted) <= YOUTH_MAX_AGE:
            counters.append("adm.youth")
        if ethnicity.strip() and ethnicity.strip().casefold() != MAJORITY_ETHNICITY:
            counters.append("adm.minority")
        if religion.strip().casefold() not in NO_RELIGION:
            counters.append("adm.religious")
        facts += [Fact(admitted.year, key, c) for c in counters]
    return FamilyResult(facts, as_of)


# --- residential units -----------------------------------------------------------------------
def residential_units(scope: Scope, years: list[int]) -> FamilyResult:
    """`families.residential_units`: coverage classes counted per commune in SQL.

    A unit counts under its commune (under its cell when it has no commune), in the years
    that unit exists on 31/12, so the scope is applied to that one path: two index-driven
    branches, not an OR over two joins that reads the whole tree. Whether a cell is joint is
    counted over all of its units (a probe each)."""
    commune_where, commune_params = scope_where(scope, "co.path")
    cell_where, cell_params = scope_where(scope, "ce.path")
    unit = ResidentialUnit._meta.db_table
    sql = f"""
        SELECT {_key(scope, "s.path")}, s.established_on, s.dissolved_on,
               CASE WHEN s.cell_id IS NULL THEN 'ru.no_cell'
                    WHEN cover.n > 1 THEN 'ru.joint' ELSE 'ru.independent' END,
               count(*)
        FROM (
            SELECT u.cell_id, co.path, co.established_on, co.dissolved_on
            FROM {unit} u JOIN {ORG} co ON co.id = u.commune_id
            WHERE {commune_where}
            UNION ALL
            SELECT u.cell_id, ce.path, ce.established_on, ce.dissolved_on
            FROM {unit} u JOIN {ORG} ce ON ce.id = u.cell_id
            WHERE u.commune_id IS NULL AND {cell_where}
        ) s
        LEFT JOIN LATERAL (SELECT count(*) AS n FROM {unit} x WHERE x.cell_id = s.cell_id) cover
            ON s.cell_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
    """  # noqa: S608 - only table names and literals from code; values are parameters
    facts = []
    for key, established, dissolved, counter, n in _rows(sql, [*commune_params, *cell_params]):
        for year in years:
            if not exists_on(established, dissolved, year_end(year)):
                continue
            facts += [Fact(year, key, "ru.total", n), Fact(year, key, counter, n)]
    return FamilyResult(facts)


# --- cadres ----------------------------------------------------------------------------------
def cadres(scope: Scope, years: list[int]) -> FamilyResult:
    """`families.cadres`: one row per post held on each 31/12, deduplicated per member, unit
    and kind, counted per child in SQL."""
    where, where_params = scope_where(scope, "c.path")
    sql = f"""
        WITH d AS (SELECT * FROM unnest(%s::int[], %s::date[]) AS d(year, day)),
        held AS (
            SELECT d.year, p.member_id, p.organization_id, p.kind, c.path,
                   c.type = ANY(%s) AS commune_level, c.type = ANY(%s) AS holds_members,
                   bool_or(lower(btrim(p.title)) LIKE %s) AS secretary,
                   bool_or(NOT p.is_hamlet_head) AS not_head
            FROM {Post._meta.db_table} p
            JOIN d ON (p.start IS NULL OR p.start <= d.day)
                AND (p."end" IS NULL OR p."end" >= d.day)
            JOIN {ORG} c ON c.id = p.organization_id
            WHERE {where}
            GROUP BY 1, 2, 3, 4, 5, 6, 7
        ),
        heads AS (
            SELECT DISTINCT d.year, p.member_id
            FROM {Post._meta.db_table} p
            JOIN d ON (p.start IS NULL OR p.start <= d.day)
                AND (p."end" IS NULL OR p."end" >= d.day)
            -- a hamlet head anywhere: being one is a fact about the person, not the scope
            WHERE p.is_hamlet_head AND p.member_id IN (SELECT member_id FROM held)
        ),
        sorted AS (
            SELECT held.*, heads.member_id IS NOT NULL AS head,
                   CASE WHEN kind = %s AND commune_level THEN 'committee'
                        WHEN kind = %s AND commune_level AND not_head THEN 'official'
                        WHEN kind = %s AND holds_members AND secretary THEN 'secretary'
                   END AS post
            FROM held LEFT JOIN heads USING (year, member_id)
        )
        SELECT year, {_key(scope, "path")},
               count(*) FILTER (WHERE post = 'committee'),
               count(*) FILTER (WHERE post = 'committee' AND professional = ANY(%s)),
               count(*) FILTER (WHERE post = 'official'),
               count(*) FILTER (WHERE post = 'official' AND professional = ANY(%s)),
               count(*) FILTER (WHERE post = 'official' AND theory = ANY(%s)),
               count(*) FILTER (WHERE post = 'secretary'),
               count(*) FILTER (WHERE post = 'secretary' AND head)
        FROM sorted
        -- qualifications of commune cadres only (a few thousand), not of every secretary
        LEFT JOIN LATERAL (
            SELECT professional_level AS professional, political_theory AS theory
            FROM {Member._meta.db_table} WHERE id = sorted.member_id AND sorted.post <> 'secretary'
        ) m ON TRUE
        WHERE post IS NOT NULL GROUP BY 1, 2
    """  # noqa: S608 - only table names and literals from code; values are parameters
    params = [
        years,
        [year_end(y) for y in years],
        list(COMMUNE_LEVEL_TYPES),
        list(CELL_TYPES),
        SECRETARY_TITLE_PREFIX + "%",
        *where_params,
        PostKind.PARTY,
        PostKind.GOVERNMENT,
        PostKind.PARTY,
        list(DEGREE_LEVELS),
        list(INTERMEDIATE_PROFESSIONAL),
        list(INTERMEDIATE_THEORY),
    ]
    facts = []
    for year, key, *counts in _rows(sql, params):
        facts += [Fact(year, key, c, n) for c, n in zip(CADRE_COUNTERS, counts, strict=True) if n]
    return FamilyResult(facts)


# --- cell meetings ---------------------------------------------------------------------------
def cell_meetings(scope: Scope, years: list[int]) -> FamilyResult:
    """`families.cell_meetings` over a date range: grouped per cell, then per child."""
    where, where_params = scope_where(scope, "c.path")
    sql = f"""
        SELECT g.y, {_key(scope, "c.path")},
               coalesce(sum(g.n) FILTER (WHERE g.kind = %s), 0)::int,
               count(*) FILTER (WHERE g.kind <> %s AND g.months >= %s)
        FROM (
            SELECT cell_id, extract(year FROM held_on)::int AS y, kind, count(*) AS n,
                   count(DISTINCT extract(month FROM held_on)) AS months
            FROM {CellMeeting._meta.db_table}
            WHERE held_on BETWEEN %s AND %s AND cell_id IN (SELECT c.id FROM {ORG} c WHERE {where})
            GROUP BY 1, 2, 3
        ) g JOIN {ORG} c ON c.id = g.cell_id
        WHERE g.y = ANY(%s) AND {where}
        GROUP BY 1, 2
    """  # noqa: S608 - only table names and literals from code; values are parameters
    params = [
        MeetingKind.THEMATIC,
        MeetingKind.THEMATIC,
        REGULAR_MEETINGS_PER_YEAR,
        datetime.date(min(years), 1, 1),
        year_end(max(years)),
        *where_params,
        years,
        *where_params,
    ]
    facts = []
    for year, key, thematic, full12 in _rows(sql, params):
        if thematic:
            facts.append(Fact(year, key, "mt.thematic", thematic))
        if full12:
            facts.append(Fact(year, key, "mt.full12", full12))
    return FamilyResult(facts)


# --- new-rural communes ----------------------------------------------------------------------
def new_rural(scope: Scope, years: list[int]) -> FamilyResult:
    """`families.new_rural`: a commune's first recognition year, with its dates (few rows)."""
    where, where_params = scope_where(scope, "c.path")
    sql = f"""
        SELECT c.path, c.established_on, c.dissolved_on, min(n.year), max(n.updated_at)
        FROM {NewRuralRecognition._meta.db_table} n JOIN {ORG} c ON c.id = n.commune_id
        WHERE n.year <= %s AND {where}
        GROUP BY 1, 2, 3
    """  # noqa: S608 - only table names and literals from code; values are parameters
    facts, as_of = [], None
    for path, established, dissolved, recognised, last in _rows(sql, [max(years), *where_params]):
        as_of = _latest(as_of, last)
        for year in years:
            if recognised <= year and exists_on(established, dissolved, year_end(year)):
                facts.append(Fact(year, path, "nr.recognised", 1))
    return FamilyResult(facts, as_of)


GROUPED_FAMILIES = (
    organization_ratings,
    organizations_existing,
    member_ratings,
    member_counts,
    admissions,
    residential_units,
    cadres,
    cell_meetings,
    new_rural,
)


def facts_for(scope: Scope, years: Iterable[int]) -> list[FamilyResult]:
    return [family(scope, sorted(set(years))) for family in GROUPED_FAMILIES]
