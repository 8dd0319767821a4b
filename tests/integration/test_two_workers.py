"""Two real Celery workers on the Redis broker: work is shared, and a lost worker loses nothing.

The workers run the real import-check task (cells.importjob_validate) against the test
database. Which worker ran a task is read from the workers' own logs ("Task …[id]
received/succeeded"), matched with the task id each job records when it is claimed.
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files import File

from cells import jobs
from cells.choices import ImportJobStatus
from cells.models import ImportJob
from partybuild.celery import app as celery_app
from tests import factories
from tests.factories import SAMPLE_DATA
from tests.integration.conftest import QUEUE, WORKER_START_TIMEOUT, replica_env
from tests.integration.conftest import test_database_url as worker_database_url
from tests.integration.short_visibility_app import VISIBILITY_TIMEOUT

SAMPLE = SAMPLE_DATA / "to_chuc.csv"
SAMPLE_ROWS = 33
SETTLED = {ImportJobStatus.READY, ImportJobStatus.INVALID, ImportJobStatus.FAILED}
WAIT_SECONDS = 45


class WorkerProcess:
    """One `celery worker` in its own process group (so a kill takes its pool children
    too, as losing the machine would); its log goes to a file."""

    def __init__(self, name: str, env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("celery")),
                "-A",
                "tests.integration.short_visibility_app",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--prefetch-multiplier=1",
                "-Q",
                QUEUE,
                "--loglevel=INFO",
                "-n",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if not self.alive():
                pytest.fail(f"Worker {self.name} exited:\n{self.log()}")
            if " ready." in self.log():
                return
            time.sleep(0.2)
        pytest.fail(f"Worker {self.name} did not start in time:\n{self.log()}")

    def received(self, task_id: str) -> bool:
        return f"[{task_id}] received" in self.log()

    def succeeded(self, task_id: str) -> bool:
        return f"[{task_id}] succeeded" in self.log()

    def kill(self) -> None:
        """SIGKILL the whole group: no warm shutdown, no chance to hand the message back."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
        if self.alive():
            self.kill()
        else:
            # The pool child may outlive a parent that died first.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


