"""The rules of DOMAIN.md §4.1, one table per clause, for each scheme the clause applies to.

Pure functions over dataclasses: no database (no `db` fixture), no Django request.
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
    QuotaException,
    TasksSummary,
    check_member_rating,
    check_member_ratings,
    check_organization_rating,
    check_transition,
    max_level_for,
    max_organization_level_for,
    quota_counts,
)
from assessments.schemes import QUOTA_SCOPE_MEMBER_GROUP, scheme_for_year

LONG_AGO = date(2000, 1, 1)
ALL_TASKS_WELL_DONE = TasksSummary(assigned=10, done=10, done_on_time=10, exceeded=3)


def discipline(day, form="reprimand", *, self_remedied=False):
    return EventFact(
        kind="discipline", start=day, discipline_form=form, self_remedied=self_remedied
    )


def period(kind, start, end=None):
    return EventFact(kind=kind, start=start, end=end)


def member(year, *, member_id=1, admitted_on=LONG_AGO, events=(), **kwargs):
    if year >= 2025:
        kwargs.setdefault("points", Decimal(95))
        kwargs.setdefault("tasks", ALL_TASKS_WELL_DONE)
    return MemberFacts(
        member_id=member_id, year=year, admitted_on=admitted_on, events=tuple(events), **kwargs
    )


def rate(year, level, *, reason=None, note="", period_end=None, **facts):
    """The codes of the violations of one member rating (blocking and warnings)."""
    rating = MemberRatingInput(
        member_id=1, level=level, not_rated_reason=reason, not_rated_note=note
    )
    found = check_member_rating(
        scheme_for_year(year), member(year, **facts), rating, period_end=period_end
    )
    return [v.code for v in found]


def org(year, *, is_committee=False, **kwargs):
    if year >= 2025:
        kwargs.setdefault("points", Decimal(95))
    # O1 is not met while nothing below is rated: by default every member is rated HTTNV+.
    if year >= 2018:
        kwargs.setdefault("sub_levels", ("excellent", "good", "good", "good", "good"))
    kwargs.setdefault("established_on", LONG_AGO)
    return OrganizationFacts(organization_id="CB01", year=year, is_committee=is_committee, **kwargs)


def rate_org(year, level, *, reason=None, **facts):
    found = check_organization_rating(
        scheme_for_year(year), org(year, **facts), level=level, not_rated_reason=reason
    )
    return [v.code for v in found]


def quota_set(*, good, excellent, organization_id="CS01", group=None, start=0):
    return [
        MemberRatingInput(
            member_id=start + i, level=level, organization_id=organization_id, group=group
        )
        for i, level in enumerate(["good"] * good + ["excellent"] * excellent)
    ]


def check_set(year, ratings, **kwargs):
    scheme = kwargs.pop("scheme", None) or scheme_for_year(year)
    facts = {r.member_id: member(year, member_id=r.member_id) for r in ratings}
    return check_member_ratings(scheme, facts, ratings, **kwargs)


# === Slugs stay in step with the Django choices ================================================
def test_rule_slugs_match_the_django_choices():
    """rules.py mirrors the stored slugs without importing Django; they must not drift."""
    from assessments.choices import NotRatedReason, RoundState
    from cells.choices import DisciplineForm, EventKind

    assert {rules.EVENT_DISCIPLINE, rules.EVENT_EXEMPTION, rules.EVENT_SUSPENSION} <= set(
        EventKind.values
    )
    assert rules.EVENT_SICK_LEAVE in EventKind.values
    assert set(rules.DISCIPLINE_SEVERITY) == set(DisciplineForm.values)
    assert set(rules.NOT_RATED_LABELS) == set(NotRatedReason.values)
    assert set(rules.STATE_LABELS) == set(RoundState.values)


# === Q1 quota ==================================================================================
@pytest.mark.parametrize(
    ("year", "good", "excellent", "refused"),
    [
        (2019, 14, 2, False),
        (2019, 14, 3, True),
        (2021, 15, 3, False),
        (2021, 15, 4, True),
        (2022, 0, 0, False),
        (2022, 0, 1, True),
        (2022, 4, 1, True),
        (2022, 5, 1, False),
        (2023, 14, 2, False),
        (2023, 14, 3, True),
        (2025, 14, 2, False),
        (2025, 14, 3, True),
        (2018, 14, 5, False),  # no quota before 2019
    ],
)
def test_q1_quota_is_20_percent_of_httnv_rounded_down(year, good, excellent, refused):
    """HTXSNV ≤ ⌊20% × HTTNV⌋ per grassroots organization: 14 → 2, 15 → 3, 0 → 0."""
    codes = [v.code for v in check_set(year, quota_set(good=good, excellent=excellent))]
    assert codes == (["Q1"] if refused else [])


def test_q1_does_not_apply_before_2019_with_old_labels():
    """2008–2017 members (Đủ tư cách…) have no quota."""
    ratings = [MemberRatingInput(member_id=i, level="qualified_excellent") for i in range(5)]
    assert check_set(2015, ratings) == []


def test_q1_message_cites_the_numbers_and_the_guidance():
    """The message states the maximum, the ratio, the HTTNV count and the guidance."""
    (violation,) = check_set(2021, quota_set(good=14, excellent=3))
    assert violation.subject_id == "CS01"
    assert violation.is_blocking
    assert violation.message == (
        "Vượt tỷ lệ: tối đa 2 đảng viên Hoàn thành xuất sắc nhiệm vụ "
        "(20% của 14 Hoàn thành tốt nhiệm vụ), đề nghị 3 — Hướng dẫn 21-HD/BTCTW"
    )


def test_q1_counts_each_grassroots_organization_separately():
    """Two grassroots organizations in one set: each has its own quota."""
    ratings = quota_set(good=14, excellent=2, organization_id="A") + quota_set(
        good=4, excellent=1, organization_id="B", start=100
    )
    violations = check_set(2021, ratings)
    assert [(v.code, v.subject_id) for v in violations] == [("Q1", "B")]


def test_q1_ignores_other_levels_and_not_rated_members():
    """Only HTTNV count towards the base; HTNV, KHTNV and not-rated members do not."""
    ratings = quota_set(good=5, excellent=1) + [
        MemberRatingInput(member_id=50, level="complete", organization_id="CS01"),
        MemberRatingInput(member_id=51, level="not_complete", organization_id="CS01"),
    ]
    (count,) = quota_counts(scheme_for_year(2021), ratings)
    assert (count.good, count.excellent, count.max_excellent) == (5, 1, 1)


@pytest.mark.parametrize(
    ("ratio", "good", "excellent", "refused"),
    [
        (Fraction(1, 4), 14, 3, False),
        (Fraction(1, 4), 14, 4, True),
        (Fraction(1, 3), 3, 1, False),
        (Fraction(1, 3), 2, 1, True),
    ],
)
def test_q1_configurable_ratio_from_2023(ratio, good, excellent, refused):
    """From 2023 the stored setting replaces 20%; the arithmetic stays integer, rounded down."""
    scheme = scheme_for_year(2024, quota_ratio=ratio)
    violations = check_set(2024, quota_set(good=good, excellent=excellent), scheme=scheme)
    assert [v.code for v in violations] == (["Q1"] if refused else [])


def test_q1_message_with_a_configured_ratio_shows_that_ratio():
    """A 1/3 setting prints as 33,33%."""
    scheme = scheme_for_year(2024, quota_ratio=Fraction(1, 3))
    (violation,) = check_set(2024, quota_set(good=2, excellent=1), scheme=scheme)
    assert "(33,33% của 2 Hoàn thành tốt nhiệm vụ)" in violation.message
    assert violation.message.endswith("Hướng dẫn 25-HD/BTCTW")


@pytest.mark.parametrize(
    ("scope", "refused_groups"),
    [
        (None, [None]),  # grassroots: 9 HTTNV → 1 allowed, 2 proposed
        (QUOTA_SCOPE_MEMBER_GROUP, ["retirees"]),  # workers 5 → 1 ok; retirees 4 → 0
    ],
)
def test_q1_scope_grassroots_or_member_group(scope, refused_groups):
    """Per grassroots organization by default; per group of similar members as an option."""
    scheme = scheme_for_year(2024, quota_scope=scope) if scope else scheme_for_year(2024)
    ratings = quota_set(good=5, excellent=1, group="workers") + quota_set(
        good=4, excellent=1, group="retirees", start=100
    )
    violations = check_set(2024, ratings, scheme=scheme)
    assert [v.code for v in violations] == ["Q1"] * len(refused_groups)
    if scope:
        assert "trong nhóm «retirees»" in violations[0].message


@pytest.mark.parametrize(
    ("exception", "level"),
    [
        (QuotaException(organization_id="CS01", justification="Đơn vị anh hùng"), "warning"),
        (
            QuotaException(organization_id="CS01", justification="Thành tích", allowed_excellent=3),
            "warning",
        ),
        (
            QuotaException(organization_id="CS01", justification="Thành tích", allowed_excellent=2),
            "error",
        ),
        (QuotaException(organization_id="OTHER", justification="Khác đơn vị"), "error"),
    ],
)
def test_q1_justified_exception_lifts_the_violation_but_is_reported(exception, level):
    """A matching exception turns the error into a warning that names the justification; one
    for another organization, or allowing fewer, does not lift it."""
    (violation,) = check_set(2021, quota_set(good=14, excellent=3), quota_exceptions=[exception])
    assert (violation.code, violation.level) == ("Q1", level)
    if level == "warning":
        assert not violation.is_blocking
        assert exception.justification in violation.message


def test_q1_exception_needs_a_justification():
    """An exception without a reason cannot be recorded."""
    with pytest.raises(ValueError):
        QuotaException(organization_id="CS01", justification="  ")


# === M1 discipline =============================================================================
@pytest.mark.parametrize(
    ("year", "events", "level", "codes"),
    [
        (2018, [discipline(date(2018, 5, 1))], "complete", ["M1"]),
        (2021, [discipline(date(2021, 3, 5))], "good", ["M1"]),
        (2021, [discipline(date(2021, 3, 5))], "not_complete", []),
        (2021, [discipline(date(2020, 12, 31))], "good", []),
        (2021, [discipline(date(2022, 1, 1))], "good", []),
        (2022, [discipline(date(2022, 3, 5), self_remedied=True)], "good", ["M1"]),
        (2023, [discipline(date(2023, 3, 5), self_remedied=True)], "good", []),
        (2023, [discipline(date(2023, 3, 5))], "good", ["M1"]),
        (2025, [discipline(date(2025, 3, 5), self_remedied=True)], "excellent", []),
        (2025, [discipline(date(2025, 3, 5), "warning")], "complete", ["M1"]),
    ],
    ids=[
        "2018-disciplined",
        "2021-disciplined",
        "2021-disciplined-rated-khtnv",
        "2021-previous-year-discipline",
        "2021-next-year-discipline",
        "2022-self-remedied-still-counts",
        "2023-self-remedied-lifted",
        "2023-not-self-remedied",
        "2025-self-remedied-lifted",
        "2025-disciplined",
    ],
)
def test_m1_disciplined_in_the_rating_year_is_khtnv(year, events, level, codes):
    """Disciplined in the year → KHTNV; a discipline counts only in the year of its date; from
    2023 a self-found and remedied violation does not count."""
    assert rate(year, level, events=events) == codes


def test_m1_cap_and_message():
    """The grid shows KHTNV as the cap, with the form and date of the discipline."""
    facts = member(2021, events=[discipline(date(2021, 3, 5), "warning")])
    cap = max_level_for(facts, scheme_for_year(2021))
    assert cap.level == "not_complete"
    assert cap.reasons[0].message == (
        "Đảng viên bị kỷ luật trong năm 2021 (Cảnh cáo ngày 05/03/2021): "
        "chỉ được xếp loại Không hoàn thành nhiệm vụ"
    )


# === Pre-2018 member rule (M0) =================================================================
@pytest.mark.parametrize(
    ("year", "facts", "level", "codes"),
    [
        (2010, {"events": [discipline(date(2010, 6, 1))]}, "qualified_good", ["M0"]),
        (2016, {"events": [discipline(date(2016, 6, 1))]}, "qualified_complete", ["M0"]),
        (2016, {"events": [discipline(date(2016, 6, 1))]}, "violation_or_not_complete", []),
        (2016, {"events": [discipline(date(2015, 6, 1))]}, "qualified_excellent", []),
        (
            2016,
            {"tasks": TasksSummary(assigned=4, done=3, done_on_time=3, exceeded=0)},
            "qualified_complete",
            ["M0"],
        ),
        (
            2016,
            {"tasks": TasksSummary(assigned=4, done=4, done_on_time=2, exceeded=0)},
            "qualified_good",
            [],
        ),
        (2017, {}, "qualified_excellent", []),
    ],
    ids=[
        "2010-disciplined",
        "2016-disciplined",
        "2016-disciplined-rated-violation",
        "2016-previous-year-discipline",
        "2016-tasks-not-completed",
        "2016-tasks-done-late",
        "2017-clean",
    ],
)
def test_m0_pre_2018_violation_or_tasks_not_completed(year, facts, level, codes):
    """Before 2018 a member with discipline or with tasks not completed is "Vi phạm tư cách hoặc
    không hoàn thành nhiệm vụ"."""
    assert rate(year, level, **facts) == codes


