"""Who decides, in the workflow (Hướng dẫn 43-HD/BTCTW §3; DOMAIN §4.3), on PostgreSQL.

One case per tier of HD 43 §3, through the services:
- a chi bộ trực thuộc (and a đảng bộ bộ phận) with its members: its đảng ủy cơ sở, in a step
  of its own, before the grassroots organization goes up;
- a đảng bộ cơ sở, and a chi bộ cơ sở: the standing committee of the tier above (the new
  commune since 07/2025);
- the commune-level committee itself: the provincial standing committee.
Earlier schemes keep one decision of the whole round (test_services covers them).
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from assessments import deciders, rules, selectors, services
from assessments.models import MemberRating, OrganizationRating
from assessments.services import RoundLockedError, RuleViolationError
from cells.choices import OrganizationType as T
from cells.choices import Role
from cells.models import AuditEntry
from tests import factories

from .conftest import POINTS, YEAR, make_members, open_round, proposed_round, save_levels, submit

pytestmark = pytest.mark.django_db


def _decided(round_, unit):
    return OrganizationRating.objects.get(round=round_, organization=unit)


# --- the rule, fed by the tree ----------------------------------------------------------------
def test_steps_are_the_rules_answer(province, school):
    """Every sub-unit of the đảng bộ cơ sở is decided by its đảng ủy (COMMITTEE), even under
    a đảng bộ bộ phận; the round goes to the new commune's standing committee."""
    org, cell_a, cell_b, block, cell_c, _members = school
    round_ = proposed_round(school)
    steps = deciders.subunit_steps(round_, with_members=True)
    assert [s.organization for s in steps] == [cell_a, cell_b, block, cell_c]
    assert {(s.decider.organization, s.decider.body) for s in steps} == {
        (org, rules.deciders.COMMITTEE)
    }
    assert [s.members for s in steps] == [2, 2, 0, 2]
    assert steps[0].decider.label == "Đảng ủy Trường THPT An Hòa"
    above = deciders.decider_of(org)
    assert (above.organization, above.body) == (
        province.new_commune,
        rules.deciders.STANDING_COMMITTEE,
    )
    assert selectors.deciding_organization_for(round_) == province.new_commune


# --- chi bộ trực thuộc: the đảng ủy cơ sở --------------------------------------------------
def test_dang_uy_co_so_decides_its_cells_with_their_members(school, people):
    org, cell_a, cell_b, _block, _cell_c, members = school
    round_ = proposed_round(school)
    version = round_.version
    reviewer = people["school_reviewer"]
    services.subunits_decide(actor=reviewer, round=round_, organizations=[cell_a, cell_b])
    round_.refresh_from_db()
    assert round_.state == "draft"  # still the grassroots organization's to send up
    assert round_.version == version + 1
    for cell in (cell_a, cell_b):
        rating = _decided(round_, cell)
        assert (rating.decided_level, rating.decided_by) == ("good", reviewer)
        assert rating.decided_at is not None
        decided = MemberRating.objects.filter(round=round_, member__in=members[cell])
        assert {r.decided_level for r in decided} == {"good"}
    # The third cell is untouched.
    assert _decided(round_, school[4]).decided_at is None
    entry = AuditEntry.objects.filter(action="subunit_decide").latest("pk")
    assert entry.changes["organizations decided"] == [None, sorted([cell_a.pk, cell_b.pk])]
    assert entry.changes[f"member {members[cell_a][0].pk} decided_level"] == ["", "good"]
    assert entry.actor == reviewer


def test_tier_above_does_not_decide_the_cells(school, people):
    """The new commune's reviewer (and the province's, and the cell's own administrator) hold
    roles over the school, yet its cells are its đảng ủy's to decide."""
    round_ = proposed_round(school)
    for who in ("commune_reviewer", "province_reviewer", "cell_admin", "school_secretary"):
        with pytest.raises(PermissionDenied):
            services.subunits_decide(actor=people[who], round=round_, organizations=[school[1]])
    assert _decided(round_, school[1]).decided_at is None


def test_another_grassroots_reviewer_is_refused(province, school):
    other = factories.org(
        province.new_commune,
        "BG-AH-YT",
        "Đảng bộ Trạm Y tế",
        T.GRASSROOTS_COMMITTEE,
        is_grassroots=True,
    )
    stranger = factories.user_with_role(other, Role.REVIEWER)
    round_ = proposed_round(school)
    with pytest.raises(PermissionDenied):
        services.subunits_decide(actor=stranger, round=round_, organizations=[school[1]])


