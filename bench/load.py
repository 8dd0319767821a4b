"""Bench: 50 concurrent clients for 60 s against gunicorn on loopback — median, p95, errors.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pb_bench \
        .venv/bin/python bench/load.py --clients 50 --seconds 60 --workers 5

Starts `python -m gunicorn` (sync workers) on 127.0.0.1 serving the app plus one empty view,
logs a reviewer of the generated province in, then runs `--clients` threads for `--seconds`
(each loop also bounded by `--max-requests`) over a mix of real pages: the organization tree,
a commune's page, a member's page, a cell's entry grid, and saves of that grid (a grid POST
of one changed row, as grid.js sends it, by the grassroots secretary). Floor from the same
run: the same clients against the empty Django view (request overhead of the stack at that
concurrency).

The saves are real writes (a note toggled on one rated member per client, each client keeping
its row's version): run it on a throwaway copy of the generated province
(`createdb -T pb_bench pb_<you>_bench`), never on the shared one.
Only loopback is ever targeted. `--server wsgiref` runs a threaded stdlib server instead,
for an indicative figure where gunicorn is not installed.

Databases (issue #20): `--pooler` serves through PgBouncer in transaction mode
(scripts/pgbouncer.sh, port `--pooler-port` 6434, DB_POOLER=true); `--replica` sends the pages
marked for it (tree, commune, member; not the grid) to the streaming replica (scripts/replica.sh,
port `--replica-port` 5433; with `--pooler` through the replica's own PgBouncer,
`--replica-pooler-port` 6435). `--compare` runs the mix twice in the same run, primary only and
then through the pooler with reads on the replica, each with its own floor, and prints the
throughput ratio; the replica's and the pooler's own counters show where the queries went.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pb_bench_copy \
        .venv/bin/python bench/load.py --clients 20 --seconds 30 --compare
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time

from _common import ROOT, setup_django

HOST = "127.0.0.1"


def serve_wsgiref(port: int) -> None:  # pragma: no cover - runs in the child process
    """A threaded stdlib WSGI server: only for an indicative figure without gunicorn."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from load_wsgi import application

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    make_server(
        HOST, port, application, server_class=Server, handler_class=QuietHandler
    ).serve_forever()


