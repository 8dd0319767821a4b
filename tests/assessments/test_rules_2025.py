"""The 2025– regime (Quy định 366-QĐ/TW, Hướng dẫn 43-HD/BTCTW; DOMAIN §4.1, §4.3), one table
per clause, with the boundary cases of issue #14. Pure: no database.
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from assessments import rules
from assessments.rules import (
    EventFact,
    MemberFacts,
    MemberRatingInput,
    OrganizationFacts,
    OrganizationRatingInput,
    TasksSummary,
    check_member_rating,
    check_member_ratings,
    check_organization_rating,
    max_level_for,
    organization_quota_violations,
    quota_counts,
)
from assessments.rules.article11 import TaskCount, highest_rank_by_tasks, task_caps
from assessments.rules.ceilings import PeerGroupRule, QuotaCeiling, ceiling_problems, peer_group_for
from assessments.rules.deciders import COMMITTEE, STANDING_COMMITTEE, Node, decider_for
from assessments.rules.points import (
    DEFAULT_ITEMS,
    SCORING_PASS_FAIL,
    PointsItemSpec,
    far_below_band,
    items_problems,
    parts_from_items,
    parts_problems,
    suggest_task_points,
)
from assessments.schemes import Rank, scheme_for_year

YEAR = 2026
SCHEME = scheme_for_year(YEAR)
LONG_AGO = date(2000, 1, 1)


def tasks(assigned, *, on_time=None, late=0, exceeded=0, remedied_not_done=0):
    on_time = assigned - late if on_time is None else on_time
    return TasksSummary(
        assigned=assigned,
        done=on_time + late,
        done_on_time=on_time,
        exceeded=exceeded,
        not_done_remedied=remedied_not_done,
    )


def member(*, points=95, task_summary=None, remedied=True, events=()):
    return MemberFacts(
        member_id=1,
        year=YEAR,
        admitted_on=LONG_AGO,
        points=Decimal(points),
        tasks=task_summary,
        events=tuple(events),
        earlier_shortcomings_remedied=remedied,
    )


def violations(level, **facts):
    rating = MemberRatingInput(member_id=1, level=level)
    return check_member_rating(SCHEME, member(**facts), rating)


def blocking(level, **facts):
    return [v for v in violations(level, **facts) if v.is_blocking]


# === Điều 11, members: points × task conditions ================================================
@pytest.mark.parametrize(
    ("points", "exceeded", "level", "refused"),
    [
        (90, 30, "excellent", False),
        (90, 29, "excellent", True),
        (89, 30, "excellent", True),
        (89, 29, "good", False),
        (90, 29, "good", False),
        (Decimal("89.99"), 100, "excellent", True),
    ],
    ids=["90-30%", "90-29%", "89-30%", "89-29%-httnv", "90-29%-httnv", "89.99-all-exceeded"],
)
def test_htxsnv_needs_90_points_and_30_percent_exceeding(points, exceeded, level, refused):
    """HTXSNV: ≥ 90 points and ≥ 30% of the tasks exceeding requirements (100 tasks here)."""
    found = blocking(level, points=points, task_summary=tasks(100, exceeded=exceeded))
    assert bool(found) is refused
    assert all(v.code == "M5" for v in found)


def test_htxsnv_refusal_says_why_with_the_count():
    """The refusal names the missing share and the count: "…vượt yêu cầu: 1/4"."""
    (found,) = blocking("excellent", task_summary=tasks(4, exceeded=1))
    assert "chưa đủ 30% nhiệm vụ vượt yêu cầu: 1/4" in found.message
    assert "tối đa Hoàn thành tốt nhiệm vụ" in found.message


def test_htxsnv_needs_earlier_shortcomings_remedied():
    (found,) = blocking("excellent", task_summary=tasks(4, exceeded=2), remedied=False)
    assert "chưa khắc phục hết hạn chế, khuyết điểm" in found.message


@pytest.mark.parametrize(
    ("summary", "level", "refused", "text"),
    [
        (tasks(10), "good", False, ""),
        (tasks(10, late=1), "good", True, "chưa hoàn thành 100% nhiệm vụ đúng tiến độ: 9/10"),
        (tasks(10, late=2), "complete", False, ""),  # 20% late: HTNV
        (tasks(100, late=21), "complete", True, "quá 20% nhiệm vụ chậm tiến độ: 21/100"),
        (tasks(100, late=20), "complete", False, ""),
        (tasks(10, on_time=9), "complete", True, "còn nhiệm vụ chưa hoàn thành: 1/10"),
        (tasks(10, on_time=4), "not_complete", False, ""),
    ],
    ids=[
        "httnv-all-on-time",
        "httnv-one-late",
        "htnv-20%-late",
        "htnv-21%-late",
        "htnv-20/100-late",
        "htnv-one-not-done",
        "khtnv-allowed",
    ],
)
def test_httnv_and_htnv_task_conditions(summary, level, refused, text):
    """HTTNV: 100% on time. HTNV: 100% completed and ≤ 20% late (points 75 or 60 fit)."""
    points = 75 if level == "good" else 60
    found = blocking(level, points=points, task_summary=summary)
    assert bool(found) is refused
    assert text in " ".join(v.message for v in found)


@pytest.mark.parametrize(
    ("not_done", "remedied", "listed"),
    [(6, 0, True), (5, 0, False), (6, 2, False)],
    ids=["6/10-not-done", "5/10-not-done", "6/10-two-self-remedied"],
)
def test_khtnv_more_than_half_not_completed_unless_self_remedied(not_done, remedied, listed):
    """The listed KHTNV case: > 50% of tasks not completed, those found and remedied aside."""
    summary = tasks(10, on_time=10 - not_done, remedied_not_done=remedied)
    caps = task_caps(summary.counts)
    texts = [c.why for c in caps if c.missing_for is None]
    assert bool(texts) is listed
    if listed:
        assert texts == [f"quá 50% nhiệm vụ trong năm không hoàn thành: {not_done}/10"]
    # Still not HTNV: not every task was completed.
    assert highest_rank_by_tasks(summary.counts) == Rank.NOT_COMPLETE


def test_no_task_recorded_leaves_the_task_conditions_out():
    assert blocking("excellent", task_summary=None) == []
    assert highest_rank_by_tasks(None) == Rank.EXCELLENT
    assert highest_rank_by_tasks(TaskCount(assigned=0, on_time=0, late=0, exceeded=0)) == (
        Rank.EXCELLENT
    )


def test_grid_cap_lists_only_conditions_below_the_points_band():
    """At 75 points (HTTNV band) the missing 30% exceeding is no reason: the band says it."""
    cap = max_level_for(member(points=75, task_summary=tasks(4, exceeded=1)), SCHEME)
    assert cap.level == "good" and cap.reasons[0].message.startswith("Đảng viên đạt 75 điểm")
    assert len(cap.reasons) == 1


# === Điều 11, collectives: the organization's own tasks ========================================
def org(*, points=95, sub_levels=("excellent", "good", "good", "good", "good"), **kwargs):
    kwargs.setdefault("established_on", LONG_AGO)
    return OrganizationFacts(
        organization_id="CB01",
        year=YEAR,
        is_committee=False,
        points=Decimal(points),
        sub_levels=tuple(sub_levels),
        **kwargs,
    )


@pytest.mark.parametrize(
    ("facts", "level", "text"),
    [
        ({"tasks": tasks(4, exceeded=1)}, "excellent", "chưa đủ 30% nhiệm vụ vượt yêu cầu: 1/4"),
        ({"tasks": tasks(4, exceeded=2)}, "excellent", ""),
        ({"tasks": tasks(5, late=1)}, "good", "chưa hoàn thành 100% nhiệm vụ đúng tiến độ: 4/5"),
        ({"tasks": tasks(5, late=1), "points": 80}, "complete", ""),
        (
            {"tasks": tasks(5, exceeded=2), "earlier_shortcomings_remedied": False},
            "excellent",
            "khắc",
        ),
    ],
    ids=["1/4-exceeding", "2/4-exceeding", "one-late-httnv", "one-late-htnv", "not-remedied"],
)
def test_organization_own_tasks_count_for_its_rating(facts, level, text):
    found = check_organization_rating(SCHEME, org(**facts), level=level)
    messages = " ".join(v.message for v in found if v.is_blocking)
    assert (text in messages and bool(messages)) if text else messages == ""
    assert all(v.code == "O4" for v in found if v.is_blocking)


# === O1: nothing rated yet is not "100% rated HTNV or better" ==================================
@pytest.mark.parametrize(
    ("sub_levels", "refused"),
    [((), True), ((None, None), True), (("good",) * 4 + ("excellent",), False)],
    ids=["none-below", "none-rated", "all-rated"],
)
def test_o1_not_met_when_nothing_is_rated(sub_levels, refused):
    found = check_organization_rating(SCHEME, org(sub_levels=sub_levels), level="excellent")
    assert any(v.code == "O1" for v in found) is refused
    if refused:
        assert "Chưa có đảng viên nào được xếp loại" in found[0].message


# === O3 / O4: disciplined sub-units and leadership ==============================================
@pytest.mark.parametrize(
    ("disciplined", "units", "level", "codes"),
    [
        (1, 5, "complete", []),  # 20%: not more than 20%
        (2, 7, "complete", ["O3"]),  # 28,57%
        (1, 5, "excellent", ["O4"]),  # any disciplined sub-unit bars HTXSNV
        (0, 5, "excellent", []),
    ],
    ids=["1-of-5", "2-of-7", "1-of-5-htxsnv", "none"],
)
def test_o3_o4_disciplined_sub_units(disciplined, units, level, codes):
    facts = org(
        points=95 if level == "excellent" else 60,
        sub_unit_count=units,
        disciplined_sub_unit_count=disciplined,
        sub_levels=("good",) * 4 + ("excellent",),
    )
    found = check_organization_rating(SCHEME, facts, level=level)
    assert sorted({v.code for v in found if v.is_blocking}) == codes


def test_o3_collective_discipline_of_the_year():
    reprimand = EventFact(kind="discipline", start=date(YEAR, 3, 1), discipline_form="reprimand")
    old = EventFact(kind="discipline", start=date(YEAR - 1, 3, 1), discipline_form="warning")
    assert [
        v.code
        for v in check_organization_rating(
            SCHEME, org(points=60, collective_disciplines=(reprimand,)), level="complete"
        )
    ] == ["O3"]
    assert (
        check_organization_rating(
            SCHEME, org(points=60, collective_disciplines=(old,)), level="complete"
        )
        == []
    )


# === M2: sick leave in calendar months ==========================================================
def sick(start, end=None):
    return EventFact(kind="sick_leave", start=start, end=end)


@pytest.mark.parametrize(
    ("spells", "months", "capped"),
    [
        ([(date(YEAR, 2, 1), date(YEAR, 4, 30))], 3, True),
        ([(date(YEAR, 2, 1), date(YEAR, 4, 29))], 2, False),
        ([(date(2024, 2, 1), date(2024, 4, 30))], 3, True),  # leap year: 90 days, same months
        ([(date(YEAR, 1, 1), date(YEAR, 3, 30))], 2, False),  # 89 days, 2 months and 30 days
        ([(date(YEAR, 1, 15), date(YEAR, 4, 14))], 3, True),
        (
            [
                (date(YEAR, 1, 1), date(YEAR, 1, 31)),
                (date(YEAR, 3, 1), date(YEAR, 3, 31)),
                (date(YEAR, 6, 1), date(YEAR, 6, 30)),
            ],
            3,
            True,
        ),
        ([(date(YEAR, 2, 1), date(YEAR, 3, 31)), (date(YEAR, 3, 1), date(YEAR, 4, 30))], 3, True),
        ([(date(YEAR - 1, 11, 1), date(YEAR, 2, 28))], 2, False),  # clipped: 01/01–28/02
        ([(date(YEAR, 10, 1), None)], 3, True),  # open-ended: runs to 31/12
    ],
    ids=[
        "01/02-30/04",
        "01/02-29/04",
        "leap-01/02-30/04",
        "01/01-30/03",
        "15/01-14/04",
        "three-spells",
        "overlap-once",
        "clipped",
        "open-ended",
    ],
)
def test_m2_sick_leave_counts_calendar_months(spells, months, capped):
    events = [sick(a, b) for a, b in spells]
    year = spells[0][1].year if spells[0][1] else YEAR
    year = max(year, spells[0][0].year)
    assert rules.sick_leave_months(events, year=year) == months
    facts = MemberFacts(
        member_id=1, year=year, admitted_on=LONG_AGO, events=tuple(events), points=Decimal(80)
    )
    scheme = scheme_for_year(year)
    found = check_member_rating(scheme, facts, MemberRatingInput(member_id=1, level="good"))
    assert any(v.code == "M2" for v in found) is capped


# === Quota: peer groups and the 25% ceiling =====================================================
def group_set(*, good, excellent, group="g", scope="CS01", start=0):
    return [
        MemberRatingInput(member_id=start + i, level=level, organization_id=scope, group=group)
        for i, level in enumerate(["good"] * good + ["excellent"] * excellent)
    ]


def facts_for(ratings):
    return {
        r.member_id: MemberFacts(
            member_id=r.member_id, year=YEAR, admitted_on=LONG_AGO, points=Decimal(95)
        )
        for r in ratings
    }


def quota_codes(ratings, **kwargs):
    found = check_member_ratings(SCHEME, facts_for(ratings), ratings, **kwargs)
    return [(v.code, v.level) for v in found]


@pytest.mark.parametrize(
    ("good", "ceiling", "codes"),
    [
        (4, None, [("Q1", "error")]),  # 4 × 20% = 0,8 → 0
        (5, None, []),  # 5 × 20% = 1
        (4, Fraction(1, 4), []),  # 4 × 25% = 1: the recorded decision
        (3, Fraction(1, 4), [("Q1", "error")]),  # 3 × 25% = 0,75 → 0
    ],
    ids=["4-httnv", "5-httnv", "4-httnv-25%", "3-httnv-25%"],
)
def test_quota_in_a_peer_group_with_the_25_percent_decision(good, ceiling, codes):
    ratings = group_set(good=good, excellent=1)
    ceilings = (
        [QuotaCeiling(organization_id="CS01", ratio=ceiling, reason="Đơn vị tiêu biểu")]
        if ceiling
        else []
    )
    assert quota_codes(ratings, quota_ceilings=ceilings) == codes


def test_quota_counts_each_peer_group_apart():
    """5 HTTNV of the secretaries do not make room in the retirees' group."""
    ratings = group_set(good=5, excellent=1, group="bi-thu") + group_set(
        good=4, excellent=1, group="huu-tri", start=100
    )
    counts = {c.group: c for c in quota_counts(SCHEME, ratings)}
    assert (counts["bi-thu"].max_excellent, counts["bi-thu"].remaining) == (1, 0)
    assert counts["huu-tri"].exceeded and counts["huu-tri"].remaining == -1
    (violation,) = rules.quota_violations(SCHEME, ratings)
    assert "trong nhóm «huu-tri»" in violation.message


