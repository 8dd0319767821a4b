"""A report rendered by a real Celery worker reads its data on the real streaming replica."""

import time

import pytest

from assessments.reports import services
from cells.choices import Role
from tests import factories
from tests.integration.test_report_worker import decided_commune_round, wait_for
from tests.replica.conftest import replica  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.integration,
    pytest.mark.replica,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


def _replica_transactions(replica) -> int:  # noqa: F811
    """Transactions run on the replica in the test database (every backend's, flushed)."""
    return replica.sql(
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
        [_test_database()],
    )[0]


def _test_database() -> str:
    from django.conf import settings

    return settings.DATABASES["replica"]["NAME"]


def test_report_rendering_reads_the_replica(celery_worker_process, replica):  # noqa: F811
    """The worker renders a results report (the statistics read back from the PDF) with its
    queries on the replica: the replica's own statistics count them, while this test process
    runs none there. The job's claim and progress stay on the primary."""
    worker = celery_worker_process
    province = factories.build_small_province()
    decided_commune_round(province)
    officer = factories.user_with_role(province.province, Role.REPORTS)
    worker.wait_ready()
    replica.wait_replayed()
    before = _replica_transactions(replica)

    job, _ = services.reportjob_request(
        actor=officer, kind="results", organization=province.old_commune, year=2021, fmt="xlsx"
    )
    job = wait_for(job, worker)
    assert job.state == "done", (job.error, worker.log())
    # A backend's statistics reach the shared counters when it goes idle (≤ 1 s, or the
    # next second-long timeout): wait for them rather than for a fixed time.
    deadline = time.monotonic() + 20
    while (used := _replica_transactions(replica) - before) < 10:
        assert time.monotonic() < deadline, f"only {used} transactions on the replica"
        time.sleep(0.5)
