"""Screens of the cells app: who may open what, what they see (in Vietnamese), and the writes.

The matrix covers every view: anonymous → login; no role → 404 (the tree shows an empty
state); another province → 404; a reviewer on an edit view → 403; in scope → the content.
"""

import datetime

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cells import history, selectors
from cells.choices import EventKind, OrganizationType, Role
from cells.models import (
    AuditEntry,
    Member,
    MemberEvent,
    Membership,
    Organization,
    ResidentialUnit,
    RoleAssignment,
)
from cells.views.organizations import page_with_total
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date
EDIT_VIEWS = {
    "organization_create",
    "organization_edit",
    "member_create",
    "member_edit",
    "memberevent_create",
}


@pytest.fixture
def world(province):
    """The small province plus one member in an active cell of each province."""
    province.member = factories.member(
        province.new_cell, "Trần Thị Bích", citizen_id="012345678901", full_member_on=D(2001, 1, 1)
    )
    province.foreign_member = factories.member(province.foreign_cell, "Lò Văn Pá")
    return province


def _url(world, name, *, foreign=False):
    """The URL of view `name` on an in-scope object, or on the other province's object."""
    cell = world.foreign_cell if foreign else world.new_cell
    member = world.foreign_member if foreign else world.member
    parent = world.other_province if foreign else world.new_commune
    kwargs = {
        "organization_tree": {},
        "organization_search": {},
        "organization_children": {"pk": parent.pk},
        "organization_detail": {"pk": cell.pk},
        "organization_create": {"parent_pk": parent.pk},
        "organization_edit": {"pk": cell.pk},
        "member_create": {"cell_pk": cell.pk},
        "member_detail": {"pk": member.pk},
        "member_edit": {"pk": member.pk},
        "memberevent_create": {"pk": member.pk},
    }[name]
    url = reverse(f"cells:{name}", kwargs=kwargs)
    return url + "?q=An" if name == "organization_search" else url


ALL_VIEWS = [
    "organization_tree",
    "organization_search",
    "organization_children",
    "organization_detail",
    "organization_create",
    "organization_edit",
    "member_create",
    "member_detail",
    "member_edit",
    "memberevent_create",
]
OBJECT_VIEWS = [v for v in ALL_VIEWS if v not in {"organization_tree", "organization_search"}]


# --- the permission matrix -----------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_VIEWS)
def test_views_anonymous_redirects_to_login(client, world, name):
    """Every screen asks an anonymous visitor to log in first."""
    url = _url(world, name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", OBJECT_VIEWS)
def test_views_user_without_role_gets_404(client, world, name):
    """A logged-in user with no role sees no unit and no member: they do not exist for them."""
    client.force_login(factories.UserFactory())
    assert client.get(_url(world, name)).status_code == 404


@pytest.mark.parametrize("name", OBJECT_VIEWS)
def test_views_other_province_object_is_404(client, world, name):
    """A province secretary cannot reach another province's units or members (404, not 403)."""
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    assert client.get(_url(world, name, foreign=True)).status_code == 404


@pytest.mark.parametrize("name", sorted(EDIT_VIEWS))
def test_edit_views_reviewer_is_forbidden(client, world, name):
    """A reviewer sees the units but may not open or submit a form that changes them (403)."""
    client.force_login(factories.user_with_role(world.province, Role.REVIEWER))
    url = _url(world, name)
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "X"}).status_code == 403
    # Nothing changed: only the login and the refusal itself are recorded.
    assert not AuditEntry.objects.exclude(action__in=history.ACCESS_ACTIONS).exists()
    assert AuditEntry.objects.filter(action="request_denied").count() == 1


