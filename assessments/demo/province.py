"""The fictional demo province built by `manage.py seed_demo` (codes "SH…"; no real person).

Two steps. `demo_plan` (province_plan, over the tables of province_data) decides everything in
memory from a fixed random seed and a reference day: the pre-2025 tree (two districts, their
communes and cells), the commune-level units that took over on 01/07/2025, the members with
their events, posts and followers. So the same seed and day always give the same data.
`demo_seed` then writes the plan: organizations and members go through cells.services, so
memberships through the 2025 merge and the effect of leaving events are exactly what a real
import produces; rows without domain logic (residential units, posts, followers, terms) are
bulk-created to keep the demo start fast.
"""

import datetime
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction

from cells import services
from cells.choices import ResidentialUnitKind, Role
from cells.models import CellFollower, Organization, Post, ResidentialUnit, RoleAssignment, Term

from .province_data import (
    DEMO_PASSWORD,
    DEMO_USERS,
    OLD_FOUNDED,
    PROVINCE_CODE,
    PROVINCE_NAME,
    REFORM_DAY,
    CellPlan,
    CommunePlan,
    DemoPlan,
    DemoUser,
    PersonPlan,
    T,
)
from .province_plan import demo_plan, residential_unit_kind, unit_name

# The names the seed command and the tests read from here.
__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "PROVINCE_CODE",
    "PROVINCE_NAME",
    "CellPlan",
    "CommunePlan",
    "DemoPlan",
    "DemoUser",
    "PersonPlan",
    "Role",
    "demo_exists",
    "demo_plan",
    "demo_seed",
    "demo_users_ensure",
]


def _terms(plan: DemoPlan) -> list[tuple[str, int, int]]:
    terms = [(PROVINCE_CODE, 2015, 2020), (PROVINCE_CODE, 2020, 2025), (PROVINCE_CODE, 2025, 2030)]
    for unit in plan.districts + plan.old_communes:
        terms += [(unit.code, 2015, 2020), (unit.code, 2020, 2025)]
    terms += [(unit.code, 2025, 2030) for unit in plan.new_communes]
    return terms


def _org_fields(unit: CommunePlan | CellPlan, orgs: dict) -> dict:
    is_cell = isinstance(unit, CellPlan)
    grassroots = unit.type in (T.GRASSROOTS_CELL, T.COMMUNE, T.WARD, T.TOWNSHIP)
    abbreviation = "CB" if is_cell else {T.PROVINCE: "TU", T.DISTRICT: "HU"}.get(unit.type, "ĐU")
    return {
        "code": unit.code,
        "name": unit.name if is_cell else unit_name(unit),
        "type": unit.type,
        "is_grassroots": grassroots,
        "established_on": unit.established_on,
        "dissolved_on": unit.dissolved_on,
        "successor": orgs[unit.successor] if unit.successor else None,
        "document_abbreviation": abbreviation,
    }


def demo_exists() -> bool:
    """Whether the demo province is in the database (then seeding again does nothing)."""
    return Organization.objects.filter(code=PROVINCE_CODE).exists()