def test_cell_decision_checks_its_rules_and_needs_a_proposal(school, people):
    org, cell_a, cell_b, _block, _cell_c, members = school
    round_ = open_round(org, YEAR)
    save_levels(round_, {members[cell_a][0]: "good"}, points=POINTS)
    round_.refresh_from_db()
    # No proposal for the cell itself yet.
    with pytest.raises(services.RatingError, match="chưa có mức đề xuất"):
        services.subunits_decide(
            actor=people["school_reviewer"], round=round_, organizations=[cell_a]
        )
    services.organization_rating_save(
        actor=None, round=round_, organization=cell_a, level="good", points=POINTS
    )
    round_.refresh_from_db()
    # A member of the cell with no level (nor reason) blocks it; cell B's gaps do not matter.
    with pytest.raises(RuleViolationError) as excinfo:
        services.subunits_decide(
            actor=people["school_reviewer"], round=round_, organizations=[cell_a]
        )
    assert {v.subject_id for v in excinfo.value.violations} == {members[cell_a][1].pk}
    save_levels(round_, {members[cell_a][1]: "good"}, points=POINTS)
    services.subunits_decide(actor=people["school_reviewer"], round=round_, organizations=[cell_a])
    assert _decided(round_, cell_a).decided_level == "good"
    assert not OrganizationRating.objects.filter(organization=cell_b).exists()


def test_decided_cell_is_locked_until_its_dang_uy_reopens_it(school, people):
    org, cell_a, _cell_b, _block, _cell_c, members = school
    round_ = proposed_round(school)
    reviewer = people["school_reviewer"]
    services.subunits_decide(actor=reviewer, round=round_, organizations=[cell_a])
    with pytest.raises(RoundLockedError, match="Đảng ủy Trường THPT An Hòa"):
        save_levels(round_, {members[cell_a][0]: "complete"}, points=Decimal("60"))
    round_.refresh_from_db()
    with pytest.raises(RoundLockedError):
        services.organization_rating_save(
            actor=None, round=round_, organization=cell_a, level="complete", points=60
        )
    # Another cell's rows still save.
    save_levels(round_, {members[school[2]][0]: "good"}, points=Decimal("81"))
    with pytest.raises(services.RatingError):
        services.subunit_reopen(actor=reviewer, round=round_, organization=cell_a, reason=" ")
    with pytest.raises(PermissionDenied):
        services.subunit_reopen(
            actor=people["commune_reviewer"], round=round_, organization=cell_a, reason="Sai"
        )
    services.subunit_reopen(
        actor=reviewer, round=round_, organization=cell_a, reason="Chi bộ họp lại"
    )
    rating = _decided(round_, cell_a)
    assert (rating.decided_level, rating.decided_at, rating.decided_by) == ("", None, None)
    assert not MemberRating.objects.filter(round=round_, cell=cell_a).exclude(decided_level="")
    entry = AuditEntry.objects.filter(action="subunit_reopen").latest("pk")
    assert entry.comment == "Chi bộ họp lại"
    save_levels(round_, {members[cell_a][0]: "complete"}, points=Decimal("60"))


# --- đảng bộ cơ sở: the standing committee of the tier above --------------------------------
def test_tier_above_decides_the_grassroots_organization_after_its_cells(province, school, people):
    org, cell_a, cell_b, block, cell_c, members = school
    round_ = proposed_round(school)
    services.organization_rating_save(
        actor=people["commune_reviewer"],
        round=round_,
        organization=org,
        level="good",
        points=POINTS,
    )
    submit(round_)
    round_.refresh_from_db()
    above = people["commune_reviewer"]
    # The đảng ủy has decided nothing yet: the tier above waits, told who and which.
    with pytest.raises(RoundLockedError) as excinfo:
        services.round_decide(actor=above, round=round_)
    assert "Đảng ủy Trường THPT An Hòa" in excinfo.value.message
    assert "Chi bộ Giáo viên" in excinfo.value.message
    # The đảng ủy decides its cells while the round is with the tier above.
    services.subunits_decide(
        actor=people["school_reviewer"],
        round=round_,
        organizations=[cell_a, cell_b, block, cell_c],
    )
    # The đảng ủy may not decide its own organization.
    with pytest.raises(PermissionDenied):
        services.round_decide(actor=people["school_reviewer"], round=round_)
    result = services.round_decide(actor=above, round=round_)
    assert (result.state, result.decided_by) == ("decided", above)
    own = _decided(round_, org)
    assert (own.decided_level, own.decided_by) == ("good", above)
    # The cells keep their own decider.
    assert _decided(round_, cell_a).decided_by == people["school_reviewer"]
    entry = AuditEntry.objects.filter(action="round_decide").latest("pk")
    assert f"organization {org.pk} decided_level" in entry.changes
    assert f"organization {cell_a.pk} decided_level" not in entry.changes
    assert not [k for k in entry.changes if k.startswith("member ")]
    # Reopening by the tier above withdraws its own decision only.
    services.round_reopen(actor=above, round=result, reason="Xem lại xếp loại đảng bộ")
    assert _decided(round_, org).decided_at is None
    assert _decided(round_, cell_a).decided_level == "good"
    assert set(
        MemberRating.objects.filter(round=round_).values_list("decided_level", flat=True)
    ) == {"good"}