@pytest.mark.parametrize("name", ALL_VIEWS)
def test_views_in_scope_secretary_gets_page(client, world, name):
    """A province secretary opens every screen on an object in their subtree; adding a unit
    is its administrator's (#19)."""
    role = Role.ADMIN if name == "organization_create" else Role.SECRETARY
    client.force_login(factories.user_with_role(world.province, role))
    response = client.get(_url(world, name))
    assert response.status_code == 200
    content = response.content.decode()
    if name not in {"organization_children"}:
        assert "Đăng xuất" in content
    expected = {
        "organization_tree": "Đảng bộ tỉnh Bình Giang",
        "organization_search": "Chi bộ ấp 1 (An Hòa)",
        "organization_children": "Chi bộ ấp 1 (An Hòa)",
        "organization_detail": "Trần Thị Bích",
        "organization_create": "Thêm chi bộ/đơn vị",
        "organization_edit": "BG-AH-AH01",
        "member_create": "Thêm đảng viên",
        "member_detail": "Trần Thị Bích",
        "member_edit": "Trần Thị Bích",
        "memberevent_create": "Thêm sự kiện",
    }[name]
    assert expected in content


# --- login, navigation, language -----------------------------------------------------------


def test_login_page_is_vietnamese_and_local(client):
    """The login page speaks Vietnamese and loads nothing from outside the server."""
    response = client.get(reverse("login"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Đăng nhập" in content
    assert 'name="username"' in content and 'name="password"' in content
    assert "http://" not in content and "https://" not in content
    assert "/static/vendor/bootstrap/css/bootstrap.min.css" in content
    assert "/static/vendor/be-vietnam-pro/400.css" in content


def test_login_with_password_opens_the_tree(client, world):
    """Logging in with the right password lands on the tree of the user's units."""
    user = factories.user_with_role(world.new_commune, Role.SECRETARY, username="bithu")
    response = client.post(
        reverse("login"), {"username": "bithu", "password": "mat-khau-thu-nghiem"}, follow=True
    )
    assert response.wsgi_request.user == user
    assert "Đảng bộ xã An Hòa" in response.content.decode()


def test_navbar_shows_user_language_switch_and_post_logout(client, world):
    """The navbar names the user, offers vi/en and logs out with a POST form."""
    client.force_login(
        factories.user_with_role(world.province, Role.SECRETARY, username="nguyenvana")
    )
    content = client.get(reverse("cells:organization_tree")).content.decode()
    assert "nguyenvana" in content
    assert f'action="{reverse("set_language")}"' in content
    assert 'value="en"' in content
    assert f'<form method="post" action="{reverse("logout")}"' in content


def test_language_switch_to_english(client, world):
    """After choosing English, the same page shows the English labels."""
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = client.get(_url(world, "organization_detail")).content.decode()
    assert "Add a member" in content
    assert "Thêm đảng viên" not in content


# --- tree and search -----------------------------------------------------------------------


def test_organization_tree_no_role_shows_who_to_ask(client, world):
    """A user with no role sees an empty tree that tells them whom to ask."""
    client.force_login(factories.UserFactory())
    response = client.get(reverse("cells:organization_tree"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "chưa được giao đơn vị nào" in content
    assert "cấp ủy cấp trên trực tiếp" in content
    assert "Bình Giang" not in content


def test_organization_tree_starts_at_user_roots(client, world):
    """The tree starts at the user's own units, with type, code and number of sub-units."""
    client.force_login(factories.user_with_role(world.old_commune, Role.SECRETARY))
    content = client.get(reverse("cells:organization_tree")).content.decode()
    assert "Đảng bộ xã An Hòa" in content
    assert "BG-PA-AH" in content
    assert "Đảng bộ xã" in content
    assert "2 đơn vị trực thuộc" in content
    assert "Bình Giang" not in content and "Phú An" not in content
    assert reverse("cells:organization_children", args=[world.old_commune.pk]) in content


def test_organization_children_shows_dissolved_as_history(client, world):
    """Dissolved units appear muted with their dissolution date and a link to the successor."""
    client.force_login(factories.user_with_role(world.province, Role.REVIEWER))
    response = client.get(
        reverse("cells:organization_children", args=[world.district.pk]), HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert "<html" not in content
    assert "org-node--dissolved" in content
    assert "Đã giải thể 30/06/2025" in content
    assert reverse("cells:organization_detail", args=[world.new_commune.pk]) in content
    assert "→ Đảng bộ xã An Hòa" in content


def test_organization_children_successor_out_of_scope_not_linked(client, world):
    """A successor the user cannot see is named but not linked (the link would be a 404)."""
    client.force_login(factories.user_with_role(world.old_commune, Role.SECRETARY))
    content = client.get(reverse("cells:organization_tree")).content.decode()
    content += client.get(
        reverse("cells:organization_children", args=[world.old_commune.pk])
    ).content.decode()
    assert "→ Chi bộ ấp 1 (An Hòa)" in content
    assert reverse("cells:organization_detail", args=[world.new_cell.pk]) not in content


def test_organization_search_htmx_returns_hits_with_their_path(client, world):
    """Search by name returns a fragment; each hit shows the visible units above it."""
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    response = client.get(
        reverse("cells:organization_search"), {"q": "an hòa"}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert "<html" not in content
    assert "Tìm thấy 3 đơn vị" in content
    assert "Đảng bộ tỉnh Bình Giang › Đảng bộ huyện Phú An" in content
    assert "Đã giải thể 30/06/2025" in content


def test_organization_search_by_code_stays_in_scope(client, world):
    """Search by code finds the unit in scope and never another province's unit."""
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    content = client.get(reverse("cells:organization_search"), {"q": "C01"}).content.decode()
    assert "Chi bộ ấp 1" in content
    assert "Chi bộ thôn Một" not in content
    assert "<html" in content


# --- organization page ---------------------------------------------------------------------


def test_organization_detail_cell_lists_members_in_vietnamese_order_with_states(
    client, world, today
):
    """A cell's page lists today's members by given name, with their state badges."""
    cell = world.other_cell
    for name in ["Nguyễn Văn Đức", "Lê Thị Ánh", "Trần Văn Dũng", "Phạm An"]:
        factories.member(cell, name, full_member_on=D(2001, 1, 1))
    probationary = factories.member(cell, "Đỗ Văn Yên")
    exempt = factories.member(cell, "Hà Văn Miễn", full_member_on=D(2001, 1, 1))
    factories.member_event(exempt, EventKind.EXEMPTION, today - datetime.timedelta(days=10))
    sick = factories.member(cell, "Võ Thị Ốm", full_member_on=D(2001, 1, 1))
    factories.member_event(sick, EventKind.SICK_LEAVE, today - datetime.timedelta(days=1))
    suspended = factories.member(cell, "Mai Văn Chỉ", full_member_on=D(2001, 1, 1))
    factories.member_event(suspended, EventKind.SUSPENSION, today - datetime.timedelta(days=1))
    client.force_login(factories.user_with_role(world.old_commune, Role.REVIEWER))
    content = client.get(reverse("cells:organization_detail", args=[cell.pk])).content.decode()
    order = ["Phạm An", "Lê Thị Ánh", "Trần Văn Dũng", "Nguyễn Văn Đức"]
    positions = [content.index(name) for name in order]
    assert positions == sorted(positions)
    assert "Đảng viên hiện nay (8)" in content
    for badge in ["dự bị", "miễn sinh hoạt", "đình chỉ", "nghỉ ốm"]:
        assert badge in content
    assert content.count("badge-state") == 4
    assert probationary.full_name in content
    # Breadcrumbs stop at the user's own subtree.
    assert "Đảng bộ xã An Hòa" in content and "Bình Giang" not in content
    # A reviewer gets no edit buttons.
    assert (
        "Thêm đảng viên" not in content
        and reverse("cells:organization_edit", args=[cell.pk]) not in content
    )


def test_organization_detail_facts_and_buttons_for_editor(client, world):
    """The page shows type, code, dates, successor, terms, and the editor's buttons."""
    world.old_cell.terms.create(start_year=2020, end_year=2025)
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    content = client.get(
        reverse("cells:organization_detail", args=[world.old_cell.pk])
    ).content.decode()
    assert "Chi bộ trực thuộc" in content
    assert "BG-PA-AH-C01" in content
    assert "01/01/1995" in content and "Đã giải thể 30/06/2025" in content
    assert "Chi bộ ấp 1 (An Hòa)" in content  # the successor
    assert "2020–2025" in content
    assert "Thêm đảng viên" in content and "Sửa" in content
    new_cell_page = client.get(
        reverse("cells:organization_detail", args=[world.new_cell.pk])
    ).content.decode()
    assert "Tiếp nhận từ" in new_cell_page and "Chi bộ ấp 1" in new_cell_page


def test_organization_detail_commune_counts_children_and_highlights_uncovered_units(client, world):
    """A commune page counts members per child and flags hamlets with no Party cell."""
    factories.member(world.other_cell, "Lê Văn Hai")
    ResidentialUnit.objects.create(name="Ấp 2", commune=world.old_commune, cell=world.other_cell)
    ResidentialUnit.objects.create(name="Ấp 3", commune=world.old_commune)
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    content = client.get(
        reverse("cells:organization_detail", args=[world.old_commune.pk])
    ).content.decode()
    assert "Đảng viên trong các đơn vị trực thuộc (1)" in content
    assert "Lê Văn Hai" in content and "Trần Thị Bích" not in content
    assert "Ấp 3" in content and "Chưa có chi bộ" in content and "unit-gap" in content
    # Adding a unit is for an administrator (#19): a secretary is not offered it.
    assert "Thêm chi bộ/đơn vị" not in content
    assert "Thêm đảng viên" not in content


def test_organization_detail_lists_escape_names_and_number_the_page(client, world):
    """The commune page's lists are written in Python (cells.views.organizations): names
    are escaped in each of them, members are numbered from the page's first, and the cell
    of each member is named."""
    factories.member(world.other_cell, "<script>alert(1)</script> Hai")
    ResidentialUnit.objects.create(name="Ấp <b>4</b>", commune=world.old_commune)
    world.other_cell.name = "Chi bộ <i>2</i>"
    world.other_cell.save(update_fields=["name"])
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    content = client.get(
        reverse("cells:organization_detail", args=[world.old_commune.pk])
    ).content.decode()
    assert "<script>alert" not in content and "&lt;script&gt;alert(1)&lt;/script&gt; Hai" in content
    assert "Ấp &lt;b&gt;4&lt;/b&gt;" in content and "<b>4</b>" not in content
    assert "Chi bộ &lt;i&gt;2&lt;/i&gt;" in content and "<i>2</i>" not in content
    assert '<span class="member-list__number text-body-secondary">1.</span>' in content
    assert "· Chi bộ &lt;i&gt;2&lt;/i&gt;" in content  # the member's cell
    assert "badge-state text-bg-warning" in content  # a new member is probationary


def test_organization_detail_second_page_numbers_on_and_links_a_visible_successor(
    client, world, monkeypatch
):
    """Page 2 of a unit's members is numbered from the page's first; a dissolved sub-unit is
    marked with its date and links its successor only where the user may open it."""
    from cells.views import organizations as views

    monkeypatch.setattr(views, "MEMBERS_PER_PAGE", 2)
    for name in ("Lê Văn A", "Lê Văn B", "Lê Văn C"):
        factories.member(world.other_cell, name)
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    url = reverse("cells:organization_detail", args=[world.old_commune.pk])
    content = client.get(url, {"page": 2}).content.decode()
    assert '<span class="member-list__number text-body-secondary">3.</span>' in content
    assert "Lê Văn C" in content and "Lê Văn A" not in content
    district = client.get(
        reverse("cells:organization_detail", args=[world.district.pk])
    ).content.decode()
    assert 'class="org-node--dissolved"' in district and "Đã giải thể 30/06/2025" in district
    successor = reverse("cells:organization_detail", args=[world.new_commune.pk])
    assert f'<a href="{successor}">→ Đảng bộ xã An Hòa</a>' in district
    client.force_login(factories.user_with_role(world.district, Role.SECRETARY))
    hidden = client.get(
        reverse("cells:organization_detail", args=[world.district.pk])
    ).content.decode()
    assert "→ Đảng bộ xã An Hòa" in hidden and f'href="{successor}"' not in hidden


def test_organization_detail_province_counts_members_per_child(client, world):
    """The province page shows one count per child unit, from one aggregated query."""
    factories.member(world.new_cell, "Lê Văn Một")
    factories.member(world.other_cell, "Lê Văn Hai")
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    response = client.get(reverse("cells:organization_detail", args=[world.province.pk]))
    children = {c.code: c.member_count for c in response.context["children"]}
    # world.member and Lê Văn Một in the new commune; Lê Văn Hai under the old district.
    assert children == {"BG-AH": 2, "BG-PA": 1}
    assert "Đảng viên trong các đơn vị trực thuộc (3)" in response.content.decode()


def _detail_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_organization_detail_cell_query_count_independent_of_members(
    client, world, django_assert_max_num_queries
):
    """A cell of 30 members costs as many queries as a cell of 3 (no N+1)."""
    small, big = world.other_cell, world.new_cell
    for i in range(3):
        factories.member(small, f"Nguyễn Văn Nhỏ{i}", citizen_id=None)
    for i in range(30):
        factories.member(big, f"Nguyễn Văn Lớn{i}")
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    small_url = reverse("cells:organization_detail", args=[small.pk])
    big_url = reverse("cells:organization_detail", args=[big.pk])
    client.get(small_url)  # warm the session
    assert _detail_queries(client, small_url) == _detail_queries(client, big_url)
    with django_assert_max_num_queries(14):
        client.get(big_url)


def test_organization_detail_higher_node_query_budget(client, world, django_assert_max_num_queries):
    """A province page with its subtree member list stays within a fixed query budget."""
    for i in range(12):
        factories.member(world.other_cell, f"Phan Văn Số{i}")
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    url = reverse("cells:organization_detail", args=[world.province.pk])
    client.get(url)
    with django_assert_max_num_queries(17):
        response = client.get(url)
    assert "Phan Văn Số11" in response.content.decode()


def test_organization_tree_query_budget(client, world, django_assert_max_num_queries):
    """The tree page costs a handful of queries whatever the number of roots."""
    user = factories.user_with_role(world.province, Role.SECRETARY)
    for node in [world.foreign_cell, world.other_province]:
        RoleAssignment.objects.create(user=user, organization=node, role=Role.REVIEWER)
    client.force_login(user)
    client.get(reverse("cells:organization_tree"))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("cells:organization_tree"))
    assert "Đảng bộ tỉnh Hà Giang" in response.content.decode()


# --- member page ---------------------------------------------------------------------------


def test_member_detail_masks_citizen_id_for_reviewer(client, world):
    """Someone who may not edit the member's cell sees the CCCD as ********1234."""
    client.force_login(factories.user_with_role(world.province, Role.REVIEWER))
    content = client.get(reverse("cells:member_detail", args=[world.member.pk])).content.decode()
    assert "********8901" in content
    assert "012345678901" not in content
    assert "Thêm sự kiện" not in content


def test_member_detail_shows_citizen_id_to_editor(client, world):
    """The cell's secretary sees the full CCCD and the "Thêm sự kiện" button."""
    client.force_login(factories.user_with_role(world.new_cell, Role.SECRETARY))
    content = client.get(reverse("cells:member_detail", args=[world.member.pk])).content.decode()
    assert "012345678901" in content
    assert "Thêm sự kiện" in content


def test_member_detail_shows_history_through_merge_and_events(client, world):
    """The member page lists cells over time (from the merge history), posts and events."""
    factories.member_event(world.member, EventKind.SICK_LEAVE, D(2024, 3, 1), end=D(2024, 5, 31))
    world.member.posts.create(kind="party", title="Bí thư chi bộ", organization=world.new_cell)
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    content = client.get(reverse("cells:member_detail", args=[world.member.pk])).content.decode()
    history = content[content.index('id="history-title"') :]
    old, new = history.index("Chi bộ ấp 1</a>"), history.index("Chi bộ ấp 1 (An Hòa)</a>")
    assert old < new
    assert "đến 30/06/2025" in content and "từ 01/07/2025" in content
    assert "Nghỉ ốm" in content and "01/03/2024 – 31/05/2024" in content
    assert "Bí thư chi bộ" in content
    assert "Trần Thị Bích" in content and "Số lý lịch" in content


def test_member_detail_query_budget(client, world, django_assert_max_num_queries):
    """The member page costs a fixed number of queries."""
    for day in range(1, 6):
        factories.member_event(world.member, EventKind.SICK_LEAVE, D(2020, 1, day))
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    url = reverse("cells:member_detail", args=[world.member.pk])
    client.get(url)
    with django_assert_max_num_queries(10):
        client.get(url)


# --- forms: writes through services ---------------------------------------------------------


def test_organization_create_writes_through_service(client, world):
    """Adding a cell creates it under the parent, audits it and says so in Vietnamese."""
    user = factories.user_with_role(world.province, Role.ADMIN)
    client.force_login(user)
    response = client.post(
        reverse("cells:organization_create", args=[world.new_commune.pk]),
        {
            "name": "  Chi bộ   ấp 2 (An Hòa) ",
            "code": "BG-AH-AH02",
            "type": OrganizationType.CELL,
            "established_on": "01/07/2025",
            "document_abbreviation": "CB",
        },
        follow=True,
    )
    node = Organization.objects.get(code="BG-AH-AH02")
    assert node.name == "Chi bộ ấp 2 (An Hòa)"
    assert node.established_on == D(2025, 7, 1)
    assert Organization.objects.get_parent(node) == world.new_commune
    assert AuditEntry.objects.filter(action="organization_create", actor=user).exists()
    assert response.redirect_chain[-1][0] == reverse("cells:organization_detail", args=[node.pk])
    assert "Đã thêm đơn vị “Chi bộ ấp 2 (An Hòa)”." in response.content.decode()


def test_organization_create_shows_vietnamese_errors(client, world):
    """A duplicate code and a bad date are refused with Vietnamese messages, nothing written."""
    client.force_login(factories.user_with_role(world.province, Role.ADMIN))
    response = client.post(
        reverse("cells:organization_create", args=[world.new_commune.pk]),
        {"name": "", "code": "BG-AH-AH01", "type": "cell", "established_on": "2025-31-12"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Vui lòng nhập tên đơn vị." in content
    assert "Mã này đã được dùng cho đơn vị khác." in content
    assert "Nhập ngày theo dạng ngày/tháng/năm" in content
    assert not AuditEntry.objects.exclude(action__in=history.ACCESS_ACTIONS).exists()


def test_organization_edit_writes_through_service(client, world):
    """Editing a unit saves through the service (audited) and sets the successor by code
    (an administrator above the unit: structure is not the roster's)."""
    user = factories.user_with_role(world.province, Role.ADMIN)
    client.force_login(user)
    response = client.post(
        reverse("cells:organization_edit", args=[world.other_cell.pk]),
        {
            "name": "Chi bộ ấp 2",
            "code": "BG-PA-AH-C02",
            "type": "cell",
            "established_on": "01/01/1995",
            "dissolved_on": "30/06/2025",
            "successor": "BG-AH-AH01",
        },
        follow=True,
    )
    world.other_cell.refresh_from_db()
    assert world.other_cell.dissolved_on == D(2025, 6, 30)
    assert world.other_cell.successor == world.new_cell
    entry = AuditEntry.objects.get(action="organization_update")
    assert entry.actor == user and "dissolved_on" in entry.changes
    assert "Đã lưu đơn vị “Chi bộ ấp 2”." in response.content.decode()


def test_organization_edit_successor_out_of_scope_is_refused(client, world):
    """A successor code outside the user's units is refused as if it did not exist."""
    client.force_login(factories.user_with_role(world.old_commune, Role.ADMIN))
    response = client.post(
        reverse("cells:organization_edit", args=[world.other_cell.pk]),
        {"name": "Chi bộ ấp 2", "code": "BG-PA-AH-C02", "type": "cell", "successor": "HG-C01"},
    )
    assert "Không tìm thấy đơn vị có mã này trong phạm vi của bạn." in response.content.decode()
    world.other_cell.refresh_from_db()
    assert world.other_cell.successor is None


def _member_data(**overrides):
    data = {
        "full_name": "Hoàng Thị Lan",
        "gender": "female",
        "birth_date": "02/09/1975",
        "record_number": "123456bg",
        "card_number": "",
        "citizen_id": "",
        "admitted_on": "03/02/2000",
    }
    return {**data, **overrides}


def test_member_create_writes_through_service(client, world):
    """Adding a member records them in the cell, audits it and opens their page."""
    user = factories.user_with_role(world.new_commune, Role.SECRETARY)
    client.force_login(user)
    response = client.post(
        reverse("cells:member_create", args=[world.new_cell.pk]), _member_data(), follow=True
    )
    member = Member.objects.get(record_number="123456BG")
    assert member.birth_date == D(1975, 9, 2)
    assert member.card_number is None and member.citizen_id is None
    assert Membership.objects.filter(member=member, organization=world.new_cell).exists()
    assert AuditEntry.objects.filter(action="member_create", actor=user).exists()
    assert response.redirect_chain[-1][0] == reverse("cells:member_detail", args=[member.pk])
    assert "Đã thêm đảng viên Hoàng Thị Lan." in response.content.decode()


def test_member_create_shows_vietnamese_format_errors(client, world):
    """Bad record number, card number and CCCD are refused with Vietnamese explanations."""
    client.force_login(factories.user_with_role(world.new_cell, Role.SECRETARY))
    response = client.post(
        reverse("cells:member_create", args=[world.new_cell.pk]),
        _member_data(record_number="12345", card_number="1234", citizen_id="0123", gender=""),
    )
    content = response.content.decode()
    assert "Số lý lịch gồm 6 chữ số và 1–3 chữ cái mã tỉnh, ví dụ 012345HG." in content
    assert "Số thẻ đảng viên phải gồm đúng 8 chữ số." in content
    assert "Số CCCD phải gồm đúng 12 chữ số." in content
    assert "Vui lòng chọn Nam hoặc Nữ." in content
    assert "Vui lòng sửa các mục được đánh dấu màu đỏ bên dưới." in content
    assert not Member.objects.filter(full_name="Hoàng Thị Lan").exists()


def test_member_create_duplicate_citizen_id_refused(client, world):
    """A CCCD already used by another member is refused in Vietnamese."""
    client.force_login(factories.user_with_role(world.new_cell, Role.SECRETARY))
    response = client.post(
        reverse("cells:member_create", args=[world.new_cell.pk]),
        _member_data(citizen_id="012345678901"),
    )
    assert "Số CCCD này đã có ở đảng viên khác." in response.content.decode()


def test_member_create_only_under_a_cell(client, world):
    """Members are added to cells; the same URL on a commune does not exist."""
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    response = client.get(reverse("cells:member_create", args=[world.new_commune.pk]))
    assert response.status_code == 404


def test_member_edit_changes_cell_as_transfer(client, world, today):
    """Choosing another cell transfers the member from today, through the service."""
    user = factories.user_with_role(world.province, Role.SECRETARY)
    client.force_login(user)
    data = _member_data(
        full_name="Trần Thị Bích",
        record_number=world.member.record_number,
        citizen_id="012345678901",
        cell=world.other_cell.pk,
    )
    response = client.post(reverse("cells:member_edit", args=[world.member.pk]), data, follow=True)
    assert "Đã chuyển sinh hoạt đảng viên Trần Thị Bích sang Chi bộ ấp 2." in (
        response.content.decode()
    )
    current = Membership.objects.get(member=world.member, end__isnull=True)
    assert current.organization == world.other_cell and current.start == today
    assert AuditEntry.objects.filter(action="member_transfer", actor=user).exists()
    assert AuditEntry.objects.filter(action="member_update", actor=user).exists()


def test_member_edit_service_error_is_shown_on_form(client, world, today):
    """A ValidationError raised by the service appears on the form; nothing is changed."""
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    newcomer = factories.member(world.new_cell, "Lý Văn Mới", admitted_on=today)
    data = _member_data(
        full_name="Lý Văn Mới Sửa", record_number=newcomer.record_number, cell=world.other_cell.pk
    )
    response = client.post(reverse("cells:member_edit", args=[newcomer.pk]), data)
    assert response.status_code == 200
    assert "Ngày chuyển phải sau ngày bắt đầu sinh hoạt ở chi bộ hiện tại." in (
        response.content.decode()
    )
    newcomer.refresh_from_db()
    assert newcomer.full_name == "Lý Văn Mới"


def test_memberevent_create_writes_through_service(client, world):
    """Recording an event saves it through the service, audits it and says so."""
    user = factories.user_with_role(world.new_cell, Role.SECRETARY)
    client.force_login(user)
    response = client.post(
        reverse("cells:memberevent_create", args=[world.member.pk]),
        {"kind": "sick_leave", "start": "01/02/2025", "end": "30/04/2025", "note": "Mổ"},
        follow=True,
    )
    event = MemberEvent.objects.get(member=world.member)
    assert (event.start, event.end) == (D(2025, 2, 1), D(2025, 4, 30))
    assert AuditEntry.objects.filter(action="member_event_create", actor=user).exists()
    assert "Đã ghi sự kiện “Nghỉ ốm” cho đảng viên Trần Thị Bích." in response.content.decode()


def test_memberevent_create_discipline_needs_form(client, world):
    """A discipline without its form is refused with a Vietnamese message."""
    client.force_login(factories.user_with_role(world.new_cell, Role.SECRETARY))
    response = client.post(
        reverse("cells:memberevent_create", args=[world.member.pk]),
        {"kind": "discipline", "start": "01/02/2025", "end": "01/01/2025"},
    )
    content = response.content.decode()
    assert "Vui lòng chọn hình thức kỷ luật." in content
    assert "Ngày kết thúc không được trước ngày bắt đầu." in content
    assert not MemberEvent.objects.exists()


@pytest.mark.parametrize("number", [None, "1", "2", "3", "4", "0", "-1", "abc", "2.0", ""])
def test_page_with_total_matches_the_paginator(world, number):
    """The organization page's two-query paging gives what Paginator.get_page gives: the same
    members, number and total for every page number, past the end and not a number too."""
    for i in range(5):
        factories.member(world.other_cell, f"Đỗ Văn Trang{i}")
    members = selectors.members_of(organization=world.province, subtree=True)
    expected = Paginator(members, 3).get_page(number)
    with CaptureQueriesContext(connection) as queries:
        page = page_with_total(members, number, 3)
        shown = [m.pk for m in page.object_list]
    assert shown == [m.pk for m in expected.object_list]
    assert (page.number, page.paginator.count, page.paginator.num_pages) == (
        expected.number,
        expected.paginator.count,
        expected.paginator.num_pages,
    )
    if number in (None, "1", "2", "abc", "2.0", ""):
        # A page that exists: no COUNT of its own; the keys first, with no annotation (their
        # subqueries ran for every row before the OFFSET), then the page's rows.
        assert len(queries) == 2
        assert "memberevent" not in queries[0]["sql"].lower()
        assert "memberevent" in queries[1]["sql"].lower()
