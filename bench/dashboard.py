"""Bench: the Resolution 22 dashboard page at province and at commune level.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pb_bench .venv/bin/python bench/dashboard.py

Server time of the whole page (URL resolution, middleware, every indicator, the children
table, template rendering) through Django's test client as a superuser, for the generated
province and for its largest commune-level unit. Floors from the same run: an empty Django
view (request overhead) and the raw SQL that produces the page's core numbers for the same
subtree and year (member and organization ratings per level, grouped by child unit).
"""

from __future__ import annotations

import argparse
import statistics

from _common import query_count, report, setup_django, timed

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from cells.choices import COMMUNE_LEVEL_TYPES  # noqa: E402
from cells.models import Organization  # noqa: E402

RAW_SQL = """
WITH kids AS (
    SELECT id, path FROM cells_organization WHERE path LIKE %(path)s AND depth = %(depth)s + 1
)
SELECT k.id, r.decided_level, count(*)
FROM assessments_memberrating r
JOIN assessments_ratinground rr ON rr.id = r.round_id
JOIN cells_organization c ON c.id = r.cell_id
JOIN kids k ON c.path LIKE k.path || '%%'
WHERE r.year = %(year)s AND rr.state IN ('decided', 'published')
GROUP BY k.id, r.decided_level
UNION ALL
SELECT k.id, o.decided_level, count(*)
FROM assessments_organizationrating o
JOIN assessments_ratinground rr ON rr.id = o.round_id
JOIN cells_organization g ON g.id = o.organization_id
JOIN kids k ON g.path LIKE k.path || '%%'
WHERE o.year = %(year)s AND rr.state IN ('decided', 'published')
GROUP BY k.id, o.decided_level
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
    args = parser.parse_args()

    province = Organization.objects.get(code=args.code)
    communes = Organization.objects.filter(
        path__startswith=province.path, type__in=COMMUNE_LEVEL_TYPES, dissolved_on__isnull=True
    )
    commune = max(communes, key=lambda c: c.numchild)
    client = client_for_superuser()
    empty = timed(lambda: client.get("/healthz"), repeat=args.repeat * 3)

    for label, node in (("province", province), ("commune", commune)):
        url = reverse("assessments:dashboard_detail", kwargs={"org_pk": node.pk, "year": args.year})

        def page(url=url):
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        def raw(node=node):
            with connection.cursor() as cursor:
                cursor.execute(
                    RAW_SQL, {"path": node.path + "%", "depth": node.depth, "year": args.year}
                )
                cursor.fetchall()

        queries = query_count(page)
        times = timed(page, repeat=args.repeat)
        floor = timed(raw, repeat=args.repeat)
        print(f"\n{label}: {node.code} «{node.name}», {args.year}, {queries} queries")
        report(f"dashboard page ({label})", times, floor, "raw SQL, same core numbers")
        ratio = statistics.median(times) / statistics.median(empty)
        print(
            f"  {'floor: empty request (/healthz)':42} median "
            f"{statistics.median(empty) * 1000:9.1f} ms  ratio {ratio:6.1f}×"
        )


if __name__ == "__main__":
    main()
