"""The dashboard's per-unit tallies stay exact and live on a small hand-built tree.

Each test builds the tallies first (`tallies_rebuild` on PostgreSQL), then writes through the
services or straight through the ORM, and reads. Every table the tallied families read has a
trigger that marks the units a statement touched; the next read recomputes exactly those. The
expected figures are the live count of the same families (`tally.differences` is empty) and,
where it matters, a number worked out by hand.
"""

import datetime
import re
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import indicators, schemes, services
from assessments.choices import MeetingKind
from assessments.indicators import Scope, rollups, tally
from assessments.models import (
    TALLY_COUNTERS,
    CellMeeting,
    IndicatorTally,
    IndicatorTallyDirty,
    IndicatorTallyWindow,
    MemberRating,
    OrganizationRating,
    RatingRound,
)
from cells.choices import MembershipKind, PostKind, Role
from cells.models import Member, Membership, Post
from cells.services import member_transfer
from tests import factories
from tests.threads import InThread

from .conftest import make_members, open_round, save_levels, submit

pytestmark = pytest.mark.django_db
D = datetime.date
YEAR = 2021


def _marked() -> set[int]:
    return set(IndicatorTallyDirty.objects.values_list("organization_id", flat=True))


def _agree(node, years=(YEAR - 1, YEAR)):
    for mapped in (False, True):
        for proposals in (False, True):
            scope = Scope(node=node, mapped=mapped, include_proposals=proposals)
            assert tally.differences(scope, list(years)) == [], (mapped, proposals)


def _read(province):
    """A dashboard read of the whole province: recomputes every marked unit."""
    indicators.compute(scope=Scope(node=province.province), years=[YEAR])
    assert _marked() == set()


def _members(result, year=YEAR):
    return result.counters(year)


@pytest.fixture
def built(province):
    """The small province with five rated members in its old cell, tallies built."""
    members = make_members(province.old_cell, 5)
    tally.tallies_rebuild()
    return province, members


def test_rebuild_sets_the_window_and_clears_the_marks(province):
    """A rebuild covers the setting's first year to next year and leaves nothing marked."""
    make_members(province.old_cell, 2)
    assert _marked()  # the memberships just written
    rows = tally.tallies_rebuild(today=D(2026, 11, 28))
    window = IndicatorTallyWindow.objects.get()
    assert (window.first_year, window.last_year) == (2015, 2027)
    assert rows == IndicatorTally.objects.count() > 0
    assert _marked() == set()
    assert tally.covers([2015, 2027]) and not tally.covers([2014, 2015])


def test_rebuild_if_stale_only_when_the_window_moved(province):
    """The daily job rebuilds when never built or at New Year, not otherwise."""
    assert tally.tallies_rebuild_if_stale(today=D(2026, 12, 31)) is True
    assert tally.tallies_rebuild_if_stale(today=D(2026, 12, 31)) is False
    assert tally.tallies_rebuild_if_stale(today=D(2027, 1, 1)) is True
    assert IndicatorTallyWindow.objects.get().last_year == 2028


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_is_followed_by_a_vacuum(province):
    """The rows a rebuild replaced are reclaimed at once (VACUUM, outside any transaction),
    in the tallies and in their roll-ups; inside a caller's transaction, where VACUUM cannot
    run, the statistics are refreshed."""

    def counts():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute(
                "SELECT min(vacuum_count), min(analyze_count) FROM pg_stat_user_tables "
                "WHERE relname = ANY(%s)",
                [[tally.TALLY, rollups.ROLLUP]],
            )
            return cursor.fetchone()

    both = f"{tally.TALLY}, {rollups.ROLLUP}"

    tally.tallies_rebuild(today=D(2026, 11, 28))
    tally.tallies_rebuild(today=D(2026, 11, 28))  # every row of the first one now dead
    # (How many dead rows it removed is not asserted: a streaming replica's feedback may hold
    # them back, as it does on the machine the suite runs on.)
    vacuums, analyzes = counts()
    assert tally.tallies_vacuum() == f"VACUUM (ANALYZE) {both}"
    assert counts() == (vacuums + 1, analyzes + 1)
    with transaction.atomic():
        assert tally.tallies_vacuum() == f"ANALYZE {both}"
    assert counts() == (vacuums + 1, analyzes + 2)


