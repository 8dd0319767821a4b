"""The rating entry grid: who may open and change it, what it shows (in Vietnamese), the live
check, all-or-nothing saves, conflicts, submission, the printable sheet and the query budget.

The matrix covers every grid view: anonymous → login; no role → 404; another province → 404;
the grassroots secretary → editable; the reviewer of the parent → read-only, and 403 on POST.
"""

import datetime
import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import MemberRating, RatingRound
from cells.choices import Role
from tests import factories
from tests.assessments.conftest import open_round, save_levels

pytestmark = pytest.mark.django_db

YEAR = 2021
D = datetime.date
VIEWS = ["rating_grid", "rating_grid_check", "rating_grid_print"]
POST_VIEWS = {"rating_grid_check"}


@pytest.fixture
def unit(province):
    """The pre-2025 commune (grassroots, decided by the district) with members in two cells,
    created out of Vietnamese name order."""
    province.son = factories.member(province.old_cell, "Lê Văn Sơn")
    province.dat = factories.member(province.other_cell, "Phạm Đức Đạt")
    province.anh = factories.member(province.old_cell, "Nguyễn Thị Ánh")
    province.dung = factories.member(province.other_cell, "Hoàng Văn Dũng")
    province.members = [province.anh, province.dung, province.dat, province.son]
    province.secretary = factories.user_with_role(province.old_commune, Role.SECRETARY)
    province.reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    return province


def _url(name, organization, year=YEAR):
    return reverse(f"assessments:{name}", kwargs={"org_pk": organization.pk, "year": year})


def _request(client, name, organization, data=None):
    url = _url(name, organization)
    if name in POST_VIEWS:
        return client.post(url, data or {})
    return client.get(url)


def _grid_data(round_, levels, *, action="save", version=None):
    """The grid form as a browser posts it: {member: level | (level "none", reason, note)}."""
    round_.refresh_from_db()
    data = {"round_version": version if version is not None else round_.version, "action": action}
    for member, value in levels.items():
        level, reason, note = (value + ("",))[:3] if isinstance(value, tuple) else (value, "", "")
        data[f"level_{member.pk}"] = level
        data[f"reason_{member.pk}"] = reason
        data[f"reason_note_{member.pk}"] = note
        data[f"note_{member.pk}"] = ""
    return data


def _row_messages(html: str, member) -> str:
    match = re.search(rf'id="msgs-{member.pk}".*?</div>', html, re.S)
    assert match, f"no message area for {member}"
    return match.group(0)


# --- the permission matrix -----------------------------------------------------------------


@pytest.mark.parametrize("name", VIEWS)
def test_grid_views_anonymous_redirects_to_login(client, unit, name):
    """Every grid screen asks an anonymous visitor to log in first."""
    response = _request(client, name, unit.old_commune)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", VIEWS)
def test_grid_views_user_without_role_gets_404(client, unit, name):
    """A user with no role does not even learn that the unit exists."""
    client.force_login(factories.UserFactory())
    assert _request(client, name, unit.old_commune).status_code == 404
    assert not RatingRound.objects.exists()


@pytest.mark.parametrize("name", VIEWS)
def test_grid_views_other_province_is_404(client, unit, name):
    """A province secretary cannot open another province's grid (404, not 403)."""
    client.force_login(factories.user_with_role(unit.province, Role.SECRETARY))
    assert _request(client, name, unit.foreign_cell).status_code == 404


def test_rating_grid_secretary_gets_editable_grid(client, unit):
    """The grassroots secretary opens the grid: the round is created in draft and every
    member has a level box, with Save and Send buttons."""
    client.force_login(unit.secretary)
    response = client.get(_url("rating_grid", unit.old_commune))
    html = response.content.decode()
    assert response.status_code == 200
    round_ = RatingRound.objects.get(organization=unit.old_commune, year=YEAR)
    assert round_.state == "draft"
    for member in unit.members:
        assert f'name="level_{member.pk}"' in html
    assert "Đang nhập" in html
    assert "Lưu" in html and "Gửi duyệt" in html


def test_rating_grid_reviewer_of_parent_sees_it_read_only(client, unit):
    """The district reviewer sees the commune's grid without any box to change."""
    round_ = open_round(unit.old_commune, YEAR)
    save_levels(round_, {unit.anh: "good"})
    client.force_login(unit.reviewer)
    response = client.get(_url("rating_grid", unit.old_commune))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<select" not in html
    assert 'name="action"' not in html
    assert "chỉ xem" in html.lower()
    assert "Hoàn thành tốt nhiệm vụ" in html