def test_ceiling_for_one_group_does_not_raise_another():
    ratings = group_set(good=4, excellent=1, group="a") + group_set(
        good=4, excellent=1, group="b", start=100
    )
    ceilings = [QuotaCeiling(organization_id="CS01", group="a", ratio=Fraction(1, 4), reason="x")]
    counts = {c.group: c for c in quota_counts(SCHEME, ratings, ceilings=ceilings)}
    assert counts["a"].ceiling is not None and not counts["a"].exceeded
    assert counts["b"].ceiling is None and counts["b"].exceeded


def test_ceiling_decision_is_named_in_the_message():
    ratings = group_set(good=4, excellent=2)
    ceiling = QuotaCeiling(
        organization_id="CS01",
        ratio=Fraction(1, 4),
        reason="Thành tích nổi bật",
        decided_by="Ban Thường vụ Đảng ủy xã An Hòa",
        decided_on=date(YEAR, 12, 10),
    )
    (violation,) = rules.quota_violations(SCHEME, ratings, ceilings=[ceiling])
    assert "tối đa 1 đảng viên" in violation.message and "(25% của 4" in violation.message
    assert "Ban Thường vụ Đảng ủy xã An Hòa ngày 10/12/2026" in violation.message


@pytest.mark.parametrize(
    ("ratio", "reason", "problems"),
    [
        (Fraction(1, 4), "Đơn vị tiêu biểu", 0),
        (Fraction(22, 100), "Đơn vị tiêu biểu", 0),
        (Fraction(26, 100), "Đơn vị tiêu biểu", 1),
        (Fraction(1, 5), "Đơn vị tiêu biểu", 1),
        (Fraction(1, 4), "  ", 1),
    ],
    ids=["25%", "22%", "26%", "20%-not-raised", "no-reason"],
)
def test_ceiling_decision_at_most_25_percent_with_a_reason(ratio, reason, problems):
    found = ceiling_problems(ratio=ratio, reason=reason, base_ratio=SCHEME.quota_ratio)
    assert len(found) == problems


