"""Health endpoints for load balancers, systemd and the deploy scripts.

`healthz` says the process is up and serving: no database, no broker, so a database outage
never makes a supervisor restart healthy web processes. `readyz` says this process can do
useful work: the database and the broker answer within a short timeout and no migration
is pending (a web process started from new code before `migrate` must not take traffic).

Both are public (LoginRequiredMiddleware is on): they return no data, and readyz names only
the class of a failure, never its message (which would reveal host names). The nginx
sample limits /readyz to internal networks anyway.
"""

import logging
import time
from collections.abc import Callable

import psycopg
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)

# Seconds each dependency may take to answer: a probe is retried by its caller, so a slow
# answer counts as a failure rather than tying up a web worker.
CHECK_TIMEOUT = 3


def _database_reachable() -> dict:
    """Open a fresh connection with a connect timeout and run SELECT 1.

    A fresh connection (not the pool's) because psycopg's pool waits up to 30 s for a
    connection when the server is gone; the probe must fail fast instead.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {}
    db = connection.settings_dict
    params = {
        "dbname": db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "connect_timeout": CHECK_TIMEOUT,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        # In the probe's own transaction, not as a startup `options`: PgBouncer refuses
        # that parameter (deploy/pgbouncer/), and SET LOCAL dies with the transaction.
        conn.execute(f"SET LOCAL statement_timeout = {CHECK_TIMEOUT * 1000}")
        conn.execute("SELECT 1").fetchone()
    return {}


def _broker_reachable() -> dict:
    """Connect to the Celery broker with a timeout (for Redis, kombu also sends a PING)."""
    url = settings.CELERY_BROKER_URL
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {})
    options.setdefault("socket_timeout", CHECK_TIMEOUT)
    with Connection(url, connect_timeout=CHECK_TIMEOUT, transport_options=options) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
        # Opening a channel is what talks to the server (kombu's Redis channel PINGs).
        conn.default_channel  # noqa: B018
    return {}


def _migrations_applied() -> dict:
    """Fail while any migration known to this code is not applied to the database."""
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    if pending:
        raise PendingMigrations(pending)
    return {}


class PendingMigrations(Exception):
    def __init__(self, pending: list[str]):
        super().__init__(", ".join(pending))
        self.pending = pending


def _run(name: str, check: Callable[[], dict]) -> dict:
    started = time.monotonic()
    try:
        result = {"ok": True, **check()}
    except PendingMigrations as exc:
        result = {"ok": False, "error": "PendingMigrations", "pending": exc.pending}
    except Exception as exc:
        # The full error goes to the log only: the response is public.
        logger.warning("readyz: %s check failed: %r", name, exc)
        result = {"ok": False, "error": exc.__class__.__name__}
    result["ms"] = round((time.monotonic() - started) * 1000)
    return result


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up (liveness): no dependency is touched."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: database and broker reachable, no unapplied migration (else 503)."""
    checks = {"database": _run("database", _database_reachable)}
    checks["broker"] = _run("broker", _broker_reachable)
    if checks["database"]["ok"]:
        checks["migrations"] = _run("migrations", _migrations_applied)
    else:
        checks["migrations"] = {"ok": False, "error": "skipped: database unreachable", "ms": 0}
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
