"""Bench: a 1,700-member unit's documents made in pieces by real Celery workers (1 and 2),
joined with pypdf, beside WeasyPrint alone on the same HTML in the same run.

    .venv/bin/python bench/report_pieces.py [--members 1700] [--sample-cells 4]
        [--broker redis://127.0.0.1:6379/0] [--db pb_bench_pieces] [--reuse] [--keep]
        [--skip-proposals] [--skip-forms] [--skip-whole] [--whole-workers 1,2]

Builds the unit of bench/report_render.py (one đảng bộ, 40 cells, decided ratings) in a
scratch database, then, in a fresh process with DEBUG off:

- proposals list: the floor (WeasyPrint alone on the whole list's HTML, one process, and
  the one-job render of the report centre before #18's pieces), then the list asked for in
  the report centre with 1 and with 2 workers: the first worker builds it and cuts it, the
  pieces render in parallel, the last one joins them and stamps "Trang x/y";
- forms of `--sample-cells` cells: the floor (WeasyPrint alone on each cell's forms HTML, one
  after the other, and shared by two forked processes: the scaling the machine allows), then
  the forms asked for as one document (one piece per cell) with 1 and with 2 workers:
  scaling 1 → 2;
- the whole unit's forms (every cell) with 2 workers, once (`--whole-workers 1,2`: with 1 and 2,
  the scaling of the 1,700 forms themselves).

The workers are `celery worker --pool=solo` processes on the broker given (a Redis database of
its own: the queue is purged), started and warmed (one small report each) before each timed
run, so a timing is what a user waits for on a running system: request → pieces → joined
file stored. Each worker's peak RSS is its VmHWM (/proc), the join included. The load
average is printed with each figure: on a shared machine read the ratios to the floor.
Figures go to docs/benchmarks.md by hand; nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report_render as base  # noqa: E402  (the unit builder and the scratch database)

YEAR = base.YEAR
WAIT = 3600  # seconds a timed run may take before the bench gives up


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Workers:
    """`count` solo Celery workers on the bench database and broker, warmed."""

    def __init__(self, count: int):
        self.count = count
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def __enter__(self):
        from partybuild.celery import app

        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge("celery")
        celery = Path(sys.executable).with_name("celery")
        for n in range(self.count):
            log = Path(tempfile.mkstemp(prefix=f"bench-worker-{n}-", suffix=".log")[1])
            self.logs.append(log)
            self.processes.append(
                subprocess.Popen(
                    [str(celery), "-A", "partybuild", "worker", "--pool=solo", "-Q", "celery"]
                    + ["--loglevel=INFO", "-n", f"bench{n}@%h", "--without-gossip"]
                    + ["--without-mingle", "--without-heartbeat"],
                    cwd=base.ROOT,
                    env=os.environ,
                    stdin=subprocess.DEVNULL,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 120
        while not all(" ready." in log.read_text(errors="replace") for log in self.logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                sys.exit("A worker did not start:\n" + self.logs[0].read_text(errors="replace"))
            time.sleep(0.2)
        self._warm()
        return self

    def _warm(self) -> None:
        """One small report per worker: imports, WeasyPrint's fonts, the templates."""
        from assessments.models import ReportJob
        from assessments.reports import pieces, services
        from cells.models import Organization

        unit = Organization.objects.get(code="BB-VT")
        cells = pieces.piece_units(organization=unit, year=YEAR)
        jobs = [
            services.reportjob_request(
                actor=_actor(), kind="minutes", organization=cell, year=YEAR, fmt="pdf"
            )[0]
            for cell in cells[: self.count]
        ]
        for job in jobs:
            _wait(job)
        ReportJob.objects.filter(pk__in=[j.pk for j in jobs]).update(state="failed")

    def peaks_mb(self) -> list[float]:
        peaks = []
        for process in self.processes:
            status = Path(f"/proc/{process.pid}/status").read_text()
            line = next(li for li in status.splitlines() if li.startswith("VmHWM:"))
            peaks.append(int(line.split()[1]) / 1024)
        return peaks

    def __exit__(self, *exc):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs:
            log.unlink(missing_ok=True)
        return False


def _actor():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench", is_superuser=True)
    return user


def _wait(job):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in ("done", "failed"):
            if job.state == "failed":
                sys.exit(f"Job {job.pk} failed: {job.error}")
            return job
        time.sleep(0.05)
    sys.exit(f"Job {job.pk} still {job.state} after {WAIT} s")


def _timed(request) -> tuple[float, object]:
    """Wall clock from the request to the joined file stored; the job is then set aside so
    the next request makes a new one."""
    started = time.perf_counter()
    job = request()
    job = _wait(job)
    elapsed = time.perf_counter() - started
    type(job).objects.filter(pk=job.pk).update(state="failed")
    return elapsed, job


