"""Resolution 22 indicators on small hand-built trees, each expected value worked out by hand.

Two published results check the arithmetic (DOMAIN §6):
- Đồng Tháp 2012, 787 grassroots organizations: 87.97 / 10.22 / 1.42 / 0.39 % cannot come from
  787 rated (87.97% of 787 = 692.3, no integer count gives it). The one denominator between 700
  and 900 that reproduces all four is 773 rated: 680 / 79 / 11 / 3 (14 not rated); "tiêu biểu
  20.59%" is 140 of the 680 TSVM.
- Hải Dương 2019, 662 of 686 rated, 91.2% HTTNV or better: 604 / 662 = 91.24%. 23.8% HTXSNV is no
  integer count of 662 (157 → 23.72, 158 → 23.87); it is 163 of all 686 (23.76%), which we use.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from assessments import dashboard, indicators, schemes
from assessments.choices import MeetingKind, NotRatedReason, RoundState
from assessments.models import (
    CellMeeting,
    Indicator,
    IndicatorTarget,
    MemberRating,
    NewRuralRecognition,
    OrganizationRating,
    RatingRound,
)
from cells.choices import OrganizationType as T
from cells.choices import PostKind
from cells.models import Organization, Post, ResidentialUnit
from tests import factories

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True, params=["live", "tallies"])
def counting(request, db):
    """Every test twice: counted live from the source tables, and read from the per-unit
    tallies built before the test wrote its rows (the triggers mark them; reading recomputes)."""
    if request.param == "tallies":
        indicators.tally.tallies_rebuild()
    return request.param


def _org(parent, code, type_=T.COMMUNE, **fields):
    fields.setdefault("established_on", D(1990, 1, 1))
    node = Organization(code=code, name=f"Đơn vị {code}", type=type_, **fields)
    if parent is None:
        return Organization.objects.add_root(instance=node)
    return Organization.objects.add_child(parent, instance=node)


def _rate_orgs(orgs, year, levels, *, state=RoundState.DECIDED, exemplary=0, reason="exempt"):
    """One round per org and a rating with the given levels in order ('' = not rated)."""
    scheme = schemes.scheme_for_year(year).code
    rounds = RatingRound.objects.bulk_create(
        [RatingRound(organization=o, year=year, scheme_code=scheme, state=state) for o in orgs]
    )
    decided = state in (RoundState.DECIDED, RoundState.PUBLISHED)
    OrganizationRating.objects.bulk_create(
        [
            OrganizationRating(
                round=r,
                organization=o,
                year=year,
                proposed_level=level,
                decided_level=level if decided else "",
                not_rated_reason="" if level else reason,
                is_exemplary=n < exemplary,
            )
            for n, (r, o, level) in enumerate(zip(rounds, orgs, levels, strict=True))
        ]
    )
    return rounds


@pytest.fixture
def tree():
    """province P → communes A (2 cells), B (1 cell); all grassroots communes."""
    p = _org(None, "P", T.PROVINCE)
    a = _org(p, "P-A", is_grassroots=True)
    b = _org(p, "P-B", is_grassroots=True)
    a1, a2 = _org(a, "P-A-1", T.CELL), _org(a, "P-A-2", T.CELL)
    b1 = _org(b, "P-B-1", T.CELL)
    return p, a, b, a1, a2, b1


def _scope(node, **kw):
    return indicators.Scope(node=node, **kw)


def test_indicators_dong_thap_2012_grassroots_percentages():
    """773 rated of 787 (680 TSVM incl. 140 tiêu biểu, 79 HTTNV, 11 HTNV, 3 Yếu kém) give
    exactly the published 87.97 / 10.22 / 1.42 / 0.39 % and 20.59% tiêu biểu."""
    p = _org(None, "DT", T.PROVINCE)
    orgs = [_org(p, f"DT-{n:03d}", is_grassroots=True) for n in range(787)]
    levels = (
        [schemes.PURE_STRONG] * 680
        + [schemes.GOOD] * 79
        + [schemes.COMPLETE] * 11
        + [schemes.WEAK] * 3
        + [""] * 14
    )
    _rate_orgs(orgs, 2012, levels, exemplary=140)
    r = indicators.compute(scope=_scope(p), years=[2012])
    assert r.value("gro_rated", 2012) == 773
    assert r.value("gro_excellent_pct", 2012) == Decimal("87.97")
    assert r.value("gro_good_pct", 2012) == Decimal("10.22")
    assert r.value("gro_complete_pct", 2012) == Decimal("1.42")
    assert r.value("gro_weak_pct", 2012) == Decimal("0.39")
    assert r.value("gro_exemplary_pct", 2012) == Decimal("20.59")
    assert r.value("gro_not_rated", 2012) == 14
    assert r.counters(2012)["gro.not_rated.exempt"] == 14
    assert r.counters(2012)["exist.gro"] == 787


def test_indicators_hai_duong_2019_good_or_better():
    """662 of 686 rated, 163 HTXSNV + 441 HTTNV = 604 → 91.24% good or better (91.2%);
    163 / 686 existing = 23.76% (the published 23.8%); 163 / 662 rated = 24.62%."""
    p = _org(None, "HD", T.PROVINCE)
    orgs = [_org(p, f"HD-{n:03d}", is_grassroots=True) for n in range(686)]
    levels = [schemes.EXCELLENT] * 163 + [schemes.GOOD] * 441 + [schemes.COMPLETE] * 58 + [""] * 24
    _rate_orgs(orgs, 2019, levels)
    r = indicators.compute(scope=_scope(p), years=[2019])
    assert r.value("gro_rated", 2019) == 662
    assert r.value("gro_good_or_better_pct", 2019) == Decimal("91.24")
    assert r.value("gro_excellent_pct", 2019) == Decimal("24.62")
    c = r.counters(2019)
    assert (c["gro.r3"], c["exist.gro"]) == (163, 686)


def test_indicators_official_figures_count_decided_rounds_only(tree):
    """A submitted (undecided) round is 'pending' in the official figures; with proposals
    included its proposed levels count."""
    p, a, b, *_ = tree
    _rate_orgs([a], 2024, [schemes.EXCELLENT])
    _rate_orgs([b], 2024, [schemes.NOT_COMPLETE], state=RoundState.SUBMITTED)
    official = indicators.compute(scope=_scope(p), years=[2024])
    assert official.value("gro_rated", 2024) == 1
    assert official.value("gro_pending", 2024) == 1
    assert official.value("gro_good_or_better_pct", 2024) == Decimal("100.00")
    proposals = indicators.compute(scope=_scope(p, include_proposals=True), years=[2024])
    assert proposals.value("gro_good_or_better_pct", 2024) == Decimal("50.00")
    assert proposals.value("gro_weak", 2024) == 1


def test_indicators_weak_two_consecutive_years(tree):
    """B is KHTNV in 2023 and 2024 → flagged; A only in 2024 → not flagged."""
    p, a, b, *_ = tree
    _rate_orgs([a, b], 2023, [schemes.GOOD, schemes.NOT_COMPLETE])
    _rate_orgs([a, b], 2024, [schemes.NOT_COMPLETE, schemes.NOT_COMPLETE])
    r = indicators.compute(scope=_scope(p), years=[2024])
    assert r.value("gro_weak", 2024) == 2
    assert r.value("gro_weak_consecutive", 2024) == 1
    kind, qs = indicators.drill(scope=_scope(p), year=2024, counter="gro.weak2")
    assert (kind, [o.code for o in qs]) == ("organization", ["P-B"])


def _member_ratings(round_, cell, levels, year=2024):
    members = [factories.member(cell, f"Trần Văn {cell.code}{n}") for n in range(len(levels))]
    MemberRating.objects.bulk_create(
        [
            MemberRating(
                round=round_,
                member=m,
                year=year,
                cell=cell,
                proposed_level=level if isinstance(level, str) else "",
                decided_level=level if isinstance(level, str) else "",
                not_rated_reason="" if isinstance(level, str) else level[1],
            )
            for m, level in zip(members, levels, strict=True)
        ]
    )
    return members


def test_indicators_members_by_level_ratio_and_drill_down(tree):
    """A1: 1 HTXSNV, 4 HTTNV, 1 exempt; B1: 1 HTTNV, 1 KHTNV. Rated 7: HTXSNV 14.29%,
    good or better 6/7 = 85.71%, HTXSNV/HTTNV = 1/5 = 20%; children: A 5/5, B 1/2."""
    p, a, b, a1, _a2, b1 = tree
    (ra,) = _rate_orgs([a], 2024, [schemes.GOOD])
    (rb,) = _rate_orgs([b], 2024, [schemes.GOOD])
    g, x = schemes.GOOD, schemes.EXCELLENT
    _member_ratings(ra, a1, [x, g, g, g, g, ("", NotRatedReason.EXEMPT)])
    _member_ratings(rb, b1, [g, schemes.NOT_COMPLETE])
    r = indicators.compute(scope=_scope(p), years=[2024])
    assert r.value("mem_rated", 2024) == 7
    assert r.value("mem_excellent_pct", 2024) == Decimal("14.29")
    assert r.value("mem_good_or_better_pct", 2024) == Decimal("85.71")
    assert r.value("mem_excellent_to_good_pct", 2024) == Decimal("20.00")
    assert r.counters(2024)["mem.not_rated.exempt"] == 1
    assert r.value("mem_good_or_better_pct", 2024, a.path) == Decimal("100.00")
    assert r.value("mem_good_or_better_pct", 2024, b.path) == Decimal("50.00")
    assert r.value("members", 2024) == 8
    kind, qs = indicators.drill(scope=_scope(p), year=2024, counter="mem.r0", bucket=b.path)
    assert kind == "member" and [m.full_name for m in qs] == ["Trần Văn P-B-11"]
    _k, qs = indicators.drill(scope=_scope(p), year=2024, counter="mem.r0", bucket=a.path)
    assert list(qs) == []


def test_indicators_admissions_rate_women_youth_minority_religious(tree):
    """10 members admitted before 2024, 4 admitted in 2024: 2 women, 1 aged 30 (youth),
    1 aged 31 (not youth), 1 Tày, 1 Công giáo. Rate = 4 per 10 members at start = 40."""
    p, _a, _b, a1, _a2, b1 = tree
    for n in range(10):
        factories.member(a1, f"Lê Văn Cũ {n}")
    new = dict(admitted_on=D(2024, 6, 1))
    factories.member(a1, "Lê Thị A", gender="female", birth_date=D(1994, 6, 1), **new)
    factories.member(a1, "Lê Thị B", gender="female", birth_date=D(1993, 5, 31), **new)
    factories.member(b1, "Lò Văn C", ethnicity="Tày", **new)
    factories.member(b1, "Phạm Văn D", ethnicity="Kinh", religion="Công giáo", **new)
    r = indicators.compute(scope=_scope(p), years=[2024])
    assert r.value("admissions", 2024) == 4
    assert r.value("admission_rate", 2024) == Decimal("40.00")
    assert r.value("admission_women_pct", 2024) == Decimal("50.00")
    assert r.value("admission_youth_pct", 2024) == Decimal("25.00")
    assert r.value("admission_minority_pct", 2024) == Decimal("25.00")
    assert r.value("admission_religious_pct", 2024) == Decimal("25.00")


def test_indicators_hamlet_coverage_and_gap_list(tree):
    """Commune A: hamlet 1 with its own cell, hamlets 2–3 in a joint cell, hamlet 4 with no
    cell → independent 25%, joint 2, no cell 1; the gap list names hamlet 4."""
    p, a, _b, a1, a2, _b1 = tree
    ResidentialUnit.objects.create(name="Thôn 1", commune=a, cell=a1)
    ResidentialUnit.objects.create(name="Thôn 2", commune=a, cell=a2)
    ResidentialUnit.objects.create(name="Thôn 3", commune=a, cell=a2)
    ResidentialUnit.objects.create(name="Thôn 4", commune=a, cell=None)
    r = indicators.compute(scope=_scope(p), years=[2024])
    assert r.value("hamlet_independent_pct", 2024) == Decimal("25.00")
    assert r.value("hamlet_joint", 2024) == 2
    assert r.value("hamlet_no_cell", 2024) == 1
    kind, qs = indicators.drill(scope=_scope(p), year=2024, counter="ru.no_cell", bucket=a.path)
    assert (kind, [u.name for u in qs]) == ("residential_unit", ["Thôn 4"])


def test_indicators_cadre_qualification(tree):
    """Commune A committee: 1 university, 1 intermediate → 50% degree; officials: one with
    intermediate professional and theory, one elementary → 50% / 50%; the secretary of cell
    A1 is also hamlet head, the secretary of A2 is not → 50%."""
    p, a, _b, a1, a2, _b1 = tree
    m = [factories.member(a1, f"Vũ Văn {n}") for n in range(6)]
    m[0].professional_level = "university"
    m[1].professional_level = "intermediate"
    m[2].professional_level, m[2].political_theory = "intermediate", "intermediate"
    m[3].professional_level = "elementary"
    for x in m:
        x.save()
    start = D(2020, 1, 1)
    for x, kind, title, org, head in [
        (m[0], PostKind.PARTY, "Bí thư Đảng ủy", a, False),
        (m[1], PostKind.PARTY, "Đảng ủy viên", a, False),
        (m[2], PostKind.GOVERNMENT, "Chủ tịch UBND xã", a, False),
        (m[3], PostKind.GOVERNMENT, "Phó Chủ tịch UBND xã", a, False),
        (m[4], PostKind.PARTY, "Bí thư chi bộ", a1, False),
        (m[4], PostKind.GOVERNMENT, "Trưởng thôn", a1, True),
        (m[5], PostKind.PARTY, "Bí thư chi bộ", a2, False),
    ]:
        Post.objects.create(
            member=x, kind=kind, title=title, organization=org, start=start, is_hamlet_head=head
        )
    r = indicators.compute(scope=_scope(p), years=[2024])
    assert r.value("committee_degree_pct", 2024) == Decimal("50.00")
    assert r.value("official_professional_pct", 2024) == Decimal("50.00")
    assert r.value("official_theory_pct", 2024) == Decimal("50.00")
    assert r.value("secretary_hamlet_head_pct", 2024) == Decimal("50.00")


def test_indicators_cell_meetings(tree):
    """A1 meets every month (plus 2 thematic meetings), A2 misses December, B1 never meets:
    1 of 3 cells = 33.33%; thematic per cell 2 / 3 = 0.67."""
    p, _a, _b, a1, a2, _b1 = tree
    for month in range(1, 13):
        CellMeeting.objects.create(cell=a1, held_on=D(2024, month, 5), attended=5, expected=6)
        if month < 12:
            CellMeeting.objects.create(cell=a2, held_on=D(2024, month, 5), attended=5, expected=6)
    for day in (10, 20):
        CellMeeting.objects.create(
            cell=a1, held_on=D(2024, 3, day), kind=MeetingKind.THEMATIC, attended=5, expected=6
        )
    r = indicators.compute(scope=_scope(p), years=[2024])
    assert r.value("cells_full_meetings_pct", 2024) == Decimal("33.33")
    assert r.value("thematic_per_cell", 2024) == Decimal("0.67")


def test_indicators_new_rural_communes_cumulative(tree):
    """A recognised in 2020, B in 2025: by 2024 one of two communes (50%), by 2025 both."""
    p, a, b, *_ = tree
    NewRuralRecognition.objects.create(commune=a, year=2020)
    NewRuralRecognition.objects.create(commune=b, year=2025)
    r = indicators.compute(scope=_scope(p), years=[2024, 2025])
    assert r.value("new_rural_communes", 2024) == 1
    assert r.value("new_rural_pct", 2024) == Decimal("50.00")
    assert r.value("new_rural_communes", 2025) == 2


def test_indicators_merge_mapping_onto_todays_units(province):
    """2020 ratings of the old commune BG-PA-AH sit under the district BG-PA on the 2020 tree
    and under today's BG-AH when mapped; viewed from BG-AH they only appear when mapped."""
    (r2020,) = _rate_orgs([province.old_commune], 2020, [schemes.GOOD])
    OrganizationRating.objects.create(
        round=r2020, organization=province.old_cell, year=2020, decided_level=schemes.EXCELLENT
    )
    year_tree = indicators.compute(scope=_scope(province.province), years=[2020])
    assert year_tree.value("gro_rated", 2020, province.district.path) == 1
    assert [c.code for c in _scope(province.province).children(2020)] == ["BG-PA"]
    mapped_scope = _scope(province.province, mapped=True)
    mapped = indicators.compute(scope=mapped_scope, years=[2020])
    assert mapped.value("gro_rated", 2020, province.new_commune.path) == 1
    assert mapped.value("gro_rated", 2020, province.district.path) is not None
    assert mapped.value("gro_rated", 2020, province.district.path) == 0
    assert [c.code for c in mapped_scope.children(2020)] == ["BG-AH"]
    here = indicators.compute(scope=_scope(province.new_commune), years=[2020])
    assert here.value("gro_rated", 2020) == 0
    here_mapped_scope = _scope(province.new_commune, mapped=True)
    here_mapped = indicators.compute(scope=here_mapped_scope, years=[2020])
    assert here_mapped.value("gro_rated", 2020) == 1
    # The old cell's own successor is the new cell: it rolls up there.
    assert here_mapped.value("cell_rated", 2020, province.new_cell.path) == 1


