"""The app through a real PgBouncer in transaction mode (scripts/pgbouncer.sh, deploy/pgbouncer/):
gunicorn with DB_POOLER=true serves pages, a login, a write and a dashboard with every query
through the pooler, and the pooler's own statistics count them."""

import contextlib
import http.client
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.urls import reverse

from cells.choices import Role
from cells.models import Organization
from tests import factories

PORT = int(os.environ.get("PGBOUNCER_PORT", "6434"))
# The replica's own pooler (scripts/test-services.sh starts it before the local replica).
REPLICA_PORT = int(os.environ.get("PGBOUNCER_REPLICA_PORT", "6435"))
HOST = "127.0.0.1"

pytestmark = pytest.mark.django_db(transaction=True)


def _admin(query: str, *, port: int = PORT) -> list[tuple]:
    with psycopg.connect(
        host=HOST, port=port, user="postgres", dbname="pgbouncer", autocommit=True
    ) as conn:
        # The admin console speaks the simple query protocol only: a client-side cursor.
        cursor = psycopg.ClientCursor(conn)
        cursor.execute(query)
        return cursor.fetchall() if cursor.description else []


def _stats(database: str, *, port: int = PORT) -> dict[str, int]:
    names = ["database", "total_xact_count", "total_query_count"]
    for row in _admin("SHOW STATS", port=port):
        if row[0] == database:
            return dict(zip(names, row[:3], strict=True))
    return {"database": database, "total_xact_count": 0, "total_query_count": 0}


@pytest.fixture
def pgbouncer():
    try:
        config = dict((row[0], row[1]) for row in _admin("SHOW CONFIG"))
    except psycopg.OperationalError as exc:
        pytest.skip(f"No PgBouncer on {HOST}:{PORT} (scripts/pgbouncer.sh start): {exc}")
    assert config["pool_mode"] == "transaction"
    assert config["server_reset_query"] == ""
    return config


@pytest.fixture
def app_through_pgbouncer(pgbouncer, tmp_path):
    """gunicorn (2 threads) on the test database through PgBouncer."""
    url = _url(PORT)
    with _gunicorn(tmp_path, DATABASE_URL=url, REPLICA_DATABASE_URL="") as served:
        yield served


@pytest.fixture
def app_through_both_poolers(pgbouncer, tmp_path):
    """gunicorn on the primary through its PgBouncer, the marked reads on the streaming
    replica through the replica's own PgBouncer (REPLICA_PORT), as on two database hosts."""
    try:
        _admin("SHOW VERSION", port=REPLICA_PORT)
    except psycopg.OperationalError as exc:
        pytest.skip(f"No PgBouncer before the replica on {HOST}:{REPLICA_PORT}: {exc}")
    with _gunicorn(
        tmp_path,
        DATABASE_URL=_url(PORT),
        REPLICA_DATABASE_URL=_url(REPLICA_PORT),
        REPLICA_READS="true",
    ) as served:
        yield served


def _url(port: int) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER'] or 'postgres'}@{HOST}:{port}/{db['NAME']}"


