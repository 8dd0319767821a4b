"""`manage.py seed_demo`: the fictional demo province, its members' history and demo logins."""

import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from assessments.demo import province as demo
from cells import selectors
from cells.choices import COMMUNE_LEVEL_TYPES, EventKind, Gender, OrganizationType, Role
from cells.models import (
    CellFollower,
    Member,
    MemberEvent,
    Membership,
    Organization,
    Post,
    ResidentialUnit,
    RoleAssignment,
    Term,
)
from cells.permissions import active_assignments

TODAY = datetime.date(2026, 11, 27)
SMALL = 0.1
# Words that would precede a name as a form of address ("Anh", "Chi" are also given names).
HONORIFICS = {"ông", "bà", "anh", "chị", "cô", "chú", "bác", "đồng", "đ/c", "đc"}


def seed(scale: float = SMALL) -> str:
    out = io.StringIO()
    call_command("seed_demo", scale=scale, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="class")
def small_demo(django_db_setup, django_db_blocker):
    """The demo at a tenth of its size, seeded once for a class and rolled back after it
    (the structure does not shrink with the scale: only the members per cell do)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


def current_persons(plan: demo.DemoPlan) -> list[demo.PersonPlan]:
    leaving = {EventKind.DEATH, EventKind.TRANSFER_OUT}
    return [p for p in plan.persons if not any(e["kind"] in leaving for e in p.events)]


def years_between(start: datetime.date, end: datetime.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def assert_realistic_name(name: str) -> None:
    words = name.split()
    assert len(words) >= 3, name
    assert words[0].casefold() not in HONORIFICS, name
    assert "đồng chí" not in name.casefold(), name


def test_demo_plan_is_deterministic():
    """The same seed and day give exactly the same members, events and posts."""
    first = demo.demo_plan(today=TODAY)
    second = demo.demo_plan(today=TODAY)
    assert [p.fields for p in first.persons] == [p.fields for p in second.persons]
    assert [p.events for p in first.persons] == [p.events for p in second.persons]
    assert first.posts == second.posts
    assert first.followers == second.followers


def test_demo_plan_members_look_like_a_real_province():
    """Names, gender share, ages, probationers and record numbers follow reality's shape."""
    persons = current_persons(demo.demo_plan(today=TODAY))
    fields = [p.fields for p in persons]
    assert len(fields) >= 1500
    for f in fields:
        assert_realistic_name(f["full_name"])
        assert 19 <= years_between(f["birth_date"], TODAY) <= 90
        assert years_between(f["birth_date"], f["admitted_on"]) >= 18
        assert re.fullmatch(r"\d{6}SH", f["record_number"])
        if f["full_member_on"]:
            assert re.fullmatch(r"\d{8}", f["card_number"])
        else:
            assert f["card_number"] is None
            assert (TODAY - f["admitted_on"]).days < 365
        assert f["citizen_id"] is None or re.fullmatch(r"098\d{9}", f["citizen_id"])
    women = sum(f["gender"] == Gender.FEMALE for f in fields) / len(fields)
    probationary = sum(f["full_member_on"] is None for f in fields) / len(fields)
    assert 0.35 <= women <= 0.45
    assert 0.015 <= probationary <= 0.05
    assert len({f["record_number"] for f in fields}) == len(fields)
    assert sum(f["ethnicity"] != "Kinh" for f in fields) > 0
    assert {f["religion"] for f in fields} == {"", "Phật giáo", "Công giáo"}
    women_names = [f["full_name"].split()[1] for f in fields if f["gender"] == Gender.FEMALE]
    assert "Văn" not in women_names
    assert "Thị" not in [f["full_name"].split()[1] for f in fields if f["gender"] == Gender.MALE]