def test_quota_applies_to_collectives():
    """Organizations rated by one deciding level: 5 HTTNV allow 1 HTXSNV, 4 allow none."""

    def orgs(good, excellent):
        return [
            OrganizationRatingInput(subject_id=i, level=level, organization_id="XA")
            for i, level in enumerate(["good"] * good + ["excellent"] * excellent)
        ]

    assert organization_quota_violations(SCHEME, orgs(5, 1)) == []
    (violation,) = organization_quota_violations(SCHEME, orgs(4, 1))
    assert violation.code == "Q1" and "tổ chức đảng" in violation.message
    ceiling = QuotaCeiling(organization_id="XA", ratio=Fraction(1, 4), reason="Tiêu biểu")
    assert organization_quota_violations(SCHEME, orgs(4, 1), ceilings=[ceiling]) == []
    assert organization_quota_violations(scheme_for_year(2022), orgs(4, 1)) == []


@pytest.mark.parametrize(
    ("manual", "category", "posts", "expected"),
    [
        ("tay", "outside_political_system", (), "tay"),  # by hand wins
        (None, "outside_political_system", (), "2c"),
        (None, "non_leader", ("Bí thư",), "bi-thu"),
        (None, "leader", ("Chi ủy viên",), "cap-uy-2a"),
        (None, "leader", (), None),  # the 2A+post rule needs both
        (None, "non_leader", (), None),  # no rule: per grassroots organization
    ],
)
def test_peer_group_for_by_rule_or_by_hand(manual, category, posts, expected):
    groups = [
        PeerGroupRule(code="bi-thu", posts=("Bí thư", "Phó Bí thư"), order=1),
        PeerGroupRule(code="cap-uy-2a", category="leader", posts=("Chi ủy viên",), order=2),
        PeerGroupRule(code="2c", category="outside_political_system", order=3),
        PeerGroupRule(code="tay", order=9),  # only by hand
    ]
    assert (
        peer_group_for(manual=manual, category=category, post_titles=posts, groups=groups)
        == expected
    )


