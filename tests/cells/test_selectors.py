"""Scoped selectors: what each user sees, and members of a cell on a date."""

import datetime

import pytest

from cells import selectors
from cells.choices import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_organizations_visible_to_limits_to_subtree(province):
    """A commune secretary sees the commune and its cells, nothing above or beside it."""
    user = factories.user_with_role(province.old_commune, Role.SECRETARY)
    codes = set(selectors.organizations_visible_to(user=user).values_list("code", flat=True))
    assert codes == {"BG-PA-AH", "BG-PA-AH-C01", "BG-PA-AH-C02"}


def test_organization_get_out_of_scope_is_404(province):
    """Another province's unit does not exist for the user (404, not 403)."""
    from django.http import Http404

    user = factories.user_with_role(province.province, Role.REVIEWER)
    assert selectors.organization_get(user=user, pk=province.new_cell.pk) == province.new_cell
    with pytest.raises(Http404):
        selectors.organization_get(user=user, pk=province.foreign_cell.pk)


def test_role_outside_its_dates_grants_nothing(province):
    """An ended role (a term that finished) no longer gives access."""
    user = factories.UserFactory()
    from cells.models import RoleAssignment

    RoleAssignment.objects.create(
        user=user,
        organization=province.province,
        role=Role.REVIEWER,
        end=datetime.date(2025, 6, 30),
    )
    assert not selectors.organizations_visible_to(user=user).exists()


def test_members_of_follows_merge_history(province):
    """A member placed in a 2025 cell belonged to its predecessor before the merge."""
    m = factories.member(province.new_cell, "Trần Thị Bích", admitted_on=datetime.date(2010, 5, 1))
    in_2020 = selectors.members_of(organization=province.old_cell, on=datetime.date(2020, 12, 31))
    in_2025 = selectors.members_of(organization=province.new_cell, on=datetime.date(2025, 12, 31))
    assert list(in_2020) == [m]
    assert list(in_2025) == [m]
    assert not selectors.members_of(
        organization=province.new_cell, on=datetime.date(2020, 12, 31)
    ).exists()


def test_members_of_sorts_vietnamese_given_name_first(province):
    """Lists sort by given name, then middle, then family, in Vietnamese letter order."""
    for name in ["Nguyễn Văn Đức", "Lê Thị Ánh", "Trần Văn Dũng", "Phạm An"]:
        factories.member(province.other_cell, name)
    names = [m.full_name for m in selectors.members_of(organization=province.other_cell)]
    assert names == ["Phạm An", "Lê Thị Ánh", "Trần Văn Dũng", "Nguyễn Văn Đức"]