def test_years_outside_the_window_are_counted_live(built):
    """2010 is before the window: counted live, same numbers as ever (no tally row read)."""
    province, members = built
    level = schemes.scheme_for_year(2010).member_levels[1].slug  # the second level
    round_ = open_round(province.old_commune, 2010)
    save_levels(round_, dict.fromkeys(members, level))
    RatingRound.objects.filter(pk=round_.pk).update(state="decided")
    MemberRating.objects.filter(round=round_).update(decided_level=level)
    with CaptureQueriesContext(connection) as captured:
        result = indicators.compute(scope=Scope(node=province.province), years=[2010])
    assert result.counters(2010)["mem.r2"] == 5
    table = re.compile(rf"\b{IndicatorTally._meta.db_table}\b")
    assert not any(table.search(q["sql"]) for q in captured)


def test_grid_save_decision_and_reopen_show_at_once(built, district_reviewer):
    """Saving proposals, deciding and reopening each show on the next read: pending while
    undecided (or counted with the proposals switch), counted once decided, pending again
    after reopening."""
    province, members = built
    node = province.province
    round_ = open_round(province.old_commune, YEAR)
    save_levels(round_, {**dict.fromkeys(members[:4], "good"), members[4]: "complete"})
    assert province.old_cell.pk in _marked()

    official = indicators.compute(scope=Scope(node=node), years=[YEAR])
    assert _members(official)["mem.pending"] == 5 and _members(official)["mem.rated"] == 0
    assert _marked() == set()  # the read recomputed the marked units
    proposals = indicators.compute(scope=Scope(node=node, include_proposals=True), years=[YEAR])
    assert (_members(proposals)["mem.r2"], _members(proposals)["mem.r1"]) == (4, 1)

    submit(round_)
    services.round_decide(actor=district_reviewer, round=round_)
    decided = indicators.compute(scope=Scope(node=node), years=[YEAR])
    assert (_members(decided)["mem.r2"], _members(decided)["mem.r1"]) == (4, 1)
    assert _members(decided)["mem.pending"] == 0
    _agree(node)

    services.round_reopen(actor=district_reviewer, round=round_, reason="Xem lại")
    reopened = indicators.compute(scope=Scope(node=node), years=[YEAR])
    assert _members(reopened)["mem.pending"] == 5 and _members(reopened)["mem.r2"] == 0
    _agree(node)


def test_round_state_alone_marks_its_units(built):
    """A round moving into the decided states without any rating row written (a direct
    database change) still marks its cells."""
    province, members = built
    round_ = open_round(province.old_commune, YEAR)
    save_levels(round_, dict.fromkeys(members, "good"))
    MemberRating.objects.filter(round=round_).update(decided_level=schemes.GOOD)
    indicators.compute(scope=Scope(node=province.province), years=[YEAR])
    assert _marked() == set()
    RatingRound.objects.filter(pk=round_.pk).update(state="decided")
    assert province.old_cell.pk in _marked()
    result = indicators.compute(scope=Scope(node=province.province), years=[YEAR])
    assert _members(result)["mem.r2"] == 5


