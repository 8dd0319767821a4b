"""Bench: the review list of a province (every grassroots organization it decides) and the
review detail of its largest submitted unit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pb_bench .venv/bin/python bench/review.py

Server time of the whole page through Django's test client as a superuser, DEBUG off.
Floors from the same run:
- list: the raw SQL that reads what the list shows — the units, their rounds and the rounds'
  stored summaries — through a bare cursor;
- detail: the raw SQL that reads the unit's members on the period end and their ratings;
- cold: the list's first view after every round changed (no summary current), once: it
  recomputes for REVIEW_LIST_REFRESH_SECONDS and leaves the rest to a worker; then the
  worker's time to bring every summary up to date (`review.summaries_refresh`, in-process).
"""

from __future__ import annotations

import argparse
import time

from _common import Rollback, ms, query_count, report, setup_django, timed

setup_django()

from dashboard import client_for_superuser  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.urls import reverse  # noqa: E402

from assessments import review  # noqa: E402
from assessments.choices import RoundState  # noqa: E402
from assessments.models import RatingRound, RoundSummary  # noqa: E402
from cells.models import Organization  # noqa: E402

LIST_SQL = """
SELECT o.id, o.code, o.name, r.id, r.state, r.submitted_at, s.members, s.counts, s.blocking,
       s.changed
FROM cells_organization o
LEFT JOIN assessments_ratinground r ON r.organization_id = o.id AND r.year = %(year)s
LEFT JOIN assessments_roundsummary s ON s.round_id = r.id
WHERE o.path LIKE %(path)s AND o.depth > %(depth)s AND o.is_grassroots
  AND (o.dissolved_on IS NULL OR o.dissolved_on >= %(end)s)
ORDER BY o.name_sort_key
"""
DETAIL_SQL = """
SELECT m.id, m.full_name, m.record_number, ms.organization_id, r.proposed_level,
       r.decided_level, r.points, r.not_rated_reason
FROM cells_membership ms JOIN cells_member m ON m.id = ms.member_id
JOIN cells_organization o ON o.id = ms.organization_id
LEFT JOIN assessments_memberrating r ON r.member_id = m.id AND r.round_id = %(round)s
WHERE o.path LIKE %(path)s AND ms.start <= %(end)s AND (ms."end" IS NULL OR ms."end" >= %(end)s)
ORDER BY m.name_sort_key
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", default="HG")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--members", type=int, default=2000, help="size of the detail's unit")
    parser.add_argument(
        "--no-worker", action="store_true", help="skip timing the worker's refresh (slow)"
    )
    args = parser.parse_args()

    import datetime

    end = datetime.date(args.year, 12, 31)
    province = Organization.objects.get(code=args.code)
    client = client_for_superuser()
    url = reverse("assessments:review_list", args=[province.pk, args.year])

    try:
        with transaction.atomic():
            RoundSummary.objects.all().delete()
            started = time.perf_counter()
            client.get(url)
            cold = time.perf_counter() - started
            in_list = RatingRound.objects.filter(
                year=args.year, organization__path__startswith=province.path
            )
            rounds = in_list.count()
            pending = rounds - RoundSummary.objects.filter(round__in=in_list).count()
            started = time.perf_counter()
            recomputed = (
                None
                if args.no_worker
                else review.summaries_refresh(in_list.values_list("pk", flat=True))
            )
            worker = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    # The steady state: the minute job (or the worker a list asked) keeps them current.
    review.summaries_refresh(
        RatingRound.objects.filter(
            year=args.year, organization__path__startswith=province.path
        ).values_list("pk", flat=True)
    )

    def page(u=url):
        response = client.get(u)
        assert response.status_code == 200, response.status_code

    units = RoundSummary.objects.filter(
        round__year=args.year, round__organization__path__startswith=province.path
    ).count()
    params = {"year": args.year, "path": province.path + "%", "depth": province.depth, "end": end}

    def list_floor():
        with connection.cursor() as cursor:
            cursor.execute(LIST_SQL, params)
            cursor.fetchall()

    print(
        f"review list: {province.code} «{province.name}», {args.year}, {units} rounds, "
        f"{query_count(page)} queries"
    )
    print(
        f"  first view after every round changed: {ms(cold)}, {rounds - pending} of {rounds} "
        f"summaries recomputed in the request, {pending} left to a worker"
    )
    if recomputed is not None:
        print(f"  the worker's refresh of the rest ({recomputed} recomputed): {ms(worker)}")
    report(
        "review list (province)",
        timed(page, repeat=args.repeat),
        timed(list_floor, repeat=args.repeat),
        "raw SQL reading units, rounds, summaries",
    )
    report(
        "review list, filtered + sorted",
        timed(lambda: page(url + "?state=submitted&sort=-late&q=xa"), repeat=args.repeat),
    )

    submitted = list(
        RatingRound.objects.filter(
            year=args.year,
            organization__path__startswith=province.path,
            state=RoundState.SUBMITTED,
        ).annotate(n=Count("member_ratings"))
    )
    # The unit whose size is nearest the 2,000 members a detail page shows at once.
    largest = min(submitted, key=lambda r: abs(r.n - args.members))
    detail = reverse("assessments:review_detail", args=[largest.pk])
    client.get(detail)
    dparams = {"round": largest.pk, "path": largest.organization.path + "%", "end": end}

    def detail_floor():
        with connection.cursor() as cursor:
            cursor.execute(DETAIL_SQL, dparams)
            cursor.fetchall()

    print(
        f"\nreview detail: {largest.organization.code} «{largest.organization.name}», "
        f"{largest.n} ratings, {query_count(lambda: page(detail))} queries"
    )
    report(
        "review detail (submitted unit)",
        timed(lambda: page(detail), repeat=args.repeat),
        timed(detail_floor, repeat=args.repeat),
        "raw SQL reading members and ratings",
    )
    report(
        "review detail, filtered by name",
        timed(lambda: page(detail + "?q=nguyen&level=good"), repeat=args.repeat),
    )


if __name__ == "__main__":
    main()
