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
    """The grid form as a browser posts it: {member: level | (level "none", reason, note)},
    each sent row with the version of the rating it was loaded from (0: none yet)."""
    round_.refresh_from_db()
    data = {"round_version": version if version is not None else round_.version, "action": action}
    saved = {r.member_id: r.version for r in MemberRating.objects.filter(round=round_)}
    for member, value in levels.items():
        level, reason, note = (value + ("",))[:3] if isinstance(value, tuple) else (value, "", "")
        data[f"level_{member.pk}"] = level
        data[f"reason_{member.pk}"] = reason
        data[f"reason_note_{member.pk}"] = note
        data[f"note_{member.pk}"] = ""
        data[f"version_{member.pk}"] = saved.get(member.pk, 0)
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
    assert "Lưu" in html and "Gửi danh sách của" in html


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
    assert '<span class="grid-value">HTTNV</span>' in html


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
        assert re.search(rf">(\w+ – )?{label}</option>", html)
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
    assert re.search(r">HTTNV</abbr> <strong[^>]*>2<", counters)


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
    group's line "Toàn xã 1/0 HTXSNV — cần hạ 1" once, above the grid (not repeated on the
    HTXSNV row), and saves nothing."""
    round_ = open_round(unit.old_commune, YEAR)
    client.force_login(unit.secretary)
    data = _grid_data(round_, {unit.anh: "excellent", unit.dung: "good"})
    response = client.post(
        _url("rating_grid_check", unit.old_commune), data, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    counters = re.search(r'id="grid-counters".*?</section>', html, re.S).group(0)
    assert "Toàn xã 1/0 HTXSNV — cần hạ 1" in counters
    assert re.search(r">HTXSNV</abbr> <strong[^>]*>1<", counters)
    assert "Vượt tỷ lệ" not in _row_messages(html, unit.anh)
    assert html.count("cần hạ") == 1
    assert 'hx-swap-oob="true"' in html
    assert not MemberRating.objects.exists()
    round_.refresh_from_db()
    assert round_.version == 1


# --- saving --------------------------------------------------------------------------------


def test_rating_grid_draft_over_quota_saves_and_submit_is_refused_per_group(client, unit):
    """A draft over the quota still saves (the committee works cell by cell); the page
    states the group's line once; sending is refused with that line and nothing changes
    state until the quota is met."""
    round_ = open_round(unit.old_commune, YEAR)
    client.force_login(unit.secretary)
    levels = {unit.anh: "excellent", unit.dung: "good", unit.dat: "good", unit.son: "good"}
    response = client.post(
        _url("rating_grid", unit.old_commune), _grid_data(round_, levels), follow=True
    )
    html = response.content.decode()
    assert MemberRating.objects.get(member=unit.anh).proposed_level == "excellent"
    assert "Đã lưu xếp loại của 4 đảng viên" in html
    assert "Toàn xã 1/0 HTXSNV — cần hạ 1" in html
    refused = client.post(
        _url("rating_grid", unit.old_commune), _grid_data(round_, {}, action="submit_confirmed")
    )
    text = refused.content.decode()
    assert refused.status_code == 200
    assert "Chưa gửi được" in text
    assert re.search(r"data-quota-message>Toàn xã 1/0 HTXSNV — cần hạ 1", text)
    round_.refresh_from_db()
    assert round_.state == "draft"


def test_rating_grid_cell_page_names_this_cells_share_of_the_quota(client, unit):
    """On a cell's page the group's line adds how many of the HTXSNV are this cell's."""
    round_ = open_round(unit.old_commune, YEAR)
    save_levels(round_, {unit.anh: "excellent", unit.son: "excellent", unit.dung: "good"})
    client.force_login(unit.secretary)
    html = client.get(_url("rating_grid", unit.old_cell)).content.decode()
    assert "Toàn xã 2/0 HTXSNV — cần hạ 2; chi bộ này 2" in html


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
    assert "1 dòng vừa được người khác lưu" in html
    assert "tải lại trang" not in html
    assert MemberRating.objects.get(member=unit.anh).proposed_level == "good"
    select = re.search(rf'name="level_{unit.anh.pk}".*?</select>', html, re.S).group(0)
    assert '<option value="complete" selected>' in select
    messages = _row_messages(html, unit.anh)
    assert "Người khác vừa lưu: Hoàn thành tốt nhiệm vụ" in messages
    assert 'data-other-level="good"' in messages
    assert "Giữ của tôi" in messages and "Lấy của người kia" in messages
    fresh = MemberRating.objects.get(member=unit.anh).version
    assert re.search(rf'name="version_{unit.anh.pk}"[^>]* value="{fresh}"', html)
    # "Save" again now keeps this user's value, deliberately.
    data[f"version_{unit.anh.pk}"] = fresh
    client.post(_url("rating_grid", unit.old_commune), data)
    assert MemberRating.objects.get(member=unit.anh).proposed_level == "complete"


