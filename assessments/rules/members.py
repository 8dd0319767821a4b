"""Member rules: the caps of M0, M1, M2, M4, M5 and who is not rated (M3)."""

from __future__ import annotations

import datetime

from assessments.schemes import Rank, RatingScheme

from .article11 import below_planned_tasks, planned_tasks_text
from .bands import far_below_violations, points_and_task_caps
from .common import (
    cap_reason,
    day_text,
    not_rated_violations,
    over_cap,
    percent_text,
    violation,
)
from .constants import (
    DISCIPLINE_LABELS,
    EVENT_EXEMPTION,
    EVENT_SUSPENSION,
    LED_UNITS_NOT_COMPLETE_SHARE,
    M1_SELF_REMEDY_FROM_YEAR,
    NOT_RATED_EXEMPT,
    NOT_RATED_NEWLY_ADMITTED,
    NOT_RATED_SUSPENDED,
    SICK_LEAVE_MIN_MONTHS,
    SUSPENSION_NOT_RATED_FROM_YEAR,
)
from .data import CapReason, LevelCap, MemberFacts, MemberRatingInput, Violation
from .periods import (
    active_event,
    default_period_end,
    disciplines_in_year,
    is_less_than_six_months,
    sick_leave_months,
    sick_leave_spells,
)


def _member_caps(facts: MemberFacts, scheme: RatingScheme) -> list[CapReason]:
    caps: list[CapReason] = []
    year, bottom = facts.year, Rank.NOT_COMPLETE
    disciplines = disciplines_in_year(facts.events, year=year)
    if scheme.applies("M0"):
        tasks = facts.tasks
        if disciplines:
            caps.append(cap_reason(scheme, "M0", bottom, f"Đảng viên bị kỷ luật trong năm {year}"))
        elif tasks is not None and tasks.done < tasks.assigned:
            caps.append(
                cap_reason(scheme, "M0", bottom, "Đảng viên không hoàn thành nhiệm vụ được giao")
            )
    if scheme.applies("M1"):
        if year >= M1_SELF_REMEDY_FROM_YEAR:
            disciplines = [e for e in disciplines if not e.self_remedied]
        if disciplines:
            what = "; ".join(
                f"{DISCIPLINE_LABELS.get(e.discipline_form or '', 'kỷ luật')} "
                f"ngày {day_text(e.start)}"
                for e in disciplines
            )
            caps.append(
                cap_reason(scheme, "M1", bottom, f"Đảng viên bị kỷ luật trong năm {year} ({what})")
            )
    if scheme.applies("M2"):
        months = sick_leave_months(facts.events, year=year)
        if months >= SICK_LEAVE_MIN_MONTHS:
            spells = ", ".join(
                f"{day_text(a)}–{day_text(b)}"
                for a, b in sick_leave_spells(facts.events, year=year)
            )
            why = (
                f"Đảng viên nghỉ ốm {months} tháng trong năm {year} ({spells}; "
                f"từ {SICK_LEAVE_MIN_MONTHS} tháng trở lên)"
            )
            caps.append(cap_reason(scheme, "M2", Rank.COMPLETE, why))
    if scheme.applies("M4") and facts.civil_servant_level is not None:
        servant = scheme.level(facts.civil_servant_level)
        if servant.rank < Rank.EXCELLENT:
            rank = bottom if servant.rank == bottom else Rank.GOOD
            why = f"Đảng viên là cán bộ, công chức được xếp loại {servant.label} ở cơ quan, đơn vị"
            caps.append(cap_reason(scheme, "M4", rank, why))
    if scheme.applies("M5"):
        caps.extend(_m5_caps(facts, scheme))
        below = [
            name
            for name, level in facts.led_units
            if level is not None and scheme.level(level).rank < Rank.EXCELLENT
        ]
        if below:
            top = scheme.organization_level_at(Rank.EXCELLENT).short
            why = f"Đơn vị do đảng viên lãnh đạo chưa đạt {top} ({', '.join(below)})"
            caps.append(cap_reason(scheme, "M5", Rank.GOOD, why))
        caps.extend(_leader_khtnv_caps(facts, scheme))
    return caps


def _leader_khtnv_caps(facts: MemberFacts, scheme: RatingScheme) -> list[CapReason]:
    """Điều 11's listed KHTNV cases of a leader that the data can show (2025–): the units they
    head, more than 50% of those rated being KHTNV; a unit of theirs that completed less than
    70% of its planned tasks. Units not rated yet are not counted."""
    caps: list[CapReason] = []
    rated = [(name, level) for name, level in facts.led_units if level is not None]
    low = [name for name, level in rated if scheme.level(level).rank == Rank.NOT_COMPLETE]
    share = LED_UNITS_NOT_COMPLETE_SHARE
    if low and len(low) * share.denominator > len(rated) * share.numerator:
        bottom = scheme.organization_level_at(Rank.NOT_COMPLETE).short
        why = (
            f"Quá {percent_text(share)} đơn vị do đảng viên lãnh đạo bị xếp loại {bottom}: "
            f"{len(low)}/{len(rated)} ({', '.join(low)})"
        )
        caps.append(cap_reason(scheme, "M5", Rank.NOT_COMPLETE, why))
    for name, tasks in facts.led_unit_tasks:
        if below_planned_tasks(tasks.counts):
            why = f"Đơn vị do đảng viên lãnh đạo ({name}) {planned_tasks_text(tasks.counts)}"
            caps.append(cap_reason(scheme, "M5", Rank.NOT_COMPLETE, why))
    return caps


