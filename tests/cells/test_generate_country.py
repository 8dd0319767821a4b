"""Several generated provinces under a national root in one database (issue #20), tiny size.

The scale data set of docs/benchmarks.md ("1.2 million members") is this, with 3 × 400,000
members; here 2 provinces of 300 members and the two years of the 2025– regime keep it fast.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from assessments import rules
from assessments.demo.generator import (
    CountryGenerationError,
    ProvinceExistsError,
    generate_country,
    generate_province,
)
from assessments.indicators import tally
from assessments.models import (
    AssignedTask,
    MemberRating,
    OrganizationRating,
    PointsItem,
    RatingRound,
    ScoreSheet,
)
from assessments.regime_selectors import points_items_for
from cells.choices import OrganizationType
from cells.models import Member, Organization

D = datetime.date
SIZE = {"members": 300, "communes": 2, "first_year": 2025, "last_year": 2026, "seed": 11}


def _generate(codes=("TA", "TB")):
    return generate_country(national="VN", codes=list(codes), **SIZE)


def _signature(code: str) -> list:
    """What a province's draw decided: members' names and each rating's levels and points."""
    members = list(
        Member.objects.filter(record_number__endswith=code)
        .order_by("record_number")
        .values_list("full_name", "birth_date")
    )
    ratings = list(
        MemberRating.objects.filter(member__record_number__endswith=code)
        .order_by("member__record_number", "year")
        .values_list("year", "proposed_level", "decided_level", "points")
    )
    sheets = list(
        ScoreSheet.objects.filter(member_rating__member__record_number__endswith=code)
        .order_by("member_rating__member__record_number", "member_rating__year", "stage")
        .values_list("stage", "general", "tasks", "tasks_suggested")
    )
    return [members, ratings, sheets]


@pytest.fixture
def country(db):
    result = _generate()
    return result, Organization.objects.get(code="VN")


def test_generate_country_tree_score_sheets_tallies_and_national_page(country, client):
    """One generation (the slow part) read three ways: the tree, the sheets, the tallies and
    the national page."""
    result, root = country
    _check_tree(result, root)
    _check_score_sheets(root)
    _check_tallies_and_national_page(root, client)


def _check_tree(result, root):
    """One root of the national type, the provinces its children at depth 2 (treebeard finds
    no problem in the bulk-written paths), each with its own 2025 units and members."""
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    assert (root.type, root.depth, root.numchild) == (OrganizationType.NATIONAL, 1, 2)
    provinces = list(Organization.objects.get_children(root))
    assert [(p.code, p.depth, p.type) for p in provinces] == [
        ("TA", 2, OrganizationType.PROVINCE),
        ("TB", 2, OrganizationType.PROVINCE),
    ]
    for province in provinces:
        units = Organization.objects.get_children(province).filter(dissolved_on=None)
        assert units.count() == SIZE["communes"]
        assert all(u.path.startswith(province.path) and u.depth == 3 for u in units)
    assert [p.code for p in result.provinces] == ["TA", "TB"]
    assert Member.objects.filter(record_number__endswith="TB").count() >= SIZE["members"]
    # Both provinces were drawn: 2026 rounds in progress in each, tasks for 2026.
    for province in provinces:
        states = set(
            RatingRound.objects.filter(
                year=2026, organization__path__startswith=province.path
            ).values_list("state", flat=True)
        )
        assert "draft" in states and states & {"decided", "submitted"}
        assert RatingRound.objects.filter(
            year=2025, organization__path__startswith=province.path, state="published"
        ).exists()
    assert AssignedTask.objects.filter(year=2026).count() >= 2 * 2 * SIZE["members"]
    # The tree keeps working through treebeard: a province added by hand goes under the root.
    with transaction.atomic():
        added = Organization.objects.add_child(
            root, instance=Organization(code="TZ", name="Đảng bộ tỉnh Thử", type="province")
        )
        assert added.depth == 2 and Organization.objects.find_problems() == ([], [], [], [], [])
        transaction.set_rollback(True)


def _check_score_sheets(root):
    """Every 30 + 70 sheet is within its parts (P1), the appraisal adds up to the rating's
    points (P2), a 70 part off the ledger's suggestion carries a reason (P3); the stages
    are those the round has reached, and each province's items are found for its units."""
    sheets = ScoreSheet.objects.all()
    assert sheets.filter(member_rating__isnull=False).exists()
    assert sheets.filter(organization_rating__isnull=False).exists()
    for sheet in sheets.select_related("member_rating", "organization_rating"):
        rating = sheet.member_rating or sheet.organization_rating
        total = rating.points if sheet.stage == "committee" else None
        problems = rules.parts_problems(
            general=sheet.general,
            tasks=sheet.tasks,
            total=total,
            suggested=sheet.tasks_suggested,
            reason=sheet.tasks_reason,
        )
        assert problems == [], (sheet.pk, sheet.stage, problems)
        assert sum(Decimal(v) for v in sheet.items.values()) == sheet.general + sheet.tasks
    # Suggestions come from the member's task ledger of the year.
    with_tasks = sheets.exclude(tasks_suggested=None).filter(tasks=F("tasks_suggested"))
    assert with_tasks.count() > sheets.count() // 2
    stages = {
        state: set(sheets.filter(member_rating__round__state=state).values_list("stage", flat=True))
        for state in ("draft", "submitted", "decided", "published")
    }
    assert stages["draft"] == {"self"}
    assert stages["submitted"] == {"self", "cell"}
    assert stages["published"] == {"self", "cell", "committee"}
    assert not MemberRating.objects.filter(year=2026, points__isnull=False, score_sheets=None)
    # Each province set its own items; a cell two levels under a province finds them.
    for province in Organization.objects.get_children(root):
        cell = Organization.objects.filter(
            path__startswith=province.path, type="cell", dissolved_on=None
        ).first()
        items = points_items_for(organization=cell, year=2026)
        mine = set(PointsItem.objects.filter(province=province, year=2026).values_list("pk"))
        assert {int(i.key) for i in items} == {pk for (pk,) in mine} and len(items) == 7
    assert not OrganizationRating.objects.filter(
        year=2026, points__isnull=False, score_sheets=None
    ).exists()