def test_rating_grid_reviewer_without_round_sees_not_started(client, unit):
    """A reviewer never opens a round: before the unit starts, the page says so."""
    client.force_login(unit.reviewer)
    response = client.get(_url("rating_grid", unit.old_commune))
    assert response.status_code == 200
    assert "Chưa bắt đầu" in response.content.decode()
    assert not RatingRound.objects.exists()


@pytest.mark.parametrize("name", ["rating_grid", "rating_grid_check"])
def test_grid_views_post_by_reviewer_is_forbidden(client, unit, name):
    """A reviewer may look but not write: any POST to the grid is a 403 and saves nothing."""
    round_ = open_round(unit.old_commune, YEAR)
    client.force_login(unit.reviewer)
    response = client.post(_url(name, unit.old_commune), _grid_data(round_, {unit.anh: "good"}))
    assert response.status_code == 403
    assert not MemberRating.objects.exists()


def test_rating_grid_print_reviewer_may_print(client, unit):
    """Printing a blank sheet is reading: the reviewer may do it too."""
    client.force_login(unit.reviewer)
    assert client.get(_url("rating_grid_print", unit.old_commune)).status_code == 200


# --- what the grid shows -------------------------------------------------------------------


def test_rating_grid_members_in_vietnamese_order_with_scheme_labels(client, unit):
    """Rows follow the Vietnamese order (given name first: Ánh, Dũng, Đạt, Sơn) and the level
    box offers the 2021 scheme's labels plus "Không xếp loại"; the basis is cited."""
    client.force_login(unit.secretary)
    html = client.get(_url("rating_grid", unit.old_commune)).content.decode()
    positions = [html.index(f'id="member-{m.pk}"') for m in unit.members]
    assert positions == sorted(positions)
    for label in [
        "Hoàn thành xuất sắc nhiệm vụ",
        "Hoàn thành tốt nhiệm vụ",
        "Hoàn thành nhiệm vụ",
        "Không hoàn thành nhiệm vụ",
        "Không xếp loại",
    ]:
        assert f">{label}</option>" in html
    assert "Hướng dẫn 21-HD/BTCTW" in html
    assert "Các mức năm nay nghĩa là gì?" in html
    assert "Chi bộ ấp 2" in html


def test_rating_grid_cell_limits_rows_but_counts_whole_unit(client, unit):
    """Opened on one cell, the grid lists that cell's members only; counters stay those of
    the whole grassroots organization."""
    round_ = open_round(unit.old_commune, YEAR)
    save_levels(round_, {unit.dat: "good", unit.anh: "good"})
    client.force_login(unit.secretary)
    html = client.get(_url("rating_grid", unit.old_cell)).content.decode()
    assert f'id="member-{unit.anh.pk}"' in html
    assert f'id="member-{unit.dat.pk}"' not in html
    counters = re.search(r'id="grid-counters".*?</section>', html, re.S).group(0)
    assert re.search(r"Hoàn thành tốt nhiệm vụ:</span>\s*<strong[^>]*>2<", counters)


def test_rating_grid_grassroots_cell_has_no_cell_column(client, province):
    """A grassroots cell's grid (and its printed sheet) holds one cell: no "Chi bộ" column
    repeats the unit's name on every row, while a commune's grid keeps it."""
    factories.member(province.new_cell, "Trần Văn Thành")
    client.force_login(factories.user_with_role(province.new_cell, Role.SECRETARY))
    html = client.get(_url("rating_grid", province.new_cell, 2025)).content.decode()
    assert "Trần Văn Thành" in html
    assert 'class="grid-cell"' not in html
    assert "grid-cell-inline" not in html
    sheet = client.get(_url("rating_grid_print", province.new_cell, 2025)).content.decode()
    assert "Trần Văn Thành" in sheet
    assert ">Chi bộ</th>" not in sheet


def test_rating_grid_empty_unit_shows_empty_state(client, province):
    """A unit with no member at the end of the year explains why the list is empty."""
    client.force_login(factories.user_with_role(province.old_commune, Role.SECRETARY))
    html = client.get(_url("rating_grid", province.old_commune)).content.decode()
    assert "Không có đảng viên nào để xếp loại" in html
    assert "<select" not in html


