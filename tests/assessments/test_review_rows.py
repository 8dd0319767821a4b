"""The review list's rows (`assessments.review.review_rows`): which units, their counts, the
violations the rules find, scope, and a bounded number of queries.

Moved here from test_selectors.py with the old `selectors.review_rows` it tested (superseded by
the summary-backed list). The old list ran the rules on every unit, drafts included; the new
one runs them for submitted rounds (a draft's unit sees its violations in its own grid), so the
violation assertions are made on a submitted round, and a member event recorded after the
submission must show in the list without any rating being touched.
"""

import datetime

import pytest

from assessments import review
from assessments.choices import RoundState
from cells.choices import Role
from cells.services import member_event_create
from tests import factories

from .conftest import make_members, open_round, save_levels, submit

pytestmark = pytest.mark.django_db
d = datetime.date


def test_review_rows_for_district_and_2025_commune(province):
    """The district reviewer sees the old commune for 2021 with counts; for 2025 the
    province sees the new commune's hamlet cell and the new commune itself (not started),
    and the dissolved commune is gone."""
    goods = make_members(province.old_cell, 3)
    (late,) = make_members(province.other_cell, 1, family="Lê Thị", admitted_on=d(2021, 10, 1))
    round_ = open_round(province.old_commune, 2021)
    save_levels(round_, {**dict.fromkeys(goods, "good"), late: ("", "newly_admitted")})
    reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    (row,) = review.review_rows(user=reviewer, organization=province.district, year=2021)
    assert (row.organization, row.round, row.state, row.members) == (
        province.old_commune,
        round_,
        "draft",
        4,
    )
    # A draft is not run through the rules on the list: its violations are unknown, not 0.
    assert (row.counts, row.not_rated, row.violations) == ({"good": 3}, 1, None)

    submit(round_)
    (row,) = review.review_rows(user=reviewer, organization=province.district, year=2021)
    assert (row.state, row.counts, row.not_rated, row.violations) == (
        RoundState.SUBMITTED,
        {"good": 3},
        1,
        0,
    )

    factories.member(province.new_cell, "Đỗ Văn Hải")
    province_reviewer = factories.user_with_role(province.province, Role.REVIEWER)
    rows = review.review_rows(user=province_reviewer, organization=province.province, year=2025)
    # Since 2025 the province also decides the commune-level committee's own round (HD 43 §3).
    assert [(r.organization.code, r.state, r.members) for r in rows] == [
        ("BG-AH-AH01", "not_started", 1),
        ("BG-AH", "not_started", 0),
    ]
    outsider = factories.user_with_role(province.new_commune, Role.REVIEWER)
    assert review.review_rows(user=outsider, organization=province.district, year=2021) == []


def test_member_event_after_submission_shows_in_the_list(province):
    """A reprimand recorded after the unit submitted caps that member below "good": the list
    counts the violation on its next view, though no rating changed (the round's summary is
    marked stale by the event, not only by a new round version)."""
    goods = make_members(province.old_cell, 3)
    round_ = open_round(province.old_commune, 2021)
    save_levels(round_, dict.fromkeys(goods, "good"))
    submit(round_)
    reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    (row,) = review.review_rows(user=reviewer, organization=province.district, year=2021)
    assert row.violations == 0
    version = row.round.version

    member_event_create(
        actor=None,
        member=goods[0],
        kind="discipline",
        start=d(2021, 3, 1),
        discipline_form="reprimand",
        audit=False,
    )
    (row,) = review.review_rows(user=reviewer, organization=province.district, year=2021)
    assert row.violations == 1
    assert row.round.version == version  # the unit's open grid is not made stale by it


def test_review_rows_query_count_is_bounded(province, django_assert_max_num_queries):
    """With the summaries current, the list uses a fixed number of queries whatever the
    members (the rules ran once, when the summary of this version was computed)."""
    members = make_members(province.old_cell, 12)
    round_ = open_round(province.old_commune, 2021)
    save_levels(round_, dict.fromkeys(members, "good"))
    submit(round_)
    reviewer = factories.user_with_role(province.province, Role.REVIEWER)
    review.review_rows(user=reviewer, organization=province.province, year=2021)  # warm
    with django_assert_max_num_queries(8):
        (row,) = review.review_rows(user=reviewer, organization=province.province, year=2021)
    assert (row.counts, row.violations) == ({"good": 12}, 0)


# --- a bounded first view after every round changed -------------------------------------------
@pytest.fixture
def three_submitted(province):
    """Three submitted communes under the district, their summaries current, then every
    round changed (as after an import): the reviewer and the rounds."""
    from tests.assessments.test_review_views import _commune, _round

    rounds = []
    for n in range(3):
        commune, cell, people = _commune(province.district, n, members=2)
        rounds.append(_round(commune, cell, people))
    reviewer = factories.user_with_role(province.district, Role.REVIEWER, username="bantochuc")
    review.review_rows(user=reviewer, organization=province.district, year=rounds[0].year)
    for rnd in rounds:
        rnd.version += 1
        rnd.save()
    return reviewer, rounds


def test_review_rows_leave_stale_summaries_to_a_worker_past_the_budget(province, three_submitted):
    """With no time left, no summary is recomputed in the request: each row is marked
    pending (violations unknown, the last counts kept); the worker's refresh brings them
    all up to date and the next view finds nothing to do."""
    reviewer, rounds = three_submitted
    year = rounds[0].year

    def rated_rows(**options):
        rows = review.review_rows(
            user=reviewer, organization=province.district, year=year, **options
        )
        return [r for r in rows if r.round is not None]  # the old commune has no round

    rows = rated_rows(budget=0)
    assert [(r.pending, r.violations, r.members) for r in rows] == [(True, None, 2)] * 3
    assert review.summaries_refresh([r.pk for r in rounds]) == 3
    rows = rated_rows(budget=0)
    assert [(r.pending, r.violations) for r in rows] == [(False, 0)] * 3
    assert review.summaries_refresh([r.pk for r in rounds]) == 0  # idempotent


def test_review_list_shows_progress_while_a_worker_recomputes(
    client, province, three_submitted, settings
):
    """The list past its budget says how many units are being updated, with a progress bar
    that polls the list; once the summaries are current the poll answers "up to date"."""
    from django.urls import reverse

    settings.REVIEW_LIST_REFRESH_SECONDS = 0
    reviewer, rounds = three_submitted
    url = reverse("assessments:review_list", args=[province.district.pk, rounds[0].year])
    client.force_login(reviewer)
    page = client.get(url).content.decode()
    assert 'id="review-progress"' in page and 'hx-trigger="every 5s"' in page
    assert 'data-progress="0"' in page and ">0/3<" in page
    assert page.count("data-pending=") == 3
    review.summaries_refresh([r.pk for r in rounds])
    polled = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "data-pending=" not in polled and "hx-trigger" not in polled.split("review-progress")[1]


def test_minute_job_recomputes_stale_summaries_within_its_budget(province, three_submitted):
    """`summaries_refresh_stale` recomputes what changed (rounds not yet decided first);
    with no budget it leaves them all stale and says so."""
    assert review.summaries_refresh_stale(budget=0) == (0, 3)
    assert review.summaries_refresh_stale(budget=60) == (3, 0)
    assert review.summaries_refresh_stale(budget=60) == (0, 0)
