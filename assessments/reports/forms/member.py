"""The member's self-review form of the year (Mẫu 2A / 2B / 2C from 2025; the scheme's form
earlier), pre-filled, with the annex of task results and the quarters of Mẫu 05.

`member_form_sheets` reads any list of members in a fixed number of queries (9), so a cell's
forms and one piece of a 1,700-member unit cost the same round trips.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from cells.choices import PostKind
from cells.models import Member, Organization, Post

from ... import quarterly, rules, schemes
from ...choices import ScoreStage, TaskResult
from ...form_categories import form_categories_for
from ...models import AssignedTask, MemberRating, ScoreSheet
from ...rules.quarters import QUARTERS
from ...selectors import period_end
from ..formatting import fmt_date, fmt_pct, level_short

_RESULT_LABELS = dict(TaskResult.choices)


def points_text(points) -> str:
    return "" if points is None else fmt_pct(points)


@dataclass
class TaskLine:
    number: int
    title: str
    result: object  # a lazy label, translated when the template renders
    remedied: str


@dataclass
class QuarterLine:
    quarter: int
    points: str
    level: str
    entered_by: str


@dataclass
class MemberFormSheet:
    """One member's form: the header facts, the sections of the audience, the annexes."""

    member_id: int
    form_code: str
    form_title: str
    audience: str
    category_recorded: bool
    category_reason: str
    full_name: str
    birth_date: str
    cell: str
    party_posts: str
    government_posts: str
    admitted_on: str
    full_member_on: str
    points_based: bool
    self_level: str = ""
    self_points: str = ""
    self_general: str = ""  # the 30 part of the self-score sheet, when entered
    self_tasks: str = ""  # the 70 part
    appraisal_points: str = ""  # the committee's appraisal: "general + tasks = total"
    cell_level: str = ""
    votes: str = ""
    proposed_level: str = ""
    decided_level: str = ""
    not_rated: str = ""
    tasks: list[TaskLine] = field(default_factory=list)
    tasks_summary: str = ""
    quarters: list[QuarterLine] = field(default_factory=list)
    quarters_average: str = ""
    quarters_suggestion: str = ""
    quarters_missing: str = ""

    @property
    def is_leader(self) -> bool:
        return self.audience == schemes.AUDIENCE_LEADER

    @property
    def outside_political_system(self) -> bool:
        return self.audience == schemes.AUDIENCE_OUTSIDE_POLITICAL_SYSTEM


def _posts(ids: list[int], end: datetime.date) -> dict[int, dict[str, list[str]]]:
    posts: dict[int, dict[str, list[str]]] = {}
    for post in Post.objects.filter(
        Q(start__isnull=True) | Q(start__lte=end),
        Q(end__isnull=True) | Q(end__gte=end),
        member_id__in=ids,
    ).order_by("kind", "title"):
        posts.setdefault(post.member_id, {}).setdefault(post.kind, []).append(post.title)
    return posts


def _tasks_summary(tasks: list[AssignedTask]) -> str:
    if not tasks:
        return "Chưa có nhiệm vụ được giao trong sổ nhiệm vụ."
    s = rules.TasksSummary.from_results(t.result for t in tasks)
    not_assessed = sum(1 for t in tasks if not t.result)
    text = (
        f"Được giao {s.assigned} nhiệm vụ: hoàn thành {s.done}, đúng hạn {s.done_on_time} "
        f"({s.done_on_time * 100 // s.assigned}%), vượt yêu cầu {s.exceeded} "
        f"({s.exceeded * 100 // s.assigned}%), chậm {s.done - s.done_on_time}, "
        f"không hoàn thành {s.assigned - s.done - not_assessed}"
    )
    if not_assessed:
        text += f", chưa đánh giá {not_assessed}"
    return text + "."


