"""Bench: a 1,700-member unit's pre-filled forms made in pieces (one per cell) by 1 and by 2
worker processes, joined with pypdf, beside WeasyPrint alone on the same HTML.

    .venv/bin/python bench/report_pieces.py [--members 1700] [--sample-cells 8] [--keep]

Builds the unit of bench/report_render.py (one đảng bộ, 40 cells, decided ratings) in a
scratch database, then, in a fresh process:

- floor: WeasyPrint alone rendering each sample cell's pre-built forms HTML, one after the
  other (the sum) — what the rendering costs without our code or any parallelism;
- pieces: the sample cells' forms asked for as one document, their parts run by 1 and then
  by 2 worker processes (spawned, each calling `reportjob_run` exactly as the Celery task
  does); wall-clock until the joined PDF is stored, and each worker's peak RSS;
- the whole unit (every cell) with 2 workers, once;
- the proposals list of the unit as one worker renders it today, beside its floor.

Figures go to docs/benchmarks.md by hand; timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report_render as base  # noqa: E402  (the unit builder and the scratch database)

YEAR = base.YEAR
base.DB_NAME = "pb_bench_pieces"  # our own scratch database, apart from report_render's


def _worker_init() -> None:
    base.setup_django()  # a spawned worker starts fresh, as a Celery worker process does


def _run_part(part_id: int) -> tuple[int, float]:
    from assessments.reports import services

    services.requests._enqueue = lambda job: None  # nothing goes to the broker

    services.reportjob_run(part_id, task_id=f"bench-{part_id}")
    return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pieces(actor, unit, cells, workers: int) -> tuple[float, float, int]:
    """Wall-clock seconds, the largest worker's peak RSS (MB), pages of the joined PDF."""
    from django.db import connections
    from pypdf import PdfReader

    from assessments.models import ReportJob
    from assessments.reports import services

    # The parts are run below by our own worker processes, as the Celery task runs them;
    # nothing is sent to the broker.
    services.requests._enqueue = lambda job: None
    batch, _ = services.reportjob_pieces_request(
        actor=actor, kind="self_review", organization=unit, year=YEAR, units=cells
    )
    part_ids = list(batch.parts.order_by("id").values_list("pk", flat=True))
    connections.close_all()
    started = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=_worker_init, maxtasksperchild=None) as pool:
        peaks = pool.map(_run_part, part_ids, chunksize=1)
    elapsed = time.perf_counter() - started
    batch = ReportJob.objects.get(pk=batch.pk)
    assert batch.state == "done", (batch.state, batch.error)
    pages = len(PdfReader(batch.file.path).pages)
    by_pid: dict[int, float] = {}
    for pid, rss in peaks:
        by_pid[pid] = max(rss, by_pid.get(pid, 0))
    ReportJob.objects.filter(pk=batch.pk).update(state="failed")  # let the next run start
    return elapsed, max(by_pid.values()), pages


def measure(sample_cells: int) -> None:
    from django.contrib.auth import get_user_model

    from assessments.reports import context, pdf, pieces, services
    from cells.models import Organization

    unit = Organization.objects.get(code="BB-VT")
    actor, _ = get_user_model().objects.get_or_create(username="bench", is_superuser=True)
    cells = pieces.piece_units(organization=unit, year=YEAR)
    sample = cells[:sample_cells]
    members = sum(c.memberships.count() for c in sample)

    pdf.render_pdf("<p>warm-up</p>")
    floor = 0.0
    for cell in sample:
        document = context.build_document(
            kind="self_review", organization=cell, year=YEAR, number="", exported_by="bench"
        )
        html = services.report_html(document)
        started = time.perf_counter()
        pdf.render_pdf(html)
        floor += time.perf_counter() - started
    floor_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sample: {len(sample)} cells, {members} forms")
    print(f"  floor: WeasyPrint alone, one process   {floor:8.1f} s   peak RSS {floor_rss:.0f} MB")
    one, one_rss, pages = _pieces(actor, unit, sample, 1)
    print(f"  pieces, 1 worker (+ join)              {one:8.1f} s   peak RSS {one_rss:.0f} MB")
    two, two_rss, _ = _pieces(actor, unit, sample, 2)
    print(f"  pieces, 2 workers (+ join)             {two:8.1f} s   peak RSS {two_rss:.0f} MB")
    print(f"  scaling 1 → 2 workers {one / two:.2f}×; {pages} pages joined")
    total = sum(c.memberships.count() for c in cells)
    full, full_rss, pages = _pieces(actor, unit, cells, 2)
    print(f"whole unit: {len(cells)} cells, {total} forms, {pages} pages")
    print(f"  pieces, 2 workers (+ join)             {full:8.1f} s   peak RSS {full_rss:.0f} MB")
    per_form = floor / members
    print(f"  floor estimate for the unit, 1 process {per_form * total:8.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1700)
    parser.add_argument("--sample-cells", type=int, default=8)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--skip-proposals", action="store_true")
    parser.add_argument(
        "--phase", choices=["build", "measure", "proposals"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.phase:
        base.setup_django()
        if args.phase == "build":
            base.build(args.members)
        elif args.phase == "proposals":
            base.measure(1, "proposals")  # one process, as one worker renders it today
        else:
            measure(args.sample_cells)
        return
    env = {
        **os.environ,
        "DATABASE_URL": f"{base.admin_url()}/{base.DB_NAME}",
        "LOG_LEVEL": "WARNING",
    }
    if not args.reuse:
        base.psql(f"DROP DATABASE IF EXISTS {base.DB_NAME}")
        base.psql(f"CREATE DATABASE {base.DB_NAME}")
    try:
        import subprocess

        cmd = [sys.executable, __file__, "--members", str(args.members)]
        cmd += ["--sample-cells", str(args.sample_cells)]
        if not args.reuse:
            subprocess.run([*cmd, "--phase", "build"], check=True, env=env, cwd=base.ROOT)
        if not args.skip_proposals:
            subprocess.run([*cmd, "--phase", "proposals"], check=True, env=env, cwd=base.ROOT)
        subprocess.run([*cmd, "--phase", "measure"], check=True, env=env, cwd=base.ROOT)
    finally:
        if not args.keep:
            base.psql(f"DROP DATABASE IF EXISTS {base.DB_NAME}")


if __name__ == "__main__":
    main()