@contextlib.contextmanager
def _gunicorn(tmp_path, **database):
    """gunicorn (1 worker, 2 threads) with DB_POOLER=true and those database settings, until
    /healthz answers; (base URL, log path)."""
    port = _free_port()
    env = {
        **os.environ,
        "DB_POOLER": "true",
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "2",
        "DJANGO_ENV": "test",
        "DEBUG": "false",
        "MEDIA_ROOT": str(tmp_path / "media"),
        **database,
    }
    log = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "partybuild.wsgi", "--bind", f"{HOST}:{port}"]
    command += ["--workers", "1", "--threads", "2", "--worker-class", "gthread"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                connection = http.client.HTTPConnection(HOST, port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield f"http://{HOST}:{port}", Path(log)
    finally:
        process.terminate()
        process.wait(timeout=20)
        # PgBouncer keeps its server connections to the test database (server_idle_timeout):
        # dropped here, or the suite's final DROP DATABASE would find it "being accessed".
        name = settings.DATABASES["default"]["NAME"]
        for pooler in {PORT, *((REPLICA_PORT,) if database.get("REPLICA_DATABASE_URL") else ())}:
            _admin(f"KILL {name}", port=pooler)
            _admin(f"RESUME {name}", port=pooler)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _browser(base: str, log: Path):
    """get(path) and post(path, form, data) with one cookie jar, as a browser would."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(path: str) -> str:
        try:
            with opener.open(base + path, timeout=30) as response:
                return response.read().decode()
        except urllib.error.HTTPError as exc:
            pytest.fail(f"{path}: {exc.code} {exc.read().decode()[:2000]}\n{log.read_text()}")

    def post(path: str, form: str, data: dict) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(base + path, data=body, headers={"Referer": base + path})
        with opener.open(request, timeout=30) as response:  # follows the redirect
            return response.read().decode()

    return get, post


def test_pages_a_login_and_a_write_through_pgbouncer(app_through_pgbouncer):
    base, log = app_through_pgbouncer
    province = factories.build_small_province()
    cell = province.other_cell
    user = factories.user_with_role(province.old_commune, Role.SECRETARY, username="bithu")
    user.set_password("mat-khau-dai-1")
    user.save()
    database = settings.DATABASES["default"]["NAME"]
    before = _stats(database)

    get, post = _browser(base, log)
    readyz = json.loads(get("/readyz"))  # its database probe connects through the pooler too
    assert readyz["status"] == "ok" and readyz["checks"]["database"]["ok"], readyz
    login = reverse("login")
    page = post(login, get(login), {"username": "bithu", "password": "mat-khau-dai-1"})
    assert "bithu" in page or "Chi bộ" in page or "Đảng bộ" in page, page[:2000]

    edit = reverse("cells:organization_edit", args=[cell.pk])
    page = post(
        edit,
        get(edit),
        factories.organization_edit_data(cell, name="Chi bộ ấp Hai"),
    )
    assert "Chi bộ ấp Hai" in page, page[:3000]
    assert Organization.objects.get(pk=cell.pk).name == "Chi bộ ấp Hai"  # on the primary
    for path in (
        reverse("cells:organization_tree"),
        reverse("cells:organization_detail", args=[province.old_commune.pk]),
        reverse("assessments:dashboard_detail", args=[province.old_commune.pk, 2024]),
    ):
        get(path)

    after = _stats(database)
    # Every query of those requests went through the pooler (its counters are per database;
    # the stats period may delay them, so read until they move).
    deadline = time.monotonic() + 20
    while after["total_query_count"] - before["total_query_count"] < 20:
        assert time.monotonic() < deadline, (before, after, log.read_text()[-3000:])
        time.sleep(1)
        after = _stats(database)
    assert "Traceback" not in log.read_text()


def test_reads_marked_for_the_replica_go_through_the_replicas_own_pgbouncer(
    app_through_both_poolers,
):
    """The dashboard (a page marked for the replica) is read from the standby through the
    pooler in front of it; the login's writes went through the primary's pooler."""
    base, log = app_through_both_poolers
    province = factories.build_small_province()
    user = factories.user_with_role(province.province, Role.REVIEWER, username="xem")
    user.set_password("mat-khau-dai-1")
    user.save()
    database = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(_url(REPLICA_PORT).replace("postgres://", "postgresql://")) as standby:
        assert standby.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
    get, post = _browser(base, log)
    login = reverse("login")
    post(login, get(login), {"username": "xem", "password": "mat-khau-dai-1"})
    page = reverse("assessments:dashboard_detail", args=[province.province.pk, 2024])
    # The login's own write pins this browser to the primary until the replica has replayed
    # it (read-your-writes); then the page's ≈ 16 reads move to the replica. The router's own
    # position check (one query a second at most) cannot make 10 in one request.
    deadline = time.monotonic() + 30
    while True:
        before = _stats(database, port=REPLICA_PORT)
        assert province.province.name in get(page)
        time.sleep(1)  # the pooler's counters trail the request a little
        after = _stats(database, port=REPLICA_PORT)
        if after["total_query_count"] - before["total_query_count"] >= 10:
            break
        assert time.monotonic() < deadline, (before, after, log.read_text()[-3000:])
    assert "Traceback" not in log.read_text()