# === M2 sick leave =============================================================================
@pytest.mark.parametrize(
    ("year", "leaves", "days"),
    [
        (2021, [(date(2021, 1, 1), date(2021, 3, 31))], 90),
        (2021, [(date(2021, 1, 1), date(2021, 3, 30))], 89),
        (2024, [(date(2024, 1, 1), date(2024, 3, 30))], 90),  # leap year
        (2021, [(date(2021, 10, 3), None)], 90),  # open-ended: runs to 31/12
        (2021, [(date(2020, 11, 1), date(2021, 1, 31))], 31),  # clipped to the year
        (2021, [(date(2021, 12, 1), date(2022, 2, 28))], 31),
        (2021, [(date(2021, 1, 1), date(2021, 3, 31)), (date(2021, 3, 1), date(2021, 3, 31))], 90),
        (2021, [(date(2021, 1, 1), date(2021, 2, 14)), (date(2021, 6, 1), date(2021, 7, 15))], 90),
        (2021, [(date(2019, 1, 1), date(2020, 12, 31))], 0),
    ],
    ids=[
        "three-calendar-months-90-days",
        "one-day-less",
        "leap-year-90-days",
        "open-ended",
        "starts-previous-year",
        "ends-next-year",
        "overlap-counted-once",
        "two-periods-summed",
        "other-year-only",
    ],
)
def test_m2_sick_leave_days_in_the_year(year, leaves, days):
    """Days are clipped to the calendar year, summed, and overlapping days counted once."""
    events = [period("sick_leave", start, end) for start, end in leaves]
    events.append(period("maternity_leave", date(year, 4, 1), date(year, 9, 30)))
    assert rules.sick_leave_days(events, year=year) == days


