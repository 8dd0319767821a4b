"""Bench: the Resolution 22 dashboard page at national, province and commune level.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pb_bench .venv/bin/python bench/dashboard.py

Server time of the whole page (URL resolution, middleware, every indicator, the children
table, template rendering) through Django's test client as a superuser, for the generated
province and for its largest commune-level unit, with and without the merge mapping; where
the province stands under a national root (`generate_country`), the root's page first.

Floors and references from the same run:
- floor: the raw SQL that reads the page's numbers — since 04/12/2026 the node's and its
  children's own tallies and their roll-ups (assessments.indicators.rollups) for the two years
  on the page, plus the one small family counted live (new-rural recognitions) — sent through
  a bare cursor, no Django model code, no Python roll-up;
- reference: the per-unit tallies of every unit below summed per child (the page's SQL before
  the roll-ups, and still for a scope they do not serve);
- reference: counting the same numbers live from the source tables (the grouped SQL the page
  used before the tallies, and still uses for years the tallies do not cover);
- freshness: the page right after a change has marked units (a decided round of the largest
  commune re-written), which recomputes those units' tallies inside the request;
- the empty request (`/healthz`): Django's own overhead.

`--replica` reads the pages and their floors from the streaming replica (REPLICA_DATABASE_URL;
the run stops if a page fell back to the primary). The mapped page's ratio is to the same page
unmapped (issue #16: ≤ 1.5×).

Run `python manage.py indicator_tallies rebuild` once after generating the province.
"""

from __future__ import annotations

import argparse
import statistics

from _common import Rollback, ms, query_count, report, setup_django, timed

setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from assessments.indicators import Scope, grouped, tally  # noqa: E402
from assessments.models import TALLY_COUNTERS, MemberRating, RatingRound, tally_column  # noqa: E402
from cells.choices import COMMUNE_LEVEL_TYPES  # noqa: E402
from cells.models import Organization  # noqa: E402

# Written out, not generated from the app's code: the floor is what PostgreSQL must do.
FLOOR_SQL = """
SELECT false, t.year, c.path, t.last_change, {tcols}
FROM cells_organization c JOIN assessments_indicatortally t ON t.organization_id = c.id
WHERE c.depth BETWEEN %(depth)s AND %(depth)s + 1 AND c.path LIKE %(path)s
  AND t.year = ANY(%(years)s) AND NOT t.with_proposals
UNION ALL
SELECT true, r.year, c.path, r.last_change, {rcols}
FROM cells_organization c JOIN assessments_indicatorrollup r ON r.organization_id = c.id
WHERE c.depth BETWEEN %(depth)s AND %(depth)s + 1 AND c.path LIKE %(path)s
  AND r.year = ANY(%(years)s) AND NOT r.with_proposals AND NOT r.mapped
""".format(
    tcols=", ".join(f"t.{tally_column(c)}" for c in TALLY_COUNTERS),
    rcols=", ".join(f"r.{tally_column(c)}" for c in TALLY_COUNTERS),
)
SUMMED_SQL = """
SELECT t.year, substring(c.path, 1, %(child_len)s), max(t.last_change), {sums}
FROM assessments_indicatortally t JOIN cells_organization c ON c.id = t.organization_id
WHERE t.year = ANY(%(years)s) AND NOT t.with_proposals AND c.path LIKE %(path)s
GROUP BY 1, 2
""".format(sums=", ".join(f"sum(t.{tally_column(c)})" for c in TALLY_COUNTERS))
NEW_RURAL_SQL = """
SELECT c.path, min(n.year) FROM assessments_newruralrecognition n
JOIN cells_organization c ON c.id = n.commune_id
WHERE n.year <= %(year)s AND c.path LIKE %(path)s GROUP BY 1
"""


