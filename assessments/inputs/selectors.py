"""Rating inputs, the reads: the lists and defaults of the input screens."""

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from cells.choices import PostKind
from cells.models import Member, Organization, Post
from cells.selectors import members_of

from .. import rules
from ..choices import EDITABLE_STATES, MeetingKind
from ..models import AssignedTask, CellMeeting, MemberRating, RatingRound
from ..permissions import can_enter_cell_proposal, can_enter_ratings
from ..selectors import entry_deadline_passed, period_end, year_setting


# === Selectors =================================================================================
def _percent(part: int, whole: int) -> int | None:
    """A share as a whole percent, rounded down (never shows 100% before it is reached)."""
    return None if not whole else part * 100 // whole


@dataclass
class MemberTasks:
    """One member on the tasks screen: their tasks of the year and what M5 makes of them."""

    member: Member  # annotated by members_of with .cell_id
    cell: Organization | None
    tasks: list[AssignedTask]
    rating: MemberRating | None
    is_civil_servant: bool
    summary: rules.TasksSummary | None = None

    @property
    def on_time_percent(self) -> int | None:
        s = self.summary
        return _percent(s.done_on_time, s.assigned) if s else None

    @property
    def exceeded_percent(self) -> int | None:
        s = self.summary
        return _percent(s.exceeded, s.assigned) if s else None

    @property
    def not_done(self) -> int:
        return self.summary.assigned - self.summary.done if self.summary else 0

    @property
    def all_on_time(self) -> bool:
        """HTTNV's task condition under M5 (100% of tasks done on time)."""
        return self.summary is None or self.summary.done_on_time == self.summary.assigned

    @property
    def enough_exceeded(self) -> bool:
        """HTXSNV's task condition under M5 (≥ 30% exceeding requirements)."""
        s, share = self.summary, rules.M5_EXCEEDING_SHARE
        return s is None or s.exceeded * share.denominator >= s.assigned * share.numerator

    @property
    def shortcomings_open(self) -> bool:
        return any(t.shortcoming_remedied is False for t in self.tasks)


def civil_servant_ids(*, member_ids: list[int], year: int) -> set[int]:
    """Members holding a government post (a hamlet head excepted) at some time in `year`.

    A hamlet or street-group head is elected by the residents, not a civil servant, so M4
    does not concern them (one query).
    """
    first, last = rules.year_bounds(year)
    return set(
        Post.objects.filter(
            Q(start__isnull=True) | Q(start__lte=last),
            Q(end__isnull=True) | Q(end__gte=first),
            member_id__in=member_ids,
            kind=PostKind.GOVERNMENT,
            is_hamlet_head=False,
        ).values_list("member_id", flat=True)
    )


def member_tasks_for(*, organization: Organization, year: int) -> list[MemberTasks]:
    """Every member of `organization` (its subtree) at the end of `year`, in Vietnamese name
    order, with their tasks, rating row and whether they are a civil servant (5 queries)."""
    members = list(members_of(organization=organization, on=period_end(year), subtree=True))
    ids = [m.pk for m in members]
    tasks: dict[int, list[AssignedTask]] = defaultdict(list)
    for task in AssignedTask.objects.filter(member_id__in=ids, year=year).order_by("id"):
        tasks[task.member_id].append(task)
    ratings = {r.member_id: r for r in MemberRating.objects.filter(member_id__in=ids, year=year)}
    servants = civil_servant_ids(member_ids=ids, year=year)
    cells = Organization.objects.in_bulk({m.cell_id for m in members})
    rows = []
    for member in members:
        found = tasks.get(member.pk, [])
        rows.append(
            MemberTasks(
                member=member,
                cell=cells.get(member.cell_id),
                tasks=found,
                rating=ratings.get(member.pk),
                is_civil_servant=member.pk in servants,
                summary=rules.TasksSummary.from_results(t.result for t in found) if found else None,
            )
        )
    return rows


def assignedtask_get(*, organization: Organization, year: int, pk) -> AssignedTask:
    """A task of `year` of a member of `organization` (the caller already scoped it); else 404."""
    members = members_of(organization=organization, on=period_end(year), subtree=True)
    task = AssignedTask.objects.filter(pk=pk, year=year, member__in=members.values("pk")).first()
    if task is None:
        raise Http404
    return task