def _timeline(job) -> str:
    """Where the wall time went, from the job rows (the workers' clocks are this machine's):
    the cut (the batch's own run until its pieces were queued), each piece's start and end,
    and the join (the last piece's end until the joined file was stored), in seconds from
    the request."""
    parts = list(job.parts.order_by("id"))

    def span(name, start, end):
        at = [(moment - job.created_at).total_seconds() for moment in (start, end)]
        return f"{name} {at[0]:.1f}–{at[1]:.1f}"

    spans = []
    if job.started_at and parts[0].queued_at > job.started_at:
        spans.append(span("cut", job.started_at, parts[0].queued_at))
    spans += [span(f"p{n}", p.started_at, p.finished_at) for n, p in enumerate(parts)]
    spans.append(span("join", max(p.finished_at for p in parts), job.finished_at))
    return "    " + ", ".join(spans)


def _pages(job) -> int:
    return len(_reader(job.file.path).pages)


def _reader(source):
    from pypdf import PdfReader

    return PdfReader(source)


def proposals(unit) -> None:
    from assessments.reports import context, pdf, services

    document = context.build_document(
        kind="proposals", organization=unit, year=YEAR, number="", exported_by="bench"
    )
    html = services.report_html(document)
    pdf.render_pdf("<p>warm-up</p>")
    started = time.perf_counter()
    content = pdf.render_pdf(html)
    floor = time.perf_counter() - started
    lines = sum(len(g.lines) for g in document.body.groups)
    print(f"proposals list of {unit.name}: {lines} lines in {len(document.body.groups)} cells")
    print(f"  floor: WeasyPrint alone, whole list, 1 process  {floor:7.2f} s  ({load()})")
    # The floor of the sessions before #18's renderer measures (reports.pdf): WeasyPrint as it
    # comes, its own user-agent sheet and the collector on, on the same HTML.
    from weasyprint import HTML

    started = time.perf_counter()
    HTML(string=html, base_url=pdf.BASE_URL, url_fetcher=pdf.StaticOnlyFetcher()).write_pdf()
    plain = time.perf_counter() - started
    print(f"  WeasyPrint as it comes (own sheet, collector on) {plain:6.2f} s  ({load()})")
    started = time.perf_counter()
    one_job = services.report_render(
        kind="proposals", organization=unit, year=YEAR, exported_by="bench"
    )
    single = time.perf_counter() - started
    print(f"  one job (data + HTML + PDF, no pieces)        {single:7.2f} s  ({load()})")
    whole_pages = len(_reader(io.BytesIO(content)).pages)
    del content, one_job
    print(f"  peak RSS of the bench process after both      {rss_mb():7.0f} MB")
    from django.conf import settings

    for count in (1, 2):
        with Workers(count) as workers:
            elapsed, job = _timed(
                lambda: services.reportjob_request(
                    actor=_actor(), kind="proposals", organization=unit, year=YEAR, fmt="pdf"
                )[0]
            )
            peaks = ", ".join(f"{p:.0f}" for p in workers.peaks_mb())
            print(
                f"  pieces ({settings.REPORT_CUT_PIECES}), {count} worker(s), joined + numbered"
                f"  {elapsed:7.2f} s  = {elapsed / floor:.2f}× the floor; peak RSS {peaks} MB;"
                f" {_pages(job)} pages (whole list: {whole_pages})  ({load()})"
            )
            print(_timeline(job))


