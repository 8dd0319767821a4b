"""#19 leftovers: adding a unit needs an administrator's role, and a child's type must fit its
parent's level (cells.structure), refused in plain Vietnamese on the type field."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cells import services, structure
from cells.choices import OrganizationType as T
from cells.choices import Role
from cells.models import Organization
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("parent_type", "child_type", "refusal"),
    [
        (T.NATIONAL, T.PROVINCE, ""),
        (T.NATIONAL, T.COMMUNE, structure.LOWER_LEVEL),
        (T.PROVINCE, T.DISTRICT, ""),
        (T.PROVINCE, T.COMMUNE, ""),
        (T.DISTRICT, T.COMMUNE, ""),
        (T.COMMUNE, T.DISTRICT, structure.LOWER_LEVEL),
        (T.COMMUNE, T.GRASSROOTS_CELL, ""),
        (T.COMMUNE, T.GRASSROOTS_COMMITTEE, ""),
        # A commune holds grassroots organizations, or (before 2025, itself one) its cells.
        (T.COMMUNE, T.CELL, ""),
        (T.COMMUNE, T.SUB_COMMITTEE, ""),
        (T.GRASSROOTS_COMMITTEE, T.CELL, ""),
        (T.GRASSROOTS_COMMITTEE, T.SUB_COMMITTEE, ""),
        (T.GRASSROOTS_COMMITTEE, T.GRASSROOTS_COMMITTEE, structure.LOWER_LEVEL),
        (T.SUB_COMMITTEE, T.CELL, ""),
        (T.SUB_COMMITTEE, T.SUB_COMMITTEE, structure.LOWER_LEVEL),
        (T.CELL, T.CELL, structure.HOLDS_NOTHING),
        (T.GRASSROOTS_CELL, T.GRASSROOTS_COMMITTEE, structure.HOLDS_NOTHING),
        (T.CELL, T.GRASSROOTS_COMMITTEE, structure.HOLDS_NOTHING),
    ],
)
def test_child_type_rule(parent_type, child_type, refusal):
    assert structure.child_type_refusal(parent_type=parent_type, child_type=child_type) == refusal


def _create(actor, parent, code, type_, **fields):
    return services.organization_create(
        actor=actor, parent=parent, code=code, name=f"Đơn vị {code}", type=type_, **fields
    )


def test_a_cell_cannot_hold_a_dang_bo_co_so(province):
    admin = factories.user_with_role(province.province, Role.ADMIN)
    with pytest.raises(ValidationError) as excinfo:
        _create(admin, province.other_cell, "BG-X1", T.GRASSROOTS_COMMITTEE, is_grassroots=True)
    (message,) = excinfo.value.message_dict["type"]
    assert message.startswith("Chi bộ ấp 2 là chi bộ")
    assert not Organization.objects.filter(code="BG-X1").exists()


def test_a_lower_unit_cannot_hold_a_higher_one(province):
    with pytest.raises(ValidationError) as excinfo:
        _create(None, province.new_commune, "BG-AH-H", T.DISTRICT)
    assert "cấp thấp hơn" in excinfo.value.message_dict["type"][0]


def test_roster_editor_cannot_add_a_unit(client, province):
    """The commune's secretary keeps members and events; the tree is its administrator's."""
    secretary = factories.user_with_role(province.old_commune, Role.SECRETARY)
    with pytest.raises(PermissionDenied):
        _create(secretary, province.old_commune, "BG-PA-AH-C09", T.CELL)
    client.force_login(secretary)
    url = reverse("cells:organization_create", args=[province.old_commune.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"code": "BG-PA-AH-C09", "name": "Chi bộ ấp 9", "type": T.CELL})
    assert response.status_code == 403
    assert not Organization.objects.filter(code="BG-PA-AH-C09").exists()
    detail = client.get(reverse("cells:organization_detail", args=[province.old_commune.pk]))
    assert url not in detail.content.decode()


def test_administrator_adds_a_unit_and_is_offered_only_fitting_types(client, province):
    admin = factories.user_with_role(province.old_commune, Role.ADMIN)
    client.force_login(admin)
    url = reverse("cells:organization_create", args=[province.old_commune.pk])
    form = client.get(url).context["form"]
    offered = {value for value, _label in form.fields["type"].choices if value}
    assert offered == {T.GRASSROOTS_COMMITTEE, T.GRASSROOTS_CELL, T.SUB_COMMITTEE, T.CELL}
    node = _create(admin, province.old_commune, "BG-PA-AH-C09", T.CELL)
    assert node.type == T.CELL


def test_moving_or_retyping_keeps_the_levels(province):
    with pytest.raises(ValidationError):
        services.organization_update(
            actor=None, organization=province.other_cell, parent=province.old_cell
        )
    # The commune holds chi bộ trực thuộc: it cannot become a chi bộ itself.
    with pytest.raises(ValidationError):
        services.organization_update(
            actor=None, organization=province.old_commune, type=T.GRASSROOTS_CELL
        )
    province.old_commune.refresh_from_db()
    assert province.old_commune.type == T.COMMUNE
