"""Bench: 50 concurrent clients for 60 s against gunicorn on loopback — median, p95, errors.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pb_bench \
        .venv/bin/python bench/load.py --clients 50 --seconds 60 --workers 5

Starts `python -m gunicorn` (sync workers) on 127.0.0.1 serving the app plus one empty view,
logs a reviewer of the generated province in, then runs `--clients` threads for `--seconds`
(each loop also bounded by `--max-requests`) over a mix of real pages: the organization tree,
a commune's page, a member's page, a cell's entry grid. Floor from the same run: the same
clients against the empty Django view (request overhead of the stack at that concurrency).
Only loopback is ever targeted. `--server wsgiref` runs a threaded stdlib server instead,
for an indicative figure where gunicorn is not installed.
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


def start_server(args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}"}
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


def pages_and_cookie() -> tuple[list[tuple[str, int]], str]:
    """(URL, weight) of the page mix, and the session cookie of a province reviewer."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from assessments.models import MemberRating
    from cells.models import Member, Organization, RoleAssignment

    province = Organization.objects.filter(depth=1).order_by("-numchild")[0]
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
    return pages, client.cookies["sessionid"].value


def run_clients(port, paths, cookie, *, clients, seconds, max_requests, seed=1):
    """Latencies (s) and errors of `clients` threads looping until the deadline."""
    latencies: list[tuple[str, float]] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    urls = [u for u, w in paths for _ in range(w)]

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        mine, bad = [], []
        for _ in range(max_requests):
            if time.monotonic() >= deadline:
                break
            url = rng.choice(urls)
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection(HOST, port, timeout=120)
                connection.request("GET", url, headers={"Cookie": f"sessionid={cookie}"})
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status != 200:
                    bad.append(f"{response.status} {url}")
            except OSError as exc:
                bad.append(f"{type(exc).__name__} {url}")
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
    args = parser.parse_args()
    setup_django()
    paths, cookie = pages_and_cookie()
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
        )
    finally:
        stop_server(process)
    figure = summary("page mix", *pages)
    floor_median = summary("floor: empty Django view", *floor)
    print(f"ratio (median) {figure / floor_median:6.1f}×")
    if pages[1]:
        sys.exit(1)


if __name__ == "__main__":
    main()