def _clear_unacked() -> None:
    """Forget messages a previous, killed run left unacknowledged in this broker database."""
    with celery_app.connection_for_write() as connection:
        client = connection.default_channel.client
        client.delete("unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def two_workers(transactional_db, broker, media_root):
    """Workers w1 and w2 (one process each, prefetch 1) on the test database and broker,
    both ready; always killed afterwards, logs printed on failure by the assertions."""
    _clear_unacked()
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": broker,
        "DJANGO_ENV": "test",
        "MEDIA_ROOT": str(media_root),
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "3",
        **replica_env(),
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    log_dir = Path(tempfile.mkdtemp(prefix="celery-two-workers-"))
    workers: dict[str, WorkerProcess] = {}
    try:
        for name in ("w1", "w2"):
            workers[name] = WorkerProcess(name, env, log_dir)
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        for worker in workers.values():
            worker.wait_ready(deadline)
        yield workers
    finally:
        for worker in workers.values():
            worker.stop()
        for path in log_dir.iterdir():
            path.unlink()
        log_dir.rmdir()


def _logs(workers: dict[str, WorkerProcess]) -> str:
    return "\n".join(f"--- {name} ---\n{w.log()[-4000:]}" for name, w in workers.items())


def _upload(admin, content: bytes, name: str = "to_chuc.csv") -> ImportJob:
    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(content)
    try:
        with path.open("rb") as fh:
            return jobs.importjob_create(
                actor=admin, kind="organizations", organization=None, uploaded_file=File(fh)
            )
    finally:
        path.unlink()
        path.parent.rmdir()


def _wait(predicate, workers, message: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"{message} within {timeout} s.\n{_logs(workers)}")


def _big_organizations_file(extra_cells: int) -> bytes:
    """The sample tree plus `extra_cells` cells under one commune: slow enough to check
    (a few seconds) that a worker can be killed in the middle of it."""
    lines = [SAMPLE.read_text(encoding="utf-8").rstrip("\n")]
    lines += [
        f"BG-AH-T{i:04d},Chi bộ thôn Thử {i},Chi bộ trực thuộc,BG-AH,không,01/07/2025,,,"
        for i in range(extra_cells)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.mark.integration
def test_two_workers_share_a_batch_of_import_checks(two_workers):
    """Six import checks queued at once are split between the two workers (each runs at
    least one, none runs twice) and every check completes with the sample's 33 rows."""
    admin = factories.UserFactory(is_superuser=True)
    content = SAMPLE.read_bytes()
    batch = [_upload(admin, content) for _ in range(6)]

    def settled():
        return all(ImportJob.objects.get(pk=job.pk).status in SETTLED for job in batch) and all(
            any(w.succeeded(j.task_id) for w in two_workers.values()) for j in _fresh(batch)
        )

    _wait(settled, two_workers, "The batch did not complete")
    batch = _fresh(batch)
    assert [(j.status, j.total_rows, j.errors) for j in batch] == [
        (ImportJobStatus.READY, SAMPLE_ROWS, [])
    ] * 6
    ran_by = {
        job.task_id: [name for name, w in two_workers.items() if w.succeeded(job.task_id)]
        for job in batch
    }
    assert all(len(names) == 1 for names in ran_by.values()), ran_by
    per_worker = {name: sum(names == [name] for names in ran_by.values()) for name in two_workers}
    assert per_worker["w1"] >= 1 and per_worker["w2"] >= 1, per_worker
    assert sum(per_worker.values()) == 6


def _fresh(batch: list[ImportJob]) -> list[ImportJob]:
    by_pk = ImportJob.objects.in_bulk([j.pk for j in batch])
    return [by_pk[j.pk] for j in batch]


@pytest.mark.integration
def test_two_workers_killed_worker_task_is_redelivered_and_completes(two_workers):
    """A worker SIGKILLed in the middle of an import check leaves the job "validating";
    its unacknowledged message comes back after the visibility timeout, the other worker
    takes the job over under the same task id and finishes it: nothing stays stuck."""
    admin = factories.UserFactory(is_superuser=True)
    extra = 200
    job = _upload(admin, _big_organizations_file(extra))

    def mid_task():
        job.refresh_from_db()
        return job.status == ImportJobStatus.VALIDATING and job.progress_done > 0

    _wait(mid_task, two_workers, "The check did not start", timeout=20)
    task_id = job.task_id
    holders = [name for name, w in two_workers.items() if w.received(task_id)]
    assert len(holders) == 1, (holders, _logs(two_workers))
    victim = two_workers[holders[0]]
    survivor_name = "w2" if victim.name == "w1" else "w1"
    survivor = two_workers[survivor_name]
    killed_at = time.monotonic()
    victim.kill()
    job.refresh_from_db()
    assert job.status == ImportJobStatus.VALIDATING, "the check finished before the kill"

    _wait(
        lambda: ImportJob.objects.get(pk=job.pk).status in SETTLED,
        two_workers,
        "The killed worker's job was not completed by the other worker",
        timeout=VISIBILITY_TIMEOUT + WAIT_SECONDS,
    )
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.created_count, job.errors) == (
        ImportJobStatus.READY,
        SAMPLE_ROWS + extra,
        SAMPLE_ROWS + extra,
        [],
    )
    assert job.task_id == task_id  # the same message, redelivered: not a new job or task
    assert survivor.received(task_id) and survivor.succeeded(task_id), _logs(two_workers)
    assert not victim.alive()
    assert time.monotonic() - killed_at < VISIBILITY_TIMEOUT + WAIT_SECONDS

    with celery_app.connection_for_write() as connection:
        client = connection.default_channel.client
        _wait(
            lambda: client.hlen("unacked") == 0,
            two_workers,
            "A message stayed unacknowledged",
            timeout=10,
        )
        assert client.llen(QUEUE) == 0