@pytest.mark.parametrize(
    ("year", "end", "level", "codes"),
    [
        (2019, date(2019, 3, 31), "good", ["M2"]),
        (2019, date(2019, 3, 30), "good", []),
        (2019, date(2019, 3, 31), "complete", []),
        (2022, date(2022, 3, 31), "excellent", ["M2"]),
        (2023, date(2023, 3, 31), "good", ["M2"]),
        (2025, date(2025, 3, 31), "good", ["M2"]),
        (2025, date(2025, 3, 30), "good", []),
        (2018, date(2018, 6, 30), "good", []),  # from 2019 only
    ],
    ids=[
        "2019-90-days",
        "2019-89-days",
        "2019-90-days-rated-htnv",
        "2022-90-days-htxsnv",
        "2023-90-days",
        "2025-90-days",
        "2025-89-days",
        "2018-not-applicable",
    ],
)
def test_m2_three_months_sick_leave_caps_at_htnv(year, end, level, codes):
    """Sick leave ≥ 90 days (3 months) in the year → at most HTNV, 2019 onward."""
    events = [period("sick_leave", date(year, 1, 1), end)]
    assert rate(year, level, events=events) == codes


# === M3 not rated ==============================================================================
@pytest.mark.parametrize(
    ("period_end", "start", "less"),
    [
        (date(2021, 12, 31), date(2021, 6, 30), False),
        (date(2021, 12, 31), date(2021, 7, 1), False),  # exactly 6 months: full
        (date(2021, 12, 31), date(2021, 7, 2), True),
        (date(2021, 11, 30), date(2021, 6, 1), False),
        (date(2021, 11, 30), date(2021, 6, 2), True),
        (date(2024, 8, 30), date(2024, 2, 29), False),  # 31/8 − 6 months clamps to 29/2
        (date(2024, 8, 30), date(2024, 3, 1), True),
    ],
)
def test_less_than_six_months_boundary(period_end, start, less):
    """The period ends at the end of its last day: 1/7 → 31/12 is exactly 6 months (not less)."""
    assert rules.is_less_than_six_months(start, period_end=period_end) is less


