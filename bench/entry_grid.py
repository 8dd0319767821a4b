"""Bench: the entry grid of a ~50-member cell — load, validate (live check), save.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pb_bench .venv/bin/python bench/entry_grid.py

Measured through the Django test client (full request: middleware, scoped lookups, template)
and through the selectors/services alone. Floors from the same run: an empty Django view
behind the same middleware (request overhead) and raw SQL doing the same reads (members of
the grassroots organization on 31/12, their events, tasks and ratings). Saves are rolled back.
"""

from __future__ import annotations

import argparse

from _common import in_rollback, query_count, report, setup_django, timed

setup_django()

from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import formats, translation  # noqa: E402

from assessments import selectors, services  # noqa: E402
from assessments.forms import NOT_RATED, RatingGridForm, field_name  # noqa: E402
from assessments.models import MemberRating, RatingRound  # noqa: E402
from cells.models import Membership, Organization  # noqa: E402


def empty_view(request):
    return HttpResponse("ok")


urlpatterns = [
    path("__bench__/empty/", empty_view),
    path("", include("partybuild.urls")),
]

RAW_READS = [
    # The members of the grassroots organization on the period end (members_of, subtree).
    """SELECT m.id, m.full_name, m.name_sort_key, m.admitted_on, ms.organization_id
         FROM cells_member m JOIN cells_membership ms ON ms.member_id = m.id
         JOIN cells_organization o ON o.id = ms.organization_id
        WHERE o.path LIKE %(path)s AND ms.start <= %(day)s
          AND (ms."end" IS NULL OR ms."end" >= %(day)s)
        ORDER BY m.name_sort_key, m.id""",
    """SELECT e.member_id, e.kind, e.start, e."end", e.discipline_form, e.self_remedied
         FROM cells_memberevent e
        WHERE e.member_id = ANY(%(ids)s) AND e.start <= %(day)s
          AND (e."end" IS NULL OR e."end" >= %(first)s)
          AND e.kind IN ('discipline', 'exemption', 'suspension', 'sick_leave')""",
    """SELECT t.member_id, t.result, t.shortcoming_remedied FROM assessments_assignedtask t
        WHERE t.member_id = ANY(%(ids)s) AND t.year = %(year)s""",
    """SELECT r.* FROM assessments_memberrating r
        WHERE r.member_id = ANY(%(ids)s) AND r.year = %(year)s""",
]


def pick_cell(year: int, size: int) -> tuple[Organization, RatingRound]:
    """The cell of a draft round of `year` whose member count is closest to `size`."""
    from django.db.models import Count

    rounds = RatingRound.objects.filter(year=year, state__in=["draft", "returned"])
    counts = (
        MemberRating.objects.filter(round__in=rounds)
        .values("cell_id", "round_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    best = min(counts, key=lambda c: (abs(c["n"] - size), c["cell_id"]))
    return Organization.objects.get(pk=best["cell_id"]), RatingRound.objects.get(
        pk=best["round_id"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from django.contrib.auth import get_user_model

    cell, round_ = pick_cell(args.year, args.size)
    grassroots = round_.organization
    members_in_cell = Membership.objects.filter(organization=cell, end=None).count()
    in_round = MemberRating.objects.filter(round=round_).count()
    print(
        f"cell {cell.code} «{cell.name}»: {members_in_cell} members; round {round_.pk} of "
        f"{grassroots.code} ({round_.state}), {in_round} members in the grassroots organization"
    )

    user, _ = get_user_model().objects.get_or_create(username="bench-admin")
    if not user.is_superuser:
        user.is_superuser = user.is_staff = True
        user.save()
    client = Client()
    client.force_login(user)
    from django.urls import reverse

    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        page = reverse("assessments:rating_grid", args=[cell.pk, args.year])
        check = reverse("assessments:rating_grid_check", args=[cell.pk, args.year])
        response = client.get(page)
        assert response.status_code == 200, response.status_code
        assert cell.name.split()[-1] in response.content.decode()
        empty = timed(lambda: client.get("/__bench__/empty/"), repeat=args.repeat * 3)
        load = timed(lambda: client.get(page), repeat=args.repeat)
        grid = selectors.rating_grid(round=round_, cell=cell)
        post = check_payload(grid, round_)
        response = client.post(check, post)
        assert response.status_code == 200, response.status_code
        validate = timed(lambda: client.post(check, post), repeat=args.repeat)
        load_queries = query_count(lambda: client.get(page))

    def raw_reads():
        end = selectors.period_end(args.year)
        params = {
            "path": grassroots.path + "%",
            "day": end,
            "year": args.year,
            "first": end.replace(month=1, day=1),
        }
        with connection.cursor() as cursor:
            cursor.execute(RAW_READS[0], params)
            params["ids"] = [row[0] for row in cursor.fetchall()]
            for statement in RAW_READS[1:]:
                cursor.execute(statement, params)
                cursor.fetchall()

    raw = timed(raw_reads, repeat=args.repeat)
    select = timed(lambda: selectors.rating_grid(round=round_, cell=cell), repeat=args.repeat)
    rows = [
        services.RowInput(
            member_id=r.member.pk,
            level=r.rating.proposed_level,
            not_rated_reason=r.rating.not_rated_reason,
            not_rated_note=r.rating.not_rated_note,
            note="bench",
            points=r.rating.points,
        )
        for r in grid.rows
        if r.rating is not None
    ]

    def save():
        fresh = RatingRound.objects.get(pk=round_.pk)
        services.member_ratings_save(
            actor=None, round=fresh, rows=rows, round_version=fresh.version
        )

    saved = timed(in_rollback(save), repeat=args.repeat)

    def raw_save():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE assessments_memberrating SET note = 'bench', version = version + 1 "
                "WHERE round_id = %s AND cell_id = %s",
                [round_.pk, cell.pk],
            )

    raw_saved = timed(in_rollback(raw_save), repeat=args.repeat)

    print(f"grid rows shown: {len(grid.rows)}; page load: {load_queries} queries")
    report("load (GET grid page, test client)", load, empty, "empty Django view")
    report("load (selectors.rating_grid)", select, raw, "raw SQL, same reads")
    report("validate (POST live check, test client)", validate, empty, "empty Django view")
    report("save (services.member_ratings_save)", saved, raw_saved, "raw SQL UPDATE, same rows")


def check_payload(grid, round_) -> dict:
    """The grid form as the browser posts it, unchanged (its initial values)."""
    form = RatingGridForm(scheme=grid.scheme, rows=grid.rows)
    data = {"round_version": str(round_.version)}
    with translation.override("vi"):
        for row in grid.rows:
            mid = row.member.pk
            for name in ("level", "reason", "reason_note", "points", "note", "version"):
                key = field_name(name, mid)
                if key in form.fields:
                    value = form[key].value()
                    data[key] = "" if value is None else formats.localize_input(value)
            if not data.get(field_name("level", mid)) and row.rating is not None:
                data[field_name("level", mid)] = row.rating.proposed_level or NOT_RATED
    return data


if __name__ == "__main__":
    main()