# === 30 + 70 points =============================================================================
@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (tasks(10), Decimal(70)),
        (tasks(10, exceeded=10), Decimal(70)),
        (tasks(10, late=1), Decimal("66.5")),
        (tasks(10, on_time=9), Decimal(63)),
        (tasks(3, late=1), Decimal("58")),  # 58,33 rounded down to 0,5
        (None, None),
    ],
)
def test_suggest_task_points_from_the_ledger(summary, expected):
    assert suggest_task_points(summary.counts if summary else None) == expected


@pytest.mark.parametrize(
    ("values", "codes"),
    [
        ({"general": Decimal(28), "tasks": Decimal(65), "total": Decimal(93)}, []),
        ({"general": Decimal(31), "tasks": Decimal(60)}, ["P1"]),
        ({"general": Decimal(28), "tasks": Decimal(71)}, ["P1"]),
        ({"general": Decimal(28), "tasks": Decimal(65), "total": Decimal(90)}, ["P2"]),
        ({"general": Decimal(28), "tasks": Decimal(60), "suggested": Decimal(65)}, ["P3"]),
        (
            {"general": Decimal(28), "tasks": Decimal(60), "suggested": Decimal(65), "reason": "x"},
            [],
        ),
        ({"general": Decimal(28), "tasks": Decimal(65), "suggested": Decimal(65)}, []),
    ],
    ids=["ok", "general-31", "tasks-71", "sum-differs", "no-reason", "reason", "as-suggested"],
)
def test_points_parts_problems(values, codes):
    assert [code for code, _text in parts_problems(**values)] == codes


