"""`Organization.maps_to`: where a unit's rows count on today's tree, kept by the tree's
triggers whatever changed it (here: the services, as the pages and imports call them)."""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction

from cells import services
from cells.choices import OrganizationType
from cells.models import Organization
from tests import factories
from tests.threads import InThread

pytestmark = pytest.mark.django_db
D = datetime.date


def _maps(*orgs):
    return [Organization.objects.get(pk=o.pk).maps_to_id for o in orgs]


def test_maps_to_after_the_2025_merge(province):
    """A dissolved unit maps to its successor, a unit inside a dissolved one to that one's
    successor (the deepest dissolved ancestor-or-self wins); a unit dissolved without
    successor, and today's units, map nowhere. A full recomputation finds nothing to change."""
    w = province
    assert _maps(w.old_cell, w.other_cell, w.old_commune, w.district) == [
        w.new_cell.pk,
        w.new_commune.pk,
        w.new_commune.pk,
        None,
    ]
    assert _maps(w.province, w.new_commune, w.new_cell, w.foreign_cell) == [None] * 4
    assert services.organization_maps_refresh() == 0


def test_maps_to_follows_a_later_merge_of_the_successor(province):
    """The new cell merged again: every unit whose chain passes through it now maps to the
    last successor (at most 6 links are followed)."""
    w = province
    later = factories.org(
        w.new_commune, "BG-AH-AH02", "Chi bộ ấp 2 (An Hòa)", OrganizationType.GRASSROOTS_CELL
    )
    services.organization_update(
        actor=None, organization=w.new_cell, dissolved_on=D(2026, 1, 31), successor=later
    )
    assert _maps(w.new_cell, w.old_cell) == [later.pk, later.pk]
    services.organization_update(actor=None, organization=w.new_cell, successor=None)
    assert _maps(w.new_cell, w.old_cell) == [None, w.new_cell.pk]
    assert services.organization_maps_refresh() == 0


def test_maps_to_follows_a_move_and_a_new_unit(province):
    """A cell moved out of the dissolved commune counts where it now is; a unit added under
    the dissolved commune counts under its successor."""
    w = province
    services.organization_update(actor=None, organization=w.other_cell, parent=w.new_commune)
    assert _maps(w.other_cell) == [None]
    added = factories.org(w.old_commune, "BG-PA-AH-C03", "Chi bộ ấp 3", OrganizationType.CELL)
    assert _maps(added) == [w.new_commune.pk]
    services.organization_update(actor=None, organization=w.old_commune, dissolved_on=None)
    assert _maps(added, w.old_cell) == [None, w.new_cell.pk]
    assert services.organization_maps_refresh() == 0


def _across(*orgs):
    return [Organization.objects.get(pk=o.pk).maps_across for o in orgs]


def _target_paths(*orgs):
    return [Organization.objects.get(pk=o.pk).maps_to_path for o in orgs]


def test_maps_across_is_the_depth_above_both_the_unit_and_its_target(province):
    """The old cell (province › district › commune › cell) and its successor (province ›
    commune › cell) part below the province: 1; unmapped units have none. When the target
    moves under another province they part at the top: 0 — and a mapped page of the other
    province finds the old units among its predecessors."""
    w = province
    assert _across(w.old_cell, w.other_cell, w.old_commune) == [1, 1, 1]
    assert _across(w.province, w.new_commune, w.district) == [None, None, None]
    services.organization_update(actor=None, organization=w.new_commune, parent=w.other_province)
    assert _across(w.old_cell, w.other_cell, w.old_commune) == [0, 0, 0]
    # The target's path is kept with it (cells 0011): the page's index reads it by prefix.
    moved = {
        o.pk: o.path for o in Organization.objects.filter(pk__in=[w.new_cell.pk, w.new_commune.pk])
    }
    assert _target_paths(w.old_cell, w.other_cell, w.old_commune, w.province) == [
        moved[w.new_cell.pk],
        moved[w.new_commune.pk],
        moved[w.new_commune.pk],
        None,
    ]
    assert services.organization_maps_refresh() == 0
    from assessments.indicators import Scope

    other = Organization.objects.get(pk=w.other_province.pk)
    scope = Scope(node=other, mapped=True)
    assert scope.mapping_stored
    assert Organization.objects.get(pk=w.old_commune.pk).path in scope.roots


def _rename(org, name, *, through_service):
    if through_service:
        services.organization_update(actor=None, organization=org, name=name)
    else:  # the admin's bulk actions, an import: a statement without the service
        Organization.objects.filter(pk=org.pk).update(name=name)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("through_service", [True, False], ids=["service", "statement"])
