"""The upper committee's review screens and the per-year settings screens.

Permission matrix: anonymous → login; no role → 404; another province's round → 404; a
secretary → 403 on the decisions; a reviewer of the deciding committee (or above) → works.
Then the content (Vietnamese labels, states, counts), each decision's state change and audit
row, the required texts, the batch decision (all or nothing) and the list's query budget.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import schemes, services
from assessments.choices import RoundState
from assessments.models import MemberRating, RatingRound, RatingYear
from cells.choices import OrganizationType, Role
from cells.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR = 2024
GOOD = schemes.GOOD

ROUND_VIEWS = ["review_detail", "review_return", "review_decide", "review_publish", "review_reopen"]
ACTION_VIEWS = ["review_return", "review_decide", "review_publish", "review_reopen"]
ACTION_DATA = {
    "review_return": {"comment": "Thiếu biên bản họp chi bộ", "confirmed": "1"},
    "review_decide": {"quota_exception": "", "confirmed": "1"},
    "review_publish": {},
    "review_reopen": {"reason": "Phát hiện sai sót", "confirmed": "1"},
}


# --- helpers ---------------------------------------------------------------------------------


def _commune(parent, n: int, *, members: int = 2):
    """A grassroots commune under `parent` with one cell of `members` members."""
    commune = factories.org(
        parent,
        f"{parent.code}-X{n:02d}",
        f"Đảng bộ xã Thử {n:02d}",
        OrganizationType.COMMUNE,
        is_grassroots=True,
        established_on=D(1992, 1, 1),
    )
    cell = factories.org(
        commune,
        f"{commune.code}-C1",
        f"Chi bộ thôn {n:02d}",
        OrganizationType.CELL,
        established_on=D(1995, 1, 1),
    )
    people = [factories.member(cell, f"Nguyễn Văn Số{n:02d}{i}") for i in range(members)]
    return commune, cell, people


def _round(organization, cell, people, *, state=RoundState.SUBMITTED, year=YEAR, level=GOOD):
    """A round of `organization` in `state`, every member proposed at `level`.

    Built directly in the tables: the screens under test read and move rounds, and the
    entry services have their own tests.
    """
    rnd = RatingRound.objects.create(
        organization=organization,
        year=year,
        scheme_code=schemes.scheme_for_year(year).code,
        state=state,
    )
    for person in people:
        MemberRating.objects.create(
            round=rnd, member=person, year=year, cell=cell, proposed_level=level
        )
    return rnd


def _reload(rnd):
    return RatingRound.objects.get(pk=rnd.pk)


def _content(response) -> str:
    return response.content.decode()


@pytest.fixture
def world(province):
    """The small province with a submitted 2024 round of the old commune (5 members, HTTNV),
    decided by the district; and a submitted round of the other province's grassroots cell."""
    w = province
    w.people = [factories.member(w.new_cell, f"Trần Văn Thành{i}") for i in range(3)] + [
        factories.member(w.other_cell, f"Lê Thị Hoa{i}") for i in range(2)
    ]
    w.round = RatingRound.objects.create(
        organization=w.old_commune,
        year=YEAR,
        scheme_code=schemes.scheme_for_year(YEAR).code,
        state=RoundState.SUBMITTED,
    )
    for person in w.people:
        cell = w.old_cell if person.full_name.startswith("Trần") else w.other_cell
        MemberRating.objects.create(
            round=w.round, member=person, year=YEAR, cell=cell, proposed_level=GOOD
        )
    foreign_people = [factories.member(w.foreign_cell, "Lò Văn Pá")]
    w.foreign_round = _round(w.foreign_cell, w.foreign_cell, foreign_people)
    w.reviewer = factories.user_with_role(w.district, Role.REVIEWER, username="bantochuc")
    return w


def _url(world, name, *, foreign=False):
    rnd = world.foreign_round if foreign else world.round
    if name == "review_home":
        return reverse("assessments:review_home")
    if name == "review_list":
        org = world.other_province if foreign else world.district
        return reverse("assessments:review_list", args=[org.pk, YEAR])
    return reverse(f"assessments:{name}", args=[rnd.pk])