@transaction.atomic
def demo_seed(
    *, today: datetime.date, scale: float = 1.0, log: Callable[[str], None] = lambda _: None
) -> DemoPlan | None:
    """Write the demo province once; None when it is already there (the seed is idempotent)."""
    if demo_exists():
        return None
    plan = demo_plan(today=today, scale=scale)
    orgs: dict[str, Organization] = {}

    def create(unit, parent_code):
        parent = orgs.get(parent_code) if parent_code else None
        orgs[unit.code] = services.organization_create(
            actor=None, parent=parent, audit=False, **_org_fields(unit, orgs)
        )

    province = CommunePlan(PROVINCE_CODE, T.PROVINCE, "", "", OLD_FOUNDED)
    orgs[PROVINCE_CODE] = services.organization_create(
        actor=None,
        parent=None,
        audit=False,
        **_org_fields(province, orgs) | {"name": PROVINCE_NAME},
    )
    nodes = [(unit, PROVINCE_CODE) for unit in plan.new_communes + plan.districts]
    nodes += [(c, unit.code) for unit in plan.new_communes + plan.districts for c in unit.cells]
    nodes += [(old, old.parent) for old in plan.old_communes]
    nodes += [(c, old.code) for old in plan.old_communes for c in old.cells]
    # Parents first, then the units that took over before those they replaced (the link is
    # set on creation), siblings in code order so that treebeard appends and never shifts.
    nodes.sort(key=lambda n: (n[1].count("-"), n[0].successor is not None, n[0].code))
    for unit, parent_code in nodes:
        create(unit, parent_code)
    log(f"{PROVINCE_NAME}: {len(orgs)} tổ chức đảng")

    members = [None] * len(plan.persons)
    for new in plan.new_communes:
        indexes = [i for i, p in enumerate(plan.persons) if p.commune == new.code]
        for i in indexes:
            person = plan.persons[i]
            member = services.member_create(
                actor=None, cell=orgs[person.cell], audit=False, **person.fields
            )
            if person.transfer_to:
                services.member_transfer(
                    actor=None, member=member, cell=orgs[person.transfer_to], on=REFORM_DAY
                )
            for event in sorted(person.events, key=lambda e: e["start"]):
                services.member_event_create(actor=None, member=member, audit=False, **event)
            members[i] = member
        units = [
            ResidentialUnit(
                name=f"{_unit_label(new)} {u}",
                kind=residential_unit_kind(new.type),
                commune=orgs[new.code],
                cell=orgs[c.code],
            )
            for c in new.cells
            if c.kind == "hamlet"
            for u in c.units
        ]
        units += [
            ResidentialUnit(
                name=f"{_unit_label(new)} {u}",
                kind=residential_unit_kind(new.type),
                commune=orgs[new.code],
            )
            for u in new.gap_units
        ]
        ResidentialUnit.objects.bulk_create(units)
        log(f"  {unit_name(new)}: {len(new.cells)} chi bộ, {len(indexes)} đảng viên")

    Post.objects.bulk_create(
        Post(
            member=members[i],
            kind=kind,
            title=title,
            organization=orgs[code],
            start=start,
            end=end,
            is_hamlet_head=head,
        )
        for i, kind, title, code, start, end, head in plan.posts
    )
    CellFollower.objects.bulk_create(
        CellFollower(member=members[i], cell=orgs[code], start=start, end=end)
        for i, code, start, end in plan.followers
    )
    Term.objects.bulk_create(
        Term(organization=orgs[code], start_year=start, end_year=end)
        for code, start, end in _terms(plan)
    )
    return plan


def _unit_label(commune: CommunePlan) -> str:
    return (
        "Tổ dân phố"
        if residential_unit_kind(commune.type) == ResidentialUnitKind.STREET_GROUP
        else "Thôn"
    )


def demo_users_ensure() -> list[tuple[DemoUser, Organization | None]]:
    """Create or reset the demo logins and their dated roles (every run: a forgotten password
    or a deleted role is restored). Units missing from the database are skipped."""
    User = get_user_model()
    result = []
    units = Organization.objects.in_bulk([u.unit_code for u in DEMO_USERS], field_name="code")
    for spec in DEMO_USERS:
        unit = units.get(spec.unit_code)
        user, _ = User.objects.get_or_create(username=spec.username)
        user.first_name, user.last_name = spec.first_name, spec.last_name
        if spec.named_after_secretary and unit is not None:
            secretary = Post.objects.filter(organization=unit, title="Bí thư chi bộ").first()
            if secretary is not None:
                family_middle, _, given = secretary.member.full_name.rpartition(" ")
                user.first_name, user.last_name = family_middle, given
        user.is_superuser = user.is_staff = spec.superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
        if unit is not None:
            RoleAssignment.objects.update_or_create(
                user=user,
                organization=unit,
                role=spec.role,
                defaults={"start": spec.start, "end": spec.end},
            )
        result.append((spec, unit))
    return result