@pytest.mark.parametrize(
    ("year", "admitted_on", "level", "reason", "period_end", "codes"),
    [
        (2021, date(2021, 7, 1), "good", None, None, []),
        (2021, date(2021, 7, 2), "good", None, None, ["M3"]),
        (2021, date(2021, 6, 30), "good", None, None, []),
        (2021, date(2021, 7, 2), None, "newly_admitted", None, []),
        (2021, date(2021, 7, 1), None, "newly_admitted", None, ["M3"]),
        (2021, date(2021, 6, 2), "good", None, date(2021, 11, 30), ["M3"]),
        (2021, date(2021, 6, 1), "good", None, date(2021, 11, 30), []),
        (2012, date(2012, 9, 1), "qualified_good", None, None, ["M3"]),
        (2025, date(2025, 9, 1), "good", None, None, ["M3"]),
    ],
    ids=[
        "exactly-6-months-rated",
        "one-day-short-rated",
        "6-months-and-a-day-rated",
        "one-day-short-not-rated",
        "exactly-6-months-not-rated",
        "custom-period-end-short",
        "custom-period-end-exact",
        "2012-new-member",
        "2025-new-member",
    ],
)
def test_m3_new_member_is_not_rated(year, admitted_on, level, reason, period_end, codes):
    """Admitted less than 6 months before the end of the rating period → not rated (31/12 by
    default, or the plan's end); "newly admitted" is refused when 6 months are reached."""
    found = rate(year, level, reason=reason, admitted_on=admitted_on, period_end=period_end)
    assert found == codes


EXEMPT_ALL_YEAR = [period("exemption", date(2020, 3, 1))]
EXEMPT_UNTIL_JUNE = [period("exemption", date(2021, 1, 1), date(2021, 6, 30))]
SUSPENDED = [period("suspension", date(2021, 10, 1))]


