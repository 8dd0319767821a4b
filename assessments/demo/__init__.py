"""Synthetic data, above the core: the demo province of `make run` and the province generator
of the benchmarks. Nothing in cells or in the assessments core imports it.

- drawing: the one way ratings are drawn under a year's rules (both data sets use it);
- province_data, people, province_plan, province: the fictional demo province ("SH…"),
  planned in memory from a seed, then written through cells.services;
- ratings: ten years of demo ratings, checked with the pure rules before they are written;
- seed: what `manage.py seed_demo` does (province, logins, ratings, indicators, tallies);
- generator/: a province-sized data set written with COPY (`manage.py generate_province`).

The demo ratings' public names are re-exported here (`from assessments import demo`).
"""

from .drawing import CURRENT_STATES, MEMBER_WEIGHTS, ORGANIZATION_WEIGHTS, POINT_RANGES
from .ratings import (
    DEMO_RATINGS_SEED,
    DEMO_REVIEWER,
    FIRST_DEMO_YEAR,
    FIRST_YEAR_IN_PROGRESS,
    RETURN_COMMENTS,
    DemoRatingError,
    demo_years,
    seed_ratings,
    year_in_progress,
)

__all__ = [
    "CURRENT_STATES",
    "DEMO_RATINGS_SEED",
    "DEMO_REVIEWER",
    "FIRST_DEMO_YEAR",
    "FIRST_YEAR_IN_PROGRESS",
    "MEMBER_WEIGHTS",
    "ORGANIZATION_WEIGHTS",
    "POINT_RANGES",
    "RETURN_COMMENTS",
    "DemoRatingError",
    "demo_years",
    "seed_ratings",
    "year_in_progress",
]
