"""/healthz and /readyz: public, liveness without dependencies, readiness with each check.

The URLs are mounted here in front of the project's (the same two lines docs/deployment.md
gives for partybuild/urls.py), with the real middleware, LoginRequiredMiddleware included.
Failures are real ones: a closed port, a migration row removed inside the test transaction.
"""

import pytest
from django.db import connection
from django.urls import path

from partybuild import health
from partybuild.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    *project_urlpatterns,
]

pytestmark = pytest.mark.urls(__name__)
CLOSED_PORT = "1"  # nothing listens on port 1: connection refused at once


def test_healthz_answers_ok_without_login_or_database(client):
    """An anonymous GET /healthz is 200 "ok" and touches no database (this test has no
    database access: any query would raise)."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_ready_reports_each_check(client, db):
    """With the database and broker up and every migration applied, /readyz is 200 and
    lists the three checks as passed, for an anonymous caller."""
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "migrations": True,
    }


def test_readyz_unavailable_when_broker_unreachable(client, db, settings):
    """A broker that refuses connections makes /readyz 503 with the broker check failed,
    within the check timeout, and the other checks still reported."""
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False and checks["broker"]["error"]
    assert checks["broker"]["ms"] < (health.CHECK_TIMEOUT + 3) * 1000
    assert checks["database"]["ok"] is True and checks["migrations"]["ok"] is True
    assert "127.0.0.1" not in response.content.decode()  # no connection detail leaks out


def test_readyz_unavailable_when_database_unreachable(client, db, monkeypatch):
    """A database server that refuses connections makes /readyz 503: the database check
    fails and the migration check is skipped rather than waiting on the pool."""
    monkeypatch.setitem(connection.settings_dict, "PORT", CLOSED_PORT)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {
        "ok": False,
        "error": "OperationalError",
        "ms": body["checks"]["database"]["ms"],
    }
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["broker"]["ok"] is True


def test_readyz_unavailable_while_a_migration_is_unapplied(client, db):
    """New code started before `migrate`: a migration known to the code but not recorded
    in the database makes /readyz 503 and names it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'cells' AND name = "
            "(SELECT max(name) FROM django_migrations WHERE app = 'cells') RETURNING name"
        )
        (latest,) = cursor.fetchone()

    response = client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["migrations"]["ok"] is False
    assert f"cells.{latest}" in checks["migrations"]["pending"]
    assert checks["database"]["ok"] is True