@pytest.mark.parametrize(
    ("year", "events", "level", "reason", "codes"),
    [
        (2021, EXEMPT_ALL_YEAR, "good", None, ["M3"]),
        (2021, EXEMPT_ALL_YEAR, None, "exempt", []),
        (2021, EXEMPT_UNTIL_JUNE, "good", None, []),
        (2021, EXEMPT_UNTIL_JUNE, None, "exempt", []),
        (2021, [], None, "exempt", ["M3"]),
        (2012, [period("exemption", date(2011, 1, 1))], "qualified_good", None, ["M3"]),
        (2021, SUSPENDED, "good", None, ["M3"]),
        (2021, SUSPENDED, None, "suspended", []),
        (2019, [period("suspension", date(2019, 11, 1))], "complete", None, ["M3"]),
        (2018, [period("suspension", date(2018, 11, 1))], "complete", None, []),
        (2018, [period("suspension", date(2018, 11, 1))], None, "suspended", ["M3"]),
        (2021, [], None, "suspended", ["M3"]),
        (2021, [], None, None, ["M3"]),
        (2021, [], None, "newly_established", ["M3"]),
        (2021, [], None, "bogus", ["M3"]),
    ],
    ids=[
        "exempt-rated",
        "exempt-not-rated",
        "exempt-ended-mid-year-rated",
        "exempt-ended-mid-year-not-rated",
        "exempt-reason-without-exemption",
        "2012-exempt-rated",
        "suspended-rated",
        "suspended-not-rated",
        "2019-suspended-rated",
        "2018-suspended-may-be-rated",
        "2018-suspended-reason-invalid",
        "suspended-reason-without-suspension",
        "no-reason",
        "organization-reason-for-member",
        "unknown-reason",
    ],
)
def test_m3_exempt_and_suspended_members(year, events, level, reason, codes):
    """Exempt (all years) and suspended (2019+) members on the period end are not rated; a
    not-rated member needs a reason that the facts of the year support."""
    assert rate(year, level, reason=reason, events=events) == codes


@pytest.mark.parametrize(
    ("note", "level"),
    [("Khác: đi học tập trung ở nước ngoài", "warning"), ("   ", "error")],
)
def test_m3_other_reason_needs_a_note_and_is_reported(note, level):
    """ "Khác" with text passes as a warning for the deciding level; without text it is refused."""
    rating = MemberRatingInput(
        member_id=1, level=None, not_rated_reason="other", not_rated_note=note
    )
    (violation,) = check_member_rating(scheme_for_year(2021), member(2021), rating)
    assert (violation.code, violation.level) == ("M3", level)


def test_m3_cap_says_not_rated_and_why():
    """The grid shows "not rated" with the reason slug for a new member."""
    cap = max_level_for(member(2021, admitted_on=date(2021, 9, 2)), scheme_for_year(2021))
    assert (cap.level, cap.rank, cap.not_rated_reason) == (None, None, "newly_admitted")
    assert "chưa đủ 06 tháng" in cap.not_rated_message


# === M4 civil servants =========================================================================
@pytest.mark.parametrize(
    ("year", "servant", "level", "codes"),
    [
        (2019, "good", "excellent", ["M4"]),
        (2021, "excellent", "excellent", []),
        (2021, "complete", "excellent", ["M4"]),
        (2021, "complete", "good", []),
        (2021, "not_complete", "complete", ["M4"]),
        (2021, "not_complete", "not_complete", []),
        (2023, "good", "excellent", ["M4"]),
        (2025, "not_complete", "good", ["M4"]),
        (2025, "excellent", "excellent", []),
        (2018, "good", "excellent", []),  # from 2019 only
    ],
)
def test_m4_civil_servant_level_bounds_member_level(year, servant, level, codes):
    """HTXSNV as member needs HTXSNV as civil servant; KHTNV as civil servant → KHTNV."""
    assert rate(year, level, civil_servant_level=servant) == codes


# === M5 points (2025–) =========================================================================
@pytest.mark.parametrize(
    ("points", "level", "codes"),
    [
        (Decimal(100), "excellent", []),
        (Decimal(90), "excellent", []),
        (Decimal("89.99"), "excellent", ["M5"]),
        (Decimal("89.99"), "good", []),
        (Decimal(70), "good", []),
        (Decimal("69.99"), "good", ["M5"]),
        (Decimal(50), "complete", []),
        (Decimal(49), "complete", ["M5"]),
        (Decimal(49), "not_complete", []),
        (89.99, "excellent", ["M5"]),  # a float is read as typed, not as 89.98999…
        (90, "excellent", []),
    ],
)
def test_m5_points_bands(points, level, codes):
    """≥ 90 HTXSNV, 70–<90 HTTNV, 50–<70 HTNV, < 50 KHTNV; the band is a ceiling."""
    assert rate(2025, level, points=points) == codes


@pytest.mark.parametrize(
    ("tasks", "remedied", "level", "codes"),
    [
        (TasksSummary(assigned=10, done=10, done_on_time=10, exceeded=3), True, "excellent", []),
        (
            TasksSummary(assigned=10, done=10, done_on_time=10, exceeded=2),
            True,
            "excellent",
            ["M5"],
        ),
        (TasksSummary(assigned=10, done=10, done_on_time=10, exceeded=2), True, "good", []),
        (
            TasksSummary(assigned=10, done=10, done_on_time=10, exceeded=5),
            False,
            "excellent",
            ["M5"],
        ),
        (TasksSummary(assigned=10, done=10, done_on_time=9, exceeded=5), True, "good", ["M5"]),
        # Điều 11: HTNV needs every task completed; one not done leaves only KHTNV.
        (TasksSummary(assigned=10, done=9, done_on_time=9, exceeded=5), True, "complete", ["M5"]),
        (TasksSummary(assigned=0, done=0, done_on_time=0, exceeded=0), True, "excellent", []),
        (None, True, "excellent", []),
    ],
    ids=[
        "30-percent-exceeding",
        "20-percent-exceeding",
        "20-percent-exceeding-httnv",
        "shortcomings-not-remedied",
        "one-task-late-httnv",
        "one-task-not-done-htnv",
        "no-task-assigned",
        "tasks-not-recorded",
    ],
)
def test_m5_task_conditions(tasks, remedied, level, codes):
    """HTXSNV (95 points) needs ≥ 30% exceeding and earlier shortcomings remedied; HTTNV (and so
    HTXSNV) needs 100% of tasks done on time."""
    found = rate(2025, level, tasks=tasks, earlier_shortcomings_remedied=remedied)
    assert found == codes