def _add_commune(parent, n):
    commune = _org(parent, f"{parent.code}-N{n:02d}", is_grassroots=True)
    cell = _org(commune, f"{commune.code}-1", T.CELL)
    (round_,) = _rate_orgs([commune], 2024, [schemes.GOOD])
    _member_ratings(round_, cell, [schemes.GOOD, schemes.EXCELLENT])
    ResidentialUnit.objects.create(name="Thôn 1", commune=commune, cell=None)
    return commune


@pytest.mark.parametrize("mapped", [False, True])
def test_dashboard_get_query_count_does_not_grow_with_children(
    tree, django_assert_max_num_queries, mapped, counting
):
    """The page's queries are the same for 2 and for 8 children (one per family, bounded).
    From the tallies, recomputing the units marked since the last read adds a fixed number
    of queries (one per tallied family and basis), whatever the number of marked units.
    Mapping adds three (a dissolution not yet in force? the units mapped in, the stored
    mapping of the units met) and reads today's children on their own."""
    p = tree[0]
    bound = (16 if counting == "live" else 30) + (2 if mapped else 0)
    indicators.ensure_indicator_catalogue(targets_for=p)
    for n in range(2):
        _add_commune(p, n)
    with django_assert_max_num_queries(bound) as small:
        dashboard.dashboard_get(user=None, node=p, year=2024, mapped=mapped)
    for n in range(2, 8):
        _add_commune(p, n)
    with django_assert_max_num_queries(bound) as large:
        data = dashboard.dashboard_get(user=None, node=p, year=2024, mapped=mapped)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(data.rows) == 10


