"""Who may enter, decide and see a rating round, across the 2025 reform."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from assessments import services
from assessments.permissions import can_decide_round, can_enter_ratings, can_view_round
from cells.choices import Role
from tests import factories

from .conftest import make_members, open_round, save_levels, submit

pytestmark = pytest.mark.django_db


def test_can_enter_ratings_secretary_of_unit_or_above(province):
    """The commune's secretary (or an admin above it) enters; a cell-only role, a reviewer or
    another commune's secretary do not."""
    own = factories.user_with_role(province.old_commune, Role.SECRETARY)
    above = factories.user_with_role(province.province, Role.ADMIN)
    cell_only = factories.user_with_role(province.old_cell, Role.SECRETARY)
    reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    other = factories.user_with_role(province.new_commune, Role.SECRETARY)
    assert can_enter_ratings(own, province.old_cell)
    assert can_enter_ratings(above, province.old_commune)
    assert not can_enter_ratings(cell_only, province.old_cell)
    assert not can_enter_ratings(reviewer, province.old_commune)
    assert not can_enter_ratings(other, province.old_commune)


def test_secretary_of_another_commune_is_denied(province):
    """Entering or submitting another commune's round raises PermissionDenied."""
    (a,) = make_members(province.old_cell, 1)
    round_ = open_round(province.old_commune, 2021)
    other = factories.user_with_role(province.new_commune, Role.SECRETARY)
    with pytest.raises(PermissionDenied) as excinfo:
        save_levels(round_, {a: "good"}, actor=other)
    assert str(excinfo.value) == "Bạn không có quyền nhập kết quả xếp loại của Đảng bộ xã An Hòa."
    with pytest.raises(PermissionDenied):
        services.round_get_or_create(actor=other, organization=province.old_commune, year=2021)
    save_levels(round_, {a: "good"})
    with pytest.raises(PermissionDenied):
        submit(round_, actor=other)


def test_district_reviewer_decides_pre_2025_commune_round(province):
    """Before 2025 the district is the directly superior committee of the commune."""
    (a,) = make_members(province.old_cell, 1)
    round_ = open_round(province.old_commune, 2021)
    reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    secretary = factories.user_with_role(province.old_commune, Role.SECRETARY)
    assert can_decide_round(reviewer, round_) and not can_decide_round(secretary, round_)
    assert can_view_round(reviewer, round_) and can_view_round(secretary, round_)
    save_levels(round_, {a: "good"})
    submit(round_)
    assert services.round_decide(actor=reviewer, round=round_).state == "decided"


def test_new_commune_reviewer_decides_post_2025_grassroots_cell(province):
    """From 07/2025 a hamlet cell is grassroots and the new commune committee decides it; the
    old district's reviewer no longer reaches it."""
    (a,) = make_members(province.new_cell, 1)
    round_ = open_round(province.new_cell, 2025)
    commune_reviewer = factories.user_with_role(province.new_commune, Role.REVIEWER)
    district_reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    cell_admin = factories.user_with_role(province.new_cell, Role.ADMIN)
    assert can_decide_round(commune_reviewer, round_)
    assert not can_decide_round(district_reviewer, round_)
    assert not can_decide_round(cell_admin, round_)
    assert not can_view_round(district_reviewer, round_)
    save_levels(round_, {a: "good"}, points=Decimal("80"))
    submit(round_)
    with pytest.raises(PermissionDenied):
        services.round_decide(actor=district_reviewer, round=round_)
    result = services.round_decide(actor=commune_reviewer, round=round_)
    assert (result.state, result.decided_by) == ("decided", commune_reviewer)


def test_ended_role_grants_nothing(province):
    """A reviewer whose assignment ended (a finished term) can no longer decide."""
    from cells.models import RoleAssignment

    round_ = open_round(province.old_commune, 2021)
    user = factories.UserFactory()
    RoleAssignment.objects.create(
        user=user,
        organization=province.district,
        role=Role.REVIEWER,
        end=datetime.date(2020, 1, 1),
    )
    assert not can_decide_round(user, round_)