def test_rating_grid_submit_changes_state(client, unit):
    """With every member entered and no rule broken, "Gửi duyệt" sends the round to the
    district: its state becomes submitted and the page says so."""
    round_ = open_round(unit.old_commune, YEAR)
    save_levels(round_, {m: "good" for m in unit.members})
    client.force_login(unit.secretary)
    page = client.get(_url("rating_grid", unit.old_commune)).content.decode()
    submit = re.search(r'<button[^>]*value="submit"[^>]*>', page).group(0)
    assert "disabled" not in submit
    confirm = client.post(
        _url("rating_grid", unit.old_commune), _grid_data(round_, {}, action="submit")
    )
    text = confirm.content.decode()
    assert "Gửi 4 đảng viên của 2 chi bộ lên Đảng bộ huyện Phú An?" in text
    round_.refresh_from_db()
    assert round_.state == "draft"
    data = _grid_data(round_, {}, action="submit_confirmed")
    response = client.post(_url("rating_grid", unit.old_commune), data, follow=True)
    round_.refresh_from_db()
    assert round_.state == "submitted"
    html = response.content.decode()
    assert "Đã gửi" in html
    assert "Đảng bộ huyện Phú An" in html
    assert "<select" not in html


def test_rating_grid_submit_from_a_cell_names_the_whole_unit(client, unit):
    """Sending from one cell's page sends the whole commune: the confirmation says so, with
    the counts, before anything is sent."""
    round_ = open_round(unit.old_commune, YEAR)
    save_levels(round_, {m: "good" for m in unit.members})
    client.force_login(unit.secretary)
    text = client.post(
        _url("rating_grid", unit.old_cell), _grid_data(round_, {}, action="submit")
    ).content.decode()
    assert "Gửi 4 đảng viên của 2 chi bộ" in text
    assert "Bạn đang ở trang của Chi bộ" in text
    round_.refresh_from_db()
    assert round_.state == "draft"


def test_rating_grid_submit_while_members_are_missing_is_refused_per_cell(client, unit):
    """While members have no level the page says how many, and sending is refused with the
    count of members to correct in each cell."""
    round_ = open_round(unit.old_commune, YEAR)
    save_levels(round_, {unit.anh: "good"})
    client.force_login(unit.secretary)
    html = client.get(_url("rating_grid", unit.old_commune)).content.decode()
    assert "Còn 3 đảng viên chưa có mức." in html
    text = client.post(
        _url("rating_grid", unit.old_commune), _grid_data(round_, {}, action="submit_confirmed")
    ).content.decode()
    assert "Chưa gửi được" in text
    assert "3 đảng viên cần sửa" in text
    assert re.search(r"<li>Chi bộ[^<]*: 2</li>", text)


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
    # Shown but not saved yet: the browser sends the row with the next save.
    assert re.search(rf'id="member-{unit.son.pk}"[^>]*data-prefilled', html)


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
    with django_assert_max_num_queries(16), CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count("data-member=") == 16
    assert len(many) == len(few)


def test_rating_grid_check_query_budget(client, unit, django_assert_max_num_queries):
    """The live check reads what it answers with and nothing the page alone draws (the
    breadcrumbs' ancestors, the whole page's rows): a fixed budget, the same for 1 row as
    for 2."""
    round_ = open_round(unit.old_commune, YEAR)
    save_levels(round_, {unit.anh: "good"})
    client.force_login(unit.secretary)
    url = _url("rating_grid_check", unit.old_commune)
    client.post(url, _grid_data(round_, {unit.anh: "excellent"}))
    with CaptureQueriesContext(connection) as one:
        assert client.post(url, _grid_data(round_, {unit.anh: "excellent"})).status_code == 200
    with django_assert_max_num_queries(16), CaptureQueriesContext(connection) as two:
        data = _grid_data(round_, {unit.anh: "excellent", unit.dung: "good"})
        assert client.post(url, data).status_code == 200
    assert len(one) == len(two)