def member_form_sheets(*, members: list[Member], year: int) -> list[MemberFormSheet]:
    """The forms of `members` (each annotated with `cell_id`, as cells.selectors.members_of
    gives them, and already scoped by the caller) for `year`, in the order given."""
    scheme = schemes.scheme_for_year(year)
    end = period_end(year)
    ids = [m.pk for m in members]
    cells = dict(
        Organization.objects.filter(pk__in={m.cell_id for m in members}).values_list("pk", "name")
    )
    posts = _posts(ids, end)
    ratings = {r.member_id: r for r in MemberRating.objects.filter(year=year, member_id__in=ids)}
    tasks: dict[int, list[AssignedTask]] = defaultdict(list)
    for task in AssignedTask.objects.filter(member_id__in=ids, year=year).order_by("id"):
        tasks[task.member_id].append(task)
    sheets_by: dict[tuple[int, str], ScoreSheet] = {
        (sheet.member_rating_id, sheet.stage): sheet
        for sheet in ScoreSheet.objects.filter(member_rating__in=[r.pk for r in ratings.values()])
    }
    categories = form_categories_for(members=members, year=year)
    quarters = quarterly.quarters_for_members(members=members, year=year)
    points_based = scheme.member_assessment == schemes.ASSESSMENT_POINTS
    sheets = []
    for m in members:
        held = posts.get(m.pk, {})
        category = categories[m.pk]
        rating = ratings.get(m.pk)
        sheet = MemberFormSheet(
            member_id=m.pk,
            form_code=category.form.code,
            form_title=category.form.title,
            audience=category.form.audience,
            category_recorded=category.recorded,
            category_reason=category.reason,
            full_name=m.full_name,
            birth_date=fmt_date(m.birth_date),
            cell=cells.get(m.cell_id, ""),
            party_posts=", ".join(held.get(PostKind.PARTY, [])),
            government_posts=", ".join(held.get(PostKind.GOVERNMENT, [])),
            admitted_on=fmt_date(m.admitted_on),
            full_member_on=fmt_date(m.full_member_on),
            points_based=points_based,
        )
        if rating is not None:
            sheet.self_level = level_short(scheme, rating.self_level)
            sheet.cell_level = level_short(scheme, rating.cell_level)
            sheet.proposed_level = level_short(scheme, rating.proposed_level)
            sheet.decided_level = level_short(scheme, rating.decided_level)
            sheet.self_points = points_text(rating.points)
            own = sheets_by.get((rating.pk, ScoreStage.SELF))
            if own is not None:
                sheet.self_general, sheet.self_tasks = (
                    points_text(own.general),
                    points_text(own.tasks),
                )
            appraisal = sheets_by.get((rating.pk, ScoreStage.COMMITTEE))
            if (
                appraisal is not None
                and appraisal.general is not None
                and appraisal.tasks is not None
            ):
                sheet.appraisal_points = (
                    f"{points_text(appraisal.general)}/30 + {points_text(appraisal.tasks)}/70 = "
                    f"{points_text(appraisal.general + appraisal.tasks)}/100"
                )
            if rating.votes_total:
                sheet.votes = f"{rating.votes_for or 0}/{rating.votes_total}"
            if not rating.proposed_level and rating.not_rated_reason:
                sheet.not_rated = str(rating.get_not_rated_reason_display())
        own = tasks.get(m.pk, [])
        sheet.tasks = [
            TaskLine(
                number=i,
                title=t.title,
                result=_RESULT_LABELS.get(t.result, "Chưa đánh giá")
                + (" (tự phát hiện, đã khắc phục)" if t.not_done_remedied else ""),
                remedied=(
                    ""
                    if t.shortcoming_remedied is None
                    else ("Đã khắc phục" if t.shortcoming_remedied else "Chưa khắc phục")
                ),
            )
            for i, t in enumerate(own, start=1)
        ]
        sheet.tasks_summary = _tasks_summary(own)
        mq = quarters[m.pk]
        for q in QUARTERS:
            row = mq.by_quarter.get(q)
            sheet.quarters.append(
                QuarterLine(
                    quarter=q,
                    points=points_text(row.points) if row else "",
                    level=level_short(scheme, row.level) if row else "",
                    entered_by=(
                        (row.entered_by.get_full_name() or row.entered_by.get_username())
                        if row and row.entered_by
                        else ""
                    ),
                )
            )
        summary = mq.summary
        if summary.average is not None:
            sheet.quarters_average = fmt_pct(summary.average)
            sheet.quarters_suggestion = scheme.member_level_at(summary.rank).short
        elif summary.points:
            sheet.quarters_missing = ", ".join(f"Quý {q}" for q in summary.missing)
        sheets.append(sheet)
    return sheets