def test_dashboard_targets_gap_and_nearest_scope(tree):
    """A province target of 90% applies to a commune without its own; 100% − 90% = gap 10."""
    p, a, *_ = tree
    indicators.ensure_indicator_catalogue(targets_for=p)
    _rate_orgs([a], 2024, [schemes.GOOD])
    data = dashboard.dashboard_get(user=None, node=a, year=2024)
    card = next(c for c in data.cards if c.indicator.code == "gro-good-or-better")
    assert card.value == Decimal("100.00")
    assert card.target.target_value == Decimal("90") and card.target.organization == p
    assert card.gap == Decimal("10.00") and card.met is True


def test_ensure_indicator_catalogue_is_idempotent(tree):
    """Running it twice keeps one row per indicator and one target per demo entry, with the
    2017 baselines of DOMAIN §6."""
    p = tree[0]
    first = indicators.ensure_indicator_catalogue(targets_for=p)
    second = indicators.ensure_indicator_catalogue(targets_for=p)
    assert first == second == Indicator.objects.count()
    target = IndicatorTarget.objects.get(indicator__code="official-theory", organization=p)
    assert (target.baseline_year, target.baseline_value) == (2017, Decimal("64.00"))
    assert Indicator.objects.get(code="gro-good-or-better").source_number == "22-NQ/TW"


def test_indicators_command_prints_json(tree, capsys):
    """`indicators --org P --year 2024 --format json` prints every indicator with its value."""
    p, a, b, *_ = tree
    indicators.ensure_indicator_catalogue()
    _rate_orgs([a, b], 2024, [schemes.GOOD, schemes.COMPLETE])
    call_command("indicators", "--org", "P", "--year", "2024", "--format", "json")
    payload = json.loads(capsys.readouterr().out)
    by_code = {row["code"]: row for row in payload["indicators"]}
    assert by_code["gro-good-or-better"]["value"] == "50.00"
    # Every indicator of the year: the "tiêu biểu" share has no meaning after 2017.
    assert len(by_code) == Indicator.objects.exclude(code="gro-exemplary").count()
