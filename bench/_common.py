"""Shared set-up for the bench scripts: Django, timing, picking units of the generated province.

Every script runs against DATABASE_URL (PostgreSQL with a generated province, see
docs/benchmarks.md), prints its figures, a floor measured in the same run and the ratio, and
leaves the database as it found it (writes are rolled back).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to the PostgreSQL database holding a generated province.")
    import django

    django.setup()


class Rollback(Exception):
    """Raised inside transaction.atomic to undo a measured write."""


def timed(fn: Callable[[], object], *, repeat: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of `repeat` calls of `fn` after `warmup` unmeasured ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def in_rollback(fn: Callable[[], object]) -> Callable[[], object]:
    """`fn` run in a transaction that is rolled back, so a write can be measured again."""
    from django.db import transaction

    def run():
        try:
            with transaction.atomic():
                fn()
                raise Rollback
        except Rollback:
            pass

    return run


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def report(name: str, times: list[float], floor: list[float] | None = None, floor_name=""):
    """One line: median (and min) of the figure; the floor's median and the ratio."""
    median = statistics.median(times)
    line = f"{name:44} median {ms(median)}  min {ms(min(times))}  (n={len(times)})"
    print(line)
    if floor:
        floor_median = statistics.median(floor)
        ratio = median / floor_median if floor_median else float("inf")
        print(f"  {'floor: ' + floor_name:42} median {ms(floor_median)}  ratio {ratio:6.2f}×")


def query_count(fn: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def editable_year() -> int:
    """The latest year with a round the units may still change (draft or returned): the year
    being entered in the generated data (2026 once `--years` reaches it, else 2025), the
    default of the benches that enter or decide ratings. Needs setup_django() first."""
    from assessments.choices import EDITABLE_STATES
    from assessments.models import RatingRound

    latest = (
        RatingRound.objects.filter(state__in=EDITABLE_STATES)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    if latest is None:
        raise SystemExit(
            "No round in draft or returned: generate a province first, or give --year."
        )
    return latest