@pytest.mark.parametrize(("year", "codes"), [(2025, ["M5"]), (2024, [])])
def test_m5_rated_member_needs_points_from_2025(year, codes):
    """From 2025 a rated member without a score is an error; before, no score is needed."""
    assert rate(year, "good", points=None) == codes


def test_m5_does_not_apply_before_2025():
    """In 2024 points (if any) are ignored: criteria grades decide."""
    assert rate(2024, "excellent", points=Decimal(40)) == []


def test_tasks_summary_from_task_results():
    """TaskResult slugs are counted; an exceeded task is done on time."""
    summary = TasksSummary.from_results(["on_time", "late", "exceeded", "not_done", "exceeded"])
    assert summary == TasksSummary(assigned=5, done=4, done_on_time=3, exceeded=2)


def test_tasks_summary_rejects_inconsistent_counts():
    """More tasks done than assigned is a data error."""
    with pytest.raises(ValueError):
        TasksSummary(assigned=2, done=3, done_on_time=3, exceeded=0)


def test_several_rules_report_each_violated_code():
    """A 2025 member disciplined, on sick leave and at 60 points rated HTTNV breaks M1, M2, M5."""
    events = [
        discipline(date(2025, 2, 1)),
        period("sick_leave", date(2025, 5, 1), date(2025, 8, 31)),
    ]
    codes = rate(2025, "good", events=events, points=Decimal(60))
    assert sorted(codes) == ["M1", "M2", "M5"]


def test_unknown_level_for_the_scheme():
    """A slug of another period is refused with code S1."""
    assert rate(2021, "pure_strong") == ["S1"]
    assert rate(2015, "excellent") == ["S1"]


def test_check_member_ratings_needs_facts_for_every_rating():
    """A rating without facts is a programming error, not a silent pass."""
    with pytest.raises(ValueError):
        check_member_ratings(
            scheme_for_year(2021), {}, [MemberRatingInput(member_id=9, level="good")]
        )


def test_check_member_ratings_rejects_a_scheme_of_another_year():
    """Facts of 2021 checked against the 2025 scheme are a programming error."""
    rating = MemberRatingInput(member_id=1, level="good")
    with pytest.raises(ValueError):
        check_member_ratings(scheme_for_year(2025), {1: member(2021)}, [rating])


def test_check_member_ratings_combines_member_rules_and_quota():
    """One call reports each member's violations and then the quota."""
    ratings = quota_set(good=5, excellent=2)
    facts = {r.member_id: member(2021, member_id=r.member_id) for r in ratings}
    facts[5] = member(2021, member_id=5, events=[discipline(date(2021, 4, 1))])
    violations = check_member_ratings(scheme_for_year(2021), facts, ratings)
    assert [(v.code, v.subject_id) for v in violations] == [("M1", 5), ("Q1", "CS01")]


# === O1 organization HTXSNV needs its sub-units =================================================
@pytest.mark.parametrize(
    ("year", "is_committee", "sub_levels", "codes"),
    [
        (2021, False, ["good"] * 8 + ["complete"] * 2, []),
        (2021, False, ["excellent"] * 4 + ["good"] * 3 + ["complete"] * 3, ["O1"]),
        (2021, False, ["excellent"] * 9 + ["not_complete"], ["O1"]),
        (2021, False, ["good"] * 4 + ["complete"] + [None] * 5, []),
        (2021, True, ["excellent"] * 4 + ["complete"], []),
        (2021, True, ["good"] * 3 + ["complete"], ["O1"]),
        (2023, False, ["good"] * 7 + ["complete"] * 3, ["O1"]),
        (2025, True, ["good"] * 8 + ["complete"] * 2, []),
        (2018, False, ["good"] * 5 + ["not_complete"] * 5, []),  # from 2019 only
    ],
    ids=[
        "cell-80-percent",
        "cell-70-percent",
        "cell-one-khtnv",
        "not-rated-members-excluded",
        "committee-80-percent",
        "committee-75-percent",
        "2023-70-percent",
        "2025-80-percent",
        "2018-not-applicable",
    ],
)
def test_o1_htxsnv_needs_all_htnv_and_80_percent_httnv(year, is_committee, sub_levels, codes):
    """HTXSNV needs 100% of sub-units/members HTNV or better and ≥ 80% HTTNV or better."""
    found = rate_org(year, "excellent", is_committee=is_committee, sub_levels=tuple(sub_levels))
    assert found == codes


