"""The 2025– points bands (M5, O4) with the Điều 11 task conditions, and the warning for a
level far below its band: shared by the member and the organization rules."""

from __future__ import annotations

from decimal import Decimal

from assessments.schemes import Rank, RatingScheme

from .article11 import TaskCap, task_caps
from .common import as_points, cap_reason, number_text, points_rank
from .constants import SEVERITY_WARNING, SubjectId
from .data import CapReason, LevelCap, TasksSummary, Violation
from .points import far_below_band

_NOT_REMEDIED = "chưa khắc phục hết hạn chế, khuyết điểm đã được chỉ ra"


def points_and_task_caps(
    scheme: RatingScheme,
    code: str,
    *,
    points: Decimal | int | None,
    tasks: TasksSummary | None,
    remedied: bool,
    org: bool = False,
) -> list[CapReason]:
    """Points bands and the Điều 11 task conditions (rules.article11), 2025–.

    A task condition is listed only where it lowers the level below the points band, so the
    grid's reasons explain the cap rather than repeat it. With no task recorded only
    "earlier shortcomings remedied" is checked.
    """
    caps: list[CapReason] = []
    band = Rank.EXCELLENT
    who = "Tổ chức" if org else "Đảng viên"
    if points is not None:
        value = as_points(points)
        band = points_rank(value)
        if band < Rank.EXCELLENT:
            why = f"{who} đạt {number_text(value)} điểm"
            caps.append(cap_reason(scheme, code, band, why, org=org))
    at = scheme.organization_level_at if org else scheme.member_level_at
    if tasks is not None:
        found = task_caps(tasks.counts, remedied=remedied, collective=org)
    elif not remedied:
        found = [TaskCap(rank=Rank.GOOD, why=_NOT_REMEDIED, missing_for=Rank.EXCELLENT)]
    else:
        found = []
    for task_cap in found:
        if task_cap.rank >= band:
            continue
        if task_cap.missing_for is None:
            why = f"{who} có {task_cap.why}"
        else:
            why = f"Chưa đủ điều kiện {at(task_cap.missing_for).short} ({task_cap.why})"
        caps.append(cap_reason(scheme, code, task_cap.rank, why, org=org))
    return caps


def far_below_violations(
    scheme: RatingScheme,
    cap: LevelCap,
    level: str,
    points: Decimal | int,
    subject_id: SubjectId,
    *,
    org: bool,
) -> list[Violation]:
    """A warning when the level is two or more below its points band and no rule says why."""
    value, rank = as_points(points), scheme.level(level).rank
    if not far_below_band(value, rank, caps=[r.rank for r in cap.reasons]):
        return []
    at = scheme.organization_level_at if org else scheme.member_level_at
    text = (
        f"{number_text(value)} điểm thuộc khung {at(points_rank(value)).short} nhưng đề nghị "
        f"{scheme.level(level).short}: kiểm tra lại điểm hoặc mức xếp loại"
    )
    return [
        Violation(
            code="O4" if org else "M5",
            subject_id=subject_id,
            message=f"{text} — {scheme.citation}",
            level=SEVERITY_WARNING,
        )
    ]
