"""Organization rules (O1–O6)."""

from __future__ import annotations

import datetime

from assessments.schemes import Rank, RatingScheme

from .bands import far_below_violations, points_and_task_caps
from .common import (
    as_points,
    cap_reason,
    day_text,
    not_rated_violations,
    number_text,
    over_cap,
    percent_text,
    violation,
)
from .constants import (
    DISCIPLINE_SEVERITY,
    DISCIPLINE_WARNING,
    NOT_RATED_NEWLY_ESTABLISHED,
    O1_GOOD_OR_BETTER_SHARE,
    O3_DISCIPLINED_SUB_UNITS_SHARE,
    O5_NOT_COMPLETE_MEMBERS_SHARE,
    O5_WEAK_SUB_ORGANIZATIONS_SHARE,
    POINT_BANDS,
)
from .data import CapReason, LevelCap, OrganizationFacts, Violation
from .periods import default_period_end, disciplines_in_year, is_less_than_six_months


def _organization_caps(facts: OrganizationFacts, scheme: RatingScheme) -> list[CapReason]:
    caps: list[CapReason] = []
    year, bottom = facts.year, Rank.NOT_COMPLETE
    ranks = [scheme.level(slug).rank for slug in facts.sub_levels if slug is not None]
    rated = len(ranks)
    what = "tổ chức đảng trực thuộc" if facts.is_committee else "đảng viên"
    leaders = disciplines_in_year(facts.leadership_disciplines, year=year)
    collective = disciplines_in_year(facts.collective_disciplines, year=year)

    def cap(code: str, rank: Rank, why: str) -> None:
        caps.append(cap_reason(scheme, code, rank, why, org=True))

    if scheme.applies("O1") and not ranks:
        cap("O1", Rank.GOOD, f"Chưa có {what} nào được xếp loại")
    elif scheme.applies("O1"):
        share, good_or_better = O1_GOOD_OR_BETTER_SHARE, sum(r >= Rank.GOOD for r in ranks)
        if any(r < Rank.COMPLETE for r in ranks):
            cap("O1", Rank.GOOD, f"Có {what} không hoàn thành nhiệm vụ")
        elif good_or_better * share.denominator < rated * share.numerator:
            why = f"{good_or_better}/{rated} {what} hoàn thành tốt nhiệm vụ trở lên"
            cap("O1", Rank.GOOD, f"{why}, dưới {percent_text(share)}")
    if scheme.applies("O2"):
        warning = DISCIPLINE_SEVERITY[DISCIPLINE_WARNING]
        if any(DISCIPLINE_SEVERITY.get(e.discipline_form or "", 0) >= warning for e in leaders):
            cap("O2", bottom, f"Có cấp ủy viên bị kỷ luật từ Cảnh cáo trở lên trong năm {year}")
    if scheme.applies("O3"):
        share, hit = O3_DISCIPLINED_SUB_UNITS_SHARE, facts.disciplined_sub_unit_count
        if collective:
            cap("O3", bottom, f"Tập thể cấp ủy bị kỷ luật trong năm {year}")
        elif hit * share.denominator > facts.sub_unit_count * share.numerator:
            why = f"{hit}/{facts.sub_unit_count} tổ chức trực thuộc bị kỷ luật trong năm {year}"
            cap("O3", bottom, f"{why}, trên {percent_text(share)}")
    if scheme.applies("O4"):
        if leaders or collective or facts.disciplined_sub_unit_count:
            cap("O4", Rank.GOOD, f"Có tổ chức trực thuộc hoặc cấp ủy viên bị kỷ luật năm {year}")
        caps.extend(
            points_and_task_caps(
                scheme,
                "O4",
                points=facts.points,
                tasks=facts.tasks,
                remedied=facts.earlier_shortcomings_remedied,
                org=True,
            )
        )
    if scheme.applies("O5"):
        floor = POINT_BANDS[-1][0]
        if facts.points is not None and (points := as_points(facts.points)) < floor:
            cap("O5", bottom, f"Tổ chức đạt {number_text(points)} điểm, dưới {number_text(floor)}")
        if facts.is_committee:
            share, label = O5_WEAK_SUB_ORGANIZATIONS_SHARE, "Yếu kém"
        else:
            share, label = O5_NOT_COMPLETE_MEMBERS_SHARE, "không hoàn thành nhiệm vụ"
        low = sum(r == bottom for r in ranks)
        if low * share.denominator > rated * share.numerator:
            cap("O5", bottom, f"{low}/{rated} {what} {label}, trên {percent_text(share)}")
    return caps


def max_organization_level_for(
    facts: OrganizationFacts, scheme: RatingScheme, *, period_end: datetime.date | None = None
) -> LevelCap:
    """The highest level the organization may get under `scheme` (O1–O6), with the reasons."""
    end = period_end or default_period_end(facts.year)
    founded = facts.established_on
    if founded is not None and is_less_than_six_months(founded, period_end=end):
        return LevelCap(
            level=None,
            rank=None,
            not_rated_reason=NOT_RATED_NEWLY_ESTABLISHED,
            not_rated_message=(
                f"Tổ chức đảng mới thành lập ngày {day_text(founded)}, chưa đủ 06 tháng đến "
                f"{day_text(end)}: không xếp loại chất lượng"
            ),
        )
    reasons = tuple(_organization_caps(facts, scheme))
    rank = min((r.rank for r in reasons), default=Rank.EXCELLENT)
    return LevelCap(level=scheme.organization_level_at(rank).slug, rank=rank, reasons=reasons)


def check_organization_rating(
    scheme: RatingScheme,
    facts: OrganizationFacts,
    *,
    level: str | None,
    not_rated_reason: str | None = None,
    not_rated_note: str = "",
    period_end: datetime.date | None = None,
) -> list[Violation]:
    """Every organization rule (O1–O6) for one proposed organization level."""
    if not scheme.covers(facts.year):
        raise ValueError(f"Scheme {scheme.code} does not cover year {facts.year}")
    end = period_end or default_period_end(facts.year)
    oid, cite = facts.organization_id, scheme.citation
    cap = max_organization_level_for(facts, scheme, period_end=end)
    if level is None:
        when = day_text(facts.established_on) if facts.established_on else "không rõ"
        problem = f"Tổ chức thành lập ngày {when}, đã đủ 06 tháng đến {day_text(end)}"
        return not_rated_violations(
            code="O6",
            subject_id=oid,
            reason=not_rated_reason,
            note=not_rated_note,
            problems={NOT_RATED_NEWLY_ESTABLISHED: None if cap.level is None else problem},
            citation=cite,
        )
    if not scheme.is_organization_level(level):
        why = f"Mức «{level}» không thuộc các mức xếp loại tổ chức đảng năm {facts.year}"
        return [violation("S1", oid, f"{why} — {cite}")]
    if cap.level is None:
        return [violation("O6", oid, f"{cap.not_rated_message} — {cite}")]
    violations = over_cap(scheme, cap, level, oid)
    if scheme.applies("O4") and facts.points is None:
        violations.append(
            violation("O4", oid, f"Chưa có điểm (thang 100) của tổ chức đảng — {cite}")
        )
    elif scheme.applies("O4"):
        violations.extend(far_below_violations(scheme, cap, level, facts.points, oid, org=True))
    return violations
