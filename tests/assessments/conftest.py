"""Builders for rating tests: members of a cell, rounds, users with a role, grid saves."""

import datetime
from decimal import Decimal

import pytest

from assessments import services
from assessments.services import RowInput
from cells.choices import OrganizationType as T
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


# --- Who decides (HD 43 §3): a đảng bộ cơ sở with chi bộ trực thuộc, rated in 2026 -----------
YEAR = 2026
POINTS = Decimal("80")


@pytest.fixture
def school(province):
    """A đảng bộ cơ sở in the new commune: two chi bộ trực thuộc, and a đảng bộ bộ phận
    holding a third."""
    d = datetime.date(2020, 1, 1)
    school = factories.org(
        province.new_commune,
        "BG-AH-TH",
        "Đảng bộ Trường THPT An Hòa",
        T.GRASSROOTS_COMMITTEE,
        is_grassroots=True,
        established_on=d,
    )
    cell_a = factories.org(school, "BG-AH-TH-A", "Chi bộ Giáo viên", T.CELL, established_on=d)
    cell_b = factories.org(school, "BG-AH-TH-B", "Chi bộ Hành chính", T.CELL, established_on=d)
    block = factories.org(
        school, "BG-AH-TH-K", "Đảng bộ bộ phận Khối A", T.SUB_COMMITTEE, established_on=d
    )
    cell_c = factories.org(block, "BG-AH-TH-K-C", "Chi bộ Tổ Toán", T.CELL, established_on=d)
    members = {c: make_members(c, 2, family=f"Trần {c.code[-1]}") for c in (cell_a, cell_b, cell_c)}
    return school, cell_a, cell_b, block, cell_c, members


@pytest.fixture
def people(province, school):
    return {
        "school_reviewer": factories.user_with_role(school[0], Role.REVIEWER),
        "school_secretary": factories.user_with_role(school[0], Role.SECRETARY),
        "commune_reviewer": factories.user_with_role(province.new_commune, Role.REVIEWER),
        "province_reviewer": factories.user_with_role(province.province, Role.REVIEWER),
        "cell_admin": factories.user_with_role(school[1], Role.ADMIN),
    }


def proposed_round(school):
    """The school's 2026 round with every member and sub-unit proposed HTTNV (80 points)."""
    org, cell_a, cell_b, block, cell_c, members = school
    round_ = open_round(org, YEAR)
    save_levels(round_, {m: "good" for ms in members.values() for m in ms}, points=POINTS)
    for unit in (cell_a, cell_b, block, cell_c):
        round_.refresh_from_db()
        services.organization_rating_save(
            actor=None, round=round_, organization=unit, level="good", points=POINTS
        )
    round_.refresh_from_db()
    return round_
