"""The in-memory plan of a generated province: the tree, the people and their dated history.

Everything is decided here from one `random.Random(seed)` and the years, with no database
access, so the same arguments always give the same province. The writer
(assessments.demo.generator.writer) turns the plan into rows; the ratings
(assessments.demo.generator.ratings) are drawn from it. The tree is planned in `structure`,
the people and their posts in `people`, on the dataclasses of `entities`.

Shape (DOMAIN §2, §9): a province → districts (until 30/06/2025) → old communes (grassroots,
until 30/06/2025) → cells; and, from 01/07/2025, the commune-level units that merged 1–4 old
communes each, directly under the province, with one successor cell per old cell (two old
hamlet cells sometimes merge into one, the clinics of a merged commune always do). Each
district also has grassroots cells (chi bộ cơ sở: high school, health centre) that move under
a new commune in 2025.
"""

from __future__ import annotations

import random

from .entities import (
    D,
    Plan,
    T,
)
from .people import assign_numbers, build_people, plan_posts
from .structure import build_structure, residential_units


def build_plan(
    *,
    code: str,
    province_name: str,
    members: int,
    communes: int,
    first_year: int,
    last_year: int,
    seed: int,
    taken_cards: set[str] = frozenset(),
    taken_ids: set[str] = frozenset(),
    block: int | None = None,
) -> Plan:
    """Everything the generated province holds except the ratings, from `seed` only."""
    rng = random.Random(seed)
    reference_day = D(last_year, 12, 1)
    province, orgs = build_structure(
        rng, code=code, province_name=province_name, members=members, communes=communes
    )
    current_cells = [o for o in orgs if o.type in (T.CELL, T.GRASSROOTS_CELL) and o.size]
    people = build_people(rng, current_cells, first_year=first_year, reference_day=reference_day)
    assign_numbers(
        rng, people, code=code, taken_cards=set(taken_cards), taken_ids=set(taken_ids), block=block
    )
    communes_2025 = [o for o in province.children if o.dissolved_on is None]
    plan = Plan(
        province=province,
        orgs=orgs,
        people=people,
        units=residential_units(rng, communes_2025),
        first_year=first_year,
        last_year=last_year,
        reference_day=reference_day,
    )
    plan_posts(rng, plan)
    return plan