def test_points_items_per_province_with_pass_fail_scoring():
    items = (
        PointsItemSpec(
            key="ct",
            part="general",
            name="Chính trị tư tưởng",
            max_points=Decimal(10),
            scoring=SCORING_PASS_FAIL,
        ),
        PointsItemSpec(
            key="dd",
            part="general",
            name="Đạo đức, lối sống",
            max_points=Decimal(20),
            scoring=SCORING_PASS_FAIL,
        ),
        PointsItemSpec(key="nv", part="tasks", name="Nhiệm vụ", max_points=Decimal(70)),
    )
    assert items_problems(items) == [] and items_problems(DEFAULT_ITEMS) == []
    parts, problems = parts_from_items(
        items, {"ct": "đảm bảo", "dd": "Không đảm bảo", "nv": "60,5"}
    )
    assert problems == [] and (parts.general, parts.tasks, parts.total) == (
        10,
        Decimal("60.5"),
        Decimal("70.5"),
    )
    parts, problems = parts_from_items(items, {"ct": "tốt", "nv": "80"})
    assert parts is None and len(problems) == 3
    assert items_problems(items[:2]) == [
        "Các tiêu chí phần kết quả thực hiện nhiệm vụ cộng 0 điểm, phải bằng 70"
    ]


@pytest.mark.parametrize(
    ("points", "level", "warned"),
    [
        (95, "not_complete", True),
        (95, "complete", True),
        (95, "good", False),
        (75, "complete", False),
        (75, "not_complete", True),
    ],
)
def test_level_far_below_its_points_band_is_warned(points, level, warned):
    found = violations(level, points=points)
    assert [v.level for v in found if v.code == "M5"] == (["warning"] if warned else [])


