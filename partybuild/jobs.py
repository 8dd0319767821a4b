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
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

# Database outages are left to the task's retry policy (autoretry_for).
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# What sending a message raises while the broker is down (kombu wraps connection errors).
PUBLISH_ERRORS = (BrokerError, OSError)
# A queued job whose message could not be sent is sent again by the sweep after this long.
UNSENT_GRACE = datetime.timedelta(seconds=30)


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
    if job_is_unsent(job, queued=queued, state_field=state_field):
        return False  # no worker ever had it: the sweep sends it when the broker is back
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
            # Named alias: the job's own bookkeeping row, always on the primary, and not a
            # write the work reads back (the router would send the rest of a report's reads
            # to the primary after it: partybuild.replicas).
            self.model.objects.using(connection.alias).filter(pk=self.pk).update(
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


# --- sending the message, and sending it again after a broker outage --------------------------


def job_is_unsent(
    job: models.Model, *, queued: Collection[str], state_field: str = "state"
) -> bool:
    """Queued, and its message never reached the broker (no task id recorded yet)."""
    return getattr(job, state_field) in queued and not job.task_id


def job_publish(model: type[models.Model], pk: int, task) -> bool:
    """Send `task(pk)` and record its task id on the job; False when the broker is down.

    Called after the job's row committed. A failure is logged, never raised: the job stays
    queued without a task id, the user is told, and `jobs_publish_unsent` sends it again
    (the Redis outage of #19 gave a bare 500 and a job stuck at "Đang chờ 0 %").
    """
    try:
        result = task.delay(pk)
    except PUBLISH_ERRORS as exc:
        logger.warning("Could not queue %s %s (broker unreachable): %r", model.__name__, pk, exc)
        return False
    # The worker may have claimed it already (and written the same id): leave that alone.
    model.objects.filter(pk=pk, task_id="").update(task_id=result.id or "")
    return True


def jobs_publish_unsent(
    model: type[models.Model],
    *,
    queued: Collection[str],
    task_for,
    state_field: str = "state",
    now: datetime.datetime | None = None,
    limit: int = 500,
) -> tuple[int, int]:
    """Send again the messages of queued jobs that never reached the broker: (sent, failed).

    `task_for(job)` names the task of each job. A job whose first send is still in flight is
    left alone for UNSENT_GRACE; a message sent twice is harmless (`job_claim`).
    """
    cutoff = (now or timezone.now()) - UNSENT_GRACE
    jobs = model.objects.filter(
        **{f"{state_field}__in": list(queued)}, task_id="", queued_at__lt=cutoff
    ).order_by("queued_at")[:limit]
    sent = failed = 0
    for job in jobs:
        if job_publish(model, job.pk, task_for(job)):
            sent += 1
        else:
            failed += 1
            break  # still down: the next sweep tries again
    return sent, failed


def publish_failed_message() -> str:
    """What the user is told when the request was saved but could not be queued yet."""
    return _(
        "Your request was saved, but the background service is not answering right now. "
        "It will start by itself as soon as the service is back: you need not ask again."
    )


def warn_if_unsent(request, job) -> None:
    """After a request that queued `job`: tell the user if its message could not be sent."""
    from django.contrib import messages

    if getattr(job, "publish_failed", False):
        messages.warning(request, publish_failed_message())


# Options of the periodic (beat) tasks: a periodic job is not worth retrying hard, the next
# run comes tomorrow; acks_late so a job whose worker died runs again.
PERIODIC = {"acks_late": True, "ignore_result": True}
