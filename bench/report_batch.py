"""Bench: the province report batch (one results PDF per commune-level unit) with 1 and 2 workers.

    .venv/bin/python bench/report_batch.py [--communes 170 --members 17000] [--keep] [--reuse]

Creates a scratch PostgreSQL database (pb_bench_batch on the server of DATABASE_URL, or on
127.0.0.1 as postgres), builds the tables without migrations (like `pytest --nomigrations`) and
generates a province with `generate_province` (years 2024-2025, so 2025 has the merged
commune-level units). Then, in a fresh process:

- the floor: every unit's report rendered one after the other in this process by WeasyPrint
  alone, from HTML built beforehand (no queries, no Celery, no files); then the same pages
  shared by 2 forked processes: the best 2 workers could do on this machine;
- for 1 and then 2 workers: that many real `celery worker` processes (prefork, concurrency 1,
  prefetch 1) on a dedicated Redis database (purged first), the batch requested through
  `reportjob_batch_request` and polled until the batch row is done; wall time from the
  request to the zip, throughput in units per second. The workers are always stopped.

It prints them with the 2-worker speed-up and each run's overhead against its floor.
Worker logs and the generated files live in a temporary folder removed at the end; the
database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "pb_bench_batch"
PROVINCE = "BB"
YEAR = 2025
BROKER = "redis://127.0.0.1:6379/13"
QUEUE = "celery"
WORKER_START_TIMEOUT = 60


def admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url.rsplit("/", 1)[0]


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{admin_url()}/postgres", "-q", "-c", sql], check=True, capture_output=True
    )


def bench_env(media: Path) -> dict[str, str]:
    """The environment of the measuring process and of the workers: same database, broker and
    media folder; DEBUG off so no process keeps every query in memory."""
    env = {
        **os.environ,
        "DATABASE_URL": f"{admin_url()}/{DB_NAME}",
        "CELERY_BROKER_URL": BROKER,
        "DJANGO_ENV": "bench",
        "DEBUG": "false",
        "MEDIA_ROOT": str(media),
        "LOG_LEVEL": "WARNING",
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "4",
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return env


def child(phase: str, args, env: dict[str, str]) -> None:
    cmd = [sys.executable, __file__, "--phase", phase, "--members", str(args.members)]
    cmd += ["--communes", str(args.communes), "--workers", args.workers]
    cmd += ["--timeout", str(args.timeout), "--tmp", str(args.tmp)]
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")
    import django

    django.setup()


def build(members: int, communes: int) -> None:
    """Tables without migrations, the generated province and the login that asks for the batch."""
    from django.apps import apps
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.MIGRATION_MODULES = {a.label: None for a in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)
    started = time.perf_counter()
    call_command(
        "generate_province",
        code=PROVINCE,
        members=members,
        communes=communes,
        years=f"{YEAR - 1}-{YEAR}",
        seed=20251127,
    )
    print(f"generate_province: {time.perf_counter() - started:.1f} s", flush=True)
    get_user_model().objects.create_superuser("bench-batch", password=None)


# --- measuring -------------------------------------------------------------------------------
class Worker:
    """A `celery worker` subprocess whose log goes to a file (a pipe could fill and block it)."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path):
        self.log_path = log_dir / f"worker-{name}.log"
        self.log_file = self.log_path.open("wb")
        celery = Path(sys.executable).with_name("celery")
        self.process = subprocess.Popen(
            [
                str(celery),
                "-A",
                "partybuild",
                "worker",
                "--concurrency=1",
                "--prefetch-multiplier=1",
                "-Q",
                QUEUE,
                "-n",
                f"{name}@%h",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"worker exited ({self.process.returncode}):\n{self.log()[-3000:]}")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while time.monotonic() < deadline:
            self.check_alive()
            if " ready." in self.log():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready in {WORKER_START_TIMEOUT} s:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: a task in progress finishes first
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log_file.close()


def purge_broker() -> None:
    from partybuild.celery import app

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=2)
        connection.default_channel.queue_purge(QUEUE)


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _spin(n: int) -> None:
    x = 0
    for i in range(n):
        x += i