def _check_tallies_and_national_page(root, client):
    """The tallies are built once for the whole country; the national root's dashboard lists
    its provinces (a superuser, as the benchmark reads it)."""
    assert tally.covers([2025, 2026])
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("quantri", password="x-pass-123456")
    client.force_login(admin)
    url = reverse("assessments:dashboard_detail", kwargs={"org_pk": root.pk, "year": 2026})
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    for province in Organization.objects.get_children(root):
        assert province.name in page


def test_generate_country_is_reproducible_and_refuses_taken_codes(db):
    """The same arguments give the same country; the first province is the one
    generate_province draws alone from the same seed and code; a taken code is refused
    before anything is written."""

    def drawn(generate) -> list:
        with transaction.atomic():
            generate()
            found = [_signature("TA"), _signature("TB")]
            transaction.set_rollback(True)
        return found

    first = drawn(lambda: generate_country(national="VN", codes=["TA", "TB"], **SIZE))
    alone = drawn(lambda: generate_province(code="TA", **SIZE))
    generate_country(national="VN", codes=["TA", "TB"], **SIZE)
    again = [_signature("TA"), _signature("TB")]
    assert first == again
    assert alone[0] == again[0] and alone[1] == [[], [], []]
    assert again[0] != again[1]  # each province from its own seed
    with pytest.raises(ProvinceExistsError):
        generate_country(national="VN", codes=["TF", "TA"], **SIZE)
    assert not Organization.objects.filter(code="TF").exists()
    with pytest.raises(CommandError):
        call_command("generate_country", "--provinces", "2", "--codes", "TB,TG")


def _tables() -> dict[str, list]:
    """Every row the generator and the tally rebuild wrote, in id order."""
    from assessments.demo.generator.province import WRITTEN_MODELS
    from assessments.models import IndicatorTally

    return {
        model._meta.db_table: list(model.objects.order_by("pk").values_list())
        for model in (*WRITTEN_MODELS, IndicatorTally)
    }


def _empty_tables() -> None:
    """Back to an empty database with fresh sequences, as a second fresh database would be."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {Organization._meta.db_table}, {Member._meta.db_table} "  # noqa: S608
            "RESTART IDENTITY CASCADE"
        )


@pytest.mark.django_db(transaction=True)
def test_generate_country_in_parallel_gives_the_same_rows():
    """Two worker processes write, table by table, the rows one process writes (ids, card
    numbers, CCCDs, paths, tallies), each province's progress lines named by its code; no
    two provinces share a card number or a CCCD."""
    options = {**SIZE, "national": "VN", "codes": ["TA", "TB", "TC"]}
    _empty_tables()
    generate_country(**options, jobs=1)
    alone = _tables()
    _empty_tables()
    lines: list[str] = []
    result = generate_country(**options, jobs=2, log=lines.append)
    assert _tables() == alone
    assert [p.code for p in result.provinces] == ["TA", "TB", "TC"]
    for code in ("TA", "TB", "TC"):
        assert any(line.startswith(f"{code} [") and "committed" in line for line in lines)
    assert any("tallies counted in 2 processes" in line for line in lines)
    members = Member.objects.all()
    for column in ("card_number", "citizen_id"):
        numbers = list(members.exclude(**{column: None}).values_list(column, flat=True))
        assert len(numbers) == len(set(numbers)) > 2 * SIZE["members"]
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    assert Organization.objects.get(code="VN").numchild == 3 and tally.covers([2025, 2026])


@pytest.mark.django_db(transaction=True)
def test_generate_country_stops_every_worker_when_a_province_fails():
    """A province whose load fails (a record number already taken) stops the run with its
    code and what was committed; it left nothing, the root counts only what did commit, and
    no tallies claim the country is built."""
    from tests import factories

    province = factories.org(None, "BG", "Đảng bộ tỉnh Bình Giang", OrganizationType.PROVINCE)
    cell = factories.org(province, "BG-01", "Chi bộ Thôn 1", OrganizationType.GRASSROOTS_CELL)
    factories.member(cell, record_number="000001TB")
    with pytest.raises(CountryGenerationError) as failed:
        generate_country(national="VN", codes=["TA", "TB"], jobs=2, **SIZE)
    message = str(failed.value)
    assert "province TB" in message and "Committed before the stop" in message
    assert not Organization.objects.filter(code="TB").exists()
    root = Organization.objects.get(code="VN")
    assert root.numchild == Organization.objects.filter(depth=2, path__startswith=root.path).count()
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    assert tally.window() is None