def test_member_and_organization_changes_are_marked(built, province):
    """Every table the tallied families read marks the touched units, whoever writes."""
    _province, members = built
    cell, commune = province.old_cell, province.old_commune

    CellMeeting.objects.create(
        cell=cell, held_on=D(YEAR, 3, 5), kind=MeetingKind.THEMATIC, attended=5, expected=5
    )
    assert _marked() == {cell.pk}
    _read(province)

    Member.objects.filter(pk=members[0].pk).update(admitted_on=D(YEAR, 5, 1))
    assert _marked() == {cell.pk}
    _read(province)

    Member.objects.filter(pk=members[0].pk).update(occupation="Nông dân")
    assert _marked() == set()  # not counted: no mark, no recomputation

    Post.objects.create(
        member=members[1], organization=cell, kind=PostKind.PARTY, title="Bí thư chi bộ"
    )
    assert _marked() == {cell.pk}
    _read(province)

    # The secretary becomes hamlet head (a post of the commune): the cell's count changes too.
    Post.objects.create(
        member=members[1],
        organization=commune,
        kind=PostKind.GOVERNMENT,
        title="Trưởng thôn",
        is_hamlet_head=True,
    )
    assert _marked() == {cell.pk, commune.pk}
    result = indicators.compute(scope=Scope(node=province.province), years=[YEAR])
    assert result.counters(YEAR)["cad.secretary_head"] == 1

    type(commune).objects.filter(pk=commune.pk).update(is_grassroots=False)
    assert _marked() == {commune.pk}
    _read(province)

    OrganizationRating.objects.filter(organization=cell).delete()  # no row: no mark
    assert _marked() == set()
    _agree(province.province)


def test_transfer_and_admission_counts_follow_the_member(built, province):
    """A member moved to the new cell in 2025 leaves the old cell's count at the end of 2025
    and an admission edited into the year counts as one, on the next read."""
    _province, members = built
    node = province.province
    before = indicators.compute(scope=Scope(node=node), years=[2025])
    actor = factories.user_with_role(province.province, Role.ADMIN)
    member_transfer(actor=actor, member=members[0], cell=province.new_cell, on=D(2025, 7, 1))
    Member.objects.filter(pk=members[1].pk).update(admitted_on=D(2025, 3, 1))
    Membership.objects.filter(member=members[1]).update(start=D(2025, 3, 1))
    after = indicators.compute(scope=Scope(node=node), years=[2025])
    assert after.counters(2025)["adm.total"] == before.counters(2025)["adm.total"] + 1
    moved = after.counts[(2025, province.new_commune.path)]["mc.end"]
    assert moved == before.counts[(2025, province.new_commune.path)]["mc.end"] + 1
    _agree(node, years=(2024, 2025))


def test_marks_outside_the_node_wait_for_their_own_read(built, province):
    """Reading one commune recomputes only its own marked units."""
    _province, members = built
    CellMeeting.objects.create(
        cell=province.new_cell,
        held_on=D(2025, 9, 1),
        kind=MeetingKind.REGULAR,
        attended=5,
        expected=5,
    )
    CellMeeting.objects.create(
        cell=province.old_cell,
        held_on=D(2024, 9, 1),
        kind=MeetingKind.REGULAR,
        attended=5,
        expected=5,
    )
    indicators.compute(scope=Scope(node=province.new_commune), years=[2025])
    assert _marked() == {province.old_cell.pk}
    indicators.compute(scope=Scope(node=province.province), years=[2025])
    assert _marked() == set()


def test_dashboard_page_shows_a_decision_at_once(client, built, district_reviewer):
    """Fresh within 5 s, and in fact at once: on the page, the number of members rated
    HTTNV goes from 0 to 5 on the very next view after the decision (no batch, no cache,
    no worker: the read recomputes the units the decision marked), and the query count
    stays the same once nothing is marked."""
    province, members = built
    indicators.ensure_indicator_catalogue(targets_for=province.province)
    client.force_login(factories.user_with_role(province.province, Role.REVIEWER))
    url = reverse("assessments:dashboard_detail", args=[province.province.pk, YEAR])
    list_url = reverse("assessments:dashboard_list", args=[province.province.pk, YEAR, "mem-good"])

    def httnv_card(response):
        (card,) = [c for c in response.context["data"].cards if c.indicator.code == "mem-good"]
        return card

    assert httnv_card(client.get(url)).numerator == 0
    round_ = open_round(province.old_commune, YEAR)
    save_levels(round_, dict.fromkeys(members, "good"))
    submit(round_)
    assert httnv_card(client.get(url)).numerator == 0  # proposed, not decided: not counted
    services.round_decide(actor=district_reviewer, round=round_)
    response = client.get(url)
    assert httnv_card(response).numerator == 5
    page = response.content.decode()
    assert f'href="{list_url}"' in page
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as second:
        client.get(url)
    assert len(first) == len(second)
    result = indicators.compute(scope=Scope(node=province.province), years=[YEAR])
    assert result.counters(YEAR)["mem.r2"] == 5


