"""The province generator (assessments.demo.generator) at a tiny size, on PostgreSQL: COPY."""

import datetime

import pytest

from assessments import facts, rules
from assessments.demo.generator import ProvinceExistsError, generate_province
from assessments.models import (
    AssignedTask,
    CellMeeting,
    MemberRating,
    OrganizationRating,
    RatingRound,
)
from cells.choices import CELL_TYPES, OrganizationType
from cells.models import Member, Membership, Organization
from cells.selectors import members_of
from cells.vietnamese import collation_key

D = datetime.date
SIZE = {"members": 2000, "communes": 4, "first_year": 2024, "last_year": 2025, "seed": 7}


@pytest.fixture
def generated(db):
    result = generate_province(code="TG", **SIZE)
    return result, Organization.objects.get(code="TG")


def test_generate_province_builds_a_consistent_tree(generated):
    """treebeard finds no problem in the bulk-written paths, and the 2025 units sit under
    the province while the old communes sit under dissolved districts with successors."""
    result, province = generated
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    assert result.counts["cells_member"] >= SIZE["members"]
    new_units = Organization.objects.get_children(province).filter(dissolved_on=None)
    assert new_units.count() == SIZE["communes"]
    assert all(u.is_grassroots and u.established_on == D(2025, 7, 1) for u in new_units)
    old_communes = Organization.objects.filter(
        path__startswith=province.path, depth=3, type__in=["commune", "ward", "township"]
    )
    assert old_communes.count() >= SIZE["communes"]
    assert all(o.dissolved_on == D(2025, 6, 30) and o.successor_id for o in old_communes)
    cell = Organization.objects.filter(path__startswith=province.path, type="cell").first()
    assert cell.name_sort_key == collation_key(cell.name, person_name=False)
    # The tree keeps working through treebeard after the bulk load.
    added = Organization.objects.add_child(
        new_units.first(),
        instance=Organization(code="TG-ZZZ", name="Chi bộ mới", type=OrganizationType.CELL),
    )
    assert added.path.startswith(new_units.first().path)
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_generate_province_members_of_follows_the_merge(generated):
    """A member of a 2025 cell with one predecessor is listed in the old cell on 31/12/2024
    and in the new one on 31/12/2025, as member_create's merge history would record."""
    _result, province = generated
    new_cell = (
        Organization.objects.filter(path__startswith=province.path, type="cell", dissolved_on=None)
        .exclude(predecessors=None)
        .order_by("code")
        .first()
    )
    old_cell = new_cell.predecessors.get()
    now = list(members_of(organization=new_cell, on=D(2025, 12, 31)))
    before = set(members_of(organization=old_cell, on=D(2024, 12, 31)).values_list("pk", flat=True))
    assert now
    long_standing = [m for m in now if m.admitted_on < D(2024, 1, 1)]
    assert long_standing and all(m.pk in before for m in long_standing)
    membership = Membership.objects.get(member=long_standing[0], organization=old_cell)
    assert membership.end == D(2025, 6, 30)
    assert Membership.objects.get(member=long_standing[0], organization=new_cell).start == D(
        2025, 7, 1
    )
    assert new_cell.type in CELL_TYPES
    assert members_of(organization=province, on=D(2025, 12, 31), subtree=True).count() == 2000


def test_generate_province_ratings_satisfy_the_rules(generated):
    """Every round, re-read from the database through assessments.facts, passes
    rules.check_member_ratings and every organization rating passes check_organization_rating
    with no error-level violation; past years are decided, the 2025 rules' inputs exist."""
    _result, province = generated
    rounds = RatingRound.objects.filter(organization__path__startswith=province.path)
    assert {r.year for r in rounds} == {2024, 2025}
    for round_ in rounds.select_related("organization"):
        scheme = round_.scheme
        ratings = list(MemberRating.objects.filter(round=round_).select_related("member"))
        assert ratings, round_
        member_facts = facts.member_facts_for(
            year=round_.year,
            members=[r.member for r in ratings],
            ratings={r.member_id: r for r in ratings},
        )
        inputs = [
            rules.MemberRatingInput(
                member_id=r.member_id,
                level=r.proposed_level or None,
                not_rated_reason=r.not_rated_reason or None,
                organization_id=round_.organization_id,
            )
            for r in ratings
        ]
        errors = [
            v for v in rules.check_member_ratings(scheme, member_facts, inputs) if v.is_blocking
        ]
        assert errors == [], (round_, errors[:3])
        if round_.year == 2024:
            assert round_.state == "published"
            assert all(r.decided_level == r.proposed_level for r in ratings)
        for rating in OrganizationRating.objects.filter(round=round_).select_related(
            "organization"
        ):
            org_facts = facts.organization_facts_for(
                organization=rating.organization, year=round_.year, points=rating.points
            )
            violations = rules.check_organization_rating(
                scheme,
                org_facts,
                level=rating.proposed_level or None,
                not_rated_reason=rating.not_rated_reason or None,
            )
            assert [v for v in violations if v.is_blocking] == [], (rating, violations)
    not_rated = MemberRating.objects.filter(year=2025).exclude(not_rated_reason="")
    assert not_rated.exists()
    assert AssignedTask.objects.filter(year=2025).count() >= 2 * 1900
    assert CellMeeting.objects.filter(held_on__year=2024, kind="regular").count() >= 12 * 40


def test_generate_province_is_reproducible(generated):
    """The same seed gives the same counts and the same names, whatever code and whatever
    the database already holds; a code already present is refused."""
    first, _province = generated
    with pytest.raises(ProvinceExistsError):
        generate_province(code="TG", **SIZE)
    second = generate_province(code="TH", **SIZE)
    assert second.counts == first.counts

    def names(code):
        return list(
            Member.objects.filter(record_number__endswith=code)
            .order_by("record_number")
            .values_list("full_name", flat=True)[:50]
        )

    assert names("TG") == names("TH")


def test_bulk_writer_check_foreign_keys_refuses_a_dangling_reference(db):
    """When the load skips PostgreSQL's per-row foreign-key triggers, the set-wise check
    finds a row pointing nowhere and refuses the load."""
    from django.db import transaction

    from assessments.demo.generator.writer import BulkWriter

    with pytest.raises(RuntimeError, match="cells_membership.member_id"), transaction.atomic():
        writer = BulkWriter()
        writer.begin()
        assert writer.skips_row_checks  # the test database role is a superuser
        writer.write(
            Membership,
            ["member_id", "organization_id", "kind", "start", "end"],
            [
                (
                    10**12,
                    Organization.objects.create(
                        code="X", name="X", type="cell", path="ZZZZ", depth=1
                    ).pk,
                    "official",
                    D(2020, 1, 1),
                    None,
                )
            ],
        )
        writer.check_foreign_keys(writer.models)
