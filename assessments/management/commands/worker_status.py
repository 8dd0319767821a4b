"""Report the Celery workers, the queue and the import and report jobs a lost worker left
behind (here, in the app that sees both kinds of job).

    python manage.py worker_status [--timeout 2] [--json]

Exit code 0 when at least one worker answered and no job is stale, 1 otherwise: usable as a
monitoring check as it is.
"""

import json

from celery import current_app as app
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from kombu.exceptions import ChannelError
from kombu.utils.url import maybe_sanitize_url

from assessments.models import ReportJob
from assessments.reports.services import ACTIVE as REPORT_ACTIVE
from assessments.reports.services import reportjob_is_stale
from cells.jobs import ACTIVE_STATUSES, importjob_is_stale
from cells.models import ImportJob


def _queue_status(queue: str) -> dict:
    """Messages waiting in `queue` and, on Redis, messages taken by a worker but not yet
    acknowledged (acks_late: they come back after the visibility timeout if it dies)."""
    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=5)
        channel = connection.default_channel
        client = getattr(channel, "client", None)
        if client is not None and hasattr(client, "llen"):
            # Redis: the queue is a list named after it; an empty queue has no key (LLEN 0).
            return {
                "queue": queue,
                "waiting": client.llen(queue),
                "unacked": client.hlen(channel.unacked_key),
            }
        try:
            waiting = channel.queue_declare(queue=queue, passive=True).message_count
        except ChannelError:
            waiting = 0  # never declared: nothing was ever sent to it
        return {"queue": queue, "waiting": waiting}


def _workers(timeout: float) -> dict:
    """{hostname: {"ping": ..., "active": [task names and ids]}} of the workers that answer."""
    inspect = app.control.inspect(timeout=timeout)
    pings = inspect.ping() or {}
    active = inspect.active() or {} if pings else {}
    return {
        name: {
            "ping": reply.get("ok", reply),
            "active": [
                {"name": t.get("name"), "id": t.get("id"), "worker_pid": t.get("worker_pid")}
                for t in active.get(name, [])
            ],
        }
        for name, reply in sorted(pings.items())
    }


def _since(job) -> str:
    return timezone.localtime(job.started_at or job.queued_at or job.created_at).strftime(
        "%H:%M %d/%m/%Y"
    )


def _stale_jobs() -> list[dict]:
    now = timezone.now()
    jobs = ImportJob.objects.filter(status__in=ACTIVE_STATUSES).order_by("pk")
    return [
        {"id": job.pk, "status": job.status, "task_id": job.task_id, "since": _since(job)}
        for job in jobs
        if importjob_is_stale(job, now=now)
    ]


def _stale_report_jobs() -> list[dict]:
    """Report jobs a lost worker left "đang lập" (the page shows them as failed)."""
    now = timezone.now()
    jobs = ReportJob.objects.filter(state__in=REPORT_ACTIVE).order_by("pk")
    return [
        {"id": job.pk, "status": job.state, "task_id": job.task_id, "since": _since(job)}
        for job in jobs
        if reportjob_is_stale(job, now=now)
    ]


class Command(BaseCommand):
    help = "Show Celery workers (ping, active tasks), the queue length and stale jobs."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, default=2.0, help="Seconds to wait for the workers' replies"
        )
        parser.add_argument("--queue", default=None, help="Queue name [the default queue]")
        parser.add_argument("--json", action="store_true", help="Print one JSON object")

    def handle(self, *args, **options):
        queue = options["queue"] or app.conf.task_default_queue
        report: dict = {"broker": _redacted(settings.CELERY_BROKER_URL)}
        try:
            report["queue"] = _queue_status(queue)
        except Exception as exc:
            report["queue"] = {"queue": queue, "error": f"{exc.__class__.__name__}: {exc}"}
        try:
            report["workers"] = _workers(options["timeout"])
        except Exception as exc:
            report["workers"] = {}
            report["workers_error"] = f"{exc.__class__.__name__}: {exc}"
        report["stale_jobs"] = _stale_jobs()
        report["stale_report_jobs"] = _stale_report_jobs()
        healthy = (
            bool(report["workers"]) and not report["stale_jobs"] and not report["stale_report_jobs"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            self._print(report)
        if not healthy:
            raise SystemExit(1)

    def _print(self, report: dict) -> None:
        out = self.stdout.write
        out(f"Broker: {report['broker']}")
        queue = report["queue"]
        if "error" in queue:
            out(self.style.ERROR(f"Queue {queue['queue']}: {queue['error']}"))
        else:
            unacked = f", {queue['unacked']} taken, not acknowledged" if "unacked" in queue else ""
            out(f"Queue {queue['queue']}: {queue['waiting']} waiting{unacked}")
        workers = report["workers"]
        if not workers:
            out(self.style.ERROR("Workers: none answered " + report.get("workers_error", "")))
        for name, worker in workers.items():
            tasks = ", ".join(f"{t['name']}[{t['id']}]" for t in worker["active"]) or "idle"
            out(f"Worker {name}: {worker['ping']} — {tasks}")
        stale = report["stale_jobs"]
        if stale:
            out(self.style.WARNING(f"Stale import jobs ({len(stale)}):"))
            for job in stale:
                out(f"  #{job['id']} {job['status']} since {job['since']} task {job['task_id']}")
        else:
            out("Stale import jobs: none")
        stale = report["stale_report_jobs"]
        if stale:
            out(self.style.WARNING(f"Stale report jobs ({len(stale)}):"))
            for job in stale:
                out(f"  #{job['id']} {job['status']} since {job['since']} task {job['task_id']}")
        else:
            out("Stale report jobs: none")


def _redacted(url: str) -> str:
    """The broker URL without its password."""
    return maybe_sanitize_url(url)
