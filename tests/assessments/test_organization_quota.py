"""The collectives' quota (Quy định 366 Điều 11, DOMAIN §4.3) as the services count it: the
peers of an organization are those with the same decider (`rules.decider_for`), read only
where such a peer can be — the direct children of a committee that is not grassroots, the
whole subtree of a grassroots one. PostgreSQL."""

import datetime

import pytest

from assessments.models import OrganizationRating
from assessments.peer_groups import organization_quota_violations_for
from assessments.schemes import scheme_for_year
from cells.choices import OrganizationType as T
from tests import factories
from tests.assessments.conftest import open_round

pytestmark = pytest.mark.django_db

YEAR = 2026


def _rated(organization, level, *, round_=None):
    round_ = round_ or open_round(organization, YEAR)
    OrganizationRating.objects.create(
        round=round_, organization=organization, year=YEAR, proposed_level=level
    )
    return organization


def _org(parent, code, type_, **fields):
    return factories.org(
        parent, code, f"Tổ chức {code}", type_, established_on=datetime.date(2020, 1, 1), **fields
    )


@pytest.fixture
def tree(db):
    """Province QT over 6 grassroots communes (its peers), and a district kept for an older
    layout with a sixth grassroots organization below it (decided by the district, not a peer).
    The commune X1 has a cell at its first level and one below a sub-committee."""
    province = _org(None, "QT", T.PROVINCE)
    communes = [_org(province, f"QT-X{i}", T.COMMUNE, is_grassroots=True) for i in range(1, 7)]
    district = _org(province, "QT-H", T.DISTRICT)
    below = _org(district, "QT-H-X", T.COMMUNE, is_grassroots=True)
    near_cell = _org(communes[0], "QT-X1-C1", T.CELL)
    sub = _org(communes[0], "QT-X1-DB", T.SUB_COMMITTEE)
    deep_cells = [_org(sub, f"QT-X1-DB-C{i}", T.CELL) for i in range(1, 6)]
    return province, communes, below, near_cell, deep_cells


def _over(violations):
    return sorted(v.subject_id for v in violations if v.is_blocking)


def test_a_grassroots_organization_counts_with_its_deciders_direct_children_only(tree):
    """5 HTTNV and 1 HTXSNV among the province's communes: 20% of 5 allows 1. The district's
    commune, rated HTXSNV too, is the district's to count, not the province's."""
    province, communes, below, _near, _deep = tree
    for commune in communes[1:]:
        _rated(commune, "good")
    _rated(below, "excellent")
    scheme = scheme_for_year(YEAR)
    found = organization_quota_violations_for(
        organizations=[(communes[0], "excellent")], year=YEAR, scheme=scheme
    )
    assert _over(found) == []
    # A second HTXSNV among the province's own communes: 20% of 4 allows none.
    OrganizationRating.objects.filter(organization=communes[1]).update(proposed_level="excellent")
    found = organization_quota_violations_for(
        organizations=[(communes[0], "excellent")], year=YEAR, scheme=scheme
    )
    assert _over(found)


def test_a_cell_counts_with_every_cell_its_grassroots_committee_decides(tree):
    """The cells under the sub-committee (two levels down) are the commune's to decide as much
    as the one at its first level: 5 of them HTTNV allow the first-level cell's HTXSNV;
    a deeper cell made HTXSNV too puts the group over."""
    _province, communes, _below, near_cell, deep_cells = tree
    round_ = open_round(communes[0], YEAR)
    for cell in deep_cells:
        _rated(cell, "good", round_=round_)
    scheme = scheme_for_year(YEAR)
    found = organization_quota_violations_for(
        organizations=[(near_cell, "excellent")], year=YEAR, scheme=scheme
    )
    assert _over(found) == []
    OrganizationRating.objects.filter(organization=deep_cells[0]).update(proposed_level="excellent")
    found = organization_quota_violations_for(
        organizations=[(near_cell, "excellent")], year=YEAR, scheme=scheme
    )
    assert _over(found)
