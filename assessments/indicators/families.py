"""The families of counts behind the indicators: one query per family over the whole scope.

Each family reads the rows of its table for the scope and the years asked, and yields
`(year, organization path, counter, n, item id)` facts. `Scope.bucket` then rolls them up to the
node's children in Python. Families over small tables (organization ratings, residential units,
posts, meetings, admissions, new-rural recognitions) return one fact per item, so the list behind
a number is the same facts filtered; the two families over the member tables (400,000 rows in a
large province) group in SQL and have a matching `*_members` queryset for their lists.

Which level counts, the rank maps and `effective_level` live in `counters` (one home, shared with
the reports).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import ExtractMonth, ExtractYear, Substr

from cells.choices import (
    Gender,
    MembershipKind,
    PoliticalTheoryLevel,
    PostKind,
    ProfessionalLevel,
)
from cells.models import Member, Membership, Post, ResidentialUnit

from .. import schemes
from ..choices import MeetingKind
from ..models import CellMeeting, MemberRating, NewRuralRecognition, OrganizationRating
from .counters import PENDING, RANK_COUNTERS, RANK_OF_SLUG, effective_level, level_counters
from .scope import Scope, exists_on, year_end

# Cadre standards (DOMAIN §6). The 2017 baseline speaks of "college/university or higher".
DEGREE_LEVELS = frozenset(
    {
        ProfessionalLevel.COLLEGE,
        ProfessionalLevel.UNIVERSITY,
        ProfessionalLevel.MASTER,
        ProfessionalLevel.DOCTOR,
    }
)
INTERMEDIATE_PROFESSIONAL = DEGREE_LEVELS | {ProfessionalLevel.INTERMEDIATE}
INTERMEDIATE_THEORY = frozenset(
    {
        PoliticalTheoryLevel.INTERMEDIATE,
        PoliticalTheoryLevel.ADVANCED,
        PoliticalTheoryLevel.BACHELOR,
    }
)
SECRETARY_TITLE_PREFIX = "bí thư"  # "Bí thư chi bộ" (not "Phó Bí thư")
MAJORITY_ETHNICITY = "kinh"
NO_RELIGION = frozenset({"", "không"})
YOUTH_MAX_AGE = 30
REGULAR_MEETINGS_PER_YEAR = 12


@dataclass(frozen=True, slots=True)
class Fact:
    """One counted thing: `n` of `counter` in `year` under organization `path` (item `item_id`)."""

    year: int
    path: str
    counter: str
    n: int = 1
    item_id: int | None = None


@dataclass
class FamilyResult:
    facts: list[Fact]
    as_of: datetime.datetime | None = None
    bucketed: bool = False  # True: each fact's path is already its bucket (the tallies)
    # Counters already summed per (year, bucket), in place of facts (the tallies: a province
    # page reads ≈ 24,000 non-zero sums, which as `Fact` objects cost more than the query).
    counts: dict[tuple[int, str], Counter] = field(default_factory=dict)
    # The latest change per (year, path) where a family knows it (the ratings): the tallies
    # keep it per unit for the page's "as of".
    changed: dict[tuple[int, str], datetime.datetime] = field(default_factory=dict)

    def note_change(self, year: int, path: str, moment: datetime.datetime | None) -> None:
        self.as_of = _latest(self.as_of, moment)
        self.changed[(year, path)] = _latest(self.changed.get((year, path)), moment)


def _latest(*moments) -> datetime.datetime | None:
    found = [m for m in moments if m is not None]
    return max(found) if found else None


# --- organizations ---------------------------------------------------------------------------
def organization_ratings(scope: Scope, years: list[int]) -> FamilyResult:
    """Grassroots organizations (`gro.*`) and subordinate cells (`cell.*`) by level.

    Reads the year before the first one too: `*.weak2` flags units rated at the lowest level
    in two consecutive years.
    """
    wanted = sorted({*years, min(years) - 1})
    rows = (
        OrganizationRating.objects.filter(scope.q("organization__path"), year__in=wanted)
        .annotate(level=effective_level(scope.include_proposals))
        .values_list(
            "year",
            "organization_id",
            "organization__path",
            "organization__is_grassroots",
            "organization__type",
            "level",
            "not_rated_reason",
            "is_exemplary",
            "updated_at",
        )
    )
    facts, weak, as_of = [], set(), None
    rows = list(rows)
    for year, org_id, _path, _g, _t, level, _r, _e, _u in rows:
        if RANK_OF_SLUG.get(level) == schemes.Rank.NOT_COMPLETE:
            weak.add((org_id, year))
    for year, org_id, path, grassroots, type_, level, reason, exemplary, updated in rows:
        if year not in years:
            continue
        prefix = "gro" if grassroots else "cell" if type_ == "cell" else None
        if prefix is None:
            continue
        as_of = _latest(as_of, updated)
        counters = [f"{prefix}.total", *level_counters(prefix, level, reason)]
        if f"{prefix}.r3" in counters and exemplary:
            counters.append(f"{prefix}.exemplary")
        if (org_id, year) in weak and (org_id, year - 1) in weak:
            counters.append(f"{prefix}.weak2")
        facts += [Fact(year, path, c, 1, org_id) for c in counters]
    return FamilyResult(facts, as_of)


def organizations_existing(scope: Scope, years: list[int]) -> FamilyResult:
    """Units that exist on 31/12 of each year (`exist.*`): the denominators of coverage."""
    facts = []
    for year in years:
        day = year_end(year)
        for info in scope.orgs.values():
            if not info.exists_on(day):
                continue
            counters = []
            if info.is_grassroots:
                counters.append("exist.gro")
            if info.is_cell:
                counters.append("exist.cell")
            if info.holds_members:
                counters.append("exist.meeting_cell")
            if info.is_commune_level:
                counters.append("exist.commune")
            facts += [Fact(year, info.path, c, 1, info.id) for c in counters]
    return FamilyResult(facts)


# --- members (grouped in SQL) ----------------------------------------------------------------
def _path_key(scope: Scope, field: str):
    """Group key: the full path when mapping (rows must be mapped one by one), else the
    child-level prefix, which keeps the grouped result as small as the children table."""
    return F(field) if scope.mapped else Substr(field, 1, scope.child_len)


def member_ratings(scope: Scope, years: list[int]) -> FamilyResult:
    """Members by level (`mem.*`), one GROUP BY over the member ratings of the scope."""
    rows = (
        MemberRating.objects.filter(scope.q("cell__path"), year__in=years)
        .annotate(
            level=effective_level(scope.include_proposals), key=_path_key(scope, "cell__path")
        )
        .values("year", "key", "level", "not_rated_reason")
        .annotate(n=Count("id"), last=Max("updated_at"))
        .order_by()
    )
    facts, as_of = [], None
    for row in rows:
        as_of = _latest(as_of, row["last"])
        for counter in ["mem.total", *level_counters("mem", row["level"], row["not_rated_reason"])]:
            facts.append(Fact(row["year"], row["key"], counter, row["n"]))
    return FamilyResult(facts, as_of)


def member_ratings_members(
    scope: Scope, year: int, counter: str, paths: list[str] | None
) -> QuerySet[Member]:
    """The members behind a `mem.*` counter (same level rule as `member_ratings`)."""
    ratings = MemberRating.objects.filter(
        scope.q("cell__path") if paths is None else Q(cell__path__in=paths), year=year
    ).annotate(level=effective_level(scope.include_proposals))
    what = counter.split(".", 1)[1]
    if what == "pending":
        ratings = ratings.filter(level=PENDING)
    elif what == "rated":
        ratings = ratings.filter(level__in=list(RANK_OF_SLUG))
    elif what.startswith("not_rated"):
        ratings = ratings.exclude(level__in=[*RANK_OF_SLUG, PENDING])
        if "." in what:
            reason = what.split(".", 1)[1]
            ratings = ratings.filter(not_rated_reason="" if reason == "unspecified" else reason)
    elif what in RANK_COUNTERS.values():
        rank = next(r for r, c in RANK_COUNTERS.items() if c == what)
        ratings = ratings.filter(level__in=[s for s, r in RANK_OF_SLUG.items() if r == rank])
    return Member.objects.filter(pk__in=ratings.values("member_id"))


def _active_on(day: datetime.date) -> Q:
    return Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))


def member_counts(scope: Scope, years: list[int]) -> FamilyResult:
    """Members on 31/12 of each year (`mc.end`) and of the year before (`mc.start`), in one
    GROUP BY with one filtered count per date. Official memberships only: a member attending
    a cell temporarily (sinh hoạt tạm thời) is counted once, where they officially belong."""
    days = {year_end(y) for y in years} | {year_end(y - 1) for y in years}
    aggregates = {
        f"d{day:%Y}": Count("member_id", distinct=True, filter=_active_on(day)) for day in days
    }
    rows = (
        Membership.objects.filter(
            scope.q("organization__path"), kind=MembershipKind.OFFICIAL, start__lte=max(days)
        )
        .filter(Q(end__isnull=True) | Q(end__gte=min(days)))
        .annotate(key=_path_key(scope, "organization__path"))
        .values("key")
        .annotate(**aggregates)
        .order_by()
    )
    facts = []
    for row in rows:
        for year in years:
            facts.append(Fact(year, row["key"], "mc.end", row[f"d{year}"]))
            facts.append(Fact(year, row["key"], "mc.start", row[f"d{year - 1}"]))
    return FamilyResult(facts)


def member_counts_members(
    scope: Scope, year: int, counter: str, paths: list[str] | None
) -> QuerySet[Member]:
    day = year_end(year if counter == "mc.end" else year - 1)
    memberships = Membership.objects.filter(
        scope.q("organization__path") if paths is None else Q(organization__path__in=paths),
        kind=MembershipKind.OFFICIAL,
    ).filter(_active_on(day))
    return Member.objects.filter(pk__in=memberships.values("member_id"))


# --- admissions ------------------------------------------------------------------------------
def _age(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def admissions(scope: Scope, years: list[int]) -> FamilyResult:
    """Members admitted in the year (`adm.*`), counted in the cell they joined: their first
    official membership covering the admission day, chosen among all their memberships (not
    only those in scope), then counted if that cell is in scope."""
    in_scope = Membership.objects.filter(scope.q("organization__path")).values("member_id")
    rows = (
        Membership.objects.filter(
            member_id__in=in_scope,
            kind=MembershipKind.OFFICIAL,
            member__admitted_on__year__in=years,
            start__lte=F("member__admitted_on"),
        )
        .filter(Q(end__isnull=True) | Q(end__gte=F("member__admitted_on")))
        .values_list(
            "member_id",
            "organization__path",
            "member__admitted_on",
            "member__gender",
            "member__birth_date",
            "member__ethnicity",
            "member__religion",
            "member__updated_at",
        )
        .order_by("member_id", "start", "id")
    )
    facts, seen, as_of = [], set(), None
    for member_id, path, admitted, gender, born, ethnicity, religion, updated in rows:
        if member_id in seen:
            continue
        seen.add(member_id)
        if not any(path.startswith(root) for root in scope.roots):
            continue
        as_of = _latest(as_of, updated)
        counters = ["adm.total"]
        if gender == Gender.FEMALE:
            counters.append("adm.women")
        if born is not None and _age(born, admitted) <= YOUTH_MAX_AGE:
            counters.append("adm.youth")
        if ethnicity.strip() and ethnicity.strip().casefold() != MAJORITY_ETHNICITY:
            counters.append("adm.minority")
        if religion.strip().casefold() not in NO_RELIGION:
            counters.append("adm.religious")
        facts += [Fact(admitted.year, path, c, 1, member_id) for c in counters]
    return FamilyResult(facts, as_of)


# --- residential units -----------------------------------------------------------------------
def residential_units(scope: Scope, years: list[int]) -> FamilyResult:
    """Hamlet coverage (`ru.*`): each unit has an independent cell, shares a joint cell or has
    no cell. Residential units carry no dates: every year shows today's coverage, under the
    commune (the cell, for a unit without one) in the years that unit exists on 31/12 (a
    commune formed in 2025 has no coverage in 2024, and is no row of the 2024 tree)."""
    covered = Count("cell__covered_units", distinct=True)
    rows = (
        ResidentialUnit.objects.filter(scope.q("commune__path") | scope.q("cell__path"))
        .annotate(cover=covered)
        .values_list(
            "id",
            "commune__path",
            "cell__path",
            "cell_id",
            "cover",
            "commune__established_on",
            "commune__dissolved_on",
            "cell__established_on",
            "cell__dissolved_on",
        )
    )
    facts = []
    for unit_id, commune_path, cell_path, cell_id, cover, *dates in rows:
        path = commune_path or cell_path
        established, dissolved = dates[:2] if commune_path else dates[2:]
        if cell_id is None:
            counter = "ru.no_cell"
        elif cover > 1:
            counter = "ru.joint"
        else:
            counter = "ru.independent"
        for year in years:
            if not exists_on(established, dissolved, year_end(year)):
                continue
            facts += [
                Fact(year, path, "ru.total", 1, unit_id),
                Fact(year, path, counter, 1, unit_id),
            ]
    return FamilyResult(facts)


# --- cadres ----------------------------------------------------------------------------------
def cadres(scope: Scope, years: list[int]) -> FamilyResult:
    """Cadre qualification on 31/12 (`cad.*`), from the posts held then.

    Qualifications are the member's current record (the record keeps no history of them).
    """
    first, last = year_end(min(years)), year_end(max(years))
    posts = list(
        Post.objects.filter(scope.q("organization__path"))
        .filter(Q(start__isnull=True) | Q(start__lte=last), Q(end__isnull=True) | Q(end__gte=first))
        .values_list(
            "member_id",
            "kind",
            "title",
            "is_hamlet_head",
            "start",
            "end",
            "organization_id",
            "member__professional_level",
            "member__political_theory",
        )
    )
    # A hamlet head anywhere counts (a fact about the person, not about the scope).
    head_posts = list(
        Post.objects.filter(is_hamlet_head=True, member_id__in={p[0] for p in posts})
        .filter(Q(start__isnull=True) | Q(start__lte=last), Q(end__isnull=True) | Q(end__gte=first))
        .values_list("member_id", "start", "end")
    )
    facts = []
    for year in years:
        day = year_end(year)
        held = [p for p in posts if (p[4] is None or p[4] <= day) and (p[5] is None or p[5] >= day)]
        heads = {m for m, s, e in head_posts if (s is None or s <= day) and (e is None or e >= day)}
        seen = set()
        for member_id, kind, title, is_head, _s, _e, org_id, professional, theory in held:
            info = scope.by_id.get(org_id)
            if info is None or (member_id, org_id, kind) in seen:
                continue
            seen.add((member_id, org_id, kind))
            counters = []
            if kind == PostKind.PARTY and info.is_commune_level:
                counters.append("cad.committee")
                if professional in DEGREE_LEVELS:
                    counters.append("cad.committee_degree")
            elif kind == PostKind.GOVERNMENT and info.is_commune_level and not is_head:
                counters.append("cad.official")
                if professional in INTERMEDIATE_PROFESSIONAL:
                    counters.append("cad.official_professional")
                if theory in INTERMEDIATE_THEORY:
                    counters.append("cad.official_theory")
            elif (
                kind == PostKind.PARTY
                and info.holds_members
                and title.strip().casefold().startswith(SECRETARY_TITLE_PREFIX)
            ):
                counters.append("cad.secretary")
                if member_id in heads:
                    counters.append("cad.secretary_head")
            facts += [Fact(year, info.path, c, 1, member_id) for c in counters]
    return FamilyResult(facts)


# --- cell meetings ---------------------------------------------------------------------------
def cell_meetings(scope: Scope, years: list[int]) -> FamilyResult:
    """Cells that held a regular meeting in each of the 12 months (`mt.full12`) and thematic
    meetings (`mt.thematic`), one GROUP BY per cell and year (Kết luận 18-KL/TW)."""
    rows = (
        CellMeeting.objects.filter(scope.q("cell__path"), held_on__year__in=years)
        .annotate(y=ExtractYear("held_on"), month=ExtractMonth("held_on"))
        .values("y", "cell_id", "cell__path", "kind")
        .annotate(n=Count("id"), months=Count("month", distinct=True))
        .order_by()
    )
    facts = []
    for row in rows:
        year, path, cell_id = row["y"], row["cell__path"], row["cell_id"]
        if row["kind"] == MeetingKind.THEMATIC:
            facts.append(Fact(year, path, "mt.thematic", row["n"], cell_id))
        elif row["months"] >= REGULAR_MEETINGS_PER_YEAR:
            facts.append(Fact(year, path, "mt.full12", 1, cell_id))
    return FamilyResult(facts)


# --- new-rural communes ----------------------------------------------------------------------
def new_rural(scope: Scope, years: list[int]) -> FamilyResult:
    """Commune-level units recognised as new-rural by the year and still existing (`nr.*`)."""
    first_year: dict[int, int] = defaultdict(lambda: 10**4)
    rows = NewRuralRecognition.objects.filter(
        scope.q("commune__path"), year__lte=max(years)
    ).values_list("commune_id", "year", "updated_at")
    as_of = None
    for commune_id, year, updated in rows:
        first_year[commune_id] = min(first_year[commune_id], year)
        as_of = _latest(as_of, updated)
    facts = []
    for year in years:
        for commune_id, recognised in first_year.items():
            info = scope.by_id.get(commune_id)
            if info is not None and recognised <= year and info.exists_on(year_end(year)):
                facts.append(Fact(year, info.path, "nr.recognised", 1, commune_id))
    return FamilyResult(facts, as_of)


FAMILIES = (
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
# Which family answers for a counter prefix, and what its list shows.
FAMILY_OF_PREFIX = {
    "gro": (organization_ratings, "organization"),
    "cell": (organization_ratings, "organization"),
    "exist": (organizations_existing, "organization"),
    "mem": (member_ratings, "member"),
    "mc": (member_counts, "member"),
    "adm": (admissions, "member"),
    "ru": (residential_units, "residential_unit"),
    "cad": (cadres, "member"),
    "mt": (cell_meetings, "organization"),
    "nr": (new_rural, "organization"),
}
SQL_MEMBER_LISTS = {"mem": member_ratings_members, "mc": member_counts_members}


def facts_for(scope: Scope, years: Iterable[int], families=FAMILIES) -> list[FamilyResult]:
    return [family(scope, sorted(set(years))) for family in families]
