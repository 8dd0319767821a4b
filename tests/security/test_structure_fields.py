"""Finding 2 of #19: a unit's structure (type, grassroots flag, dissolution date, successor,
code, parent) is changed only from a level above, by an administrator of the tree; codes
follow a strict pattern, in the form and in the service."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cells import services
from cells.choices import OrganizationType, Role
from cells.models import Organization
from tests import factories

STRUCTURE = ("type", "is_grassroots", "dissolved_on", "successor_id", "code", "path")


def _form(node: Organization, **overrides) -> dict:
    data = {
        "name": node.name,
        "code": node.code,
        "type": node.type,
        "established_on": node.established_on.strftime("%d/%m/%Y") if node.established_on else "",
        "dissolved_on": "",
        "successor": "",
        "document_abbreviation": node.document_abbreviation,
    }
    if node.is_grassroots:
        data["is_grassroots"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _structure(node: Organization) -> tuple:
    node.refresh_from_db()
    return tuple(getattr(node, name) for name in STRUCTURE)


@pytest.fixture
def cell(province):
    """A subordinate cell under An Hòa commune."""
    return factories.org(province.new_commune, "BG-AH-AL", "Chi bộ An Lạc", OrganizationType.CELL)


def test_cell_secretary_cannot_rewrite_own_cell_structure(client, province, cell):
    """The cell's secretary saves the name of their cell, but its type, grassroots flag,
    code, dissolution and successor stay as the level above set them."""
    client.force_login(factories.user_with_role(cell, Role.SECRETARY, username="bt-al"))
    before = _structure(cell)
    url = reverse("cells:organization_edit", args=[cell.pk])
    page = client.get(url).content.decode()
    assert 'name="type"' not in page and 'name="code"' not in page
    assert "do cấp trên quyết định" in page
    response = client.post(
        url,
        _form(
            cell,
            name="Chi bộ An Lạc mới",
            type=OrganizationType.GRASSROOTS_CELL,
            is_grassroots="on",
            code="BG-AH-ZZ",
            dissolved_on="31/12/2025",
            successor=province.new_cell.code,
        ),
    )
    assert response.status_code == 302
    assert _structure(cell) == before
    assert cell.name == "Chi bộ An Lạc mới"


def test_commune_admin_cannot_rewrite_own_commune(client, province):
    """An administrator of the commune cannot turn it into a province nor dissolve it: that is
    for the province above."""
    commune = province.new_commune
    client.force_login(factories.user_with_role(commune, Role.ADMIN, username="qt-ah"))
    before = _structure(commune)
    response = client.post(
        reverse("cells:organization_edit", args=[commune.pk]),
        _form(commune, type=OrganizationType.PROVINCE, dissolved_on="01/12/2026"),
    )
    assert response.status_code == 302
    assert _structure(commune) == before


def test_admin_above_changes_structure(client, province, cell):
    """The commune's administrator (a level above the cell) changes the cell's type and flag."""
    client.force_login(factories.user_with_role(province.new_commune, Role.ADMIN, username="qt"))
    response = client.post(
        reverse("cells:organization_edit", args=[cell.pk]),
        _form(cell, type=OrganizationType.GRASSROOTS_CELL, is_grassroots="on", code="BG-AH-AL2"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    cell.refresh_from_db()
    assert (cell.type, cell.is_grassroots, cell.code) == (
        OrganizationType.GRASSROOTS_CELL,
        True,
        "BG-AH-AL2",
    )


def test_secretary_above_is_not_enough(client, province, cell):
    """Editing the roster is not administering the tree: a commune secretary keeps the cell's
    structure."""
    client.force_login(factories.user_with_role(province.new_commune, Role.SECRETARY))
    before = _structure(cell)
    client.post(
        reverse("cells:organization_edit", args=[cell.pk]),
        _form(cell, type=OrganizationType.GRASSROOTS_CELL, is_grassroots="on"),
    )
    assert _structure(cell) == before


def test_service_refuses_structure_change_without_rights(province, cell):
    """The service holds the rule for every caller, not only the form."""
    secretary = factories.user_with_role(cell, Role.SECRETARY)
    for change in (
        {"type": OrganizationType.GRASSROOTS_CELL},
        {"is_grassroots": True},
        {"code": "BG-AH-ZZ"},
        {"successor": province.new_cell},
    ):
        with pytest.raises(PermissionDenied):
            services.organization_update(actor=secretary, organization=cell, **change)
    with pytest.raises(PermissionDenied):
        services.organization_update(
            actor=secretary, organization=cell, parent=province.old_commune
        )
    # The name is the unit's own to keep.
    services.organization_update(actor=secretary, organization=cell, name="Chi bộ An Lạc 2")
    admin = factories.user_with_role(province.new_commune, Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.organization_update(
            actor=admin, organization=province.new_commune, type=OrganizationType.PROVINCE
        )


@pytest.mark.parametrize(
    "code", ["bg-ah-01", "BG AH", "BG/AH", "BG--AH", "-BG", "BG-", "<b>", "BG_AH"]
)
def test_code_pattern_in_form_and_service(client, province, code):
    """A code is upper-case letters and digits in groups joined by single hyphens; anything
    else is refused with a Vietnamese message in the form and a ValidationError in the
    service."""
    client.force_login(factories.user_with_role(province.province, Role.ADMIN))
    response = client.post(
        reverse("cells:organization_create", args=[province.new_commune.pk]),
        _form(province.new_cell, name="Chi bộ mới", code=code, type=OrganizationType.CELL),
    )
    assert response.status_code == 200
    assert "Mã đơn vị chỉ gồm chữ in hoa" in response.content.decode()
    with pytest.raises(ValidationError):
        services.organization_create(
            actor=None, parent=province.new_commune, code=code, name="X", type="cell"
        )
