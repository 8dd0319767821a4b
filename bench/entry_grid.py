"""Bench: the entry grid at real size — a 50-member cell in organizations of ~2,100 and
3,000+ members (load, live check, save), and a whole-organization grid of ~2,000 members.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pb_bench .venv/bin/python bench/entry_grid.py

Measured through the Django test client with DEBUG off (full request: middleware, scoped
lookups, template), the way the browser uses the grid: the live check and the save send only
the rows that changed (here 3 rows). Floors from the same run: an empty Django view behind the
same middleware, and raw SQL doing the cell's reads (its members on 31/12, their events, tasks
and ratings, the round's grouped counts; from 2025 also their categories, posts and score
sheets, the year's peer groups and ceiling decisions). Saves are rolled back.
"""

from __future__ import annotations

import argparse

from _common import editable_year, in_rollback, query_count, report, setup_django, timed

setup_django()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path, reverse  # noqa: E402

from assessments import grid as grid_module  # noqa: E402
from assessments.forms import NOT_RATED, initial_row  # noqa: E402
from assessments.models import MemberRating, RatingRound  # noqa: E402
from cells.models import Organization  # noqa: E402


def empty_view(request):
    return HttpResponse("ok")


urlpatterns = [
    path("__bench__/empty/", empty_view),
    path("", include("partybuild.urls")),
]

