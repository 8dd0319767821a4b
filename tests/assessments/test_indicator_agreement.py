"""The two implementations of the dashboard counters agree on a generated province.

`families` (one query per family, per-item facts: the lists behind a number) and `grouped` (one
grouped SQL query per family: the page's numbers) must count the same things. Both are run over
a small province from the project's generator (`generate_province`: the 2025 merge with dissolved
units and successors, ratings under every scheme since 2016 with the last year's rounds in every
state of the procedure, memberships, posts, meetings, residential units) plus a few rows it does
not make. Each family's facts are rolled up with `Scope.bucket` into (year, bucket, counter) → n
and the two roll-ups must be equal, family by family, for the province and for a 2025 commune,
on each year's tree and mapped onto today's units, with and without the proposals of undecided
rounds.

The page's numbers (`indicators.compute`, reading the per-unit tallies for the heavy families)
must equal the same per-item roll-up too, for every counter at once.
"""

from __future__ import annotations

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction

from assessments import indicators
from assessments.choices import RoundState
from assessments.indicators import Scope, families, grouped, tally
from assessments.models import (
    MemberRating,
    NewRuralRecognition,
    OrganizationRating,
    RatingRound,
)
from assessments.schemes import Rank, scheme_for_year
from cells.choices import COMMUNE_LEVEL_TYPES, MembershipKind, OrganizationType, PostKind
from cells.models import Member, Membership, Organization, Post, ResidentialUnit

D = datetime.date
CODE = "AG"
FIRST_YEAR, LAST_YEAR = 2016, 2025
YEARS = list(range(FIRST_YEAR, LAST_YEAR + 1))
SIZE = {"members": 600, "communes": 4, "seed": 20251127}
DECIDED = (RoundState.DECIDED, RoundState.PUBLISHED)