def test_check_command_reports_agreement(built, province, capsys):
    """`indicator_tallies check` says the tallies agree (exit 0) and lists differences when a
    row is tampered with (exit 1)."""
    from django.core.management import CommandError, call_command

    call_command("indicator_tallies", "check", "--org", province.province.code, "--year", "2021")
    assert "agree" in capsys.readouterr().out
    IndicatorTally.objects.filter(organization=province.old_cell, year=YEAR).update(mc_end=99)
    with pytest.raises(CommandError) as raised:
        call_command(
            "indicator_tallies", "check", "--org", province.province.code, "--year", "2021"
        )
    assert raised.value.returncode == 1
    assert "mc.end: tally 99, live 5" in capsys.readouterr().out


def test_every_tallied_counter_of_a_formula_has_a_column():
    """Each counter an indicator formula reads from a tallied family is a tally column (a
    new counter without its column would otherwise read as zero)."""
    tallied_prefixes = {"gro", "cell", "mem", "mc", "adm", "cad", "mt", "exist", "ru"}
    used = {
        counter
        for formula in indicators.FORMULAS.values()
        for counter in (*formula.numerator, *formula.denominator)
        if counter.split(".", 1)[0] in tallied_prefixes
    }
    assert used <= set(TALLY_COUNTERS), used - set(TALLY_COUNTERS)


@pytest.mark.django_db(transaction=True)
def test_concurrent_reads_recompute_a_marked_unit_once(province):
    """Two dashboard reads at the same moment, one marked unit: one recomputes it, the other
    waits for that and reads the same fresh figure; no duplicate row, no error."""
    make_members(province.old_cell, 3)
    tally.tallies_rebuild()
    CellMeeting.objects.create(
        cell=province.old_cell,
        held_on=D(YEAR, 4, 2),
        kind=MeetingKind.THEMATIC,
        attended=3,
        expected=3,
    )
    barrier = threading.Barrier(2)
    found, errors = [], []

    def read():
        try:
            barrier.wait(timeout=10)
            result = indicators.compute(scope=Scope(node=province.province), years=[YEAR])
            found.append(result.counters(YEAR)["mt.thematic"])
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and found == [1, 1]
    assert _marked() == set()
    rows = IndicatorTally.objects.filter(organization=province.old_cell, year=YEAR)
    # No undecided proposals in the cell: one row serves both bases.
    assert list(rows.values_list("with_proposals", "has_twin")) == [(False, False)]


def _meeting(cell, day, kind=MeetingKind.REGULAR):
    return CellMeeting.objects.create(cell=cell, held_on=day, kind=kind, attended=3, expected=3)


@pytest.mark.django_db(transaction=True)
def test_a_change_in_flight_during_a_refresh_keeps_its_mark(province):
    """A writer still open while a refresh claims the unit's committed mark: the refresh
    cannot see its row, so the writer's own mark must survive and the next read count it."""
    make_members(province.old_cell, 2)
    tally.tallies_rebuild()
    _meeting(province.old_cell, D(YEAR, 1, 10), MeetingKind.THEMATIC)  # a committed mark
    written, release = threading.Event(), threading.Event()

    def writer():
        with transaction.atomic():
            _meeting(province.old_cell, D(YEAR, 2, 10), MeetingKind.THEMATIC)
            written.set()
            assert release.wait(timeout=10)

    thread = InThread(writer)
    thread.start()
    assert written.wait(timeout=10)
    assert tally.tallies_refresh_marked() == 1  # claims the committed mark, not the other
    release.set()
    thread.join(timeout=10)
    assert thread.error is None
    assert province.old_cell.pk in _marked()
    result = indicators.compute(scope=Scope(node=province.province), years=[YEAR])
    assert result.counters(YEAR)["mt.thematic"] == 2
    _agree(province.province)