# --- the permission matrix -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["review_home", "review_list", *ROUND_VIEWS])
def test_review_views_anonymous_redirects_to_login(client, world, name):
    """Every review screen and action asks an anonymous visitor to log in first."""
    url = _url(world, name)
    method = client.post if name in ACTION_VIEWS else client.get
    response = method(url, ACTION_DATA.get(name, {}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert _reload(world.round).state == RoundState.SUBMITTED


@pytest.mark.parametrize("name", ["review_list", *ROUND_VIEWS])
def test_review_views_user_without_role_gets_404(client, world, name):
    """A user with no role finds no committee and no round: they do not exist for them."""
    client.force_login(factories.UserFactory())
    method = client.post if name in ACTION_VIEWS else client.get
    assert method(_url(world, name), ACTION_DATA.get(name, {})).status_code == 404
    assert _reload(world.round).state == RoundState.SUBMITTED


@pytest.mark.parametrize("name", ["review_list", *ROUND_VIEWS])
def test_review_views_other_province_is_404(client, world, name):
    """A province reviewer cannot reach another province's committee or rounds (404)."""
    client.force_login(factories.user_with_role(world.province, Role.REVIEWER))
    method = client.post if name in ACTION_VIEWS else client.get
    assert method(_url(world, name, foreign=True), ACTION_DATA.get(name, {})).status_code == 404
    assert _reload(world.foreign_round).state == RoundState.SUBMITTED


@pytest.mark.parametrize("name", ACTION_VIEWS)
def test_review_actions_secretary_is_forbidden(client, world, name):
    """The unit's own secretary sees its round but may not return, decide, publish or
    reopen it (403): the decision belongs to the superior committee."""
    client.force_login(factories.user_with_role(world.old_commune, Role.SECRETARY))
    assert client.get(_url(world, "review_detail")).status_code == 200
    response = client.post(_url(world, name), ACTION_DATA[name])
    assert response.status_code == 403
    assert _reload(world.round).state == RoundState.SUBMITTED
    assert not AuditEntry.objects.filter(object_type="assessments.ratinground").exists()


def test_review_list_secretary_of_province_is_forbidden(client, world):
    """A secretary who can see the district is still not its reviewer: 403 on the list."""
    client.force_login(factories.user_with_role(world.province, Role.SECRETARY))
    assert client.get(_url(world, "review_list")).status_code == 403


@pytest.mark.parametrize("name", ACTION_VIEWS)
def test_review_actions_refuse_get(client, world, name):
    """Decisions are POST only: a GET (a link, a prefetch) changes nothing."""
    client.force_login(world.reviewer)
    assert client.get(_url(world, name)).status_code == 405
    assert _reload(world.round).state == RoundState.SUBMITTED


@pytest.mark.parametrize("role_on", ["district", "province"])
def test_review_views_reviewer_in_scope_gets_pages(client, world, role_on):
    """A reviewer of the deciding district, or of the province above it, opens the list and
    the round with the decision buttons."""
    client.force_login(factories.user_with_role(getattr(world, role_on), Role.REVIEWER))
    listing = _content(client.get(_url(world, "review_list")))
    assert "Đảng bộ xã An Hòa" in listing
    assert reverse("assessments:review_detail", args=[world.round.pk]) in listing
    detail = _content(client.get(_url(world, "review_detail")))
    assert "Trần Văn Thành0" in detail
    assert reverse("assessments:review_decide", args=[world.round.pk]) in detail
    assert reverse("assessments:review_return", args=[world.round.pk]) in detail


# --- landing page ----------------------------------------------------------------------------


def test_review_home_redirects_to_reviewer_node_and_current_year(client, world):
    """The landing page opens the reviewer's committee on the year being rated (from
    November the current year, before that the previous one)."""
    client.force_login(world.reviewer)
    today = datetime.date.today()
    year = today.year if today.month >= 11 else today.year - 1
    response = client.get(reverse("assessments:review_home"))
    assert response.status_code == 302
    expected = reverse("assessments:review_list", args=[world.district.pk, year])
    assert response["Location"] == expected


def test_review_home_without_reviewer_role_explains_the_role(client, world):
    """A secretary (no deciding role) gets a page saying which role the screen needs."""
    client.force_login(factories.user_with_role(world.old_commune, Role.SECRETARY))
    response = client.get(reverse("assessments:review_home"))
    content = _content(response)
    assert response.status_code == 200
    assert "Người duyệt" in content
    assert "Đảng bộ xã An Hòa" not in content


# --- the list --------------------------------------------------------------------------------


@pytest.fixture
def many(world):
    """Five more communes under the district, one per state (one never started)."""
    states = [None, RoundState.DRAFT, RoundState.RETURNED, RoundState.DECIDED, RoundState.PUBLISHED]
    world.extra = []
    for n, state in enumerate(states, start=1):
        commune, cell, people = _commune(world.district, n, members=n)
        rnd = _round(commune, cell, people, state=state) if state else None
        world.extra.append((commune, rnd))
    return world


def test_review_list_shows_states_and_counts_in_vietnamese(client, many):
    """Each unit shows its state as a Vietnamese badge, its members and its count per level;
    the filter shows how many units are in each state."""
    client.force_login(many.reviewer)
    response = client.get(_url(many, "review_list"))
    content = _content(response)
    assert response.status_code == 200
    for label in (
        "Chưa bắt đầu",
        "Đang nhập",
        "Đã gửi",
        "Bị trả lại",
        "Đã quyết định",
        "Đã công bố",
    ):
        assert label in content
    assert "Đảng bộ xã Thử 05" in content
    assert "HTTNV" in content
    assert 'data-state-count="submitted">1<' in content
    assert 'data-state-count="not_started">1<' in content
    rows = {row.organization.pk: row for row, _counts, _f in response.context["entries"]}
    assert rows[many.old_commune.pk].members == 5
    assert rows[many.old_commune.pk].counts.get(GOOD) == 5
    assert rows[many.extra[0][0].pk].state == "not_started"
    assert len(rows) == 6
    # Only submitted rounds can be picked for a batch decision.
    assert content.count('name="rounds"') == 1
    assert f'value="{many.round.pk}"' in content


def test_review_list_and_grid_colour_a_state_alike(client, world):
    """ "Đã gửi" wears the same colour on the review list, the review page and the unit's grid."""
    client.force_login(world.reviewer)
    grid_url = reverse("assessments:rating_grid", args=[world.old_commune.pk, YEAR])
    badge = re.compile(r'<span class="badge ([^"]*)">\s*<i [^>]*></i> Đã gửi</span>')
    colours = set()
    for url in (_url(world, "review_list"), _url(world, "review_detail"), grid_url):
        found = badge.findall(_content(client.get(url)))
        assert found, url
        colours |= {c for classes in found for c in classes.split() if c.startswith("text-bg-")}
    assert len(colours) == 1


def test_review_list_filters_by_state(client, many):
    """?state=returned keeps only the returned units."""
    client.force_login(many.reviewer)
    response = client.get(_url(many, "review_list") + "?state=returned")
    names = [row.organization.name for row, _c, _f in response.context["entries"]]
    assert names == ["Đảng bộ xã Thử 03"]


def test_review_list_year_switcher_and_unknown_year(client, world):
    """The list links other years; a year with no scheme is a 404."""
    client.force_login(world.reviewer)
    content = _content(client.get(_url(world, "review_list")))
    assert reverse("assessments:review_list", args=[world.district.pk, YEAR - 1]) in content
    unknown = reverse("assessments:review_list", args=[world.district.pk, 1990])
    assert client.get(unknown).status_code == 404


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_review_list_query_count_independent_of_units(client, world, django_assert_max_num_queries):
    """A committee with 6 units costs as many queries as one with 2 (no N+1), once each
    round's summary is computed (once per round version, on the first view)."""
    small = factories.org(
        world.province,
        "BG-SM",
        "Đảng bộ huyện Nhỏ",
        OrganizationType.DISTRICT,
        established_on=D(1992, 1, 1),
    )
    big = factories.org(
        world.province,
        "BG-BI",
        "Đảng bộ huyện Lớn",
        OrganizationType.DISTRICT,
        established_on=D(1992, 1, 1),
    )
    for n in range(2):
        _round(*_commune(small, n, members=3))
    for n in range(6):
        state = RoundState.DECIDED if n % 2 else RoundState.SUBMITTED
        _round(*_commune(big, n, members=3), state=state)
    client.force_login(factories.user_with_role(world.province, Role.REVIEWER))
    small_url = reverse("assessments:review_list", args=[small.pk, YEAR])
    big_url = reverse("assessments:review_list", args=[big.pk, YEAR])
    client.get(small_url)  # warm the session and the summaries
    client.get(big_url)
    assert _list_queries(client, small_url) == _list_queries(client, big_url)
    with django_assert_max_num_queries(20):
        client.get(big_url)


# --- batch decision --------------------------------------------------------------------------


def test_review_list_decides_several_at_once(client, world):
    """Checking several submitted units and confirming decides them all, with an audit row
    each, and copies the proposed levels to the decided ones."""
    other, cell, people = _commune(world.district, 1, members=3)
    other_round = _round(other, cell, people)
    client.force_login(world.reviewer)
    response = client.post(
        _url(world, "review_list"),
        {"rounds": [world.round.pk, other_round.pk], "confirmed": "1"},
        follow=True,
    )
    content = _content(response)
    assert response.status_code == 200
    assert "2 đơn vị" in content
    for rnd in (world.round, other_round):
        assert _reload(rnd).state == RoundState.DECIDED
        assert _reload(rnd).decided_by == world.reviewer
    assert set(
        MemberRating.objects.filter(round__in=[world.round, other_round]).values_list(
            "decided_level", flat=True
        )
    ) == {GOOD}
    assert (
        AuditEntry.objects.filter(
            object_type="assessments.ratinground",
            object_id__in=[str(world.round.pk), str(other_round.pk)],
            actor=world.reviewer,
        ).count()
        >= 2
    )


def test_review_list_batch_decision_is_all_or_nothing(client, world):
    """If one selected unit cannot be decided (still in draft), none is, and the page says
    which one failed and why."""
    other, cell, people = _commune(world.district, 1, members=3)
    draft = _round(other, cell, people, state=RoundState.DRAFT)
    client.force_login(world.reviewer)
    response = client.post(
        _url(world, "review_list"), {"rounds": [world.round.pk, draft.pk], "confirmed": "1"}
    )
    content = _content(response)
    assert response.status_code == 200
    assert "Không đơn vị nào được quyết định" in content
    assert "review-failure" in content
    assert _reload(world.round).state == RoundState.SUBMITTED
    assert _reload(draft).state == RoundState.DRAFT
    # The selection is kept so the reviewer can untick the failing unit and try again.
    assert f'value="{world.round.pk}" id="round-{world.round.pk}" checked' in content


def test_review_list_batch_decision_needs_a_selection(client, world):
    """Confirming with nothing ticked decides nothing and says so."""
    client.force_login(world.reviewer)
    response = client.post(_url(world, "review_list"), {}, follow=True)
    assert "Chọn ít nhất một đơn vị" in _content(response)
    assert _reload(world.round).state == RoundState.SUBMITTED


def test_review_list_batch_decision_out_of_scope_round_is_404(client, world):
    """A round of another province slipped into the batch is a 404; nothing is decided."""
    client.force_login(world.reviewer)
    response = client.post(
        _url(world, "review_list"), {"rounds": [world.round.pk, world.foreign_round.pk]}
    )
    assert response.status_code == 404
    assert _reload(world.round).state == RoundState.SUBMITTED
    assert _reload(world.foreign_round).state == RoundState.SUBMITTED


# --- one round -------------------------------------------------------------------------------


def test_review_detail_shows_members_levels_counts_and_history(client, world):
    """The round page lists the members in Vietnamese name order with their proposed level,
    the counters and the organization's state."""
    client.force_login(world.reviewer)
    response = client.get(_url(world, "review_detail"))
    content = _content(response)
    assert response.status_code == 200
    assert "Đã gửi" in content
    assert "Chi bộ ấp 1" in content and "Chi bộ ấp 2" in content
    # Vietnamese order: by given name ("Hoa" before "Thành").
    assert content.index("Lê Thị Hoa0") < content.index("Trần Văn Thành0")
    assert 'data-level="good">5<' in content
    assert "Trả lại" in content and "Quyết định" in content
    assert reverse("assessments:review_list", args=[world.district.pk, YEAR]) in content


def test_review_return_requires_a_comment(client, world):
    """Returning without saying what to correct is refused on the form; nothing changes."""
    client.force_login(world.reviewer)
    response = client.post(_url(world, "review_return"), {"comment": "   "})
    assert response.status_code == 200
    assert "Hãy ghi lý do trả lại" in _content(response)
    assert _reload(world.round).state == RoundState.SUBMITTED


def test_review_return_sends_back_with_comment_and_audit(client, world):
    """Returning records the comment, moves the round to "returned" and writes an audit row."""
    client.force_login(world.reviewer)
    response = client.post(
        _url(world, "review_return"),
        {"comment": "Thiếu biên bản họp chi bộ", "confirmed": "1"},
        follow=True,
    )
    content = _content(response)
    rnd = _reload(world.round)
    assert rnd.state == RoundState.RETURNED
    assert rnd.return_comment == "Thiếu biên bản họp chi bộ"
    assert "đã được trả lại" in content
    assert "Bị trả lại" in content
    assert AuditEntry.objects.filter(
        object_type="assessments.ratinground", object_id=str(rnd.pk), actor=world.reviewer
    ).exists()


def test_review_decide_then_publish_then_reopen(client, world):
    """Decide → publish → reopen (with a reason) walks the round through its states,
    each step audited and announced in Vietnamese."""
    client.force_login(world.reviewer)
    content = _content(client.post(_url(world, "review_decide"), {"confirmed": "1"}, follow=True))
    assert _reload(world.round).state == RoundState.DECIDED
    assert "đã được quyết định" in content
    assert "Công bố" in content and "Mở lại" in content
    assert set(world.round.member_ratings.values_list("decided_level", flat=True)) == {GOOD}

    content = _content(client.post(_url(world, "review_publish"), follow=True))
    assert _reload(world.round).state == RoundState.PUBLISHED
    assert "đã được công bố" in content

    content = _content(
        client.post(
            _url(world, "review_reopen"),
            {"reason": "Phát hiện sai sót", "confirmed": "1"},
            follow=True,
        )
    )
    rnd = _reload(world.round)
    assert rnd.state == RoundState.DRAFT
    assert rnd.reopen_reason == "Phát hiện sai sót"
    assert "đã được mở lại" in content
    assert (
        AuditEntry.objects.filter(
            object_type="assessments.ratinground", object_id=str(rnd.pk), actor=world.reviewer
        ).count()
        >= 3
    )


def test_review_reopen_requires_a_reason(client, world):
    """Reopening a decided rating without a reason is refused; it stays decided."""
    RatingRound.objects.filter(pk=world.round.pk).update(state=RoundState.DECIDED)
    client.force_login(world.reviewer)
    response = client.post(_url(world, "review_reopen"), {"reason": ""})
    assert response.status_code == 200
    assert "Hãy ghi lý do mở lại" in _content(response)
    assert _reload(world.round).state == RoundState.DECIDED


def test_review_action_in_wrong_state_shows_service_message(client, world):
    """Publishing a round that is only submitted is refused by the service; its Vietnamese
    message is shown and nothing changes."""
    client.force_login(world.reviewer)
    response = client.post(_url(world, "review_publish"), follow=True)
    assert response.status_code == 200
    assert _reload(world.round).state == RoundState.SUBMITTED
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and messages[0]


def test_review_detail_quota_exception_field_hidden_without_quota_violation(client, world):
    """The quota exception box appears only when the quota is exceeded."""
    client.force_login(world.reviewer)
    content = _content(client.get(_url(world, "review_detail")))
    assert 'name="quota_exception"' not in content


# --- per-year settings -----------------------------------------------------------------------


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="quantri", is_superuser=True, is_staff=True)


@pytest.mark.parametrize("name", ["ratingyear_list", "ratingyear_edit"])
def test_ratingyear_views_need_an_administrator(client, world, name):
    """Anonymous → login; a reviewer or a province administrator role → 403 (the settings are
    national)."""
    url = reverse(f"assessments:{name}", args=[] if name == "ratingyear_list" else [2024])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(world.reviewer)
    assert client.get(url).status_code == 403
    client.force_login(factories.user_with_role(world.province, Role.ADMIN))
    assert client.post(url, {"entry_deadline": "15/12/2024"}).status_code == 403
    assert not RatingYear.objects.exists()


def test_ratingyear_list_shows_years_and_quota(client, admin_user):
    """The list shows each year with its basis and quota, in Vietnamese."""
    RatingYear.objects.create(year=2024, entry_deadline=D(2024, 12, 20))
    client.force_login(admin_user)
    content = _content(client.get(reverse("assessments:ratingyear_list")))
    assert "Hướng dẫn 25-HD/BTCTW" in content
    assert "20/12/2024" in content
    assert "1/5" in content
    assert reverse("assessments:ratingyear_edit", args=[2024]) in content


def test_ratingyear_edit_saves_deadline_and_quota_with_audit(client, admin_user):
    """An administrator sets the deadline and a 2024 quota override; it is saved and audited."""
    client.force_login(admin_user)
    response = client.post(
        reverse("assessments:ratingyear_edit", args=[2024]),
        {
            "entry_deadline": "15/12/2024",
            "quota_numerator": "1",
            "quota_denominator": "4",
            "quota_scope": "member_group",
        },
        follow=True,
    )
    assert response.status_code == 200
    setting = RatingYear.objects.get(year=2024)
    assert setting.entry_deadline == D(2024, 12, 15)
    assert (setting.quota_numerator, setting.quota_denominator) == (1, 4)
    assert setting.quota_scope == "member_group"
    assert "đã được lưu" in _content(response)
    entry = AuditEntry.objects.get(action="rating_year_update")
    assert entry.actor == admin_user
    assert entry.changes["entry_deadline"] == [None, "2024-12-15"]


def test_ratingyear_edit_refuses_quota_before_2023(client, admin_user):
    """The 2019–2022 quota is confirmed: an override for 2021 is refused with a message."""
    client.force_login(admin_user)
    response = client.post(
        reverse("assessments:ratingyear_edit", args=[2021]),
        {"entry_deadline": "", "quota_numerator": "1", "quota_denominator": "4"},
    )
    assert response.status_code == 200
    assert "chỉ tỷ lệ của năm 2023 trở đi" in _content(response)
    assert not RatingYear.objects.exists()


def test_ratingyear_edit_requires_both_parts_of_ratio(client, admin_user):
    """A numerator without a denominator is refused on the field."""
    client.force_login(admin_user)
    response = client.post(
        reverse("assessments:ratingyear_edit", args=[2024]),
        {"quota_numerator": "1", "quota_denominator": ""},
    )
    assert "Nhập cả tử số và mẫu số" in _content(response)
    assert not RatingYear.objects.exists()


def test_rating_year_update_service_refuses_non_admin(world):
    """The service itself refuses a user without the administrator permission."""
    from django.core.exceptions import PermissionDenied

    from assessments.year_services import rating_year_update

    with pytest.raises(PermissionDenied):
        rating_year_update(actor=world.reviewer, year=2024, entry_deadline=D(2024, 12, 1))
    assert not RatingYear.objects.exists()


def test_services_contract_names_exist():
    """The names the screens call exist in the assessments core (contract check)."""
    for name in (
        "round_return",
        "round_decide",
        "rounds_decide",
        "round_publish",
        "round_reopen",
        "RatingError",
    ):
        assert hasattr(services, name)


def test_review_decide_over_quota_needs_a_justified_exception(client, world):
    """With more HTXSNV than the quota allows (2 of at most 1 for 5 HTTNV), the page offers
    the exception box; deciding without a justification is refused with the rule's message,
    with one it is decided and the justification kept for the reports."""
    extra = [factories.member(world.other_cell, f"Phạm Văn Giỏi{i}") for i in range(2)]
    for person in extra:
        MemberRating.objects.create(
            round=world.round,
            member=person,
            year=YEAR,
            cell=world.other_cell,
            proposed_level=schemes.EXCELLENT,
        )
    client.force_login(world.reviewer)
    content = _content(client.get(_url(world, "review_detail")))
    assert 'name="quota_exception"' in content
    assert "Vượt tỷ lệ" in content

    response = client.post(
        _url(world, "review_decide"), {"quota_exception": "", "confirmed": "1"}, follow=True
    )
    assert _reload(world.round).state == RoundState.SUBMITTED
    assert "Vượt tỷ lệ" in str(list(response.context["messages"])[0])

    client.post(
        _url(world, "review_decide"),
        {"quota_exception": "Đơn vị có thành tích đột xuất", "confirmed": "1"},
    )
    rnd = _reload(world.round)
    assert rnd.state == RoundState.DECIDED
    assert rnd.quota_exception == "Đơn vị có thành tích đột xuất"