RAW_READS = [
    """SELECT m.id, m.full_name, m.name_sort_key, m.admitted_on, ms.organization_id
         FROM cells_member m JOIN cells_membership ms ON ms.member_id = m.id
        WHERE ms.organization_id = %(cell)s AND ms.start <= %(day)s
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
    """SELECT r."group", r.cell_id, r.proposed_level, count(*) FROM assessments_memberrating r
        WHERE r.round_id = %(round)s GROUP BY 1, 2, 3""",
    # 2025– (Quy định 366): the rows' categories, posts and score sheets, the year's peer
    # groups and ceiling decisions.
    """SELECT c.member_id, c.category FROM assessments_membercategory c
        WHERE c.member_id = ANY(%(ids)s) AND c.year = %(year)s""",
    """SELECT p.member_id, p.kind, p.title, p.is_hamlet_head FROM cells_post p
        WHERE p.member_id = ANY(%(ids)s)""",
    """SELECT s.member_rating_id, s.stage, s.general, s.tasks FROM assessments_scoresheet s
        JOIN assessments_memberrating r ON r.id = s.member_rating_id
        WHERE r.round_id = %(round)s AND r.member_id = ANY(%(ids)s)""",
    """SELECT g.code, g.name FROM assessments_peergroup g WHERE g.year = %(year)s""",
    """SELECT d.percent FROM assessments_quotaceilingdecision d WHERE d.year = %(year)s""",
]


def rounds_by_size(year: int) -> list[tuple[int, RatingRound]]:
    """(members, round) of the year's editable rounds, by their number of ratings."""
    rounds = RatingRound.objects.filter(year=year, state__in=["draft", "returned"])
    sizes = (
        MemberRating.objects.filter(round__in=rounds)
        .values("round_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_id = {r.pk: r for r in rounds.select_related("organization")}
    return sorted(((s["n"], by_id[s["round_id"]]) for s in sizes), key=lambda item: item[0])


def cell_of_size(round_: RatingRound, size: int) -> Organization:
    counts = (
        MemberRating.objects.filter(round=round_)
        .values("cell_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    best = min(counts, key=lambda c: (abs(c["n"] - size), c["cell_id"]))
    return Organization.objects.get(pk=best["cell_id"])


def closest(rounds, target: int) -> RatingRound:
    return min(rounds, key=lambda item: (abs(item[0] - target), item[1].pk))[1]


def changed_rows_payload(round_: RatingRound, cell: Organization | None, n: int) -> dict:
    """What the browser posts after the user changed `n` rows: those rows only."""
    source = grid_module.grid_source(round=round_, cell=cell)
    data = {"round_version": str(round_.version), "action": "save"}
    picked = 0
    for row in grid_module.source_rows(source):
        if row.rating is None or row.must_not_rate or not row.rating.proposed_level:
            continue
        values = initial_row(row)
        mid = row.member.pk
        for name in ("level", "reason", "reason_note", "note", "cell_level"):
            data[f"{name}_{mid}"] = values[name] or ""
        data[f"points_{mid}"] = "" if values["points"] is None else str(values["points"])
        data[f"votes_for_{mid}"] = data[f"votes_total_{mid}"] = ""
        data[f"note_{mid}"] = "bench"
        data[f"version_{mid}"] = str(values["version"])
        if data[f"level_{mid}"] == "":
            data[f"level_{mid}"] = NOT_RATED
        picked += 1
        if picked == n:
            break
    return data


def real_save(client, page, round_, post):
    """A save that changes the rows: each call writes notes no earlier call left (a note
    equal to the saved one is no change, and the view answers "nothing to save" without
    writing: an earlier version of this bench timed that, after its first save had
    committed the note)."""
    turns = iter(range(1, 1_000_000))

    def save():
        turn = next(turns)
        for key in [k for k in post if k.startswith("note_")]:
            post[key] = f"bench {turn}"
        post["round_version"] = str(RatingRound.objects.get(pk=round_.pk).version)
        response = client.post(page, post)
        assert response.status_code == 302, response.status_code
        if turn == 1:  # the warm-up call, not timed
            notes = MemberRating.objects.filter(round=round_, note=f"bench {turn}").count()
            assert notes == sum(k.startswith("note_") for k in post), "the save wrote nothing"

    return save


def bench_cell(client, round_, cell, args, empty, label):
    year = args.year
    page = reverse("assessments:rating_grid", args=[cell.pk, year])
    check = reverse("assessments:rating_grid_check", args=[cell.pk, year])
    response = client.get(page)
    assert response.status_code == 200, response.status_code
    rows = response.content.decode().count("data-member=")
    post = changed_rows_payload(round_, cell, 3)
    assert client.post(check, post).status_code == 200
    load = timed(lambda: client.get(page), repeat=args.repeat)
    validate = timed(lambda: client.post(check, post), repeat=args.repeat)
    save_times = timed(in_rollback(real_save(client, page, round_, post)), repeat=args.repeat)
    queries = query_count(lambda: client.get(page))

    def raw_reads():
        end = grid_module.period_end(year)
        params = {
            "cell": cell.pk,
            "day": end,
            "year": year,
            "first": end.replace(month=1, day=1),
            "round": round_.pk,
        }
        with connection.cursor() as cursor:
            cursor.execute(RAW_READS[0], params)
            params["ids"] = [row[0] for row in cursor.fetchall()]
            for statement in RAW_READS[1:]:
                cursor.execute(statement, params)
                cursor.fetchall()

    raw = timed(raw_reads, repeat=args.repeat)
    members = MemberRating.objects.filter(round=round_).count()
    print(
        f"\n{label}: cell {cell.code} ({rows} rows shown) of {round_.organization.code} "
        f"({members} members in the grassroots organization); GET {queries} queries"
    )
    report("load (GET cell grid)", load, empty, "empty Django view")
    report("load (GET cell grid)", load, raw, "raw SQL, the cell's reads")
    report("live check (POST 3 changed rows)", validate, empty, "empty Django view")
    report("save (POST 3 changed rows, rolled back)", save_times, empty, "empty Django view")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--year", type=int, default=None, help="default: the latest year with editable rounds"
    )
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--organization", type=int, default=2131)
    parser.add_argument("--large", type=int, default=3300)
    parser.add_argument("--whole", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    args.year = args.year or editable_year()

    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-admin")
    if not user.is_superuser:
        user.is_superuser = user.is_staff = True
        user.save()
    client = Client()
    client.force_login(user)
    rounds = rounds_by_size(args.year)
    print(f"DEBUG={settings.DEBUG}; {len(rounds)} editable rounds of {args.year}")
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"], DEBUG=False):
        empty = timed(lambda: client.get("/__bench__/empty/"), repeat=args.repeat * 3)
        for label, target in (("mid-size", args.organization), ("large", args.large)):
            round_ = closest(rounds, target)
            bench_cell(client, round_, cell_of_size(round_, args.size), args, empty, label)

        round_ = closest(rounds, args.whole)
        org = round_.organization
        page = reverse("assessments:rating_grid", args=[org.pk, args.year])
        check = reverse("assessments:rating_grid_check", args=[org.pk, args.year])
        response = client.get(page)
        assert response.status_code == 200
        rows = response.content.decode().count("data-member=")
        size_kb = len(response.content) / 1024
        whole = timed(lambda: client.get(page), repeat=max(3, args.repeat // 2))
        post = changed_rows_payload(round_, None, 3)
        whole_check = timed(lambda: client.post(check, post), repeat=args.repeat)
        whole_saved = timed(in_rollback(real_save(client, page, round_, post)), repeat=args.repeat)
        print(f"\nwhole organization {org.code}: {rows} rows, page {size_kb:,.0f} KB")
        report("load (GET whole-organization grid)", whole, empty, "empty Django view")
        report("live check (POST 3 changed rows)", whole_check, empty, "empty Django view")
        report("save (POST 3 changed rows, rolled back)", whole_saved, empty, "empty Django view")


if __name__ == "__main__":
    main()
