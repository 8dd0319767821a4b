"""Bench: the unit cost of each page and action — wall, app CPU, DB time, DB server CPU.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pb_bench .venv/bin/python bench/unit_costs.py

The figures docs/capacity.md multiplies by the December peak. Each page or action runs through
Django's test client in this process, DEBUG off, as a superuser, `--repeat` times after one
warm-up; per request it reports the medians of:

- wall: the whole request (perf_counter);
- app CPU: this process's CPU time (time.process_time) — what a web worker spends: URL
  resolution, middleware, ORM, rules, templates;
- DB time: wall time inside the database calls, seen from Django (connection.execute_wrapper):
  server work, waits and loopback round trips;
- DB CPU: the PostgreSQL backend's own CPU (utime + stime of its process, /proc, clock ticks),
  summed over the repeats and divided by them — what the database server spends; needs the
  server on this machine and /proc readable (root, or the postgres user);
- queries per request.

Floor from the same run: the empty request (`/healthz`) measured the same way. Writes (save,
decide) are rolled back. Units are picked as bench/entry_grid.py, decide.py and dashboard.py
pick them (a 50-member cell of a ≈ 2,100-member organization, a ≈ 1,700-member round).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from _common import editable_year, in_rollback, setup_django

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from assessments.models import MemberRating, RatingRound  # noqa: E402
from cells.choices import COMMUNE_LEVEL_TYPES, PROVINCIAL_TYPES  # noqa: E402
from cells.models import Member, Organization  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


class DbTimer:
    """Wall time spent inside database calls (an execute_wrapper), and their number."""

    def __init__(self):
        self.seconds, self.calls = 0.0, 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


def backend_cpu() -> float:
    """CPU seconds the PostgreSQL backend of this connection has used (utime + stime)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def measure(fn, repeat: int) -> dict:
    fn()  # warm-up: caches, the backend's catalogue
    walls, cpus, dbs, calls = [], [], [], []
    db_cpu_start = backend_cpu()
    for _ in range(repeat):
        timer = DbTimer()
        with connection.execute_wrapper(timer):
            cpu, wall = time.process_time(), time.perf_counter()
            fn()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        dbs.append(timer.seconds)
        calls.append(timer.calls)
    db_cpu = (backend_cpu() - db_cpu_start) / repeat
    return {
        "wall": statistics.median(walls),
        "app_cpu": statistics.median(cpus),
        "db_time": statistics.median(dbs),
        "db_cpu": db_cpu,
        "queries": statistics.median(calls),
    }


def ok(client, url, method="get", data=None, status=200):
    def call():
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        assert response.status_code == status, (url, response.status_code)

    return call


def closest_round(year: int, size: int, states: list[str], under: Organization):
    rounds = RatingRound.objects.filter(
        year=year, state__in=states, organization__path__startswith=under.path
    )
    counts = dict(
        MemberRating.objects.filter(round__in=rounds)
        .values("round_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("round_id", "n")
    )
    best = min(counts, key=lambda pk: (abs(counts[pk] - size), pk))
    return RatingRound.objects.select_related("organization").get(pk=best), counts[best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--province", default="HG", help="code of a generated province")
    parser.add_argument(
        "--year", type=int, default=None, help="the year in progress (default: the latest editable)"
    )
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    args.year = args.year or editable_year()

    from decide import decide_with_steps, pick_round  # noqa: PLC0415
    from entry_grid import cell_of_size, changed_rows_payload, real_save  # noqa: PLC0415

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    province = Organization.objects.get(code=args.province, type__in=PROVINCIAL_TYPES)
    year, past = args.year, args.year - 1
    grid_round, grid_members = closest_round(year, 2131, ["draft", "returned"], province)
    cell = cell_of_size(grid_round, 50)
    decide_round, decide_members = pick_round(year, 1700)
    review_round, review_members = closest_round(year, 2000, ["submitted"], province)
    commune = grid_round.organization
    if commune.type not in COMMUNE_LEVEL_TYPES:
        commune = Organization.objects.get(path=commune.path[: -Organization.steplen])
    member = Member.objects.filter(memberships__organization=cell).first()
    grid = reverse("assessments:rating_grid", args=[cell.pk, year])
    check = reverse("assessments:rating_grid_check", args=[cell.pk, year])
    post = changed_rows_payload(grid_round, cell, 3)
    save = real_save(client, grid, grid_round, post)  # each call changes the rows

    def decide():  # its cells' steps, then the round (HD 43 §3)
        decide_with_steps(decide_round.pk)

    def dashboard(node):
        kwargs = {"org_pk": node.pk, "year": past}
        return ok(client, reverse("assessments:dashboard_detail", kwargs=kwargs))

    def page(name, *pks):
        return ok(client, reverse(name, args=pks))

    cases = [
        ("empty request /healthz (floor)", ok(client, "/healthz")),
        ("organization tree", page("cells:organization_tree")),
        (f"commune page {commune.code}", page("cells:organization_detail", commune.pk)),
        ("member page", page("cells:member_detail", member.pk)),
        (f"grid GET, cell {cell.code} of {grid_members}", ok(client, grid)),
        ("grid live check, 3 changed rows", ok(client, check, "post", post)),
        ("grid save, 3 changed rows (rolled back)", in_rollback(save)),
        (f"decide {decide_members} members, steps + round (rolled back)", in_rollback(decide)),
        (f"review list {province.code}", page("assessments:review_list", province.pk, year)),
        (
            f"review detail, {review_members} members",
            page("assessments:review_detail", review_round.pk),
        ),
        (f"dashboard commune {commune.code} ({past})", dashboard(commune)),
        (f"dashboard province {province.code} ({past})", dashboard(province)),
    ]
    if province.depth > 1:
        root = Organization.objects.get(path=province.path[: Organization.steplen])
        cases.append((f"dashboard national {root.code} ({past})", dashboard(root)))
    print(f"{province.code}, year {year}; repeat {args.repeat}; DB CPU in ticks of {1 / TICK}s")
    columns = ("wall", "app CPU", "DB time", "DB CPU")
    print(f"{'page / action':52} " + " ".join(f"{c:>9}" for c in columns) + f" {'q':>5}")
    with override_settings(DEBUG=False):
        for name, fn in cases:
            r = measure(fn, args.repeat)
            print(
                f"{name[:52]:52} {r['wall'] * 1000:7.1f}ms {r['app_cpu'] * 1000:7.1f}ms "
                f"{r['db_time'] * 1000:7.1f}ms {r['db_cpu'] * 1000:7.1f}ms {r['queries']:5.0f}"
            )


if __name__ == "__main__":
    main()
