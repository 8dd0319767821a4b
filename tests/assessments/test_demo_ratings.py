"""assessments.demo.seed_ratings: ten years of demo ratings that the rules themselves accept."""

import datetime
import io
from collections import Counter

import pytest
from django.db.models import F

from assessments import demo, facts, rules, selectors
from assessments.choices import RoundState
from assessments.models import MemberRating, OrganizationRating, RatingRound
from cells.choices import EventKind, PostKind
from cells.models import Post
from tests.factories import UserFactory, member, member_event

D = datetime.date
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Lan", "Minh", "Nga", "Phúc"]


@pytest.fixture
def tree(province):
    """The small province with members whose history crosses the 2025 merge, and the events
    the rules read: discipline, exemption, suspension, long sick leave, a late admission."""
    p = province
    people = [
        member(p.new_cell, f"Nguyễn Văn {GIVEN[n % len(GIVEN)]}", admitted_on=D(1990 + n, 3, 1))
        for n in range(24)
    ]
    people += [
        member(p.other_cell, f"Trần Thị {GIVEN[n]}", admitted_on=D(2001, 5, 1)) for n in range(6)
    ]
    people += [member(p.foreign_cell, f"Lê Văn {GIVEN[n]}") for n in range(4)]
    late = member(p.new_cell, "Phạm Văn Tới", admitted_on=D(2024, 9, 1))
    member_event(people[0], EventKind.DISCIPLINE, D(2020, 5, 12), discipline_form="warning")
    member_event(people[1], EventKind.EXEMPTION, D(2019, 3, 1))
    member_event(people[2], EventKind.SUSPENSION, D(2022, 2, 1), end=D(2023, 3, 1))
    member_event(people[3], EventKind.SICK_LEAVE, D(2021, 2, 1), end=D(2021, 7, 31))
    member_event(people[4], EventKind.DISCIPLINE, D(2023, 8, 1), discipline_form="reprimand")
    # A commune committee member disciplined: O2 caps the commune in that year.
    Post.objects.create(
        member=people[0],
        kind=PostKind.PARTY,
        title="Đảng ủy viên",
        organization=p.old_commune,
        start=D(2015, 6, 1),
        end=D(2025, 6, 30),
    )
    p.people, p.late = people, late
    return p


def blocking(violations):
    return [v for v in violations if v.is_blocking]


def rule_errors() -> list[str]:
    """Re-check every round with the services' own readers (selectors and facts)."""
    errors = []
    for round_ in RatingRound.objects.select_related("organization"):
        grid = selectors.build_grid(round=round_, include_missing=True)
        errors += [f"{round_}: {v.message}" for v in blocking(grid.violations)]
        scheme = selectors.scheme_for(round_.year)
        for rating in OrganizationRating.objects.filter(round=round_).select_related(
            "organization"
        ):
            org_facts = facts.organization_facts_for(
                organization=rating.organization, year=rating.year, points=rating.points
            )
            errors += [
                f"{rating}: {v.message}"
                for v in blocking(
                    rules.check_organization_rating(
                        scheme,
                        org_facts,
                        level=rating.proposed_level or None,
                        not_rated_reason=rating.not_rated_reason or None,
                        not_rated_note=rating.not_rated_note,
                    )
                )
            ]
    return errors


def snapshot() -> list[tuple]:
    return sorted(
        [
            *MemberRating.objects.values_list(
                "member_id", "year", "proposed_level", "decided_level", "points", "version"
            ),
            *OrganizationRating.objects.values_list(
                "organization_id", "year", "proposed_level", "decided_level", "points", "version"
            ),
            *RatingRound.objects.values_list(
                "organization_id", "year", "state", "scheme_code", "version", "return_comment"
            ),
        ],
        key=repr,
    )


def test_seed_ratings_breaks_no_rule_in_any_round(tree):
    """Every round of 2016 to the year in progress passes the rules of its scheme, every
    member included."""
    out = io.StringIO()
    written = demo.seed_ratings(stdout=out)

    assert written == MemberRating.objects.count() > 0
    assert rule_errors() == []
    rounds = RatingRound.objects.all()
    assert {r.year for r in rounds} == set(range(2016, demo.year_in_progress() + 1))
    # Each year on its own structure: the old commune until 2024, the new hamlet cell in 2025.
    by_year = {(r.organization.code, r.year) for r in rounds.select_related("organization")}
    assert ("BG-PA-AH", 2024) in by_year and ("BG-PA-AH", 2025) not in by_year
    assert ("BG-AH-AH01", 2025) in by_year and ("BG-AH-AH01", 2024) not in by_year
    assert {r.scheme_code for r in rounds.filter(year=2016)} == {"hd27-2014"}
    assert str(demo.year_in_progress()) in out.getvalue()