def test_o1_failing_still_allows_httnv():
    """O1 only bars HTXSNV."""
    sub_levels = ("excellent",) * 9 + ("not_complete",)
    assert rate_org(2021, "good", sub_levels=sub_levels) == []


# === O2 leadership discipline (2019–2022) =======================================================
@pytest.mark.parametrize(
    ("year", "form", "day", "level", "codes"),
    [
        (2021, "warning", date(2021, 5, 1), "complete", ["O2"]),
        (2021, "dismissal", date(2021, 5, 1), "good", ["O2"]),
        (2021, "warning", date(2021, 5, 1), "not_complete", []),
        (2021, "reprimand", date(2021, 5, 1), "good", []),
        (2021, "warning", date(2020, 5, 1), "good", []),
        (2019, "expulsion", date(2019, 5, 1), "complete", ["O2"]),
        (2023, "warning", date(2023, 5, 1), "good", []),  # O2 ends 2022
    ],
)
def test_o2_leadership_member_disciplined_warning_or_above(year, form, day, level, codes):
    """A leadership member disciplined at Cảnh cáo or above in the year → KHTNV (2019–2022)."""
    found = rate_org(year, level, leadership_disciplines=(discipline(day, form),))
    assert found == codes


# === O3 collective or > 20% sub-units disciplined (2023–) ======================================
@pytest.mark.parametrize(
    ("year", "facts", "level", "codes"),
    [
        (2023, {"collective_disciplines": (discipline(date(2023, 6, 1)),)}, "complete", ["O3"]),
        (2023, {"collective_disciplines": (discipline(date(2022, 6, 1)),)}, "good", []),
        (2024, {"sub_unit_count": 10, "disciplined_sub_unit_count": 2}, "good", []),
        (2024, {"sub_unit_count": 10, "disciplined_sub_unit_count": 3}, "complete", ["O3"]),
        (2024, {"sub_unit_count": 10, "disciplined_sub_unit_count": 3}, "not_complete", []),
        (2022, {"collective_disciplines": (discipline(date(2022, 6, 1)),)}, "good", []),
    ],
    ids=[
        "collective",
        "collective-previous-year",
        "20-percent",
        "30-percent",
        "30-percent-rated-khtnv",
        "2022-not-applicable",
    ],
)
def test_o3_collective_or_more_than_20_percent_sub_units(year, facts, level, codes):
    """From 2023: the leadership collective disciplined, or > 20% of sub-units disciplined in
    the year → KHTNV."""
    assert rate_org(year, level, is_committee=True, **facts) == codes


# === O4 (2025–) ================================================================================
@pytest.mark.parametrize(
    ("facts", "level", "codes"),
    [
        ({"disciplined_sub_unit_count": 1, "sub_unit_count": 10}, "excellent", ["O4"]),
        ({"disciplined_sub_unit_count": 1, "sub_unit_count": 10}, "good", []),
        ({"leadership_disciplines": (discipline(date(2025, 3, 1)),)}, "excellent", ["O4"]),
        ({"leadership_disciplines": (discipline(date(2024, 3, 1)),)}, "excellent", []),
        ({"points": Decimal(90)}, "excellent", []),
        ({"points": Decimal("89.99")}, "excellent", ["O4"]),
        ({"points": Decimal(70)}, "good", []),
        ({"points": Decimal(50)}, "complete", []),
        ({"points": Decimal(49)}, "complete", ["O4"]),
        ({"points": None}, "good", ["O4"]),
    ],
    ids=[
        "sub-unit-disciplined",
        "sub-unit-disciplined-httnv",
        "leader-disciplined",
        "leader-disciplined-previous-year",
        "points-90",
        "points-89.99",
        "points-70",
        "points-50",
        "points-49",
        "no-points",
    ],
)
def test_o4_discipline_bars_htxsnv_and_points_bands(facts, level, codes):
    """2025: any disciplined sub-unit or leadership member → not HTXSNV; bands as M5."""
    assert rate_org(2025, level, is_committee=True, **facts) == codes


def test_o4_not_before_2025():
    """In 2024 a disciplined sub-unit (within 20%) does not bar HTXSNV."""
    facts = {"disciplined_sub_unit_count": 1, "sub_unit_count": 10}
    assert rate_org(2024, "excellent", is_committee=True, **facts) == []


