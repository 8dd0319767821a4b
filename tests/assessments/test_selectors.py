"""Read side of the ratings: schemes per year, tree lookups, scoped rounds, the entry grid.

The review list of units (`assessments.review.review_rows`) is tested in test_review_rows.py.
"""

import datetime
from fractions import Fraction

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from assessments import selectors
from assessments.models import RatingYear
from assessments.services import RowInput
from cells.choices import Role
from cells.services import member_event_create
from tests import factories

from .conftest import make_members, open_round, save_levels

pytestmark = pytest.mark.django_db
d = datetime.date


def test_scheme_for_applies_configured_quota_from_2023_only(db):
    """The stored ratio overrides the default from 2023; 2019–2022 keep the confirmed 20%."""
    RatingYear.objects.create(year=2023, quota_numerator=1, quota_denominator=4)
    RatingYear.objects.create(year=2021, quota_numerator=1, quota_denominator=4)
    assert selectors.scheme_for(2023).quota_ratio == Fraction(1, 4)
    assert selectors.scheme_for(2021).quota_ratio == Fraction(1, 5)
    assert selectors.scheme_for(2025).quota_ratio == Fraction(1, 5)


def test_grassroots_and_deciding_organization_follow_the_tree(province):
    """Before 2025 a commune is grassroots and its district decides; after, a hamlet cell is
    grassroots and the new commune decides."""
    assert selectors.grassroots_for(province.old_cell) == province.old_commune
    assert selectors.grassroots_for(province.new_cell) == province.new_cell
    assert selectors.grassroots_for(province.district) is None
    assert selectors.deciding_organization_for(province.old_cell) == province.district
    round_ = open_round(province.new_cell, 2025)
    assert selectors.deciding_organization_for(round_) == province.new_commune


def test_round_get_out_of_scope_is_404(province):
    """A round of another unit does not exist for the user."""
    round_ = open_round(province.old_commune, 2021)
    own = factories.user_with_role(province.old_commune, Role.SECRETARY)
    other = factories.user_with_role(province.new_commune, Role.SECRETARY)
    assert selectors.round_get(user=own, pk=round_.pk) == round_
    with pytest.raises(Http404):
        selectors.round_get(user=other, pk=round_.pk)
    assert list(selectors.rounds_visible_to(user=other, year=2021)) == []
    assert list(selectors.rounds_visible_to(user=own, year=2021)) == [round_]


def test_rating_grid_rows_caps_and_counts(province):
    """Rows are in Vietnamese name order with the cap and suggested not-rated reason; counts
    and quota cover the whole grassroots organization even for one cell."""
    an = factories.member(province.old_cell, "Trần Văn An")
    binh = factories.member(province.other_cell, "Lê Thị Bình")
    new = factories.member(province.old_cell, "Phạm Ánh", admitted_on=d(2021, 9, 1))
    sick = factories.member(province.other_cell, "Vũ Văn Dũng")
    member_event_create(
        actor=None,
        member=sick,
        kind="sick_leave",
        start=d(2021, 1, 1),
        end=d(2021, 6, 30),
        audit=False,
    )
    round_ = open_round(province.old_commune, 2021)
    save_levels(round_, {an: "good", binh: "good", new: ("", "newly_admitted")})
    grid = selectors.rating_grid(round=round_)
    assert [r.member.full_name for r in grid.rows] == [
        "Trần Văn An",
        "Phạm Ánh",
        "Lê Thị Bình",
        "Vũ Văn Dũng",
    ]
    rows = {r.member.pk: r for r in grid.rows}
    assert rows[new.pk].must_not_rate and rows[new.pk].suggested_reason == "newly_admitted"
    assert rows[sick.pk].cap.level == "complete"
    assert [c.code for c in rows[sick.pk].cap.reasons] == ["M2"]
    assert rows[an.pk].rating.proposed_level == "good"
    assert (grid.counts, grid.not_rated, grid.not_entered) == ({"good": 2}, 1, 1)
    assert grid.quota[0].max_excellent == 0
    assert grid.editable and grid.violations == []
    assert {c.code for c in grid.cells} == {"BG-PA-AH-C01", "BG-PA-AH-C02"}
    one_cell = selectors.rating_grid(round=round_, cell=province.old_cell)
    assert [r.member.pk for r in one_cell.rows] == [an.pk, new.pk]
    assert one_cell.counts == {"good": 2}


def test_rating_grid_checks_proposed_values_without_saving(province):
    """Unsaved values are checked live: an HTXSNV over quota shows the Q1 violation."""
    a, b = make_members(province.old_cell, 2)
    round_ = open_round(province.old_commune, 2021)
    grid = selectors.rating_grid(
        round=round_,
        proposed={
            a.pk: RowInput(member_id=a.pk, level="excellent"),
            b.pk: RowInput(member_id=b.pk, level="good"),
        },
    )
    assert [v.code for v in grid.quota_violations] == ["Q1"]
    assert grid.counts == {"excellent": 1, "good": 1}
    assert all(r.rating is None for r in grid.rows)


@pytest.mark.parametrize("count", [10, 40])
def test_rating_grid_query_count_does_not_grow(province, count, django_assert_max_num_queries):
    """The grid reads in bulk: the same number of queries for 10 or 40 members."""
    members = make_members(province.old_cell, count)
    for m in members[::3]:
        member_event_create(
            actor=None,
            member=m,
            kind="sick_leave",
            start=d(2021, 2, 1),
            end=d(2021, 2, 10),
            audit=False,
        )
    round_ = open_round(province.old_commune, 2021)
    save_levels(round_, dict.fromkeys(members, "good"))
    with CaptureQueriesContext(connection) as ctx:
        grid = selectors.rating_grid(round=round_)
    assert len(grid.rows) == count
    assert len(ctx.captured_queries) == 7
    with django_assert_max_num_queries(7):
        selectors.rating_grid(round=round_)