def client_for_superuser() -> Client:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host, as in production
    client.force_login(user)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", default="HG", help="code of the generated province")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--no-mapped", action="store_true", help="skip the mapped pages (?anh_xa=1)"
    )
    parser.add_argument(
        "--no-live", action="store_true", help="skip the live-counting reference (slow)"
    )
    parser.add_argument(
        "--replica",
        action="store_true",
        help="the pages and their floors read from the streaming replica (REPLICA_DATABASE_URL)",
    )
    args = parser.parse_args()
    alias = "replica" if args.replica else "default"
    if args.replica and "replica" not in settings.DATABASES:
        raise SystemExit("--replica needs REPLICA_DATABASE_URL (scripts/replica.sh).")

    if not tally.covers([args.year - 1, args.year]):
        raise SystemExit("Tallies not built: run `manage.py indicator_tallies rebuild` first.")
    province = Organization.objects.get(code=args.code)
    communes = Organization.objects.filter(
        path__startswith=province.path, type__in=COMMUNE_LEVEL_TYPES, dissolved_on__isnull=True
    )
    commune = max(communes, key=lambda c: c.numchild)
    client = client_for_superuser()
    empty = timed(lambda: client.get("/healthz"), repeat=args.repeat * 3)
    print(f"empty request (/healthz): median {ms(statistics.median(empty))}")

    levels = [("province", province), ("commune", commune)]
    if province.depth > 1:
        root = Organization.objects.get(path=province.path[: Organization.steplen])
        levels.insert(0, ("national", root))
    replica_queries: dict[str, int] = {}  # per page: how many its first view read there
    for label, node in levels:
        url = reverse("assessments:dashboard_detail", kwargs={"org_pk": node.pk, "year": args.year})
        years = [args.year - 1, args.year]

        def page(url=url, query=""):
            if not args.replica:
                response = client.get(url + query)
            else:
                # The router falls back to the primary when the replica lags or is down: a
                # figure "from the replica" must have been read there, every time.
                # (The capture's debug cursor costs well under 1 ms of a page's 17 queries.)
                with CaptureQueriesContext(connections["replica"]) as on_replica:
                    response = client.get(url + query)
                # A page that fell back reads next to nothing there (its first view may read
                # one more: the replica's position, a cache filled once).
                expected = replica_queries.setdefault(url + query, len(on_replica))
                if len(on_replica) <= expected // 2:
                    raise SystemExit(
                        f"{url + query}: {len(on_replica)} queries on the replica, "
                        f"{expected} the first time (lagging past REPLICA_MAX_LAG_SECONDS?)"
                    )
            assert response.status_code == 200, response.status_code

        def floor(node=node, years=years, sql=FLOOR_SQL):
            params = {
                "path": node.path + "%",
                "depth": node.depth,
                "child_len": len(node.path) + Organization.steplen,
                "years": years,
                "year": max(years),
            }
            with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                # The page's own settings for its sums (assessments.indicators.tally).
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '32MB'")
                cursor.execute(sql, params)
                cursor.fetchall()
                cursor.execute(NEW_RURAL_SQL, params)
                cursor.fetchall()

        def live(node=node, years=years):
            grouped.facts_for(Scope(node=node), years)

        queries = query_count(page)
        if args.replica:
            with CaptureQueriesContext(connections["replica"]) as on_replica:
                page()
            queries = f"{len(on_replica)} on the replica, {queries} on the primary"
        else:
            queries = f"{queries} queries"
        times = timed(page, repeat=args.repeat)
        print(f"\n{label}: {node.code} «{node.name}», {args.year}, {queries}")
        report(
            f"dashboard page ({label})",
            times,
            timed(floor, repeat=args.repeat),
            "raw SQL reading the same numbers (roll-ups)",
        )
        report(
            f"dashboard page ({label})",
            times,
            timed(
                lambda node=node, years=years: floor(node, years, SUMMED_SQL), repeat=args.repeat
            ),
            "reference: every unit's tallies summed",
        )
        ratio = statistics.median(times) / statistics.median(empty)
        print(
            f"  {'floor: empty request (/healthz)':42} median "
            f"{ms(statistics.median(empty))}  ratio {ratio:6.1f}×"
        )
        if not args.no_mapped:
            report(
                f"dashboard page, mapped ({label})",
                timed(lambda: page(query="?anh_xa=1"), repeat=args.repeat),
                times,
                "the same page unmapped",
            )
        if not args.no_live:
            report(f"reference: live counting ({label})", timed(live, repeat=3, warmup=0))

    # Freshness: a change marks one round's cells; the next page recomputes them.
    largest = (
        RatingRound.objects.filter(year=args.year, organization__path__startswith=province.path)
        .annotate(n=Count("member_ratings"))
        .order_by("-n")
        .first()
    )
    round_cells = MemberRating.objects.filter(round=largest)
    marked = round_cells.values("cell").distinct().count()
    url = reverse("assessments:dashboard_detail", kwargs={"org_pk": province.pk, "year": args.year})
    times = []
    for _ in range(args.repeat):
        try:
            with transaction.atomic():
                round_cells.update(updated_at=timezone.now())
                times.append(timed(lambda: client.get(url), repeat=1, warmup=0)[0])
                raise Rollback
        except Rollback:
            pass
    report(f"province page after a write ({marked} cells marked)", times)


if __name__ == "__main__":
    main()