def forms(unit, cells, *, whole: bool, whole_workers: tuple[int, ...] = (2,)) -> None:
    from django.db import connections

    from assessments.reports import context, pdf, services

    members = sum(c.memberships.count() for c in cells)
    pdf.render_pdf("<p>warm-up</p>")
    floor = 0.0
    pages = []
    for cell in cells:
        document = context.build_document(
            kind="self_review", organization=cell, year=YEAR, number="", exported_by="bench"
        )
        pages.append(services.report_html(document))
        started = time.perf_counter()
        pdf.render_pdf(pages[-1])
        floor += time.perf_counter() - started
    print(f"forms, sample of {len(cells)} cells, {members} forms")
    print(f"  floor: WeasyPrint alone, one process  {floor:8.1f} s   peak RSS {rss_mb():.0f} MB")
    print(f"  ({load()})")
    # What two workers could do at best on this machine: the same cells shared by two forked
    # processes (each takes the next cell when it is free), nothing else.
    import multiprocessing

    connections.close_all()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        started = time.perf_counter()
        list(pool.imap_unordered(pdf.render_pdf, pages))
        floor_2 = time.perf_counter() - started
    print(
        f"  floor: WeasyPrint alone, 2 processes {floor_2:8.1f} s = {floor / floor_2:.2f}× one"
        f" process: the most 2 workers can scale here  ({load()})"
    )
    timings = {}
    for count in (1, 2):
        with Workers(count) as workers:
            elapsed, job = _timed(
                lambda: services.reportjob_pieces_request(
                    actor=_actor(), kind="self_review", organization=unit, year=YEAR, units=cells
                )[0]
            )
            timings[count] = elapsed
            peaks = ", ".join(f"{p:.0f}" for p in workers.peaks_mb())
            print(
                f"  pieces, {count} worker(s) + join   {elapsed:8.1f} s = {elapsed / floor:.2f}×"
                f" the floor; peak RSS {peaks} MB; {_pages(job)} pages  ({load()})"
            )
            print(_timeline(job))
    print(f"  scaling 1 → 2 workers {timings[1] / timings[2]:.2f}×")
    if not whole:
        return
    from assessments.reports import pieces

    all_cells = pieces.piece_units(organization=unit, year=YEAR)
    total = sum(c.memberships.count() for c in all_cells)
    whole_timings = {}
    for count in whole_workers:
        with Workers(count) as workers:
            elapsed, job = _timed(
                lambda: services.reportjob_request(
                    actor=_actor(), kind="self_review", organization=unit, year=YEAR, fmt="pdf"
                )[0]
            )
            whole_timings[count] = elapsed
            peaks = ", ".join(f"{p:.0f}" for p in workers.peaks_mb())
            size = Path(job.file.path).stat().st_size / 1e6
            print(
                f"whole unit: {len(all_cells)} cells, {total} forms, {_pages(job)} pages,"
                f" {size:.1f} MB"
            )
            print(
                f"  pieces, {count} worker(s) + join   {elapsed:8.1f} s; peak RSS {peaks} MB"
                f"  ({load()})"
            )
    print(f"  floor estimate, 1 process  {floor / members * total:8.1f} s (sample's rate)")
    if 1 in whole_timings and 2 in whole_timings:
        print(f"  whole unit, scaling 1 → 2 workers {whole_timings[1] / whole_timings[2]:.2f}×")


def measure(args) -> None:
    from assessments.reports import pieces
    from cells.models import Organization

    unit = Organization.objects.get(code="BB-VT")
    cells = pieces.piece_units(organization=unit, year=YEAR)
    print(f"start ({load()})")
    if not args.skip_proposals:
        proposals(unit)
    if not args.skip_forms:
        forms(
            unit,
            cells[: args.sample_cells],
            whole=not args.skip_whole,
            whole_workers=tuple(int(n) for n in args.whole_workers.split(",")),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1700)
    parser.add_argument("--sample-cells", type=int, default=4)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--db", default="pb_bench_pieces")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept earlier")
    parser.add_argument("--skip-proposals", action="store_true")
    parser.add_argument("--skip-forms", action="store_true")
    parser.add_argument("--skip-whole", action="store_true", help="no whole-unit forms run")
    parser.add_argument(
        "--whole-workers",
        default="2",
        help="worker counts of the whole-unit forms run, e.g. 1,2 (the scaling of all 1,700)",
    )
    parser.add_argument("--phase", choices=["build", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    base.DB_NAME = args.db
    if args.phase:
        base.setup_django()
        base.build(args.members) if args.phase == "build" else measure(args)
        return
    media = tempfile.mkdtemp(prefix="bench-pieces-media-")
    env = {
        **os.environ,
        "DATABASE_URL": f"{base.admin_url()}/{base.DB_NAME}",
        "CELERY_BROKER_URL": args.broker,
        "REDIS_URL": args.broker,
        "MEDIA_ROOT": media,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_MAX": "4",
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    if not args.reuse:
        base.psql(f"DROP DATABASE IF EXISTS {base.DB_NAME}")
        base.psql(f"CREATE DATABASE {base.DB_NAME}")
    cmd = [sys.executable, __file__, "--members", str(args.members), "--db", args.db]
    cmd += ["--sample-cells", str(args.sample_cells), "--whole-workers", args.whole_workers]
    cmd += [f"--{name}" for name in ("skip-proposals", "skip-forms", "skip-whole")
            if getattr(args, name.replace("-", "_"))]  # fmt: skip
    try:
        if not args.reuse:
            subprocess.run([*cmd, "--phase", "build"], check=True, env=env, cwd=base.ROOT)
        subprocess.run([*cmd, "--phase", "measure"], check=True, env=env, cwd=base.ROOT)
    finally:
        subprocess.run(["rm", "-rf", media], check=False)
        if not args.keep:
            base.psql(f"DROP DATABASE IF EXISTS {base.DB_NAME}")


if __name__ == "__main__":
    main()
