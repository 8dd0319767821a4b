"""What `manage.py seed_demo` does, in order: the demo province (once), the demo logins (reset
every run), ten years of ratings, the indicator catalogue with the demo targets, and the
dashboard's tallies. Idempotent: a second run writes nothing but the logins."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from cells.models import Organization

from ..indicators import ensure_indicator_catalogue
from ..indicators.tally import tallies_rebuild_if_stale
from . import province
from .ratings import demo_years, seed_ratings


@dataclass
class DemoSeedResult:
    plan: province.DemoPlan | None  # None: the province was there already
    users: list[tuple[province.DemoUser, Organization | None]] = field(default_factory=list)
    rated: int = 0  # member ratings written
    years: range = range(0)


def demo_seed_all(
    *,
    today: datetime.date,
    scale: float = 1.0,
    log: Callable[[str], None],
    stdout=None,
    province_done: Callable[[province.DemoPlan | None], None] = lambda _plan: None,
) -> DemoSeedResult:
    """Build whatever of the demo is missing; `stdout` takes the ratings' progress lines and
    `province_done` is told as soon as the province step is over (with None if it existed)."""
    plan = province.demo_seed(today=today, scale=scale, log=log)
    province_done(plan)
    users = province.demo_users_ensure()
    # Ratings need the reviewer login (it signs the past decisions); rounds that exist
    # already are skipped, so a second run writes nothing.
    root = Organization.objects.get(code=province.PROVINCE_CODE)
    rated = seed_ratings(root=root, stdout=stdout)
    # Demo targets and the 2017 baselines of DOMAIN §6 for the dashboard.
    ensure_indicator_catalogue(targets_for=root)
    # The dashboard's tallies (PostgreSQL): built once; later changes mark their units.
    tallies_rebuild_if_stale()
    return DemoSeedResult(plan=plan, users=users, rated=rated, years=demo_years())