@pytest.fixture(scope="module")
def province(django_db_setup, django_db_blocker):
    """The generated province, written once for the module and rolled back after it (each
    test runs in its own savepoint inside). Returns the root and the 2025 commune used as a
    node."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command(
            "generate_province",
            code=CODE,
            years=f"{FIRST_YEAR}-{LAST_YEAR}",
            stdout=io.StringIO(),
            **SIZE,
        )
        root = Organization.objects.get(code=CODE)
        commune = _commune(root)
        _add_what_the_generator_leaves_out(root, commune)
        yield root, commune
        transaction.set_rollback(True)


def _add_what_the_generator_leaves_out(root: Organization, commune: Organization) -> None:
    """What the generator writes none of, or too rarely at this size: new-rural recognitions
    (old communes, some dissolved before a year's end, a 2025 one and one after the years),
    government posts at commune level (`cad.official*`), a member also in a cell of another
    commune (a temporary membership), a hamlet with no cell and one recorded with its cell
    only, organizations at the lowest level two and three years running (`*.weak2`) and a
    cell not rated."""
    in_province = Organization.objects.filter(path__startswith=root.path)
    communes = list(
        in_province.filter(type__in=COMMUNE_LEVEL_TYPES).exclude(pk=root.pk).order_by("code")
    )
    old = [c for c in communes if c.dissolved_on is not None]
    new = [c for c in communes if c.dissolved_on is None]
    recognitions = [(old[0], 2015), (old[1], 2024), (old[2], 2023), (old[2], 2025)]
    recognitions += [(commune, 2025), (new[-1], 2026)]
    NewRuralRecognition.objects.bulk_create(
        NewRuralRecognition(commune=c, year=y, decision_number=f"QĐ {n}")
        for n, (c, y) in enumerate(recognitions, start=1)
    )
    posts = []
    for n, unit in enumerate(communes):
        members = list(
            Member.objects.filter(
                memberships__organization__path__startswith=unit.path,
                memberships__start__lte=unit.dissolved_on or D(LAST_YEAR, 12, 31),
            )
            .distinct()
            .order_by("pk")[:4]
        )
        start = unit.established_on if unit.dissolved_on is None else D(2021, 7, 1)
        for k, member in enumerate(members):
            posts.append(
                Post(
                    member=member,
                    kind=PostKind.GOVERNMENT,
                    title=["Chủ tịch UBND", "Phó Chủ tịch UBND", "Công chức", "Trưởng thôn"][k],
                    organization=unit,
                    start=start,
                    end=unit.dissolved_on if (n + k) % 3 else D(2024, 3, 31),
                    is_hamlet_head=k == 3,
                )
            )
    Post.objects.bulk_create(posts)
    old_cells = in_province.filter(
        type=OrganizationType.CELL, path__startswith=old[1].path, established_on__lte=D(2016, 1, 1)
    ).order_by("code")
    for org, years in ((old[0], (2019, 2020)), (old_cells[0], (2021, 2022, 2023))):
        for year in years:
            weakest = scheme_for_year(year).organization_level_at(Rank.NOT_COMPLETE).slug
            OrganizationRating.objects.filter(organization=org, year=year).update(
                proposed_level=weakest, decided_level=weakest, is_exemplary=False
            )
    new_cell = in_province.filter(type=OrganizationType.CELL, path__startswith=commune.path)[0]
    ResidentialUnit.objects.bulk_create(
        [
            ResidentialUnit(name="Thôn Mới Lập", commune=commune, cell=None),
            ResidentialUnit(name="Thôn Ghi Theo Chi Bộ", commune=None, cell=new_cell),
        ]
    )
    other = next(c for c in new if c != commune)
    elsewhere = in_province.filter(type=OrganizationType.CELL, path__startswith=other.path)[0]
    Membership.objects.create(
        member=Member.objects.filter(memberships__organization=new_cell).order_by("pk")[0],
        organization=elsewhere,
        kind=MembershipKind.TEMPORARY,
        start=D(2025, 8, 1),
    )
    OrganizationRating.objects.filter(organization=old_cells[1], year=2018).update(
        proposed_level="", decided_level="", is_exemplary=False, not_rated_reason="other"
    )


def _commune(root: Organization) -> Organization:
    """A 2025 commune that merged several old ones and whose 2025 round is undecided."""
    candidates = Organization.objects.filter(
        path__startswith=root.path, depth=root.depth + 1, dissolved_on=None
    ).order_by("code")
    for commune in candidates:
        merged = Organization.objects.filter(successor=commune).count()
        state = RatingRound.objects.get(organization=commune, year=LAST_YEAR).state
        if merged >= 2 and state not in DECIDED:
            return commune
    raise AssertionError("the seed gives no merged commune with an undecided 2025 round")


# Counters the province must hold, so that every branch of every family is compared.
EXPECTED_COUNTERS = {
    "gro.pending", "gro.r0", "gro.r3", "gro.exemplary", "gro.weak2",
    "cell.pending", "cell.not_rated", "cell.r0", "cell.exemplary", "cell.weak2",
    "exist.gro", "exist.cell", "exist.meeting_cell", "exist.commune",
    "mem.pending", "mem.r0", "mem.r3", "mem.not_rated.exempt", "mem.not_rated.newly_admitted",
    "mc.start", "mc.end",
    "adm.women", "adm.youth", "adm.minority", "adm.religious",
    "ru.independent", "ru.joint", "ru.no_cell",
    "cad.committee_degree", "cad.official_professional", "cad.official_theory",
    "cad.secretary_head",
    "mt.full12", "mt.thematic",
    "nr.recognised",
}  # fmt: skip


def test_generated_data_exercise_the_rules(province, rolled_up, db):
    """The data set is one where the options matter: rounds of the last year both decided and
    not (so proposals change the counts), and units dissolved in 2025 with successors (so
    mapping changes the buckets), under the province and under the chosen commune; and every
    kind of counter shows up."""
    root, commune = province
    per_item, _in_sql = rolled_up("province", False, False)
    counted = {counter for found in per_item for (_y, _b, counter) in found}
    assert not EXPECTED_COUNTERS - counted
    states = set(
        RatingRound.objects.filter(
            organization__path__startswith=root.path, year=LAST_YEAR
        ).values_list("state", flat=True)
    )
    assert states & set(DECIDED) and states - set(DECIDED)
    assert not RatingRound.objects.filter(
        organization__path__startswith=root.path, year__lt=LAST_YEAR
    ).exclude(state__in=DECIDED)
    pending = MemberRating.objects.filter(
        cell__path__startswith=commune.path, year=LAST_YEAR
    ).exclude(round__state__in=DECIDED)
    assert pending.exclude(proposed_level="").exists()
    assert Organization.objects.filter(
        successor__path__startswith=commune.path, dissolved_on__lt=D(LAST_YEAR, 12, 31)
    ).exclude(path__startswith=commune.path)
    for node in NODES:
        tree, mapped = rolled_up(node, False, False)[0], rolled_up(node, True, False)[0]
        with_proposals = rolled_up(node, False, True)[0]
        assert tree != mapped and tree != with_proposals


def test_family_tuples_line_up():
    """Both modules list the same families in the same order (compared pairwise below)."""
    assert [f.__name__ for f in families.FAMILIES] == [f.__name__ for f in grouped.GROUPED_FAMILIES]


# --- the comparison --------------------------------------------------------------------------
NODES = ("province", "commune")
CASES = [
    (node, mapped, proposals)
    for node in NODES
    for mapped in (False, True)
    for proposals in (False, True)
]


def _params():
    """One case per (node, mapped, include_proposals) and family, named after both."""
    return [
        pytest.param(
            node,
            mapped,
            proposals,
            index,
            id="-".join(
                (
                    node,
                    "mapped" if mapped else "tree",
                    "proposals" if proposals else "decided",
                    family.__name__,
                )
            ),
        )
        for node, mapped, proposals in CASES
        for index, family in enumerate(families.FAMILIES)
    ]


def roll_up(scope: Scope, results) -> list[Counter]:
    """Per family: (year, bucket, counter) → n, as `indicators.compute` adds them up."""
    rolled = []
    for found in results:
        counts: Counter = Counter()
        for fact in found.facts:
            bucket = scope.bucket(fact.path)
            if bucket is not None and fact.n:
                counts[(fact.year, bucket, fact.counter)] += fact.n
        rolled.append(+counts)
    return rolled


@pytest.fixture(scope="module")
def rolled_up(province):
    """Both roll-ups of every family for a case, computed once per case (the data only is
    read)."""
    cache: dict[tuple[str, bool, bool], tuple[list[Counter], list[Counter]]] = {}

    def get(node: str, mapped: bool, proposals: bool):
        key = (node, mapped, proposals)
        if key not in cache:
            root, commune = province
            org = root if node == "province" else commune
            one = Scope(node=org, mapped=mapped, include_proposals=proposals)
            two = Scope(node=org, mapped=mapped, include_proposals=proposals)
            cache[key] = (
                roll_up(one, families.facts_for(one, YEARS)),
                roll_up(two, grouped.facts_for(two, YEARS)),
            )
        return cache[key]

    return get


@pytest.mark.parametrize(("node", "mapped", "proposals", "index"), _params())
def test_grouped_family_agrees_with_per_item_family(rolled_up, db, node, mapped, proposals, index):
    """The grouped SQL family counts exactly what the per-item family counts, child by child
    and year by year (zero counts and rows outside the node left aside on both sides)."""
    name = families.FAMILIES[index].__name__
    assert grouped.GROUPED_FAMILIES[index].__name__ == name
    per_item, in_sql = rolled_up(node, mapped, proposals)
    expected, found = per_item[index], in_sql[index]
    assert expected, f"{name}: nothing counted, the case proves nothing"
    differences = {
        key: (expected.get(key, 0), found.get(key, 0))
        for key in sorted(expected.keys() | found.keys())
        if expected.get(key, 0) != found.get(key, 0)
    }
    assert not differences, f"{name}: (year, bucket, counter) → (families, grouped): {differences}"


# --- the tallies -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tallied(province, django_db_blocker):
    """The generated province with its per-unit tallies built (inside the module's
    transaction, rolled back with it)."""
    with django_db_blocker.unblock():
        tally.tallies_rebuild()
    return province


@pytest.mark.parametrize(
    ("node", "mapped", "proposals"),
    CASES,
    ids=[
        "-".join((n, "mapped" if m else "tree", "proposals" if p else "decided"))
        for n, m, p in CASES
    ],
)
def test_page_numbers_from_tallies_agree_with_per_item_families(
    tallied, rolled_up, db, node, mapped, proposals
):
    """What the page counts (`indicators.compute`: tallied families summed from the tallies,
    the small ones live) equals the per-item families' roll-up, every counter of every child
    in every year."""
    root, commune = tallied
    scope = Scope(
        node=root if node == "province" else commune, mapped=mapped, include_proposals=proposals
    )
    assert tally.covers(YEARS)
    result = indicators.compute(scope=scope, years=YEARS)
    found = Counter(
        {
            (year, bucket, counter): n
            for (year, bucket), counts in result.counts.items()
            for counter, n in counts.items()
        }
    )
    expected = sum(rolled_up(node, mapped, proposals)[0], Counter())
    differences = {
        key: (expected.get(key, 0), found.get(key, 0))
        for key in sorted(expected.keys() | found.keys())
        if expected.get(key, 0) != found.get(key, 0)
    }
    assert not differences, f"(year, bucket, counter) → (families, page): {differences}"


@pytest.mark.parametrize("which", ["province", "commune"])
def test_stored_mapping_buckets_as_the_chain_walk(province, which, monkeypatch):
    """Mapped onto today's units, the stored `maps_to` puts every unit of the generated
    province (2025 merge) in the same bucket, and pulls in the same predecessors, as
    following the successor chains in Python; the generator stored it (nothing to redo)."""
    from assessments.indicators import scope as scope_module
    from cells.services import organization_maps_refresh

    node = province[0] if which == "province" else province[1]
    assert organization_maps_refresh() == 0
    stored = Scope(node=node, mapped=True)
    assert stored.mapping_stored
    monkeypatch.setattr(scope_module, "_mapping_stored", lambda today: False)
    walked = Scope(node=node, mapped=True)
    assert not walked.mapping_stored
    assert stored.roots == walked.roots
    paths = list(walked.orgs)
    stored.prefetch(paths)
    assert {p: stored.bucket(p) for p in paths} == {p: walked.bucket(p) for p in paths}
    assert sum(walked.bucket(p) is not None for p in paths) > 0
