"""Pieces shared by the background jobs whose row the page polls (imports, reports).

cells.jobs set the pattern: the job row is the hand-over between the web process and the
Celery worker; the worker claims the row with its task id, writes its progress, and a job left
queued or running for longer than the task time limit is stale (its worker is gone) and may
be retried. These helpers hold that pattern for any model with the usual fields
(`state`, `task_id`, `queued_at`, `started_at`, `updated_at`, `created_at`, progress counters).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Collection

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, connections, models
from django.utils import timezone

logger = logging.getLogger(__name__)

# Database outages are left to the task's retry policy (autoretry_for).
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def time_limit() -> datetime.timedelta:
    """How long Celery lets a task run before killing it (read at call time, never at import)."""
    return datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def job_is_stale(
    job: models.Model,
    *,
    queued: Collection[str],
    running: Collection[str],
    state_field: str = "state",
    now: datetime.datetime | None = None,
) -> bool:
    """Queued or running for longer than the task time limit: no worker can still be on it.

    Celery kills a task at CELERY_TASK_TIME_LIMIT, so offering a retry past that cannot run
    the same job twice at once.
    """
    state = getattr(job, state_field)
    if state not in queued and state not in running:
        return False
    since = job.started_at if state in running else job.queued_at
    since = since or job.updated_at or job.created_at
    if since is None:
        return False
    return since < (now or timezone.now()) - time_limit()


def job_claim(
    model: type[models.Model],
    pk: int,
    *,
    queued: str,
    running: str,
    task_id: str,
    is_stale,
    extra: dict | None = None,
    state_field: str = "state",
) -> models.Model | None:
    """Mark the job as running under this task, or None when it is not this task's to run.

    A redelivered message (acks_late after a worker loss) or a Celery retry carries the same
    task id and may take over; so may anyone once the job is stale. A duplicate message for a
    job already finished is ignored. Must be called inside a transaction.
    """
    job = model.objects.select_for_update().filter(pk=pk).first()
    if job is None:
        logger.warning("%s %s no longer exists", model.__name__, pk)
        return None
    state = getattr(job, state_field)
    ours = state == queued or (
        state == running and ((task_id and job.task_id == task_id) or is_stale(job))
    )
    if not ours:
        logger.info("%s %s is %s: nothing to do", model.__name__, pk, state)
        return None
    values = {
        state_field: running,
        "task_id": task_id or "",
        "started_at": timezone.now(),
        **(extra or {}),
    }
    for name, value in values.items():
        setattr(job, name, value)
    job.save(update_fields=[*values, "updated_at"])
    return job


class ProgressWriter:
    """A `progress(done, total)` callback that writes at most every `seconds` or `step` steps.

    When the caller holds a transaction open on PostgreSQL the row is written through a second
    connection in autocommit, so the page sees the progress before the work commits. Progress
    is a courtesy: a database hiccup while writing it never breaks the work.
    """

    def __init__(
        self,
        model: type[models.Model],
        pk: int,
        *,
        done_field: str = "progress_done",
        total_field: str = "progress_total",
        seconds: float = 0.5,
        step: int = 100,
    ):
        self.model = model
        self.pk = pk
        self.done_field = done_field
        self.total_field = total_field
        self.seconds = seconds
        self.step = step
        self.last_done = -1
        self.last_time = 0.0
        self._side = None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if (
            self.last_done >= 0
            and done < total
            and done - self.last_done < self.step
            and now - self.last_time < self.seconds
        ):
            return
        self.last_done, self.last_time = done, now
        try:
            self._write(done, total)
        except TRANSIENT_ERRORS:
            logger.warning("Could not record progress of %s %s", self.model.__name__, self.pk)

    def _write(self, done: int, total: int) -> None:
        if not (connection.in_atomic_block and connection.vendor == "postgresql"):
            self.model.objects.filter(pk=self.pk).update(
                **{self.done_field: done, self.total_field: total}, updated_at=timezone.now()
            )
            return
        if self._side is None:
            self._side = connections.create_connection(connection.alias)
        table = self.model._meta.db_table
        done_col = self.model._meta.get_field(self.done_field).column
        total_col = self.model._meta.get_field(self.total_field).column
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {done_col} = %s, {total_col} = %s, "  # noqa: S608
                "updated_at = %s WHERE id = %s",
                [done, total, timezone.now(), self.pk],
            )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def percent(done: int, total: int) -> int:
    """Whole percent for a progress bar (0 when nothing is known yet)."""
    return min(100, done * 100 // total) if total else 0


# Options of the periodic (beat) tasks: a periodic job is not worth retrying hard, the next
# run comes tomorrow; acks_late so a job whose worker died runs again.
PERIODIC = {"acks_late": True, "ignore_result": True}
