"""Write-side use-cases of the cells app that no import or view test already pins down."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from cells import services
from cells.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db


def test_member_transfer_refuses_a_cell_dissolved_before_the_date(province):
    """A transfer into a cell dissolved before the transfer date is refused, and the member's
    membership stays open where it was."""
    member = factories.member(province.new_cell)
    with pytest.raises(ValidationError, match="BG-PA-AH-C01"):
        services.member_transfer(
            actor=None, member=member, cell=province.old_cell, on=datetime.date(2025, 9, 1)
        )
    open_cells = Membership.objects.filter(member=member, end__isnull=True)
    assert list(open_cells.values_list("organization__code", flat=True)) == ["BG-AH-AH01"]


def test_member_transfer_accepts_a_cell_on_its_last_day(province):
    """The dissolution date is the cell's last day: a transfer dated that day is kept."""
    member = factories.member(province.other_cell)
    membership = services.member_transfer(
        actor=None, member=member, cell=province.old_cell, on=datetime.date(2025, 6, 30)
    )
    assert membership.organization == province.old_cell and membership.end is None


def test_membership_chain_asks_for_predecessors_only_when_the_walk_goes_on(province):
    """A member admitted after the cell's founding costs no predecessor lookup; one admitted
    before walks back through the single predecessor."""
    asked = []

    def predecessors_of(org):
        asked.append(org.code)
        return [province.old_cell]

    after = services.membership_chain(
        province.new_cell, datetime.date(2025, 8, 1), predecessors_of=predecessors_of
    )
    assert asked == []
    assert after == [(province.new_cell, datetime.date(2025, 8, 1), None)]
    before = services.membership_chain(
        province.new_cell, datetime.date(2000, 1, 1), predecessors_of=predecessors_of
    )
    assert asked == ["BG-AH-AH01"]
    assert before == [
        (province.old_cell, datetime.date(2000, 1, 1), datetime.date(2025, 6, 30)),
        (province.new_cell, datetime.date(2025, 7, 1), None),
    ]