def cpu_scaling(n: int = 20_000_000) -> float:
    """Pure-Python work in 2 processes against 1: how many cores the shared machine gives now
    (2.0 on an idle 2-core machine; other people's tests lower it)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no inherited database sockets
    with ctx.Pool(2) as pool:
        pool.map(_spin, [1000, 1000])  # the pool's start-up is not measured
        started = time.perf_counter()
        pool.map(_spin, [n])
        one = time.perf_counter() - started
        started = time.perf_counter()
        pool.map(_spin, [n, n], chunksize=1)
        two = time.perf_counter() - started
    return 2 * one / two


def unit_pages(province) -> tuple[list[str], float]:
    """Each unit's report page, built beforehand (data → HTML), and the seconds it took."""
    from assessments.reports import context, services

    units = services.batch_units(province=province, year=YEAR)
    started = time.perf_counter()
    pages = [
        services.report_html(
            context.build_document(
                kind="results", organization=u, year=YEAR, number="Số 01-BC/ĐU", exported_by="b"
            )
        )
        for u in units
    ]
    return pages, time.perf_counter() - started


def floor_run(pages: list[str]) -> float:
    """Seconds for WeasyPrint alone to render every page one after the other, warmed up."""
    from assessments.reports import pdf

    pdf.render_pdf(pages[0])  # warm-up: imports, fonts (a worker pays it once per process)
    started = time.perf_counter()
    for page in pages:
        pdf.render_pdf(page)
    return time.perf_counter() - started


def _floor_child(pages, barrier, results) -> None:
    from assessments.reports import pdf

    pdf.render_pdf(pages[0])
    barrier.wait()
    started = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
    for page in pages:
        pdf.render_pdf(page)
    results.put((started, time.perf_counter()))


def floor_parallel_run(pages: list[str], processes: int) -> float:
    """Seconds for `processes` forked processes sharing the pages, WeasyPrint alone: what
    this machine can do at best with that many workers (no database, no broker, no files)."""
    import multiprocessing

    from django.db import connections

    # A forked child must not inherit the pool's sockets.
    for connection in connections.all():
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    children = [
        ctx.Process(target=_floor_child, args=(pages[i::processes], barrier, results))
        for i in range(processes)
    ]
    for process in children:
        process.start()
    spans = [results.get(timeout=1800) for _ in children]
    for process in children:
        process.join()
    return max(end for _, end in spans) - min(start for start, _ in spans)


def batch_run(workers: int, province, user, args) -> dict:
    """Start `workers` workers, request the batch, wait for its zip; the workers always stop."""
    from django.db.models import Max, Min

    from assessments.models import ReportJob
    from assessments.reports import services

    purge_broker()
    log_dir = Path(args.tmp)
    pool = []
    try:
        for n in range(workers):
            pool.append(Worker(f"b{workers}{n}", os.environ.copy(), log_dir))
        for worker in pool:
            worker.wait_ready()
        load_before = load_average()
        started = time.perf_counter()
        batch, created = services.reportjob_batch_request(
            actor=user, province=province, year=YEAR, kind="results", fmt="pdf"
        )
        assert created, "an earlier batch is still active"
        deadline = started + args.timeout
        while True:
            batch.refresh_from_db()
            if batch.state in (ReportJob.State.DONE, ReportJob.State.FAILED):
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"batch not done in {args.timeout} s: {batch.progress_done}")
            for worker in pool:
                worker.check_alive()
            time.sleep(0.1)
        wall = time.perf_counter() - started
    finally:
        for worker in pool:
            worker.stop()
    if batch.state != ReportJob.State.DONE:
        raise RuntimeError(f"batch failed: {batch.error}")
    span = batch.parts.aggregate(first=Min("started_at"), last=Max("finished_at"))
    return {
        "workers": workers,
        "units": batch.progress_total,
        "wall": wall,
        "render_span": (span["last"] - span["first"]).total_seconds(),
        "zip_mb": batch.file.size / 1e6,
        "load": load_before,
    }


