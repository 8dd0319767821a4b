"""Builders for rating tests: members of a cell, rounds, users with a role, grid saves."""

import datetime
from decimal import Decimal

import pytest

from assessments import services
from assessments.services import RowInput
from cells.choices import Role
from tests import factories

GIVEN_NAMES = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Lan", "Minh", "Nga"]


def make_members(cell, count, *, family="Nguyễn Văn", **fields):
    """`count` members of `cell` with distinct names (admitted long ago unless told)."""
    return [
        factories.member(
            cell,
            f"{family} {GIVEN_NAMES[i % len(GIVEN_NAMES)]} {i // len(GIVEN_NAMES) + 1}",
            **fields,
        )
        for i in range(count)
    ]


def open_round(organization, year):
    return services.round_get_or_create(actor=None, organization=organization, year=year)


def save_levels(round_, levels, *, actor=None, points=None, check_rules=False):
    """Save {member: level} (level "" with a reason given as (level, reason)) on a fresh round:
    a draft by default; `check_rules` as an import saves (the rules refuse errors)."""
    round_.refresh_from_db()
    rows = []
    for member, value in levels.items():
        level, reason = value if isinstance(value, tuple) else (value, "")
        rows.append(
            RowInput(
                member_id=member.pk,
                level=level,
                not_rated_reason=reason,
                points=None if points is None else Decimal(points),
            )
        )
    return services.member_ratings_save(
        actor=actor,
        round=round_,
        rows=rows,
        round_version=round_.version,
        check_rules=check_rules,
    )


def submit(round_, actor=None):
    round_.refresh_from_db()
    return services.round_submit(actor=actor, round=round_, round_version=round_.version)


@pytest.fixture
def commune(province):
    """The pre-2025 commune (a grassroots đảng bộ, decided by the district) and its cells."""
    return province.old_commune


@pytest.fixture
def secretary(province):
    return factories.user_with_role(province.old_commune, Role.SECRETARY)


@pytest.fixture
def district_reviewer(province):
    return factories.user_with_role(province.district, Role.REVIEWER)


@pytest.fixture
def round_2021(province):
    """A 2021 round (quota 20% of HTTNV, Hướng dẫn 21-HD/BTCTW) of the old commune."""
    return open_round(province.old_commune, 2021)


@pytest.fixture
def long_ago():
    return datetime.date(2000, 1, 1)
