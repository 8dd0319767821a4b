"""Fixtures for tests that run a real Celery worker process against the test database."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from partybuild.celery import app as celery_app

QUEUE = "celery"
WORKER_START_TIMEOUT = 30


def test_database_url(alias: str = "default") -> str:
    """A postgres:// URL for the database this test runs on (the test database; for the
    `replica` alias, the same database on the replica)."""
    db = settings.DATABASES[alias]
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(db['NAME'], safe='')}"


def replica_env() -> dict[str, str]:
    """A worker's replica settings: the test database on the replica (never the developer's
    database that REPLICA_DATABASE_URL names), read as this test reads it."""
    if "replica" not in settings.DATABASES:
        return {"REPLICA_DATABASE_URL": ""}
    return {
        "REPLICA_DATABASE_URL": test_database_url("replica"),
        "REPLICA_READS": str(settings.REPLICA_READS),
        # A replica shared with other suites and benchmarks on two cores can be seconds
        # behind: the worker waits for it rather than quietly reading the primary.
        "REPLICA_MAX_LAG_SECONDS": "60",
        "REPLICA_TASK_WAIT_SECONDS": "30",
    }


@pytest.fixture
def broker():
    """The broker this process already sends to (make test points it at Redis), emptied.

    The worker gets the same URL: re-pointing a configured Celery app at another broker
    mid-process is unreliable, because kombu caches connection pools per app.
    """
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.fail(f"The integration tests need CELERY_BROKER_URL on Redis (got {url!r}).")
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=2)
        connection.default_channel.queue_purge(QUEUE)
    return url


class Worker:
    """A `celery worker` subprocess; its log goes to a file (a pipe could fill and block it)."""

    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def assert_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"The Celery worker exited ({self.process.returncode}):\n{self.log()}")

    def wait_ready(self, timeout: float = WORKER_START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            if " ready." in self.log():
                return
            time.sleep(0.2)
        pytest.fail(f"The Celery worker did not start within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def celery_worker_process(transactional_db, broker, media_root):
    """A real worker on the test database and the test broker, always stopped afterwards."""
    celery = Path(sys.executable).with_name("celery")
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": broker,
        "DJANGO_ENV": "test",
        "MEDIA_ROOT": str(media_root),
        # Fewer pooled connections: the worker shares the server with the test process.
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "4",
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.update(replica_env())
    log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the teardown
        prefix="celery-itest-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [
            str(celery),
            "-A",
            "partybuild",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            QUEUE,
            "--loglevel=INFO",
            "-n",
            "itest@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    worker = Worker(process, Path(log_file.name))
    try:
        yield worker
    finally:
        worker.stop()
        log_file.close()
        Path(log_file.name).unlink(missing_ok=True)
