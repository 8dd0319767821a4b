"""Bench: deciding a grassroots organization of ~1,700 members (services.round_decide).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pb_bench .venv/bin/python bench/decide.py

Picks the submitted round of `--year` whose member count is closest to `--size`, decides it
through the services (lock, full rule re-check of members and organizations, UPDATEs, audit)
and rolls back, several times: from 2025 its chi bộ trực thuộc first, in their đảng ủy's
steps (HD 43 §3), then the round; timed both together and the round alone. Floor from the
same run: the raw SQL UPDATEs that write the same rows (decided level := proposed level,
round state), also rolled back.
"""

from __future__ import annotations

import argparse
import time

from _common import in_rollback, query_count, report, setup_django, timed

setup_django()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402

from assessments import services  # noqa: E402
from assessments.deciders import subunit_steps  # noqa: E402
from assessments.models import MemberRating, RatingRound  # noqa: E402
from assessments.round_checks import RatingError  # noqa: E402


def steps_decided(round_pk: int) -> RatingRound:
    """The round with its sub-unit steps decided first, as its đảng ủy does (HD 43 §3: the
    tier above decides a đảng bộ cơ sở only once its chi bộ trực thuộc are), fresh."""
    fresh = RatingRound.objects.get(pk=round_pk)
    pending = [step.organization for step in subunit_steps(fresh) if not step.decided]
    if pending:
        services.subunits_decide(actor=None, round=fresh, organizations=pending)
        fresh = RatingRound.objects.get(pk=round_pk)
    return fresh


def decide_with_steps(round_pk: int) -> None:
    """The cells' steps, then the round's own decision (the whole of deciding the unit)."""
    decided = services.round_decide(actor=None, round=steps_decided(round_pk))
    assert decided.state == "decided"


def pick_round(year: int, size: int) -> tuple[RatingRound, int]:
    """The submitted round of `year` closest to `size` members that the rules let decide.

    A round the rules refuse (data generated before a rule was added) is skipped, with a
    line saying so: the bench measures a decision, not a refusal.
    """
    counts = (
        MemberRating.objects.filter(round__year=year, round__state="submitted")
        .values("round_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    if not counts:
        raise SystemExit(f"No submitted round in {year}: generate a province first.")
    for found in sorted(counts, key=lambda c: (abs(c["n"] - size), c["round_id"])):
        round_ = RatingRound.objects.select_related("organization").get(pk=found["round_id"])
        try:
            in_rollback(lambda r=round_: decide_with_steps(r.pk))()
        except RatingError as exc:  # a refused rule, a locked round, a step not proposed
            print(f"skipped round {round_.pk} ({found['n']} members), refused: {exc}"[:160])
            continue
        return round_, found["n"]
    raise SystemExit(f"No submitted round of {year} passes the rules.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--size", type=int, default=1700)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    round_, members = pick_round(args.year, args.size)
    print(
        f"round {round_.pk}: {round_.organization.code} «{round_.organization.name}» "
        f"{round_.year}, {members} member ratings, state {round_.state}"
    )

    steps = len([s for s in subunit_steps(round_) if not s.decided])

    def round_only() -> float:
        """Seconds of the round's own decision, its cells' steps decided first (untimed)."""
        with transaction.atomic():
            fresh = steps_decided(round_.pk)
            started = time.perf_counter()
            assert services.round_decide(actor=None, round=fresh).state == "decided"
            seconds = time.perf_counter() - started
            transaction.set_rollback(True)
        return seconds

    queries = query_count(in_rollback(lambda: decide_with_steps(round_.pk)))
    whole = timed(in_rollback(lambda: decide_with_steps(round_.pk)), repeat=args.repeat)
    round_only()
    decided = [round_only() for _ in range(args.repeat)]

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE assessments_memberrating SET decided_level = proposed_level, "
                "version = version + 1, updated_at = now() WHERE round_id = %s",
                [round_.pk],
            )
            cursor.execute(
                "UPDATE assessments_organizationrating SET decided_level = proposed_level, "
                "version = version + 1, updated_at = now() WHERE round_id = %s",
                [round_.pk],
            )
            cursor.execute(
                "UPDATE assessments_ratinground SET state = 'decided', decided_at = now(), "
                "version = version + 1 WHERE id = %s",
                [round_.pk],
            )

    floor = timed(in_rollback(raw), repeat=args.repeat)
    print(f"{steps} sub-unit steps, then the round: {queries} queries")
    report(f"decide: {steps} cells' steps + the round", whole, floor, "raw SQL UPDATE, same rows")
    report("decide: the round alone (steps before)", decided, floor, "raw SQL UPDATE, same rows")


if __name__ == "__main__":
    main()
