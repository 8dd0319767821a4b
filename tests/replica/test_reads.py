"""Reads on the real streaming replica, the user's own writes, lag and outage fallback
(partybuild/replicas.py). Each test commits its data (transactional) so the replica can see it.
"""

import time

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cells.choices import Role
from cells.models import Organization
from partybuild import replicas
from tests import factories

pytestmark = [
    pytest.mark.replica,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


@pytest.fixture
def unit(replica):
    """A cell and a logged-in secretary of its commune (may edit it), replayed on the replica."""
    province = factories.build_small_province()
    user = factories.user_with_role(province.old_commune, Role.SECRETARY)
    replica.wait_replayed()
    return province.other_cell, user


def _page(client, cell):
    response = client.get(reverse("cells:organization_detail", args=[cell.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _replica_queries(client, cell) -> tuple[str, int]:
    """The page, and how many of its queries ran on the replica (asking the replica's own
    state does not count: that is how a page finds it must read the primary)."""
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        page = _page(client, cell)
    return page, sum("pg_is_in_recovery()" not in q["sql"] for q in on_replica)


def test_the_replica_is_a_streaming_standby_of_the_test_database(replica):
    assert replica.sql("SELECT status FROM pg_stat_wal_receiver")[0] == "streaming"
    made = factories.build_small_province().province
    replica.wait_replayed()
    copy = Organization.objects.using("replica").get(pk=made.pk)
    assert copy.name == "Đảng bộ tỉnh Bình Giang"
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True


def test_a_read_only_page_is_read_from_the_replica(client, replica, unit):
    """With replay paused, a change made on the primary behind the page's back is not on the
    page: it came from the replica. Once replayed, it is."""
    cell, user = unit
    client.force_login(user)
    page, queries = _replica_queries(client, cell)
    assert "Chi bộ ấp 2" in page and queries > 0
    with replica.paused():
        Organization.objects.filter(pk=cell.pk).update(name="Chi bộ ấp Hai")
        page, _ = _replica_queries(client, cell)
        assert "Chi bộ ấp 2" in page and "Chi bộ ấp Hai" not in page
    replica.wait_replayed()
    assert "Chi bộ ấp Hai" in _page(client, cell)


def test_a_user_reads_their_own_write_at_once_with_replication_paused(client, replica, unit):
    """The writer is pinned to the primary until the replica has replayed the write; another
    user meanwhile still reads the replica (the old name); afterwards both read the replica."""
    cell, user = unit
    client.force_login(user)
    other = factories.user_with_role(Organization.objects.get_parent(cell), Role.SECRETARY)
    replica.wait_replayed()
    other_client = type(client)()
    other_client.force_login(other)
    with replica.paused():
        response = client.post(
            reverse("cells:organization_edit", args=[cell.pk]),
            factories.organization_edit_data(cell, name="Chi bộ ấp Hai"),
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        assert replicas.COOKIE in response.cookies  # the primary's position after the write
        page, queries = _replica_queries(client, cell)
        assert "Chi bộ ấp Hai" in page
        assert queries == 0  # the page read the primary
        assert "Chi bộ ấp Hai" not in _page(other_client, cell)  # the replica stands still
    replica.wait_replayed()
    replicas.forget_state()
    response = client.get(reverse("cells:organization_detail", args=[cell.pk]))
    assert "Chi bộ ấp Hai" in response.content.decode()
    assert response.cookies[replicas.COOKIE]["max-age"] == 0  # replayed: pin dropped
    assert _replica_queries(client, cell)[1] > 0


def test_within_a_scope_a_write_sends_the_next_reads_to_the_primary(replica, unit):
    cell, _ = unit
    with replicas.reads_on_replica():
        assert replicas.reading_alias(Organization) == "replica"
        assert Organization.objects.get(pk=cell.pk).name == "Chi bộ ấp 2"
        Organization.objects.filter(pk=cell.pk).update(name="Chi bộ ấp Hai")
        assert replicas.reading_alias(Organization) == "default"
        assert Organization.objects.get(pk=cell.pk).name == "Chi bộ ấp Hai"
    assert replicas.reading_alias(Organization) == "default"  # outside any scope


def test_a_replica_lagging_past_the_setting_is_not_read(client, replica, unit, settings):
    cell, user = unit
    client.force_login(user)
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    with replica.paused():
        Organization.objects.filter(pk=cell.pk).update(name="Chi bộ ấp Hai")
        deadline = time.monotonic() + 10
        while replicas.replica_state(fresh=True).lag <= 0.5:
            assert time.monotonic() < deadline, replicas.replica_state(fresh=True)
            time.sleep(0.1)
        page, queries = _replica_queries(client, cell)
        assert "Chi bộ ấp Hai" in page  # from the primary
        assert queries == 0
    settings.REPLICA_MAX_LAG_SECONDS = 5
    replica.wait_replayed()
    replicas.forget_state()
    assert _replica_queries(client, cell)[1] > 0


def test_a_replica_gone_away_falls_back_to_the_primary(
    client, replica, replica_behind_proxy, unit, settings, monkeypatch
):
    """Down before the page (its state cached as usable): the page's first replica query fails
    and the view runs again on the primary. Then the state says down: the primary at once,
    until REPLICA_RETRY_SECONDS have passed. Never a 500."""
    cell, user = unit
    client.force_login(user)
    settings.REPLICA_CHECK_SECONDS = 60
    settings.REPLICA_RETRY_SECONDS = 60
    page, queries = _replica_queries(client, cell)
    assert "Chi bộ ấp 2" in page and queries > 0  # through the proxy
    assert replicas.replica_state().usable
    replica_behind_proxy.stop()
    Organization.objects.filter(pk=cell.pk).update(name="Chi bộ ấp Hai")
    assert "Chi bộ ấp Hai" in _page(client, cell)  # broke mid-page: served again from the primary
    state = replicas.replica_state()
    assert not state.usable and state.reason.startswith("failed")
    asked = []
    ask = replicas._ask_replica
    monkeypatch.setattr(replicas, "_ask_replica", lambda now: asked.append(now) or ask(now))
    assert "Chi bộ ấp Hai" in _page(client, cell)
    assert asked == []  # known down: not even tried
    replicas.forget_state()
    assert "Chi bộ ấp Hai" in _page(client, cell)  # asked again: refused, primary
    assert replicas.replica_state().reason.startswith("down")
