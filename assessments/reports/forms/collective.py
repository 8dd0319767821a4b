"""Mẫu 01: the collective's review report (báo cáo kiểm điểm tập thể) of a cell or a đảng bộ
for the year, pre-filled with its own tasks, how its members (and sub-units) stand, its
points and levels, and the room for the superior committee's appraisal."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cells.models import Organization

from ... import schemes
from ...choices import ScoreStage, TaskResult
from ...models import AssignedTask, MemberRating, OrganizationRating, ScoreSheet
from ...selectors import period_end
from .member import TaskLine, _tasks_summary, level_short, points_text

_RESULT_LABELS = dict(TaskResult.choices)


@dataclass
class CollectiveSheet:
    name: str
    is_cell: bool
    points_based: bool
    members_total: int
    member_levels: list[tuple[str, int]]
    members_not_rated: int
    sub_units: list[tuple[str, str]]  # (name, level or "chưa xếp loại")
    tasks: list[TaskLine] = field(default_factory=list)
    tasks_summary: str = ""
    points: str = ""
    # The two parts of the collective's own score sheet (…/30, …/70; empty: not entered) and
    # the superior committee's appraisal "27/30 + 60/70 = 87/100" (ScoreSheet stages).
    self_general: str = ""
    self_tasks: str = ""
    appraisal_points: str = ""
    proposed_level: str = ""
    decided_level: str = ""
    not_rated: str = ""
    levels_basis: str = ""  # "đã quyết định" | "đề xuất"


def collective_sheet(*, organization: Organization, year: int) -> CollectiveSheet:
    """The Mẫu 01 data of `organization` (scoped by the caller) for `year` (6 queries)."""
    scheme = schemes.scheme_for_year(year)
    end = period_end(year)
    ratings = MemberRating.objects.filter(year=year, cell__path__startswith=organization.path)
    rows = list(ratings.values_list("decided_level", "proposed_level", "not_rated_reason"))
    decided = bool(rows) and all(d or r for d, _p, r in rows)
    counts = Counter(d if decided else p for d, p, r in rows if (d if decided else p))
    sub_units = []
    children = (
        Organization.objects.existing_on(end)
        .filter(path__startswith=organization.path, depth=organization.depth + 1)
        .order_by("name_sort_key", "path")
        .only("pk", "name")
    )
    children = list(children)
    org_ratings = {
        r.organization_id: r
        for r in OrganizationRating.objects.filter(
            year=year, organization__in=[organization.pk, *(c.pk for c in children)]
        )
    }
    for child in children:
        r = org_ratings.get(child.pk)
        level = (r.decided_level or r.proposed_level) if r else ""
        sub_units.append((child.name, level_short(scheme, level) or "chưa xếp loại"))
    tasks = list(AssignedTask.objects.filter(organization=organization, year=year).order_by("id"))
    own = org_ratings.get(organization.pk)
    sheet = CollectiveSheet(
        name=organization.name,
        is_cell=organization.name.lower().startswith("chi bộ"),
        points_based=scheme.organization_assessment == schemes.ASSESSMENT_POINTS,
        members_total=len(rows),
        member_levels=[(lv.short, counts.get(lv.slug, 0)) for lv in scheme.member_levels],
        members_not_rated=sum(1 for d, p, r in rows if r and not (d if decided else p)),
        sub_units=sub_units,
        tasks=[
            TaskLine(
                number=i,
                title=t.title,
                result=_RESULT_LABELS.get(t.result, "Chưa đánh giá"),
                remedied="",
            )
            for i, t in enumerate(tasks, start=1)
        ],
        tasks_summary=_tasks_summary(tasks),
        levels_basis="đã quyết định" if decided else "đề xuất",
    )
    if own is not None:
        sheet.points = points_text(own.points)
        sheet.proposed_level = level_short(scheme, own.proposed_level)
        sheet.decided_level = level_short(scheme, own.decided_level)
        if not own.proposed_level and own.not_rated_reason:
            sheet.not_rated = str(own.get_not_rated_reason_display())
        _fill_parts(sheet, {s.stage: s for s in ScoreSheet.objects.filter(organization_rating=own)})
    return sheet


def _fill_parts(sheet: CollectiveSheet, by_stage: dict[str, ScoreSheet]) -> None:
    own = by_stage.get(ScoreStage.SELF)
    if own is not None:
        sheet.self_general, sheet.self_tasks = points_text(own.general), points_text(own.tasks)
        if own.total is not None and not sheet.points:
            sheet.points = points_text(own.total)
    appraisal = by_stage.get(ScoreStage.COMMITTEE)
    if appraisal is not None and appraisal.total is not None:
        sheet.appraisal_points = (
            f"{points_text(appraisal.general)}/30 + {points_text(appraisal.tasks)}/70 = "
            f"{points_text(appraisal.total)}/100"
        )