@pytest.mark.django_db(transaction=True)
def test_writers_marking_units_in_opposite_orders_do_not_deadlock(province):
    """Two transactions marking cell A then B and B then A both commit (the marks have no
    unique key to wait on)."""
    tally.tallies_rebuild()
    a, b = province.old_cell, province.new_cell
    both_first = threading.Barrier(2)

    def marking(first, second):
        def body():
            with transaction.atomic():
                _meeting(first, D(2025, 3, 1))
                both_first.wait(timeout=10)
                _meeting(second, D(2025, 4, 1))

        return body

    threads = [InThread(marking(a, b)), InThread(marking(b, a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert [t.error for t in threads] == [None, None]
    assert CellMeeting.objects.count() == 4
    assert {a.pk, b.pk} <= _marked()


@pytest.mark.django_db(transaction=True)
def test_a_read_during_another_refresh_counts_live_without_waiting(province):
    """While another transaction holds the refresh lock (a rebuild, the minute job), a read
    with marked units does not wait: it counts live, with the exact figures."""
    make_members(province.old_cell, 2)
    tally.tallies_rebuild()
    _meeting(province.old_cell, D(YEAR, 5, 5), MeetingKind.THEMATIC)
    locked, release = threading.Event(), threading.Event()

    def holder():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [tally._LOCK_KEY])
            locked.set()
            assert release.wait(timeout=10)

    thread = InThread(holder)
    thread.start()
    assert locked.wait(timeout=10)
    try:
        result = indicators.compute(scope=Scope(node=province.province), years=[YEAR])
        assert result.counters(YEAR)["mt.thematic"] == 1
        assert province.old_cell.pk in _marked()  # left for a later read
    finally:
        release.set()
        thread.join(timeout=10)
    assert thread.error is None


def test_a_temporary_membership_is_not_counted_twice(built, province):
    """A member attending another cell of the same commune temporarily counts once (in the
    official cell), for the commune and the province, mapped or not."""
    _province, members = built
    Membership.objects.create(
        member=members[0],
        organization=province.other_cell,
        kind=MembershipKind.TEMPORARY,
        start=D(2020, 1, 1),
    )
    scopes = [
        Scope(node=province.old_commune),
        Scope(node=province.province),
        Scope(node=province.province, mapped=True),
    ]
    for scope in scopes:
        result = indicators.compute(scope=scope, years=[2021])
        assert result.counters(2021)["mc.end"] == 5, (scope.node, scope.mapped)
    _agree(province.province)


def test_an_earlier_membership_elsewhere_moves_the_admission(built, province):
    """An admission counts in the member's first official membership covering the day: a
    corrected history (admitted in cell 2, moved to cell 1 on 1/7) moves it there, on the
    next read."""
    _province, members = built
    Member.objects.filter(pk=members[0].pk).update(admitted_on=D(YEAR, 3, 1))
    Membership.objects.filter(member=members[0]).update(start=D(YEAR, 3, 1))
    before = indicators.compute(scope=Scope(node=province.old_commune), years=[YEAR])
    assert before.counts[(YEAR, province.old_cell.path)]["adm.total"] == 1
    Membership.objects.filter(member=members[0]).update(start=D(YEAR, 7, 1))
    Membership.objects.create(
        member=members[0], organization=province.other_cell, start=D(YEAR, 3, 1), end=D(YEAR, 6, 30)
    )
    after = indicators.compute(scope=Scope(node=province.old_commune), years=[YEAR])
    assert after.counts[(YEAR, province.old_cell.path)]["adm.total"] == 0
    assert after.counts[(YEAR, province.other_cell.path)]["adm.total"] == 1
    _agree(province.province)


def test_counting_code_changed_since_the_build_reads_live(built, province):
    """Tallies computed by other counting code (another release) are not read: the page
    counts live until the nightly job rebuilds them."""
    IndicatorTallyWindow.objects.update(fingerprint="0" * 64)
    assert not tally.covers([YEAR])
    assert tally.tallies_rebuild_if_stale() is True
    assert tally.covers([YEAR])


def test_a_unit_moved_in_the_tree_is_marked(built, province):
    """A move rewrites the unit's path (what a refresh counts by): the unit marks itself, so a
    refresh that claimed it under its old path is redone on the next read."""
    cell = province.other_cell
    moved = cell.path[:-4] + "ZZZZ"
    type(cell).objects.filter(pk=cell.pk).update(path=moved)
    assert cell.pk in _marked()
    _agree(province.province)


def test_a_post_without_a_unit_marks_only_the_holders_units(built, province):
    """A post recorded without a unit (allowed by the model) marks the holder's other units
    and nothing else."""
    _province, members = built
    Post.objects.create(member=members[2], organization=None, kind=PostKind.GOVERNMENT, title="x")
    assert _marked() == set()
    Post.objects.create(
        member=members[2], organization=province.old_cell, kind=PostKind.PARTY, title="Chi ủy viên"
    )
    Post.objects.filter(member=members[2], organization=None).update(title="Công chức")
    assert _marked() == {province.old_cell.pk}


def test_residential_units_mark_their_communes_and_the_cells_they_share(built, province):
    """Hamlet coverage is tallied: adding a unit, making a cell joint across two communes,
    and deleting a unit mark every commune whose coverage changes; reads agree with live."""
    from cells.models import ResidentialUnit

    old, new = province.old_commune, province.new_commune
    first = ResidentialUnit.objects.create(name="Thôn 1", commune=old, cell=province.old_cell)
    assert _marked() == {old.pk, province.old_cell.pk}
    _read(province)
    second = ResidentialUnit.objects.create(name="Ấp 1", commune=new)
    assert _marked() == {new.pk}
    _read(province)
    # Ấp 1 now shares the old cell: Thôn 1's cell becomes joint, so both communes change.
    ResidentialUnit.objects.filter(pk=second.pk).update(cell=province.old_cell)
    assert _marked() == {old.pk, new.pk, province.old_cell.pk}
    counted = indicators.compute(scope=Scope(node=province.province), years=[2024, 2025])
    assert counted.counters(2024, province.district.path)["ru.joint"] == 1  # in its years
    assert counted.counters(2025)["ru.joint"] == 1  # the new commune only from 2025
    ResidentialUnit.objects.filter(pk=second.pk).delete()
    assert _marked() == {new.pk, old.pk, province.old_cell.pk}
    _read(province)
    assert ResidentialUnit.objects.get(pk=first.pk).cell == province.old_cell
    # Ấp 1 gone: Thôn 1's cell covers it alone again, in the tallies as in a live count.
    counted = indicators.compute(scope=Scope(node=province.province), years=[2024, 2025])
    assert counted.counters(2024, province.district.path).get("ru.joint", 0) == 0
    assert counted.counters(2024, province.district.path)["ru.independent"] == 1
    _agree(province.province, years=(2024, 2025))


def test_coverage_is_not_counted_before_the_commune_existed(built, province):
    """A commune formed in 2025 carries today's coverage from 2025 on; on the 2024 tree it is
    no row (it was listed as a dissolved unit with empty numbers)."""
    from cells.models import ResidentialUnit

    ResidentialUnit.objects.create(name="Ấp 1", commune=province.new_commune)
    result = indicators.compute(scope=Scope(node=province.province), years=[2024, 2025])
    assert result.counters(2024).get("ru.total", 0) == 0
    assert result.counters(2025)["ru.total"] == 1
    assert province.new_commune.path not in result.buckets(2024)


def test_the_minute_job_drops_the_marks_of_deleted_units(built):
    """A mark left by a unit deleted since (the marks have no foreign key) is dropped by the
    minute job instead of being read by every claim after it."""
    IndicatorTallyDirty.objects.create(organization_id=10**12)
    tally.tallies_refresh_marked()
    assert _marked() == set()