def _m5_caps(facts: MemberFacts, scheme: RatingScheme) -> list[CapReason]:
    """Points bands and the Điều 11 task conditions of M5 (2025–)."""
    return points_and_task_caps(
        scheme,
        "M5",
        points=facts.points,
        tasks=facts.tasks,
        remedied=facts.earlier_shortcomings_remedied,
    )


def _member_must_not_rate(
    facts: MemberFacts, scheme: RatingScheme, end: datetime.date
) -> tuple[str, str] | None:
    """(reason, sentence) when M3 says the member is not rated: status on the period end."""
    if not scheme.applies("M3"):
        return None
    if exempt := active_event(facts.events, EVENT_EXEMPTION, end, end):
        why = f"Đảng viên được miễn công tác và sinh hoạt đảng (từ {day_text(exempt.start)})"
        return NOT_RATED_EXEMPT, f"{why} không xếp loại chất lượng"
    suspended = active_event(facts.events, EVENT_SUSPENSION, end, end)
    if suspended and facts.year >= SUSPENSION_NOT_RATED_FROM_YEAR:
        why = f"Đảng viên bị đình chỉ sinh hoạt đảng (từ {day_text(suspended.start)})"
        return NOT_RATED_SUSPENDED, f"{why} không xếp loại chất lượng"
    admitted = facts.admitted_on
    if admitted is not None and is_less_than_six_months(admitted, period_end=end):
        return NOT_RATED_NEWLY_ADMITTED, (
            f"Đảng viên mới kết nạp ngày {day_text(admitted)}, "
            f"chưa đủ 06 tháng đến {day_text(end)}: "
            "chỉ kiểm điểm, không xếp loại chất lượng"
        )
    return None


def _member_reason_problems(facts: MemberFacts, end: datetime.date) -> dict[str, str | None]:
    """Each not-rated reason a member may give, mapped to None if the facts support it."""
    year, first = facts.year, datetime.date(facts.year, 1, 1)
    problems: dict[str, str | None] = {
        NOT_RATED_EXEMPT: None
        if active_event(facts.events, EVENT_EXEMPTION, first, end)
        else f"Không có quyết định miễn công tác và sinh hoạt đảng trong năm {year}"
    }
    if year >= SUSPENSION_NOT_RATED_FROM_YEAR:
        problems[NOT_RATED_SUSPENDED] = (
            None
            if active_event(facts.events, EVENT_SUSPENSION, first, end)
            else f"Không có quyết định đình chỉ sinh hoạt đảng trong năm {year}"
        )
    admitted = facts.admitted_on
    new = admitted is not None and is_less_than_six_months(admitted, period_end=end)
    when = day_text(admitted) if admitted else "không rõ"
    problems[NOT_RATED_NEWLY_ADMITTED] = (
        None if new else f"Đảng viên kết nạp ngày {when}, đã đủ 06 tháng đến {day_text(end)}"
    )
    return problems


def max_level_for(
    facts: MemberFacts, scheme: RatingScheme, *, period_end: datetime.date | None = None
) -> LevelCap:
    """The highest level the member may get under `scheme`, and the rules that cap it.

    The entry grid shows it beside each member; `check_member_ratings` enforces it.
    """
    end = period_end or default_period_end(facts.year)
    if not_rated := _member_must_not_rate(facts, scheme, end):
        return LevelCap(
            level=None, rank=None, not_rated_reason=not_rated[0], not_rated_message=not_rated[1]
        )
    reasons = tuple(_member_caps(facts, scheme))
    rank = min((r.rank for r in reasons), default=Rank.EXCELLENT)
    return LevelCap(level=scheme.member_level_at(rank).slug, rank=rank, reasons=reasons)


def check_member_rating(
    scheme: RatingScheme,
    facts: MemberFacts,
    rating: MemberRatingInput,
    *,
    period_end: datetime.date | None = None,
    cap: LevelCap | None = None,
) -> list[Violation]:
    """Every member rule (M0–M5) for one member; the quota is counted over a set, see below.

    `cap`: `max_level_for` of the same facts when the caller worked it out already (the
    entry grid shows it on every row)."""
    if not scheme.covers(facts.year):
        raise ValueError(f"Scheme {scheme.code} does not cover year {facts.year}")
    end = period_end or default_period_end(facts.year)
    mid, cite = facts.member_id, scheme.citation
    if rating.level is None:
        return not_rated_violations(
            code="M3",
            subject_id=mid,
            reason=rating.not_rated_reason,
            note=rating.not_rated_note,
            problems=_member_reason_problems(facts, end),
            citation=cite,
        )
    if not scheme.is_member_level(rating.level):
        why = f"Mức «{rating.level}» không thuộc các mức xếp loại đảng viên năm {facts.year}"
        return [violation("S1", mid, f"{why} — {cite}")]
    if cap is None:
        cap = max_level_for(facts, scheme, period_end=end)
    if cap.level is None:
        return [violation("M3", mid, f"{cap.not_rated_message} — {cite}")]
    violations = over_cap(scheme, cap, rating.level, mid)
    if scheme.applies("M5") and facts.points is None:
        violations.append(violation("M5", mid, f"Chưa có điểm (thang 100) của đảng viên — {cite}"))
    elif scheme.applies("M5"):
        violations.extend(
            far_below_violations(scheme, cap, rating.level, facts.points, mid, org=False)
        )
    return violations