# === O5 (2014–2017) ============================================================================
@pytest.mark.parametrize(
    ("year", "is_committee", "facts", "codes"),
    [
        (2015, True, {"sub_levels": ("pure_strong",) * 6 + ("weak",) * 3}, []),
        (2015, True, {"sub_levels": ("pure_strong",) * 5 + ("weak",) * 4}, ["O5"]),
        (
            2016,
            False,
            {"sub_levels": ("qualified_good",) * 5 + ("violation_or_not_complete",) * 5},
            [],
        ),
        (
            2016,
            False,
            {"sub_levels": ("qualified_good",) * 4 + ("violation_or_not_complete",) * 6},
            ["O5"],
        ),
        (2017, False, {"points": 50}, []),
        (2017, False, {"points": Decimal(49)}, ["O5"]),
        (2014, True, {"points": None}, []),
        (2013, False, {"points": 10}, []),  # O5 is 2014–2017
        (2018, True, {"sub_levels": ("not_complete",) * 2}, []),
    ],
    ids=[
        "committee-one-third-weak",
        "committee-over-one-third-weak",
        "cell-half-not-complete",
        "cell-over-half-not-complete",
        "points-50",
        "points-49",
        "no-points-recorded",
        "2013-not-applicable",
        "2018-not-applicable",
    ],
)
def test_o5_weak_organization(year, is_committee, facts, codes):
    """2014–2017: "Yếu kém" when < 50 points, > 1/3 sub-organizations Yếu kém (đảng bộ) or
    > 1/2 members not completing their tasks (chi bộ)."""
    level = scheme_for_year(year).organization_levels[2].slug  # HTNV
    assert rate_org(year, level, is_committee=is_committee, **facts) == codes


# === O6 new organizations ======================================================================
@pytest.mark.parametrize(
    ("year", "established_on", "level", "reason", "codes"),
    [
        (2021, date(2021, 7, 1), "good", None, []),
        (2021, date(2021, 7, 2), "good", None, ["O6"]),
        (2021, date(2021, 7, 2), None, "newly_established", []),
        (2021, date(2021, 7, 1), None, "newly_established", ["O6"]),
        (2021, date(2021, 7, 1), None, None, ["O6"]),
        (2021, date(2021, 7, 2), None, "exempt", ["O6"]),
        (2010, date(2010, 10, 1), "pure_strong", None, ["O6"]),
        (2025, date(2025, 8, 1), "good", None, ["O6"]),
    ],
    ids=[
        "exactly-6-months-rated",
        "under-6-months-rated",
        "under-6-months-not-rated",
        "exactly-6-months-not-rated",
        "no-reason",
        "member-reason",
        "2010-new",
        "2025-new",
    ],
)
def test_o6_new_organization_not_rated(year, established_on, level, reason, codes):
    """Organizations established less than 6 months before the period end are not rated."""
    found = rate_org(year, level, reason=reason, established_on=established_on)
    assert found == codes


def test_organization_cap_for_the_grid():
    """The cap of an organization names the rules that lower it."""
    facts = org(
        2025, is_committee=True, points=Decimal(80), disciplined_sub_unit_count=1, sub_unit_count=3
    )
    cap = max_organization_level_for(facts, scheme_for_year(2025))
    assert cap.level == "not_complete"  # 1/3 sub-units disciplined: O3
    assert sorted({r.code for r in cap.reasons}) == ["O3", "O4"]


def test_organization_violation_message_cites_the_guidance():
    """Organization messages are Vietnamese sentences ending with the guidance."""
    (violation,) = check_organization_rating(
        scheme_for_year(2021),
        org(2021, sub_levels=("good", "not_complete")),
        level="excellent",
    )
    assert violation.message == (
        "Có đảng viên không hoàn thành nhiệm vụ: chỉ được xếp loại tối đa Hoàn thành tốt "
        "nhiệm vụ, không được xếp loại Hoàn thành xuất sắc nhiệm vụ — Hướng dẫn 21-HD/BTCTW"
    )


# === Unit workflow =============================================================================
@pytest.mark.parametrize(
    ("from_state", "to_state", "deciding", "code"),
    [
        ("draft", "submitted", False, None),
        ("submitted", "returned", False, None),
        ("submitted", "decided", False, None),
        ("returned", "submitted", False, None),
        ("returned", "draft", False, None),
        ("decided", "published", False, None),
        ("decided", "draft", True, None),
        ("decided", "draft", False, "W3"),
        ("draft", "decided", True, "W2"),
        ("draft", "published", False, "W2"),
        ("submitted", "published", False, "W2"),
        ("decided", "submitted", True, "W2"),
        ("published", "draft", True, None),
        ("published", "draft", False, "W3"),
        ("published", "submitted", True, "W2"),
        ("draft", "draft", False, "W2"),
        ("draft", "approved", False, "W1"),
        ("archived", "draft", False, "W1"),
    ],
)
def test_check_transition(from_state, to_state, deciding, code):
    """draft → submitted → returned|decided → published; decided or published → draft only by
    the deciding level; anything else is refused with a code."""
    violation = check_transition(from_state, to_state, by_deciding_level=deciding)
    assert (violation.code if violation else None) == code


def test_require_transition_raises_with_the_violation():
    """Services get an exception carrying the violation."""
    with pytest.raises(rules.TransitionError) as excinfo:
        rules.require_transition("decided", "draft", subject_id="CB01")
    assert excinfo.value.violation.code == "W3"
    assert excinfo.value.violation.subject_id == "CB01"
    rules.require_transition("decided", "draft", by_deciding_level=True)