def test_steps_close_once_the_tier_above_decided(school, people):
    org, cell_a, *_rest = school
    round_ = proposed_round(school)
    services.subunits_decide(
        actor=people["school_reviewer"], round=round_, organizations=list(school[1:5])
    )
    submit(round_)
    services.round_decide(actor=people["commune_reviewer"], round=round_)
    with pytest.raises(RoundLockedError, match="cấp trên phải mở lại"):
        services.subunit_reopen(
            actor=people["school_reviewer"], round=round_, organization=cell_a, reason="Sai"
        )


# --- chi bộ cơ sở: the tier above decides it all ---------------------------------------------
def test_chi_bo_co_so_is_decided_whole_by_the_commune(province, people):
    (a,) = make_members(province.new_cell, 1)
    round_ = open_round(province.new_cell, YEAR)
    assert deciders.subunit_steps(round_) == []
    save_levels(round_, {a: "good"}, points=POINTS)
    submit(round_)
    result = services.round_decide(actor=people["commune_reviewer"], round=round_)
    assert result.state == "decided"
    assert MemberRating.objects.get(member=a, year=YEAR).decided_level == "good"


# --- the commune-level committee: the provincial standing committee -------------------------
def test_commune_level_committee_is_rated_by_the_province(province, people):
    commune = province.new_commune
    round_ = open_round(commune, YEAR)
    decider = deciders.decider_of(commune)
    assert (decider.organization, decider.body) == (
        province.province,
        rules.deciders.STANDING_COMMITTEE,
    )
    assert decider.label == "Ban Thường vụ Tỉnh ủy Bình Giang"
    assert deciders.subunit_steps(round_) == []
    with pytest.raises(PermissionDenied):
        services.organization_rating_save(
            actor=people["commune_reviewer"],
            round=round_,
            organization=commune,
            level="good",
            points=POINTS,
        )
    services.organization_rating_save(
        actor=people["province_reviewer"],
        round=round_,
        organization=commune,
        level="good",
        points=POINTS,
    )
    submit(round_)
    with pytest.raises(PermissionDenied):
        services.round_decide(actor=people["commune_reviewer"], round=round_)
    result = services.round_decide(actor=people["province_reviewer"], round=round_)
    assert result.state == "decided"
    assert _decided(round_, commune).decided_by == people["province_reviewer"]


# --- who acts next --------------------------------------------------------------------------
def test_next_step_names_who_acts(school, people):
    org, cell_a, *_rest = school
    round_ = proposed_round(school)
    steps = deciders.subunit_steps(round_)
    text = deciders.next_step(round_, steps)
    assert "Đảng ủy Trường THPT An Hòa" in text and "4" in text
    assert "Ban Thường vụ Đảng ủy xã An Hòa" in text
    submit(round_)
    round_.refresh_from_db()
    assert "Đảng ủy Trường THPT An Hòa" in deciders.next_step(round_, steps)
    services.subunits_decide(
        actor=people["school_reviewer"], round=round_, organizations=list(school[1:5])
    )
    round_.refresh_from_db()
    text = deciders.next_step(round_, deciders.subunit_steps(round_))
    assert "Ban Thường vụ Đảng ủy xã An Hòa" in text and "Trường" not in text


# --- decided history ------------------------------------------------------------------------
def test_recorded_decision_records_the_cells_too(school):
    org, cell_a, *_rest = school
    round_ = proposed_round(school)
    services.round_decide_recorded(
        actor=None,
        round=round_,
        decision=services.DecisionReference(number="12-QĐ/ĐU", date=datetime.date(2027, 1, 10)),
    )
    assert _decided(round_, cell_a).decided_at is not None
    assert all(s.decided for s in deciders.subunit_steps(round_))


# --- migration -----------------------------------------------------------------------------
def test_migration_backfills_decided_rounds_only(province, round_2021, school):
    """0014 gives each rating of a decided round its round's decision; open rounds stay."""
    import importlib

    migration = importlib.import_module("assessments.migrations.0014_organization_rating_decided")
    open_one = proposed_round(school)
    services.organization_rating_save(
        actor=None, round=round_2021, organization=province.old_cell, level="good"
    )
    round_2021.refresh_from_db()
    services.round_decide_recorded(
        actor=None,
        round=round_2021,
        decision=services.DecisionReference(number="3-QĐ/HU", date=datetime.date(2022, 1, 5)),
    )
    OrganizationRating.objects.update(decided_at=None, decided_by=None)
    with connection.schema_editor() as editor:
        migration.backfill(None, editor)
    round_2021.refresh_from_db()
    assert _decided(round_2021, province.old_cell).decided_at == round_2021.decided_at
    assert not OrganizationRating.objects.filter(round=open_one, decided_at__isnull=False)