def test_far_below_band_is_not_warned_when_a_rule_explains_it():
    discipline = EventFact(kind="discipline", start=date(YEAR, 5, 1), discipline_form="warning")
    assert violations("not_complete", points=95, events=[discipline]) == []
    assert far_below_band(Decimal(95), Rank.NOT_COMPLETE, caps=[Rank.NOT_COMPLETE]) is False


# === Who decides (Hướng dẫn 43 §3) ==============================================================
PROVINCE = Node(id="T", type="province", is_grassroots=False)
COMMUNE = Node(id="X", type="commune", is_grassroots=False)
GRASSROOTS = Node(id="DBCS", type="grassroots_committee", is_grassroots=True)
SUB = Node(id="DBBP", type="sub_committee", is_grassroots=False)
CELL = Node(id="CB", type="cell", is_grassroots=False)
GRASSROOTS_CELL = Node(id="CBCS", type="grassroots_cell", is_grassroots=True)


@pytest.mark.parametrize(
    ("subject", "ancestors", "decider", "body"),
    [
        (CELL, [GRASSROOTS, COMMUNE, PROVINCE], "DBCS", COMMITTEE),
        (CELL, [SUB, GRASSROOTS, COMMUNE, PROVINCE], "DBCS", COMMITTEE),
        (SUB, [GRASSROOTS, COMMUNE, PROVINCE], "DBCS", COMMITTEE),
        (GRASSROOTS, [COMMUNE, PROVINCE], "X", STANDING_COMMITTEE),
        (GRASSROOTS_CELL, [COMMUNE, PROVINCE], "X", STANDING_COMMITTEE),
        (COMMUNE, [PROVINCE], "T", STANDING_COMMITTEE),
    ],
    ids=[
        "cell",
        "cell-under-sub-committee",
        "sub-committee",
        "grassroots",
        "grassroots-cell",
        "commune",
    ],
)
def test_who_decides(subject, ancestors, decider, body):
    found = decider_for(subject, ancestors)
    assert (found.organization_id, found.body) == (decider, body)


def test_root_has_no_decider():
    assert decider_for(PROVINCE, []) is None


@pytest.mark.parametrize(
    ("led_units", "level", "refused"),
    [
        ((("Chi bộ ấp 1", "excellent"),), "excellent", False),
        ((("Chi bộ ấp 1", "good"),), "excellent", True),
        ((("Chi bộ ấp 1", "good"),), "good", False),
        ((("Chi bộ ấp 1", None),), "excellent", False),  # the unit is not rated yet
    ],
    ids=["unit-htxsnv", "unit-httnv", "unit-httnv-member-httnv", "unit-not-rated"],
)
def test_a_leaders_htxsnv_needs_their_unit_htxsnv(led_units, level, refused):
    """Điều 11: for a leader, their unit too (the units they head as bí thư, phó bí thư)."""
    facts = MemberFacts(
        member_id=1, year=YEAR, admitted_on=LONG_AGO, points=Decimal(95), led_units=led_units
    )
    found = check_member_rating(SCHEME, facts, MemberRatingInput(member_id=1, level=level))
    assert bool([v for v in found if v.is_blocking]) is refused
    if refused:
        assert "Đơn vị do đảng viên lãnh đạo chưa đạt HTXSNV (Chi bộ ấp 1)" in found[0].message