def member_in_unit_get(*, organization: Organization, year: int, pk) -> Member:
    """A member of `organization`'s subtree at the end of `year`, with .cell_id; else 404."""
    member = members_of(organization=organization, on=period_end(year), subtree=True).filter(pk=pk)
    found = member.first()
    if found is None:
        raise Http404
    return found


@dataclass
class MonthSlot:
    month: int
    regular: CellMeeting | None
    thematic: int = 0


@dataclass
class MeetingLog:
    """A cell's meetings of one year: the 12 months, the thematic meetings, attendance."""

    cell: Organization
    year: int
    meetings: list[CellMeeting]
    months: list[MonthSlot] = field(default_factory=list)

    @property
    def regular_count(self) -> int:
        return sum(slot.regular is not None for slot in self.months)

    @property
    def thematic(self) -> list[CellMeeting]:
        return [m for m in self.meetings if m.kind == MeetingKind.THEMATIC]

    @property
    def attendance_percent(self) -> int | None:
        """Members present over members expected, across every meeting (rounded down)."""
        attended = sum(m.attended for m in self.meetings)
        return _percent(attended, sum(m.expected for m in self.meetings))

    def missing_months(self, *, today: datetime.date | None = None) -> list[int]:
        """Months already over with no regular meeting recorded."""
        day = today or timezone.localdate()
        return [
            s.month
            for s in self.months
            if s.regular is None and datetime.date(self.year, s.month, 1) <= day
        ]


def cell_meetings_for(*, cell: Organization, year: int) -> MeetingLog:
    """The meeting log of `cell` for `year`, one query."""
    first, last = rules.year_bounds(year)
    found = CellMeeting.objects.filter(cell=cell, held_on__range=(first, last))
    meetings = list(found.order_by("held_on", "id"))
    log = MeetingLog(cell=cell, year=year, meetings=meetings)
    for month in range(1, 13):
        in_month = [m for m in meetings if m.held_on.month == month]
        regular = next((m for m in in_month if m.kind == MeetingKind.REGULAR), None)
        thematic = sum(m.kind == MeetingKind.THEMATIC for m in in_month)
        log.months.append(MonthSlot(month=month, regular=regular, thematic=thematic))
    return log


def cellmeeting_get(*, cell: Organization, year: int, pk) -> CellMeeting:
    """A meeting of `cell` in `year` (the caller already scoped the cell); else 404."""
    first, last = rules.year_bounds(year)
    meeting = CellMeeting.objects.filter(pk=pk, cell=cell, held_on__range=(first, last)).first()
    if meeting is None:
        raise Http404
    return meeting


def default_meeting_date(*, year: int, month: int | None) -> datetime.date | None:
    """A date to pre-fill: the 5th of the asked month of `year` (clamped to its length)."""
    if month is None or not 1 <= month <= 12:
        return None
    return datetime.date(year, month, min(5, calendar.monthrange(year, month)[1]))


def expected_attendance(*, cell: Organization, year: int) -> int:
    """Members of the cell on the year's last day (or today, in the current year): the
    default of "members expected"."""
    day = min(period_end(year), timezone.localdate())
    return members_of(organization=cell, on=day).count()


def inputs_editable(
    *, user, grassroots: Organization, year: int, organization: Organization | None = None
) -> tuple[bool, RatingRound | None]:
    """Whether `user` may change the tasks of `year` on `organization`'s page now, and the
    year's round if any.

    The same test as the writes: a role on the unit (its cell's secretary, or the committee
    above), and the round (once opened) still in progress or returned and before its deadline.
    """
    round_ = RatingRound.objects.filter(organization=grassroots, year=year).first()
    unit = organization or grassroots
    if not (can_enter_cell_proposal(user, unit) or can_enter_ratings(user, grassroots)):
        return False, round_
    if round_ is None:
        return True, None
    open_ = round_.state in EDITABLE_STATES and not entry_deadline_passed(
        round=round_, setting=year_setting(year)
    )
    return open_, round_
