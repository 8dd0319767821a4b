"""The roll-ups (assessments.indicators.rollups) give the numbers of summing every unit's tallies.

Each test builds the tallies (and so the roll-ups) on the small hand-built tree, changes
something through the services or the ORM — a decision, a move, a dissolution, a deletion —
lets a read recompute the marked units, and compares, for every node, both bases and both
ways of mapping, the page's numbers read from the roll-ups with the same numbers summed from
every unit's tallies (which `test_indicator_tallies` compares with a live count).
"""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import indicators, services
from assessments.choices import MeetingKind
from assessments.indicators import Scope, rollups, tally
from assessments.models import CellMeeting, IndicatorRollup, IndicatorTally, IndicatorTallyDirty
from cells.choices import OrganizationType, Role
from tests import factories

from .conftest import make_members, open_round, save_levels, submit

pytestmark = pytest.mark.django_db
YEAR = 2021
YEARS = [2020, 2021, 2025, 2026]


def _nodes(province):
    return [
        province.province,
        province.district,
        province.old_commune,
        province.new_commune,
        province.other_province,
    ]


def _same(province, *, years=YEARS, as_of=True, nodes=None):
    """Every node's numbers from the roll-ups equal the summed tallies (and are not all 0),
    each node read first by itself (its own read claims the marks its roll-ups need).
    A node mapped elsewhere itself (the dissolved district and commune) reads no stored
    mapping, so no mapped roll-up: its mapped page sums (as every scope it does not serve)."""
    seen = 0
    for node in nodes or _nodes(province):
        node.refresh_from_db()
        for mapped in (False, True):
            for proposals in (False, True):
                scope = Scope(node=node, mapped=mapped, include_proposals=proposals)
                assert rollups.serves(scope) == (not mapped or node.maps_to_id is None)
                if not rollups.serves(scope):
                    continue
                assert tally.ensure_fresh(scope)
                rolled = tally.rollup_facts(scope, years)
                summed = tally.summed_facts(scope, years)
                expected = {key: c for key, c in summed.counts.items() if c}
                assert rolled.counts == expected, (node.code, mapped, proposals)
                if as_of:
                    assert rolled.as_of == summed.as_of
                seen += sum(sum(c.values()) for c in rolled.counts.values())
    assert seen > 0


@pytest.fixture
def rated(province, district_reviewer):
    """Members in three cells; the old commune's 2021 round decided, the new commune's 2026
    round proposed and undecided (the proposals basis differs); tallies built."""
    old = make_members(province.old_cell, 4)
    other = make_members(province.other_cell, 3, family="Trần Thị")
    round_ = open_round(province.old_commune, YEAR)
    save_levels(round_, {**dict.fromkeys(old, "good"), **dict.fromkeys(other, "complete")})
    submit(round_)
    services.round_decide(actor=district_reviewer, round=round_)
    new = make_members(province.new_cell, 3, family="Lê Văn")
    save_levels(open_round(province.new_commune, 2026), dict.fromkeys(new, "good"))
    tally.tallies_rebuild()
    return round_


def test_a_rebuild_sums_every_node(province, rated):
    """After a rebuild the roll-ups hold, for each unit with units below it, the sum of
    their tallies: province, dissolved district, old and new commune, another province."""
    assert IndicatorRollup.objects.exists()
    leaf = IndicatorRollup.objects.filter(organization=province.other_cell)
    assert not leaf.exists()  # nothing below a cell
    _same(province)


def test_a_decision_and_a_reopening_move_the_roll_ups(province, rated, district_reviewer):
    """Reopening the decided round puts its members back to pending, in the roll-ups of
    every unit above them, on the next read."""
    scope = Scope(node=province.province)
    before = indicators.compute(scope=scope, years=[YEAR]).counters(YEAR)
    assert before["mem.pending"] == 0 and before["mem.r2"] == 4
    services.round_reopen(actor=district_reviewer, round=rated, reason="Xem lại")
    reopened = indicators.compute(scope=Scope(node=province.province), years=[YEAR])
    assert reopened.counters(YEAR)["mem.pending"] == 7
    _same(province, as_of=False)  # the roll-ups keep the latest change summed in


def test_a_cell_moved_to_another_commune_leaves_its_old_ancestors(province, rated):
    """treebeard's move rewrites the cell's path; its rows leave the old commune's and the
    district's roll-ups (the ones listed on them) and join the new commune's."""
    cell = province.other_cell
    cell.move(province.new_commune, "sorted-child")
    # The district first, alone: the moved cell is no longer under it, but its rows are in
    # the district's roll-ups until it is rewritten (the read claims its mark).
    _same(province, as_of=False, nodes=[province.district])
    _same(province, as_of=False)
    district = Scope(node=province.district)
    assert tally.ensure_fresh(district)
    counts = tally.rollup_facts(district, [YEAR]).counts
    assert sum(c["mem.total"] for c in counts.values()) == 4  # the moved cell's 3 gone


def test_a_dissolution_maps_the_units_onto_their_successor(province, rated):
    """A cell dissolved into another: its stored mapping changes (a trigger of the tree), the
    unit is marked, and its rows count under the successor in the mapped roll-ups."""
    cell = province.other_cell
    cell.dissolved_on = datetime.date(2025, 6, 30)
    cell.successor = province.new_cell
    cell.save()
    cell.refresh_from_db()
    assert cell.maps_to_id == province.new_cell.pk
    _same(province, as_of=False)