# --- live check ----------------------------------------------------------------------------


def test_rating_grid_check_shows_quota_counter_and_row_message_without_saving(client, unit):
    """Proposing 1 HTXSNV with a single HTTNV breaks Q1 (20% of 1 → 0): the check returns the
    counter "1 / tối đa 0" and the quota message on the HTXSNV row, and saves nothing."""
    round_ = open_round(unit.old_commune, YEAR)
    client.force_login(unit.secretary)
    data = _grid_data(round_, {unit.anh: "excellent", unit.dung: "good"})
    response = client.post(
        _url("rating_grid_check", unit.old_commune), data, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    counters = re.search(r'id="grid-counters".*?</section>', html, re.S).group(0)
    assert "tối đa 0" in counters
    assert re.search(r"Hoàn thành xuất sắc nhiệm vụ:</span>\s*<strong[^>]*>1<", counters)
    assert "Vượt tỷ lệ" in _row_messages(html, unit.anh)
    assert "Vượt tỷ lệ" not in _row_messages(html, unit.dung)
    assert 'hx-swap-oob="true"' in html
    assert not MemberRating.objects.exists()
    round_.refresh_from_db()
    assert round_.version == 1


# --- saving --------------------------------------------------------------------------------


def test_rating_grid_save_with_quota_violation_saves_nothing(client, unit):
    """A save that breaks the quota writes nothing, shows the message on the row and in a
    summary, and keeps what the user chose."""
    round_ = open_round(unit.old_commune, YEAR)
    client.force_login(unit.secretary)
    data = _grid_data(round_, {unit.anh: "excellent", unit.dung: "good"})
    response = client.post(_url("rating_grid", unit.old_commune), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert not MemberRating.objects.exists()
    assert "Chưa lưu gì" in html
    assert "Vượt tỷ lệ" in _row_messages(html, unit.anh)
    select = re.search(rf'name="level_{unit.anh.pk}".*?</select>', html, re.S).group(0)
    assert re.search(r'<option value="excellent" selected>', select)


def test_rating_grid_valid_save_writes_and_redirects(client, unit):
    """A valid save writes the proposed levels (and a reason for the one not rated), then
    comes back to the grid with a success message."""
    round_ = open_round(unit.old_commune, YEAR)
    client.force_login(unit.secretary)
    data = _grid_data(
        round_,
        {
            unit.anh: "good",
            unit.dung: "complete",
            unit.dat: ("none", "other", "Đi lao động nước ngoài"),
        },
    )
    response = client.post(_url("rating_grid", unit.old_commune), data, follow=True)
    assert response.redirect_chain[-1][0] == _url("rating_grid", unit.old_commune)
    ratings = {r.member_id: r for r in MemberRating.objects.all()}
    assert ratings[unit.anh.pk].proposed_level == "good"
    assert ratings[unit.dung.pk].proposed_level == "complete"
    assert ratings[unit.dat.pk].proposed_level == ""
    assert ratings[unit.dat.pk].not_rated_reason == "other"
    assert ratings[unit.dat.pk].not_rated_note == "Đi lao động nước ngoài"
    assert unit.son.pk not in ratings
    html = response.content.decode()
    assert "Đã lưu xếp loại của 3 đảng viên" in html
    assert "Lịch sử thay đổi" in html


def test_rating_grid_stale_version_shows_conflict_and_keeps_entries(client, unit):
    """Someone saved since the page was loaded: nothing is written, a clear message says so,
    the user's entries stay, and the other person's value is shown on the row."""
    round_ = open_round(unit.old_commune, YEAR)
    data = _grid_data(round_, {unit.anh: "complete"})
    save_levels(round_, {unit.anh: "good"})
    client.force_login(unit.secretary)
    response = client.post(_url("rating_grid", unit.old_commune), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Có người khác vừa thay đổi danh sách này" in html
    assert MemberRating.objects.get(member=unit.anh).proposed_level == "good"
    select = re.search(rf'name="level_{unit.anh.pk}".*?</select>', html, re.S).group(0)
    assert '<option value="complete" selected>' in select
    assert "Hoàn thành tốt nhiệm vụ" in _row_messages(html, unit.anh)
    round_.refresh_from_db()
    assert f'name="round_version" value="{round_.version}"' in html


def test_rating_grid_submit_changes_state(client, unit):
    """With every member entered and no rule broken, "Gửi duyệt" sends the round to the
    district: its state becomes submitted and the page says so."""
    round_ = open_round(unit.old_commune, YEAR)
    save_levels(round_, {m: "good" for m in unit.members})
    client.force_login(unit.secretary)
    page = client.get(_url("rating_grid", unit.old_commune)).content.decode()
    submit = re.search(r'<button[^>]*value="submit"[^>]*>', page).group(0)
    assert "disabled" not in submit
    data = _grid_data(round_, {m: "good" for m in unit.members}, action="submit")
    response = client.post(_url("rating_grid", unit.old_commune), data, follow=True)
    round_.refresh_from_db()
    assert round_.state == "submitted"
    html = response.content.decode()
    assert "Đã gửi" in html
    assert "Đảng bộ huyện Phú An" in html
    assert "<select" not in html


def test_rating_grid_submit_disabled_while_members_are_missing(client, unit):
    """ "Gửi duyệt" stays disabled, with the reason, while a member has no level."""
    round_ = open_round(unit.old_commune, YEAR)
    save_levels(round_, {unit.anh: "good"})
    client.force_login(unit.secretary)
    html = client.get(_url("rating_grid", unit.old_commune)).content.decode()
    submit = re.search(r'<button[^>]*value="submit"[^>]*>', html).group(0)
    assert "disabled" in submit
    assert "3 đảng viên chưa có mức xếp loại" in html


def test_rating_grid_exempt_member_is_prefilled_not_rated(client, unit):
    """An exempt member comes pre-set to "Không xếp loại" with the reason, and the row
    explains why."""
    factories.member_event(unit.son, "exemption", D(2020, 5, 1))
    client.force_login(unit.secretary)
    html = client.get(_url("rating_grid", unit.old_commune)).content.decode()
    level = re.search(rf'name="level_{unit.son.pk}".*?</select>', html, re.S).group(0)
    reason = re.search(rf'name="reason_{unit.son.pk}".*?</select>', html, re.S).group(0)
    assert '<option value="none" selected>' in level
    assert '<option value="exempt" selected>' in reason
    assert "miễn công tác và sinh hoạt đảng" in _row_messages(html, unit.son)


# --- printing and links --------------------------------------------------------------------


def test_rating_grid_print_lists_all_members(client, unit):
    """The printable sheet lists every member in order with a box per level and signatures."""
    client.force_login(unit.secretary)
    response = client.get(_url("rating_grid_print", unit.old_commune))
    html = response.content.decode()
    assert response.status_code == 200
    positions = [html.index(m.full_name) for m in unit.members]
    assert positions == sorted(positions)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in html
    assert "HTXSNV" in html and "KHTNV" in html
    assert "BÍ THƯ" in html
    assert html.count('class="box"') == len(unit.members) * 5
    assert not RatingRound.objects.exists()


def test_rating_links_show_this_and_last_year(unit):
    """The include for the organization page links to this year's and last year's grid."""
    this_year = timezone.localdate().year
    html = render_to_string(
        "assessments/includes/_rating_links.html", {"organization": unit.old_commune}
    )
    assert _url("rating_grid", unit.old_commune, this_year) in html
    assert _url("rating_grid", unit.old_commune, this_year - 1) in html
    assert f"Xếp loại năm {this_year}" in html
    assert (
        render_to_string(
            "assessments/includes/_rating_links.html", {"organization": unit.district}
        ).strip()
        == ""
    )


# --- query budget --------------------------------------------------------------------------


def test_rating_grid_query_count_does_not_grow_with_members(
    client, unit, django_assert_max_num_queries
):
    """Opening the grid costs the same number of queries for 4 members as for 16, within a
    fixed budget."""
    round_ = open_round(unit.old_commune, YEAR)
    save_levels(round_, {unit.anh: "good"})
    client.force_login(unit.secretary)
    url = _url("rating_grid", unit.old_commune)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(12):
        member = factories.member(unit.other_cell, f"Vũ Văn Thêm {i}")
        factories.member_event(member, "sick_leave", D(YEAR, 1, 1), end=D(YEAR, 5, 1))
    save_levels(round_, {unit.dung: "complete"})
    with django_assert_max_num_queries(25), CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count('class="grid-member"') == 16
    assert len(many) == len(few)
