"""Bench: the results report (kind 1) of a grassroots organization of 1,700 members.

    .venv/bin/python bench/report_render.py [--members 1700] [--repeat 3] [--keep]

Creates a scratch PostgreSQL database (pb_bench_reports on the server of DATABASE_URL, or on
127.0.0.1 as postgres), builds the tables without migrations (like `pytest --nomigrations`),
generates one đảng bộ cơ sở with 40 cells and the members' decided 2025 ratings, then, in a
fresh process, measures:

- the report as the worker makes it: `report_render` (selectors → context → template →
  WeasyPrint), wall-clock and the process's peak RSS;
- the floor: WeasyPrint alone rendering the same pre-built HTML;

and prints both with the ratio. The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "pb_bench_reports"
YEAR = 2025
CELLS = 40


def admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url.rsplit("/", 1)[0]


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{admin_url()}/postgres", "-q", "-c", sql], check=True, capture_output=True
    )


def child(phase: str, args) -> None:
    env = {**os.environ, "DATABASE_URL": f"{admin_url()}/{DB_NAME}", "LOG_LEVEL": "WARNING"}
    cmd = [sys.executable, __file__, "--phase", phase, "--members", str(args.members)]
    cmd += ["--repeat", str(args.repeat), "--kind", args.kind]
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")
    import django

    django.setup()


def build(members: int) -> None:
    """Tables without migrations, then the unit, its cells, members and decided ratings."""
    import datetime

    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command

    settings.MIGRATION_MODULES = {a.label: None for a in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)

    from assessments.models import MemberRating, OrganizationRating, RatingRound
    from assessments.schemes import scheme_for_year
    from cells.choices import OrganizationType as T
    from cells.models import Member, Membership
    from cells.services import organization_create

    d = datetime.date
    province = organization_create(
        actor=None, parent=None, code="BB", name="Đảng bộ tỉnh Bắc Bình", type=T.PROVINCE,
        audit=False,
    )  # fmt: skip
    unit = organization_create(
        actor=None, parent=province, code="BB-VT", name="Đảng bộ xã Vị Thắng", type=T.COMMUNE,
        is_grassroots=True, document_abbreviation="ĐU", established_on=d(2025, 7, 1),
        audit=False,
    )  # fmt: skip
    cells = [
        organization_create(
            actor=None,
            parent=unit,
            code=f"BB-VT-{i:02d}",
            name=f"Chi bộ ấp {i}",
            type=T.CELL,
            established_on=d(2025, 7, 1),
            audit=False,
        )  # fmt: skip
        for i in range(1, CELLS + 1)
    ]
    given = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hường", "Khánh", "Lan", "Minh"]
    family = ["Nguyễn Văn", "Trần Thị", "Lê Đức", "Phạm Thị", "Hoàng Văn", "Vũ Thị"]
    people = Member.objects.bulk_create(
        [
            Member(
                record_number=f"{n:06d}BB",
                full_name=f"{family[n % len(family)]} {given[n % len(given)]} {n}",
                gender="female" if n % 2 else "male",
                birth_date=d(1950 + n % 50, 1 + n % 12, 1 + n % 28),
                admitted_on=d(1990 + n % 30, 5, 19),
            )
            for n in range(members)
        ]
    )
    Membership.objects.bulk_create(
        Membership(member=m, organization=cells[i % CELLS], start=d(2020, 1, 1))
        for i, m in enumerate(people)
    )
    round_ = RatingRound.objects.create(
        organization=unit, year=YEAR, scheme_code=scheme_for_year(YEAR).code, state="decided"
    )
    levels = ["good"] * 14 + ["excellent"] * 2 + ["complete"] * 2 + ["not_complete"]
    ratings = []
    for i, m in enumerate(people):
        if i % 57 == 0:
            level, reason = "", "exempt"
        else:
            level, reason = levels[i % len(levels)], ""
        ratings.append(
            MemberRating(
                round=round_,
                member=m,
                year=YEAR,
                cell=cells[i % CELLS],
                proposed_level=level,
                decided_level=level,
                not_rated_reason=reason,
            )  # fmt: skip
        )
    MemberRating.objects.bulk_create(ratings)
    OrganizationRating.objects.bulk_create(
        OrganizationRating(
            round=round_, organization=c, year=YEAR, proposed_level="good", decided_level="good"
        )
        for c in cells
    )
    # The planner's statistics, as a database in use has them (autovacuum may be off on a
    # bench server): without them the members' query of a 1,700-member unit took 1.75 s
    # instead of 0.1 s, most of the proposals list's cut (docs/benchmarks.md, 02/12/2026).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"built: 1 grassroots organization, {CELLS} cells, {members} members rated {YEAR}")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is KiB


def measure(repeat: int, kind: str) -> None:
    from assessments.reports import context, pdf, services
    from cells.models import Organization

    unit = Organization.objects.get(code="BB-VT")
    start_rss = rss_mb()

    def full():
        return services.report_render(kind=kind, organization=unit, year=YEAR, exported_by="bench")

    full()  # warm-up: imports, fonts, template loading
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        rendered = full()
        times.append(time.perf_counter() - started)
    full_rss = rss_mb()
    document = context.build_document(
        kind=kind, organization=unit, year=YEAR, number="Số 01-BC/ĐU", exported_by="bench"
    )
    html = services.report_html(document)
    floor = []
    for _ in range(repeat):
        started = time.perf_counter()
        pdf.render_pdf(html)
        floor.append(time.perf_counter() - started)
    full_median, floor_median = statistics.median(times), statistics.median(floor)
    print(f"{kind} report, {len(rendered.content):,} bytes PDF, {len(html):,} chars HTML")
    full_line = f"median {full_median:7.3f} s  min {min(times):.3f} s"
    floor_line = f"median {floor_median:7.3f} s  min {min(floor):.3f} s"
    print(f"  report_render (data → HTML → PDF)   {full_line}")
    print(f"  floor: WeasyPrint on the same HTML  {floor_line}")
    print(f"  ratio {full_median / floor_median:.2f}×")
    print(f"  peak RSS {full_rss:.0f} MB (after Django set-up: {start_rss:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1700)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--kind", default="results", help="results (default) | proposals | self_review | minutes"
    )
    parser.add_argument("--reuse", action="store_true", help="measure a database kept earlier")
    parser.add_argument("--phase", choices=["build", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        setup_django()
        build(args.members) if args.phase == "build" else measure(args.repeat, args.kind)
        return
    if not args.reuse:
        psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
        psql(f"CREATE DATABASE {DB_NAME}")
    try:
        if not args.reuse:
            child("build", args)
        child("measure", args)
    finally:
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {DB_NAME}")


if __name__ == "__main__":
    main()