def test_a_deleted_unit_is_taken_out(province, rated):
    """Deleting a cell (its meetings first: they protect it) deletes its tally rows through
    the ORM's cascade, before any refresh: the triggers subtract them from the roll-ups."""
    cell = factories.org(province.new_commune, "BG-AH-AH09", "Chi bộ ấp 9", OrganizationType.CELL)
    for month in (3, 6, 9):
        CellMeeting.objects.create(
            cell=cell, held_on=datetime.date(YEAR, month, 5), attended=3, expected=3
        )
    _same(province)
    assert IndicatorTally.objects.filter(organization=cell).exists()
    with transaction.atomic():
        CellMeeting.objects.filter(cell=cell).delete()
        type(cell).objects.get(pk=cell.pk).delete()
    assert not IndicatorTally.objects.filter(organization_id=cell.pk).exists()
    _same(province, as_of=False)


def test_a_unit_moved_under_a_successor_rewrites_the_units_mapped_onto_it(province, rated):
    """The old cell counts under the new cell (maps_to): when the new commune moves under
    another province, the old cell's mapped roll-ups follow it without a change of its own."""
    province.new_commune.move(province.other_province, "sorted-child")
    _same(province, as_of=False)


def test_a_narrowed_scope_sums_the_tallies(province, rated):
    """A user who sees only part of the node: the roll-ups, which hold all of it, are not
    read."""
    scope = Scope(node=province.province, allowed_roots=[province.old_commune.path])
    assert not rollups.serves(scope)
    whole = Scope(node=province.province, allowed_roots=[province.province.path])
    assert rollups.serves(whole)


def test_the_dashboard_reads_the_roll_ups(client, province, rated):
    """The province page reads one row per child (the roll-ups), not every unit's tallies."""
    client.force_login(factories.user_with_role(province.province, Role.REVIEWER))
    url = reverse("assessments:dashboard_detail", args=[province.province.pk, YEAR])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert any(rollups.ROLLUP in q for q in sql)
    assert not any(f"FROM {tally.TALLY} t JOIN" in q for q in sql)


@pytest.mark.django_db(transaction=True)
def test_a_commune_emptied_by_a_move_then_deleted(province, rated):
    """The cells leave a commune, the empty commune is deleted before any read: the cells'
    old rows list it, but its roll-ups went with it — the refresh takes them out of what is
    left (the district, the province) and commits."""
    commune = factories.org(province.province, "BG-X", "Đảng bộ xã X", OrganizationType.COMMUNE)
    cell = factories.org(commune, "BG-X-01", "Chi bộ X1", OrganizationType.CELL)
    make_members(cell, 2, family="Phạm Văn")
    tally.tallies_rebuild()
    assert IndicatorRollup.objects.filter(organization=commune).exists()
    cell.move(province.new_commune, "sorted-child")
    type(commune).objects.get(pk=commune.pk).delete()
    assert tally.tallies_refresh_marked() > 0
    _same(province, as_of=False)


def test_a_unit_with_units_below_it_deleted(province, rated):
    """Deleting a commune and its cell (meetings only) takes both out of the roll-ups."""
    commune = factories.org(province.province, "BG-Y", "Đảng bộ xã Y", OrganizationType.COMMUNE)
    cell = factories.org(commune, "BG-Y-01", "Chi bộ Y1", OrganizationType.CELL)
    CellMeeting.objects.create(cell=cell, held_on=datetime.date(YEAR, 4, 2), attended=2, expected=2)
    _same(province)
    with transaction.atomic():
        CellMeeting.objects.filter(cell=cell).delete()
        type(commune).objects.get(pk=commune.pk).delete()
    _same(province, as_of=False)


def test_a_unit_mapped_onto_the_node_itself(province, rated):
    """A cell dissolved into its own commune: on the mapped page its rows are the commune's
    own (SELF), which the commune's roll-up holds beyond its children's."""
    cell = province.new_cell
    cell.dissolved_on = datetime.date(2026, 6, 30)
    cell.successor = province.new_commune
    cell.save()
    scope = Scope(node=province.new_commune, mapped=True)
    assert tally.ensure_fresh(scope)
    counts = tally.rollup_facts(scope, [2026]).counts
    assert counts[(2026, "")]["mem.total"] == 3
    _same(province, as_of=False)


def test_the_installed_trigger_counts_every_counter(province):
    """Every tally column is summed by the function the triggers call (a migration that
    changes the counters must replace it, as a rebuild does)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'pb_rollup_apply'")
        (source,) = cursor.fetchone()
    missing = [c for c in rollups.COLUMNS if f"sum(t.{c})" not in source]
    assert missing == []


def test_a_refresh_rewrites_only_the_rows_that_differ(province, rated):
    """A unit marked with nothing changed keeps its rows (same ids); a thematic meeting
    recorded in 2021 rewrites that year's rows of its cell only."""
    cell = province.other_cell
    rows = IndicatorTally.objects.filter(organization=cell)
    before = dict(rows.values_list("id", "year"))
    IndicatorTallyDirty.objects.create(organization_id=cell.pk)
    assert tally.tallies_refresh_marked() == 1
    assert dict(rows.values_list("id", "year")) == before
    CellMeeting.objects.create(
        cell=cell,
        held_on=datetime.date(YEAR, 5, 5),
        kind=MeetingKind.THEMATIC,
        attended=3,
        expected=3,
    )
    assert tally.tallies_refresh_marked() == 1
    after = dict(rows.values_list("id", "year"))
    assert {year for pk, year in after.items() if pk not in before} == {YEAR}
    assert {year for pk, year in before.items() if pk not in after} == {YEAR}
    _same(province, as_of=False)
