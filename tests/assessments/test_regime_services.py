"""Recording the 2025– facts: form categories (a fact with a suggestion beside it)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments import regime_selectors, regime_services
from assessments.models import MemberCategory
from cells.choices import PostKind, Role
from cells.models import AuditEntry, Post
from tests import factories

YEAR = 2026


@pytest.fixture
def cell(province):
    return province.new_cell


@pytest.fixture
def secretary(province):
    return factories.user_with_role(province.new_cell, Role.SECRETARY)


def test_member_categories_for_suggests_but_records_nothing(cell, django_assert_max_num_queries):
    """Before the committee records a category there is none: only a suggestion, with why."""
    retiree = factories.member(cell, "Trần Văn Hưu", occupation="Hưu trí")
    leader = factories.member(cell, "Lê Thị Bí")
    Post.objects.create(member=leader, kind=PostKind.PARTY, title="Bí thư", organization=cell)
    with django_assert_max_num_queries(2):
        views = regime_selectors.member_categories_for(members=[retiree, leader], year=YEAR)
    assert views[retiree.pk].category is None
    assert views[retiree.pk].suggestion.code == "2C"
    assert views[leader.pk].suggestion.code == "2A"
    assert not MemberCategory.objects.exists()


def test_member_categories_for_reads_only_the_years_posts(cell):
    """A post that ended before the year does not suggest 2A any more."""
    import datetime

    member = factories.member(cell, "Phạm Văn Cũ", occupation="Hưu trí")
    Post.objects.create(
        member=member,
        kind=PostKind.PARTY,
        title="Bí thư",
        organization=cell,
        start=datetime.date(2015, 1, 1),
        end=datetime.date(2020, 6, 30),
    )
    view = regime_selectors.member_category_for(member=member, year=YEAR)
    assert view.suggestion.code == "2C"


def test_membercategory_set_records_the_committees_choice(cell, secretary):
    """The committee may record a category other than the suggestion; both stay visible."""
    member = factories.member(cell, "Trần Văn Hưu", occupation="Hưu trí")
    row = regime_services.membercategory_set(
        actor=secretary, member=member, year=YEAR, category="non_leader", note="Viên chức y tế"
    )
    assert (row.category, row.suggested) == ("non_leader", "outside_political_system")
    view = regime_selectors.member_category_for(member=member, year=YEAR)
    assert view.code == "2B" and view.differs_from_suggestion
    entry = AuditEntry.objects.get(action="membercategory_set")
    assert entry.changes["category"] == [None, "non_leader"]
    regime_services.membercategory_set(actor=secretary, member=member, year=YEAR, category="leader")
    assert MemberCategory.objects.get().category == "leader"
    assert AuditEntry.objects.filter(action="membercategory_set").count() == 2


def test_membercategory_set_refuses_other_units_and_bad_values(province, cell, secretary):
    """Another unit's secretary is refused; a value outside 2A/2B/2C is refused."""
    member = factories.member(cell)
    outsider = factories.user_with_role(province.foreign_cell, Role.SECRETARY)
    with pytest.raises(PermissionDenied):
        regime_services.membercategory_set(
            actor=outsider, member=member, year=YEAR, category="leader"
        )
    with pytest.raises(ValidationError):
        regime_services.membercategory_set(actor=secretary, member=member, year=YEAR, category="2D")
    assert not MemberCategory.objects.exists()