@pytest.mark.django_db
@pytest.mark.usefixtures("small_demo")
class TestSmallDemo:
    def test_seed_demo_builds_the_tree_before_and_after_the_2025_reform(self):
        """Two dissolved districts with merged communes; six or more units under the province
        today, each with cells that took over from the old ones; some hamlets without a cell."""
        province = Organization.objects.get(code=demo.PROVINCE_CODE)
        communes = Organization.objects.get_children(province).filter(
            type__in=COMMUNE_LEVEL_TYPES, dissolved_on__isnull=True
        )
        assert communes.count() >= 6
        assert all(c.is_grassroots and c.document_abbreviation == "ĐU" for c in communes)
        assert all(c.is_active_on(timezone.localdate()) for c in communes)
        assert selectors.cells_under(organization=province, on=timezone.localdate()).count() >= 60

        district = Organization.objects.get(code="SH-YH")
        assert district.type == OrganizationType.DISTRICT
        assert district.dissolved_on == datetime.date(2025, 6, 30)
        old_communes = Organization.objects.get_children(district)
        old_communes = old_communes.filter(type__in=COMMUNE_LEVEL_TYPES)
        assert 4 <= old_communes.count() <= 5
        for old in old_communes:
            assert old.dissolved_on == datetime.date(2025, 6, 30)
            assert old.successor.is_active_on(timezone.localdate())
            old_cells = Organization.objects.get_children(old)
            assert 6 <= old_cells.count() <= 10
            assert all(c.successor_id and c.dissolved_on == old.dissolved_on for c in old_cells)
        merged = Organization.objects.annotate(n=Count("predecessors")).filter(
            type=OrganizationType.CELL, n=2
        )
        assert merged.exists()
        district_level = Organization.objects.filter(
            type=OrganizationType.GRASSROOTS_CELL, path__startswith=district.path
        )
        assert district_level.get().successor.is_active_on(timezone.localdate())

        units = ResidentialUnit.objects.filter(commune__in=communes)
        assert 3 <= units.filter(cell__isnull=True).count() <= 5
        joint = units.values("cell").annotate(n=Count("id")).filter(cell__isnull=False, n__gt=1)
        assert joint.exists()
        assert set(
            Term.objects.filter(organization=province).values_list("start_year", "end_year")
        ) >= {(2020, 2025), (2025, 2030)}

    def test_seed_demo_members_have_history_through_the_merge(self):
        """Members placed in today's cells were members of the old cells in 2020, including the
        members of two old cells merged into one; a death or a transfer out ends the membership."""
        old_cell = (
            Organization.objects.filter(code__startswith="SH-YH-AL-", successor__isnull=False)
            .annotate(n=Count("successor__predecessors"))
            .filter(n=1)
            .first()
        )
        in_2020 = selectors.members_of(organization=old_cell, on=datetime.date(2020, 12, 31))
        assert in_2020.exists()
        today = set(selectors.members_of(organization=old_cell.successor, on=timezone.localdate()))
        leaving = [EventKind.DEATH, EventKind.TRANSFER_OUT]
        left = set(Member.objects.filter(events__kind__in=leaving))
        assert set(in_2020) <= today | left

        merged = Organization.objects.annotate(n=Count("predecessors")).filter(n=2).first()
        members = selectors.members_of(organization=merged, on=timezone.localdate())
        before = Member.objects.none()
        for predecessor in merged.predecessors.all():
            before |= selectors.members_of(organization=predecessor, on=datetime.date(2024, 12, 31))
        assert set(before) & set(members)

        assert not Membership.objects.filter(
            member__events__kind__in=[EventKind.DEATH, EventKind.TRANSFER_OUT], end__isnull=True
        ).exists()
        kinds = set(MemberEvent.objects.values_list("kind", flat=True))
        assert kinds >= {
            EventKind.EXEMPTION,
            EventKind.SUSPENSION,
            EventKind.SICK_LEAVE,
            EventKind.MATERNITY_LEAVE,
            EventKind.DISCIPLINE,
            EventKind.DEATH,
            EventKind.TRANSFER_OUT,
        }
        maternity = MemberEvent.objects.filter(kind=EventKind.MATERNITY_LEAVE)
        assert set(maternity.values_list("member__gender", flat=True)) == {Gender.FEMALE}

    def test_seed_demo_gives_each_cell_a_committee_and_a_follower(self):
        """Every cell of today has a secretary and is followed by a committee member of its commune;
        some secretaries also head their hamlet."""
        province = Organization.objects.get(code=demo.PROVINCE_CODE)
        cells = selectors.cells_under(organization=province, on=timezone.localdate())
        secretaries = Post.objects.filter(title="Bí thư chi bộ", organization__in=cells)
        assert secretaries.values("organization").distinct().count() == cells.count()
        heads = Post.objects.filter(is_hamlet_head=True, end__isnull=True)
        assert heads.filter(member__in=secretaries.values("member")).exists()
        for follower in CellFollower.objects.filter(cell__in=cells).select_related("cell"):
            commune = Organization.objects.get_parent(follower.cell)
            assert Post.objects.filter(member=follower.member_id, organization=commune).exists()
        assert CellFollower.objects.filter(cell__in=cells).values("cell").distinct().count() == (
            cells.count()
        )

    def test_seed_demo_users_log_in_with_their_dated_roles(self, client, small_demo):
        """One login per role, with the demo password; the district reviewer's role ended with
        the district, so it grants nothing today but did in 2024."""
        output = small_demo
        expected = {
            "admin": (Role.ADMIN, "SH"),
            "thamdinh.tinh": (Role.REVIEWER, "SH"),
            "vanphong.anlac": (Role.SECRETARY, "SH-ALA"),
            "danguy.anlac": (Role.REVIEWER, "SH-ALA"),
            "chibo.anlac": (Role.SECRETARY, "SH-ALA-02"),
            "baocao.tinh": (Role.REPORTS, "SH"),
            "thamdinh.yenhoa": (Role.REVIEWER, "SH-YH"),
        }
        for username, (role, code) in expected.items():
            assert client.login(username=username, password=demo.DEMO_PASSWORD), username
            assignment = RoleAssignment.objects.select_related("user", "organization").get(
                user__username=username
            )
            assert (assignment.role, assignment.organization.code) == (role, code)
            assert len(assignment.user.get_full_name().split()) >= 3
            assert username in output
        assert "partybuild-demo" in output
        admin = RoleAssignment.objects.get(user__username="admin").user
        assert admin.is_superuser
        district = RoleAssignment.objects.get(user__username="thamdinh.yenhoa")
        assert district.start == datetime.date(2020, 7, 1)
        assert district.end == datetime.date(2025, 6, 30)
        assert not selectors.organizations_visible_to(user=district.user).exists()
        in_2024 = active_assignments(district.user, on=datetime.date(2024, 12, 31))
        assert [a.organization.code for a in in_2024] == ["SH-YH"]
        cell_user = RoleAssignment.objects.get(user__username="chibo.anlac").user
        secretary = Post.objects.get(organization__code="SH-ALA-02", title="Bí thư chi bộ")
        assert cell_user.get_full_name() == secretary.member.full_name


@pytest.mark.django_db
def test_seed_demo_full_size_is_idempotent():
    """The default demo holds over 1,500 members in today's cells with realistic names; a
    second run says the data is there and changes no count."""
    seed(scale=1.0)
    models = [Organization, Member, Membership, MemberEvent, Post, CellFollower, Term]
    models += [ResidentialUnit, RoleAssignment, get_user_model()]
    counts = {m.__name__: m.objects.count() for m in models}
    province = Organization.objects.get(code=demo.PROVINCE_CODE)
    assert selectors.members_of(organization=province, subtree=True).count() >= 1500
    for name in Member.objects.values_list("full_name", flat=True):
        assert_realistic_name(name)

    output = seed(scale=1.0)
    assert "đã có sẵn" in output
    assert counts == {m.__name__: m.objects.count() for m in models}