def test_tree_edits_in_opposite_orders_queue_instead_of_deadlocking(province, through_service):
    """Two transactions editing units A then B and B then A: without the tree's lock (cells
    0009) the second held B while waiting for A, the first waited for B, and PostgreSQL killed
    one of them. Now the second waits before it writes anything, and both commit."""
    a, b = province.old_cell, province.new_cell
    first_done, second_started, second_first_done = (threading.Event() for _ in range(3))
    second_pid = []

    def first():
        with transaction.atomic():
            _rename(a, "A một", through_service=through_service)
            first_done.set()
            assert second_started.wait(timeout=10)
            deadline = time.monotonic() + 10
            with connection.cursor() as cursor:
                while not second_first_done.is_set() and time.monotonic() < deadline:
                    cursor.execute(
                        "SELECT wait_event FROM pg_stat_activity WHERE pid = %s", second_pid
                    )
                    if cursor.fetchone()[0] == "advisory":
                        break  # the second is queued on the tree's lock
                    time.sleep(0.02)
            _rename(b, "B một", through_service=through_service)

    def second():
        assert first_done.wait(timeout=10)
        with transaction.atomic():
            second_pid.append(connection.cursor().connection.info.backend_pid)
            second_started.set()
            _rename(b, "B hai", through_service=through_service)
            second_first_done.set()
            _rename(a, "A hai", through_service=through_service)

    threads = [InThread(first), InThread(second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [t.error for t in threads] == [None, None]
    names = dict(Organization.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "name"))
    assert names == {a.pk: "A hai", b.pk: "B hai"}  # the second ran after the first
    assert services.organization_maps_refresh() == 0


@pytest.mark.django_db(transaction=True)
def test_adding_a_unit_while_its_parent_is_edited_queues(province, monkeypatch):
    """treebeard locks the parent's row before it adds a child; an edit of that parent took the
    tree's lock, then waited for the row, while the adding waited for the lock (helper-27
    reproduced the deadlock). The manager takes the tree's lock before treebeard locks."""
    parent = province.new_commune
    parent_locked, editor_started = threading.Event(), threading.Event()
    adder_thread = []
    original = Organization.is_leaf

    def is_leaf(node):  # treebeard asks right after its FOR UPDATE read of the parent
        if threading.current_thread() in adder_thread:
            parent_locked.set()
            assert editor_started.wait(timeout=10)
            time.sleep(0.3)  # the editor is now at its first lock
        return original(node)

    monkeypatch.setattr(Organization, "is_leaf", is_leaf)

    def add():
        services.organization_create(
            actor=None,
            parent=parent,
            code="BG-AH-C09",
            name="Chi bộ ấp 9",
            type=OrganizationType.CELL,
        )

    def edit():
        assert parent_locked.wait(timeout=10)
        editor_started.set()
        services.organization_update(actor=None, organization=parent, name="Đảng bộ xã An Hòa mới")

    adder, editor = InThread(add), InThread(edit)
    adder_thread.append(adder)
    adder.start()
    editor.start()
    for thread in (adder, editor):
        thread.join(timeout=30)
    assert [adder.error, editor.error] == [None, None]
    assert Organization.objects.filter(code="BG-AH-C09").exists()
    assert Organization.objects.get(pk=parent.pk).name == "Đảng bộ xã An Hòa mới"


@pytest.mark.django_db(transaction=True)
def test_a_full_save_keeps_the_mapping_the_database_derived(province):
    """A unit read before the mapping changed, then saved whole (the admin's form), leaves
    maps_to / maps_across / maps_to_path as the triggers keep them."""
    w = province
    stale = Organization.objects.get(pk=w.old_cell.pk)
    later = factories.org(
        w.new_commune, "BG-AH-AH02", "Chi bộ ấp 2 (An Hòa)", OrganizationType.GRASSROOTS_CELL
    )
    services.organization_update(
        actor=None, organization=w.new_cell, dissolved_on=D(2026, 1, 31), successor=later
    )
    assert _maps(w.old_cell) == [later.pk]
    stale.name = "Chi bộ ấp 1 (cũ)"
    stale.save()
    fresh = Organization.objects.get(pk=w.old_cell.pk)
    assert fresh.name == "Chi bộ ấp 1 (cũ)"
    assert (fresh.maps_to_id, fresh.maps_to_path) == (later.pk, later.path)
    assert services.organization_maps_refresh() == 0


@pytest.mark.django_db(transaction=True)
def test_a_tree_edit_behind_a_long_one_is_refused_in_vietnamese(province, monkeypatch):
    """An import holds the tree's lock for its whole transaction: a person's edit waits
    TREE_WAIT_SECONDS, then is refused with a message, not left hanging."""
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from cells.models.tree import lock_tree

    monkeypatch.setattr(services, "TREE_WAIT_SECONDS", 0.2)
    held, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            lock_tree()
            held.set()
            assert release.wait(timeout=10)

    holder = InThread(hold)
    holder.start()
    assert held.wait(timeout=10)
    try:
        with translation.override("vi"), pytest.raises(ValidationError) as refused:
            services.organization_update(
                actor=None, organization=province.new_commune, name="Tên mới"
            )
        assert "Một thay đổi khác của cây tổ chức đang được lưu" in str(refused.value)
    finally:
        release.set()
        holder.join(timeout=10)
    assert holder.error is None
    assert Organization.objects.get(pk=province.new_commune.pk).name != "Tên mới"