# === Điều 11, the listed KHTNV cases of leaders and collectives the data can show ============
def _leader(**kwargs):
    return MemberFacts(member_id=1, year=YEAR, admitted_on=LONG_AGO, points=Decimal(80), **kwargs)


@pytest.mark.parametrize(
    ("led_levels", "listed"),
    [
        (("not_complete", "good"), False),  # 1/2 is 50%: not "more than 50%"
        (("not_complete", "not_complete", "good"), True),  # 2/3
        (("not_complete",), True),  # 1/1
        (("not_complete", None, None), True),  # units not rated yet are not counted: 1/1
        (("good", "complete"), False),
    ],
    ids=["1/2", "2/3", "1/1", "1-of-1-rated", "none-khtnv"],
)
def test_khtnv_leader_more_than_half_of_led_units_khtnv(led_levels, listed):
    led = tuple((f"Chi bộ {i}", level) for i, level in enumerate(led_levels, start=1))
    cap = max_level_for(_leader(led_units=led), SCHEME)
    texts = [r.message for r in cap.reasons if r.rank == Rank.NOT_COMPLETE]
    assert bool(texts) is listed
    if listed:
        assert texts[0].startswith("Quá 50% đơn vị do đảng viên lãnh đạo bị xếp loại KHTNV")
        assert cap.level == "not_complete"
    found = check_member_rating(
        SCHEME, _leader(led_units=led), MemberRatingInput(member_id=1, level="complete")
    )
    assert bool([v for v in found if v.is_blocking and "Quá 50% đơn vị" in v.message]) is listed


@pytest.mark.parametrize(
    ("done", "listed"),
    [(7, False), (6, True), (10, False)],
    ids=["7/10-done", "6/10-done", "all-done"],
)
def test_khtnv_leader_unit_below_70_percent_of_planned_tasks(done, listed):
    led = (("Chi bộ ấp 1", "complete"),)
    unit = tasks(10, on_time=done)
    cap = max_level_for(_leader(led_units=led, led_unit_tasks=(("Chi bộ ấp 1", unit),)), SCHEME)
    texts = [r.message for r in cap.reasons if r.rank == Rank.NOT_COMPLETE]
    assert bool(texts) is listed
    if listed:
        assert texts[0].startswith(
            f"Đơn vị do đảng viên lãnh đạo (Chi bộ ấp 1) hoàn thành dưới 70% nhiệm vụ "
            f"theo kế hoạch: {done}/10"
        )


@pytest.mark.parametrize(
    ("done", "late", "text"),
    [
        (7, 0, ""),
        (6, 0, "hoàn thành dưới 70% nhiệm vụ theo kế hoạch: 6/10"),
        (7, 3, ""),  # late tasks are completed: 7/10 done
        (6, 2, "hoàn thành dưới 70% nhiệm vụ theo kế hoạch: 6/10"),
    ],
    ids=["7/10", "6/10", "7/10-three-late", "6/10-two-late"],
)
def test_khtnv_collective_below_70_percent_of_planned_tasks(done, late, text):
    summary = tasks(10, on_time=done - late, late=late)
    caps = task_caps(summary.counts, collective=True)
    listed = [c.why for c in caps if c.missing_for is None]
    assert listed == ([text] if text else [])
    # A member is not held to the collectives' 70%: only to "more than 50% not done".
    assert [c.why for c in task_caps(summary.counts) if c.missing_for is None] == []
    found = check_organization_rating(SCHEME, org(points=60, tasks=summary), level="complete")
    # Any task not done already fails HTNV's "100% completed"; the 70% case names the count.
    assert bool(text) is any(
        "dưới 70% nhiệm vụ" in v.message for v in found if v.is_blocking and v.code == "O4"
    )


def test_self_remedied_not_done_tasks_from_the_ledger_results():
    """TasksSummary.from_results carries the ledger's "found and remedied" count (the field
    on AssignedTask), which the > 50% case leaves out."""
    summary = TasksSummary.from_results(["not_done"] * 6 + ["on_time"] * 4, not_done_remedied=2)
    assert summary.counts.not_done_remedied == 2
    assert [c.why for c in task_caps(summary.counts) if c.missing_for is None] == []
    with pytest.raises(ValueError, match="Remedied tasks"):
        TasksSummary.from_results(["on_time"], not_done_remedied=1)
