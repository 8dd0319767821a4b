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
    """The district reviewer sees the old commune for 2021 with counts; for 2025 the new
    commune sees its hamlet cell (not started) and the dissolved commune is gone."""
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
    assert [(r.organization.code, r.state, r.members) for r in rows] == [
        ("BG-AH-AH01", "not_started", 1)
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