def test_seed_ratings_follows_the_caps_and_gives_reasons(tree):
    """Disciplined → lowest level; exempt, suspended, newly admitted → not rated with reason."""
    demo.seed_ratings()
    p = tree

    def rating(person, year):
        return MemberRating.objects.get(member=person, year=year)

    assert rating(p.people[0], 2020).proposed_level == "not_complete"
    assert rating(p.people[1], 2020).not_rated_reason == "exempt"
    assert rating(p.people[2], 2022).not_rated_reason == "suspended"
    assert rating(p.people[3], 2021).proposed_level in ("complete", "not_complete")
    assert rating(p.late, 2024).not_rated_reason == "newly_admitted"
    assert rating(p.late, 2025).proposed_level != ""
    # O2 (2019–2022): a committee member disciplined with a warning → the commune is KHTNV.
    commune = OrganizationRating.objects.get(organization=p.old_commune, year=2020)
    assert commune.proposed_level == "not_complete"
    # Points from 2025, in the band of the level.
    for r in MemberRating.objects.filter(year=2025).exclude(proposed_level=""):
        band = {"excellent": 90, "good": 70, "complete": 50, "not_complete": 0}
        assert r.points is not None and r.points >= band[r.proposed_level]
    assert not MemberRating.objects.filter(year__lt=2025, points__isnull=False).exists()


def test_seed_ratings_past_years_published_current_year_in_progress(tree):
    """Past rounds are decided and published; the rounds of the year being rated are still
    moving through the steps."""
    demo.seed_ratings()
    moving = demo.year_in_progress()

    past = RatingRound.objects.filter(year__lt=moving)
    assert set(past.values_list("state", flat=True)) == {RoundState.PUBLISHED}
    assert all(r.decided_at and r.published_at for r in past)
    assert not MemberRating.objects.filter(year__lt=moving).exclude(
        decided_level=F("proposed_level")
    )
    current = RatingRound.objects.filter(year=moving)
    assert set(current.values_list("state", flat=True)) <= {
        RoundState.DRAFT,
        RoundState.SUBMITTED,
        RoundState.RETURNED,
        RoundState.DECIDED,
    }
    for r in current.filter(state=RoundState.RETURNED):
        assert r.return_comment
    for r in current.filter(state__in=[RoundState.DRAFT, RoundState.SUBMITTED]):
        assert not r.member_ratings.exclude(decided_level="").exists()


def test_seed_ratings_distribution_and_quota(tree):
    """Most members are HTTNV, some HTXSNV, never above the quota of their organization."""
    demo.seed_ratings()

    levels = Counter(
        MemberRating.objects.filter(year__gte=2019)
        .exclude(proposed_level="")
        .values_list("proposed_level", flat=True)
    )
    rated = sum(levels.values())
    assert 0.6 <= levels["good"] / rated <= 0.95
    assert 0 < levels["excellent"] / rated <= 0.2
    for round_ in RatingRound.objects.filter(year__gte=2019):
        counts = Counter(round_.member_ratings.values_list("proposed_level", flat=True))
        assert counts["excellent"] <= counts["good"] // 5


def test_seed_ratings_is_idempotent(tree):
    """A second run writes nothing and changes nothing."""
    assert demo.seed_ratings() > 0
    before = snapshot()

    assert demo.seed_ratings() == 0
    assert snapshot() == before


def test_seed_ratings_decided_by_the_demo_reviewer_when_present(tree):
    """Decisions of past years carry the demo reviewer's login when it exists."""
    reviewer = UserFactory(username=demo.DEMO_REVIEWER)
    demo.seed_ratings(years=[2020])

    assert set(RatingRound.objects.values_list("decided_by", flat=True)) == {reviewer.pk}


def test_year_in_progress_follows_the_rating_year_from_2025():
    """The demo's moving year is the year being rated (this year from November), never
    before the 2025 reorganisation of its structure."""
    d = datetime.date
    assert demo.year_in_progress(d(2025, 3, 1)) == 2025
    assert demo.year_in_progress(d(2026, 10, 31)) == 2025
    assert demo.year_in_progress(d(2026, 11, 1)) == 2026
    assert demo.demo_years(d(2027, 12, 1)) == range(2016, 2028)
