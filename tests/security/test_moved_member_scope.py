"""Finding 1 of #19: a former unit sees a moved member's records only up to the day the
membership ended — never the new cell, its events, its notes or its audit history."""

import datetime

import pytest
from django.urls import reverse

from cells import services
from cells.choices import OrganizationType, Role
from tests import factories

PASSWORD = "mat-khau-thu-nghiem"
SECRET_NOTE = "Ghi chú kỷ luật của Bình Lộc"
DECIDING_BODY = "Ban Thường vụ Đảng ủy Bình Lộc"


@pytest.fixture
def moved(province):
    """A member of An Lạc moved to Bình Lộc 30 days ago, then disciplined there."""
    today = datetime.date.today()
    an_lac = factories.org(province.new_commune, "BG-AH-AL", "Chi bộ An Lạc", OrganizationType.CELL)
    binh_loc = factories.org(
        province.new_commune, "BG-AH-BL", "Chi bộ Bình Lộc", OrganizationType.CELL
    )
    old_secretary = factories.user_with_role(an_lac, Role.SECRETARY, username="bt-an-lac")
    new_secretary = factories.user_with_role(binh_loc, Role.SECRETARY, username="bt-binh-loc")
    commune_admin = factories.user_with_role(province.new_commune, Role.ADMIN, username="vp-an-hoa")
    member = factories.member(an_lac, full_name="Trần Thị Chuyển", occupation="Nông dân")
    moved_on = today - datetime.timedelta(days=30)
    # Before the move: An Lạc records an event and a change of the record.
    services.member_event_create(
        actor=old_secretary,
        member=member,
        kind="exemption",
        start=moved_on - datetime.timedelta(days=100),
        note="Miễn sinh hoạt khi ở An Lạc",
    )
    services.member_transfer(actor=commune_admin, member=member, cell=binh_loc, on=moved_on)
    # After the move: Bình Lộc disciplines the member and changes the record.
    services.member_event_create(
        actor=new_secretary,
        member=member,
        kind="discipline",
        start=today - datetime.timedelta(days=5),
        discipline_form="reprimand",
        deciding_body=DECIDING_BODY,
        note=SECRET_NOTE,
    )
    services.member_update(
        actor=new_secretary, member=member, cell=binh_loc, occupation="Kỹ sư Bình Lộc"
    )
    return member, an_lac, binh_loc, old_secretary, new_secretary, moved_on


def _page(client, username, member):
    client.login(username=username, password=PASSWORD)
    response = client.get(reverse("cells:member_detail", args=[member.pk]))
    client.logout()
    return response


def test_former_unit_sees_member_only_up_to_the_end_of_membership(client, moved):
    """An Lạc's secretary still opens the member's page (the years spent there), but sees
    neither the new cell, nor the discipline recorded there, its note and deciding body,
    nor the new unit's audit rows or record changes."""
    member, an_lac, binh_loc, old_secretary, _new, moved_on = moved
    response = _page(client, "bt-an-lac", member)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Chi bộ An Lạc" in html
    assert "Miễn sinh hoạt khi ở An Lạc" in html  # their own time stays readable
    assert "Chi bộ Bình Lộc" not in html
    assert SECRET_NOTE not in html
    assert DECIDING_BODY not in html
    assert "Kỷ luật" not in html and "Khiển trách" not in html
    assert "Kỹ sư Bình Lộc" not in html  # the record as it stood when it left An Lạc
    assert "Nông dân" in html
    assert "BG-AH-BL" not in html
    assert client.login(username="bt-an-lac", password=PASSWORD)
    assert client.get(reverse("cells:organization_detail", args=[binh_loc.pk])).status_code == 404
    # No edit for the former unit.
    assert client.get(reverse("cells:member_edit", args=[member.pk])).status_code == 403


def test_new_unit_and_upper_level_see_everything(client, moved):
    """The new cell and the commune above both cells see the whole record."""
    member, *_rest = moved
    for username in ("bt-binh-loc", "vp-an-hoa"):
        html = _page(client, username, member).content.decode()
        assert "Chi bộ Bình Lộc" in html, username
        assert SECRET_NOTE in html, username
        assert DECIDING_BODY in html, username
        assert "Kỹ sư Bình Lộc" in html, username


def test_member_visibility_window_selector(moved):
    """`member_visible_until` is the day the last visible membership ended, None while the
    user's units still hold the member (no cut-off)."""
    from cells import selectors

    member, _an_lac, _binh_loc, old_secretary, new_secretary, moved_on = moved
    assert selectors.member_visible_until(user=old_secretary, member=member) == (
        moved_on - datetime.timedelta(days=1)
    )
    assert selectors.member_visible_until(user=new_secretary, member=member) is None