def start_server(args, databases: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}", **(databases or {})}
    if args.server == "gunicorn":
        if importlib.util.find_spec("gunicorn") is None:
            sys.exit(
                "gunicorn is not installed in this virtualenv: add it to the requirements, "
                "or run with --server wsgiref for an indicative figure."
            )
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "load_wsgi:application",
            "--bind",
            f"{HOST}:{args.port}",
            "--workers",
            str(args.workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
    else:
        command = [sys.executable, __file__, "--serve", str(args.port)]
    process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection(HOST, args.port, timeout=2)
            connection.request("GET", "/__bench__/empty/")
            connection.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    sys.exit("The server did not start")


def stop_server(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


class Save:
    """A grid save of one client: its member's row with the note toggled, at the version the
    client last saved (a refused save is counted as an error)."""

    def __init__(self, url: str, member_id: int, version: int, values: dict):
        self.url, self.member_id, self.version, self.values = url, member_id, version, values
        self.turn = 0
        # A note of this run's own: "bench 0/1" matched what an earlier run on the same copy
        # left, so that save changed nothing, kept the version, and the next one conflicted.
        self.run = os.urandom(4).hex()
        # Two clients share a member when the cell has fewer rated members than clients:
        # one save of it at a time, or the second one conflicts at the version both read.
        self.lock = threading.Lock()

    def body(self, token: str) -> bytes:
        from urllib.parse import urlencode

        self.turn += 1
        mid = self.member_id
        data = {
            "csrfmiddlewaretoken": token,
            "action": "save",
            **{f"{k}_{mid}": v for k, v in self.values.items()},
            f"note_{mid}": f"bench {self.run} {self.turn}",
            f"version_{mid}": str(self.version),
        }
        return urlencode(data).encode()


def saves_and_cookie(cell, clients: int) -> tuple[list[Save], str, str, str]:
    """One Save per client (members of `cell`'s grassroots organization with a rating), and
    the session cookie, CSRF cookie and form token of that organization's secretary."""
    import re

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from assessments.forms import initial_row
    from assessments.grid import grid_source, source_rows
    from assessments.models import MemberRating
    from assessments.selectors import grassroots_for
    from cells.models import RoleAssignment

    grassroots = grassroots_for(cell)
    user, _ = get_user_model().objects.get_or_create(username="bench-secretary")
    RoleAssignment.objects.get_or_create(user=user, organization=grassroots, role="secretary")
    client = Client()
    client.force_login(user)
    page = reverse("assessments:rating_grid", args=[cell.pk, 2025])
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        response = client.get(page)
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    round_ = MemberRating.objects.filter(cell=cell, year=2025).first().round
    source = grid_source(round=round_, cell=cell)
    saves = []
    for row in source_rows(source):
        if row.rating is None or not row.rating.proposed_level or len(saves) == clients:
            continue
        values = initial_row(row)
        mid = row.member.pk
        saves.append(
            Save(
                page,
                mid,
                row.rating.version,
                {
                    "level": values["level"],
                    "reason": values["reason"] or "",
                    "reason_note": values["reason_note"] or "",
                    "points": "" if values["points"] is None else str(values["points"]),
                },
            )
        )
    csrf = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return saves, client.cookies["sessionid"].value, csrf, token


def pages_and_cookie() -> tuple[list[tuple[str, int]], str, object]:
    """(URL, weight) of the page mix, the session cookie of a province reviewer, and the
    cell whose grid is in the mix."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from assessments.models import MemberRating
    from cells.choices import PROVINCIAL_TYPES
    from cells.models import Member, Organization, RoleAssignment

    # The largest province: a root, or a child of the national root (generate_country).
    province = Organization.objects.filter(type__in=PROVINCIAL_TYPES).order_by("-numchild")[0]
    user, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    RoleAssignment.objects.get_or_create(user=user, organization=province, role="reviewer")
    client = Client()
    client.force_login(user)
    commune = Organization.objects.get_children(province).filter(dissolved_on=None).first()
    cell = Organization.objects.get_children(commune).filter(type="cell").order_by("code")[0]
    member = Member.objects.filter(memberships__organization=cell).first()
    assert MemberRating.objects.filter(cell=cell, year=2025).exists()
    pages = [
        (reverse("cells:organization_tree"), 3),
        (reverse("cells:organization_detail", args=[commune.pk]), 3),
        (reverse("cells:member_detail", args=[member.pk]), 3),
        (reverse("assessments:rating_grid", args=[cell.pk, 2025]), 1),
    ]
    return pages, client.cookies["sessionid"].value, cell


SAVE = "POST save (grid, 1 changed row)"


def run_clients(port, paths, cookie, *, clients, seconds, max_requests, seed=1, saves=None):
    """Latencies (s) and errors of `clients` threads looping until the deadline.

    `saves` (weight, [Save per client], session, csrf cookie, token): the mix's grid saves."""
    latencies: list[tuple[str, float]] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    urls = [u for u, w in paths for _ in range(w)]
    if saves:
        urls += [SAVE] * saves[0]

    def request(connection, url, number):
        if url != SAVE:
            connection.request("GET", url, headers={"Cookie": f"sessionid={cookie}"})
            return 200, None
        _w, per_client, session, csrf, token = saves
        save = per_client[number % len(per_client)]
        cookies = f"sessionid={session}" + (f"; csrftoken={csrf}" if csrf else "")
        connection.request(
            "POST",
            save.url,
            body=save.body(token),
            headers={
                "Cookie": cookies,
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{HOST}:{port}{save.url}",
            },
        )
        return 302, save

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        mine, bad = [], []
        for _ in range(max_requests):
            if time.monotonic() >= deadline:
                break
            url = rng.choice(urls)
            shared = saves[1][number % len(saves[1])].lock if saves and url == SAVE else None
            if shared is not None:
                shared.acquire()
            started = time.perf_counter()  # after the wait for a shared member's turn
            try:
                connection = http.client.HTTPConnection(HOST, port, timeout=120)
                expected, save = request(connection, url, number)
                response = connection.getresponse()
                response.read()
                connection.close()
                if save is not None and response.status == expected:
                    save.version += 1
                if response.status != expected:
                    bad.append(f"{response.status} {url}")
            except OSError as exc:
                bad.append(f"{type(exc).__name__} {url}")
            finally:
                if shared is not None:
                    shared.release()
            mine.append((url, time.perf_counter() - started))
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.monotonic() - started


def summary(name: str, latencies: list[tuple[str, float]], errors: list[str], elapsed: float):
    """Print count, throughput, median, p95 and errors (overall, then per page); the median."""

    def line(label: str, values: list[float], errors: int | None = None) -> float:
        values = sorted(values)
        median = statistics.median(values)
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        tail = "" if errors is None else f"  errors {errors}"
        print(
            f"{label:34} {len(values):6} req ({len(values) / elapsed:6.1f}/s)  "
            f"median {median * 1000:8.1f} ms  p95 {p95 * 1000:8.1f} ms{tail}"
        )
        return median

    if not latencies:
        print(f"{name}: no request completed")
        return float("nan")
    print(f"{name} ({elapsed:.1f} s)")
    median = line("  all", [t for _, t in latencies], len(errors))
    for url in sorted({u for u, _ in latencies}):
        line(f"  {url}", [t for u, t in latencies if u == url])
    for error in sorted(set(errors))[:5]:
        print(f"    {error}")
    return median


def with_port(url: str, port: int) -> str:
    """The same database URL on another port (the pooler's, the replica's)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{auth}{host}:{port}"))


def variant_env(args, *, pooler: bool, replica: bool) -> dict[str, str]:
    """The server's database settings for one variant (never the caller's own replica)."""
    url = os.environ["DATABASE_URL"]
    env = {"DATABASE_URL": url, "DB_POOLER": "false", "REPLICA_DATABASE_URL": ""}
    if pooler:
        env |= {"DATABASE_URL": with_port(url, args.pooler_port), "DB_POOLER": "true"}
    if replica:
        # With the pooler, the replica's reads go through the replica's own PgBouncer.
        port = args.replica_pooler_port if pooler else args.replica_port
        env["REPLICA_DATABASE_URL"] = with_port(url, port)
    return env


def wait_replayed(args, timeout: float = 300) -> None:
    import psycopg
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(
        host="127.0.0.1", port=args.replica_port, user="postgres", dbname="postgres"
    ) as conn:
        while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s", [target]).fetchone()[0]:
            if time.monotonic() > deadline:
                sys.exit(f"The replica did not replay {target} within {timeout:.0f} s")
            time.sleep(0.2)


def counters(args) -> dict[str, int]:
    """Transactions the replica ran in this database, and queries PgBouncer relayed to it."""
    import psycopg
    from django.db import connection

    name = connection.settings_dict["NAME"]
    found = {}
    try:
        with psycopg.connect(
            host="127.0.0.1", port=args.replica_port, user="postgres", dbname="postgres"
        ) as conn:
            found["replica_xacts"] = conn.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                [name],
            ).fetchone()[0]
    except psycopg.Error:
        pass
    try:
        with psycopg.connect(
            host="127.0.0.1",
            port=args.pooler_port,
            user="postgres",
            dbname="pgbouncer",
            autocommit=True,
        ) as conn:
            cursor = psycopg.ClientCursor(conn)  # the console takes simple queries only
            cursor.execute("SHOW STATS")
            for row in cursor.fetchall():
                if row[0] == name:
                    found["pooler_queries"] = row[2]
    except psycopg.Error:
        pass
    return found


def run_variant(args, name: str, paths, cookie, databases: dict[str, str], saves=None):
    """Start the server with these databases, run the floor and the mix, stop it."""
    if databases.get("REPLICA_DATABASE_URL"):
        wait_replayed(args)  # the bench reviewer's role and session, written just now
    before = counters(args)
    process = start_server(args, databases)
    try:
        floor = run_clients(
            args.port,
            [("/__bench__/empty/", 1)],
            cookie,
            clients=args.clients,
            seconds=min(args.seconds, 20),
            max_requests=args.max_requests,
        )
        pages = run_clients(
            args.port,
            paths,
            cookie,
            clients=args.clients,
            seconds=args.seconds,
            max_requests=args.max_requests,
            saves=saves,
        )
    finally:
        stop_server(process)
    after = counters(args)
    print(f"\n=== {name}: " + ", ".join(f"{k}={v}" for k, v in databases.items()))
    figure = summary("page mix", *pages)
    floor_median = summary("floor: empty Django view", *floor)
    print(f"ratio (median) {figure / floor_median:6.1f}×")
    moved = {key: after[key] - before.get(key, 0) for key in after}
    print("  counted: " + ", ".join(f"{k} +{v}" for k, v in moved.items()))
    return pages


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        sys.path.insert(0, str(ROOT / "bench"))
        serve_wsgiref(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=20_000, help="per client")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (2×cores+1)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--server", choices=["gunicorn", "wsgiref"], default="gunicorn")
    parser.add_argument("--pooler", action="store_true", help="through PgBouncer")
    parser.add_argument("--replica", action="store_true", help="marked reads on the replica")
    parser.add_argument("--compare", action="store_true", help="primary only, then both")
    parser.add_argument("--each", action="store_true", help="with --compare: each one alone too")
    parser.add_argument("--pooler-port", type=int, default=6434)
    parser.add_argument("--replica-port", type=int, default=5433)
    parser.add_argument(
        "--replica-pooler-port", type=int, default=6435, help="the replica's own PgBouncer"
    )
    parser.add_argument(
        "--saves", type=int, default=1, help="weight of grid saves in the mix (0: GETs only)"
    )
    args = parser.parse_args()
    setup_django()
    paths, cookie, cell = pages_and_cookie()
    saves = (args.saves, *saves_and_cookie(cell, args.clients)) if args.saves else None
    if args.compare or args.pooler or args.replica:
        if not args.compare:
            variants = [("as asked", args.pooler, args.replica)]
        elif args.each:
            variants = [
                ("primary only", False, False),
                ("pooler only", True, False),
                ("replica only", False, True),
                ("pooler + replica", True, True),
            ]
        else:
            variants = [("primary only", False, False), ("pooler + replica", True, True)]
        print(
            f"server: {args.server} on {HOST}:{args.port}, {args.workers} workers; "
            f"{args.clients} clients × {args.seconds:.0f} s; pages: "
            + ", ".join(u for u, _ in paths)
        )
        results = []
        for name, pooler, replica in variants:
            env = variant_env(args, pooler=pooler, replica=replica)
            results.append((name, run_variant(args, name, paths, cookie, env, saves=saves)))
        if len(results) > 1:
            (_, (first, _, t1)) = results[0]
            print()
            for name, (pages, _, elapsed) in results[1:]:
                print(
                    f"throughput, {name} / primary only: {len(pages) / elapsed:.1f} / "
                    f"{len(first) / t1:.1f} req/s = "
                    f"{(len(pages) / elapsed) / (len(first) / t1):.2f}× (target ≥ 1.5×)"
                )
        if any(errors for _, (_, errors, _) in results):
            sys.exit(1)
        return
    process = start_server(args)
    try:
        print(
            f"server: {args.server} on {HOST}:{args.port}; {args.clients} clients × "
            f"{args.seconds:.0f} s; pages: {', '.join(u for u, _ in paths)}"
        )
        floor = run_clients(
            args.port,
            [("/__bench__/empty/", 1)],
            cookie,
            clients=args.clients,
            seconds=min(args.seconds, 20),
            max_requests=args.max_requests,
        )
        pages = run_clients(
            args.port,
            paths,
            cookie,
            clients=args.clients,
            seconds=args.seconds,
            max_requests=args.max_requests,
            saves=saves,
        )
    finally:
        stop_server(process)
    figure = summary("page mix", *pages)
    floor_median = summary("floor: empty Django view", *floor)
    print(f"ratio (median) {figure / floor_median:6.1f}×")
    mix_rate, floor_rate = len(pages[0]) / pages[2], len(floor[0]) / floor[2]
    print(
        f"throughput: mix {mix_rate:.1f} req/s = {100 * mix_rate / floor_rate:.1f} % of the "
        f"empty view's {floor_rate:.1f} req/s (same run)"
    )
    if pages[1]:
        sys.exit(1)


if __name__ == "__main__":
    main()
