"""Review at province scale: lateness, filters and sorting of the list, select all of a filter,
a confirmation that states the scope before every decision, what changed since the last
return or decision (per member and per unit), and the detail's filters and pages.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import review, schemes, services
from assessments.choices import RoundState
from assessments.models import MemberRating, RatingRound, RatingYear, RoundSnapshot
from cells.choices import Role
from tests import factories
from tests.assessments.test_review_views import YEAR, _commune, _content, _reload, _round

pytestmark = pytest.mark.django_db

D = datetime.date
GOOD, FAIR = schemes.GOOD, schemes.COMPLETE


# --- lateness (a pure function of the dates) -------------------------------------------------
@pytest.mark.parametrize(
    ("submitted", "state", "today", "late"),
    [
        (None, RoundState.DRAFT, D(2024, 12, 20), 0),  # deadline day itself: not late
        (None, RoundState.DRAFT, D(2024, 12, 23), 3),  # still not submitted: counts to today
        (None, RoundState.RETURNED, D(2024, 12, 21), 1),
        (D(2024, 12, 19), RoundState.SUBMITTED, D(2025, 1, 5), 0),
        (D(2024, 12, 22), RoundState.SUBMITTED, D(2025, 1, 5), 2),  # fixed at submission
        (D(2024, 12, 22), RoundState.DECIDED, D(2025, 1, 5), 2),
        (None, RoundState.DECIDED, D(2025, 1, 5), 0),  # decided by import: no submission
    ],
)
def test_days_late_counts_from_the_deadline(submitted, state, today, late):
    """Days late: at the submission for a submitted unit, up to today for one not yet in."""
    at = (
        timezone.make_aware(datetime.datetime.combine(submitted, datetime.time(10)))
        if submitted
        else None
    )
    assert (
        review.days_late(deadline=D(2024, 12, 20), submitted_at=at, state=state, today=today)
        == late
    )


def test_days_late_without_deadline_is_zero():
    """No deadline set for the year: nobody is late."""
    assert (
        review.days_late(deadline=None, submitted_at=None, state="draft", today=D(2030, 1, 1)) == 0
    )


# --- the list --------------------------------------------------------------------------------
@pytest.fixture
def units(province):
    """Three submitted communes under the district (2, 3, 4 members) and one in draft."""
    w = province
    w.reviewer = factories.user_with_role(w.district, Role.REVIEWER, username="bantochuc")
    w.rounds = []
    for n, size in enumerate((2, 3, 4)):
        commune, cell, people = _commune(w.district, n, members=size)
        w.rounds.append(_round(commune, cell, people))
    commune, cell, people = _commune(w.district, 7, members=1)
    w.draft = _round(commune, cell, people, state=RoundState.DRAFT)
    return w


def _list_url(w, **query):
    url = reverse("assessments:review_list", args=[w.district.pk, YEAR])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_review_list_shows_submitted_date_deadline_and_days_late(client, units):
    """The list shows each unit's submitted date and days late against the year's deadline."""
    RatingYear.objects.create(year=YEAR, entry_deadline=D(2024, 12, 20))
    late = units.rounds[0]
    late.submitted_at = timezone.make_aware(datetime.datetime(2024, 12, 24, 9))
    late.save(update_fields=["submitted_at"])
    client.force_login(units.reviewer)
    content = _content(client.get(_list_url(units)))
    assert "Hạn nhập: 20/12/2024" in content
    assert "24/12/2024" in content
    assert 'data-days-late="4"' in content


def test_review_list_filters_by_lateness_and_name_and_sorts(client, units):
    """`late=late` keeps only late units, `q` matches names without tones, `sort=-members`
    puts the largest unit first."""
    RatingYear.objects.create(year=YEAR, entry_deadline=D(2024, 12, 20))
    late = units.rounds[1]
    late.submitted_at = timezone.make_aware(datetime.datetime(2024, 12, 22, 9))
    late.save(update_fields=["submitted_at"])
    for rnd in (units.rounds[0], units.rounds[2]):
        rnd.submitted_at = timezone.make_aware(datetime.datetime(2024, 12, 1, 9))
        rnd.save(update_fields=["submitted_at"])
    client.force_login(units.reviewer)
    rows = client.get(_list_url(units, late="late")).context["entries"]
    # Late: the unit submitted after the deadline, and those still not in (draft, no round).
    assert [row.round.pk for row, _c, _f in rows if row.state == RoundState.SUBMITTED] == [late.pk]
    assert {row.state for row, _c, _f in rows} == {RoundState.SUBMITTED, "draft", "not_started"}
    rows = client.get(_list_url(units, q="xa thu 02")).context["entries"]
    assert [row.organization.name for row, _c, _f in rows] == ["Đảng bộ xã Thử 02"]
    rows = client.get(_list_url(units, sort="-members")).context["entries"]
    assert [row.members for row, _c, _f in rows][:3] == [4, 3, 2]


def test_review_list_decision_asks_confirmation_with_the_scope(client, units):
    """Deciding the checked units first shows "Quyết định 2 đơn vị, 5 đảng viên?" and decides
    nothing; confirming decides them."""
    client.force_login(units.reviewer)
    picked = [units.rounds[0].pk, units.rounds[1].pk]
    response = client.post(_list_url(units), {"rounds": picked})
    content = _content(response)
    assert "Quyết định 2 đơn vị, 5 đảng viên?" in content
    assert all(_reload(r).state == RoundState.SUBMITTED for r in units.rounds)
    client.post(_list_url(units), {"rounds": picked, "confirmed": "1"})
    assert [_reload(r).state for r in units.rounds] == [
        RoundState.DECIDED,
        RoundState.DECIDED,
        RoundState.SUBMITTED,
    ]


def test_review_list_select_all_of_a_filter_decides_exactly_the_filtered_units(client, units):
    """`all=1` decides every submitted unit the filter shows — not the draft, not the units
    the filter hides — after the same confirmation."""
    client.force_login(units.reviewer)
    url = _list_url(units, q="thu 0")
    content = _content(client.post(url, {"all": "1"}))
    assert "Quyết định 3 đơn vị, 9 đảng viên?" in content
    client.post(url, {"all": "1", "confirmed": "1"})
    assert {_reload(r).state for r in units.rounds} == {RoundState.DECIDED}
    assert _reload(units.draft).state == RoundState.DRAFT

    # A narrower filter: only the unit named "… 01".
    other, cell, people = _commune(units.district, 5, members=2)
    extra = _round(other, cell, people)
    client.post(_list_url(units, q="thu 05"), {"all": "1", "confirmed": "1"})
    assert _reload(extra).state == RoundState.DECIDED


def test_review_single_actions_confirm_their_scope(client, units):
    """Decide, return and reopen on one unit each first ask, naming the members concerned."""
    client.force_login(units.reviewer)
    rnd = units.rounds[2]
    url = reverse("assessments:review_return", args=[rnd.pk])
    content = _content(client.post(url, {"comment": "Thiếu biên bản"}))
    assert "Trả lại 1 đơn vị, 4 đảng viên, để sửa?" in content
    assert "Thiếu biên bản" in content
    assert _reload(rnd).state == RoundState.SUBMITTED
    content = _content(client.post(reverse("assessments:review_decide", args=[rnd.pk]), {}))
    assert "Quyết định 1 đơn vị, 4 đảng viên?" in content
    assert _reload(rnd).state == RoundState.SUBMITTED


def test_review_detail_decide_is_not_beside_the_return_box(client, units):
    """The "Quyết định" button and the return form are in separate cards."""
    client.force_login(units.reviewer)
    content = _content(client.get(reverse("assessments:review_detail", args=[units.rounds[0].pk])))
    decide = content.index('data-action="decide"')
    return_card = content.index("review-return")
    comment = content.index('name="comment"')
    assert decide < return_card < comment


# --- what changed ----------------------------------------------------------------------------
def test_changed_since_return_per_member_and_in_the_list(client, units):
    """After a return, a changed level and changed points show per member (what was, what
    is) on the detail, and the unit is marked in the list with the number of members."""
    rnd = units.rounds[1]
    services.round_return(actor=units.reviewer, round=rnd, comment="Sửa lại")
    snapshot = RoundSnapshot.objects.get(round=rnd)
    assert snapshot.kind == RoundSnapshot.Kind.RETURN
    assert len(snapshot.values) == 3
    first = MemberRating.objects.filter(round=rnd).order_by("member__name_sort_key").first()
    first.proposed_level, first.points = FAIR, 65
    first.save()
    rnd = _reload(rnd)
    rnd.state, rnd.version = RoundState.SUBMITTED, rnd.version + 1  # resubmitted
    rnd.save()

    client.force_login(units.reviewer)
    entries = client.get(_list_url(units)).context["entries"]
    rows = {row.round.pk: row for row, _c, _f in entries if row.round}
    assert rows[rnd.pk].changed == 1
    assert rows[units.rounds[0].pk].changed == 0
    assert client.get(_list_url(units, changed="1")).context["shown_count"] == 1

    response = client.get(reverse("assessments:review_detail", args=[rnd.pk]))
    content = _content(response)
    assert "Thay đổi kể từ lần trả lại ngày" in content
    (line,) = response.context["detail"].changed
    assert line.member_id == first.member_id
    assert line.before[0] == GOOD and line.level == FAIR and line.points == "65"
    assert f'data-changed-member="{first.member_id}"' in content


def test_changed_since_decision_after_reopening(units):
    """A decision leaves a snapshot; after reopening, a changed proposal is listed against
    the decided value."""
    rnd = units.rounds[0]
    services.round_decide(actor=units.reviewer, round=rnd)
    services.round_reopen(actor=units.reviewer, round=_reload(rnd), reason="Sai sót")
    rating = MemberRating.objects.filter(round=rnd).first()
    MemberRating.objects.filter(pk=rating.pk).update(proposed_level=FAIR)
    rnd = _reload(rnd)
    rnd.version += 1
    rnd.save()
    detail = review.review_detail(round=rnd, flt=review.DetailFilter())
    assert detail.snapshot.kind == RoundSnapshot.Kind.DECIDE
    assert [(line.member_id, line.before[0], line.level) for line in detail.changed] == [
        (rating.member_id, GOOD, FAIR)
    ]


def test_changed_members_compares_level_points_and_reason():
    """A member counts as changed when any of level, points or reason differs, or appears."""
    before = {1: ("good", "80", ""), 2: ("good", "75", ""), 3: ("", "", "exempt")}
    now = {
        1: ("good", "80", ""),
        2: ("good", "76", ""),
        3: ("", "", "suspended"),
        4: ("fair", "", ""),
    }
    assert review.changed_members(before, now) == [2, 3, 4]


# --- the detail's filters and pages ----------------------------------------------------------
def test_review_detail_filters_by_cell_level_violation_and_name(client, province):
    """The detail narrows to one cell, one level, members with a violation, or a name typed
    without tones."""
    w = province
    reviewer = factories.user_with_role(w.district, Role.REVIEWER, username="bantochuc")
    a = [factories.member(w.new_cell, f"Trần Văn Đức{i}") for i in range(3)]
    b = [factories.member(w.other_cell, f"Lê Thị Hoa{i}") for i in range(2)]
    rnd = RatingRound.objects.create(
        organization=w.old_commune,
        year=YEAR,
        scheme_code=schemes.scheme_for_year(YEAR).code,
        state=RoundState.SUBMITTED,
    )
    for person in a:
        MemberRating.objects.create(
            round=rnd, member=person, year=YEAR, cell=w.new_cell, proposed_level=GOOD
        )
    MemberRating.objects.create(
        round=rnd, member=b[0], year=YEAR, cell=w.other_cell, proposed_level=FAIR
    )
    client.force_login(reviewer)
    url = reverse("assessments:review_detail", args=[rnd.pk])

    def names(query):
        return [line.full_name for line in client.get(url + query).context["detail"].shown]

    assert len(names("")) == 5
    assert sorted(names(f"?cell={w.other_cell.pk}")) == ["Lê Thị Hoa0", "Lê Thị Hoa1"]
    assert names(f"?level={FAIR}") == ["Lê Thị Hoa0"]
    assert names("?level=missing") == ["Lê Thị Hoa1"]
    assert sorted(names("?q=duc")) == ["Trần Văn Đức0", "Trần Văn Đức1", "Trần Văn Đức2"]
    assert names("?q=hoa1") == ["Lê Thị Hoa1"]
    # The rules find nothing wrong with these values: the violation filter keeps nobody.
    assert names("?violation=1") == []


def test_review_detail_pages_at_the_page_size(client, units, monkeypatch):
    """Past the page size the members continue on the next page, numbered on."""
    monkeypatch.setattr(review.detail, "DETAIL_PAGE_SIZE", 3)
    client.force_login(units.reviewer)
    url = reverse("assessments:review_detail", args=[units.rounds[2].pk])
    first = client.get(url).context["detail"]
    second = client.get(url + "?page=2").context["detail"]
    assert (len(first.shown), len(second.shown), first.total_shown) == (3, 1, 4)
    assert "Trang 1 / 2" in _content(client.get(url))
    page_two = _content(client.get(url + "?page=2"))
    assert "Trang 2 / 2" in page_two
    # Numbered on: the one member of page 2 is the 4th, under the name the detail gives it.
    assert f'<td>4</td>\n            <th scope="row">{second.shown[0].full_name}</th>' in page_two


def test_review_detail_query_count_does_not_grow_with_members(
    client, units, django_assert_max_num_queries
):
    """The detail reads members, ratings, summary and snapshot in bulk."""
    client.force_login(units.reviewer)
    url = reverse("assessments:review_detail", args=[units.rounds[2].pk])
    client.get(url)  # the summary is computed once per round version
    with django_assert_max_num_queries(30):
        assert client.get(url).status_code == 200