def measure(args) -> None:
    from django.contrib.auth import get_user_model

    from cells.models import Organization

    province = Organization.objects.get(code=PROVINCE)
    user = get_user_model().objects.get(username="bench-batch")
    pages, html_seconds = unit_pages(province)
    units = len(pages)
    print(f"{units} units; their HTML built beforehand in {html_seconds:.1f} s", flush=True)
    print(f"CPU scaling, 2 processes / 1 (pure Python): {cpu_scaling():.2f}×", flush=True)
    print(f"load average before the floor: {load_average()}", flush=True)
    floor_seconds = floor_run(pages)
    print(f"floor: WeasyPrint alone, 1 process: {floor_seconds:.1f} s", flush=True)
    print(f"load average before the 2-process floor: {load_average()}", flush=True)
    floor2_seconds = floor_parallel_run(pages, 2)
    print(f"floor: WeasyPrint alone, 2 processes: {floor2_seconds:.1f} s", flush=True)
    runs = []
    for workers in (int(w) for w in args.workers.split(",")):
        run = batch_run(workers, province, user, args)
        runs.append(run)
        print(
            f"{workers} worker(s): {run['units']} units in {run['wall']:.1f} s "
            f"({run['units'] / run['wall']:.2f} units/s; first start → last finish "
            f"{run['render_span']:.1f} s; zip {run['zip_mb']:.1f} MB; load before {run['load']})",
            flush=True,
        )
    print(f"CPU scaling, 2 processes / 1 (pure Python): {cpu_scaling():.2f}×", flush=True)
    floor_rate = units / floor_seconds
    print()
    floor2_rate = units / floor2_seconds
    print(f"{'run':34} {'wall':>8} {'units/s':>8}  time vs its floor")
    print(f"{'floor: WeasyPrint alone, 1 process':34} {floor_seconds:7.1f}s {floor_rate:8.2f}")
    print(f"{'floor: WeasyPrint alone, 2 processes':34} {floor2_seconds:7.1f}s {floor2_rate:8.2f}")
    for run in runs:
        rate = run["units"] / run["wall"]
        label = f"{run['workers']} worker(s), Celery"
        own_floor = floor_rate if run["workers"] == 1 else floor2_rate
        print(f"{label:34} {run['wall']:7.1f}s {rate:8.2f}  {own_floor / rate:6.2f}×")
    ceiling = floor2_rate / floor_rate
    print(f"floor speed-up 2 processes / 1: {ceiling:.2f}× (this machine's ceiling for 2 workers)")
    by_workers = {r["workers"]: r["units"] / r["wall"] for r in runs}
    if 1 in by_workers and 2 in by_workers:
        speed_up = by_workers[2] / by_workers[1]
        verdict = "met" if speed_up >= 1.8 else "NOT met"
        print(f"speed-up 2 workers / 1 worker: {speed_up:.2f}× (target ≥ 1.8×: {verdict})")
        print(f"2 workers against the 1-process floor: {by_workers[2] / floor_rate:.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=17_000)
    parser.add_argument("--communes", type=int, default=170)
    parser.add_argument("--workers", default="1,2", help="worker counts to run, in order")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per batch")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept earlier")
    parser.add_argument("--phase", choices=["build", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        setup_django()
        build(args.members, args.communes) if args.phase == "build" else measure(args)
        return
    args.tmp = tempfile.mkdtemp(prefix="pb-bench-batch-")
    env = bench_env(Path(args.tmp) / "media")
    if not args.reuse:
        psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
        psql(f"CREATE DATABASE {DB_NAME}")
    try:
        if not args.reuse:
            child("build", args, env)
        child("measure", args, env)
    finally:
        shutil.rmtree(args.tmp, ignore_errors=True)
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {DB_NAME}")


if __name__ == "__main__":
    main()
