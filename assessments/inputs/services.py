"""Rating inputs, the writes: assigned tasks, the civil-servant rating, the cell meeting log.

Each write checks the permission, locks the year's round of the grassroots organization,
validates, writes and audits (see the package docstring).
"""

import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.audit import audit_record, diff, snapshot
from cells.choices import CELL_TYPES
from cells.models import Member, Membership, Organization
from cells.vietnamese import nfc

from .. import rules
from ..choices import MeetingKind, TaskResult
from ..models import AssignedTask, CellMeeting, MemberRating, RatingRound
from ..permissions import can_enter_cell_proposal

# The round's checks and errors are the workflow's own, so a locked round reads the same here.
from ..round_checks import (
    RatingError,
    acting_user,
    conflict_error,
    lock_round,
    require_entry,
    require_grassroots,
    require_open_for_entry,
    save_round,
)
from ..selectors import period_end, year_setting

_TASK_FIELDS = [
    "year",
    "member_id",
    "organization_id",
    "title",
    "result",
    "shortcoming_remedied",
    "not_done_remedied",
]
_MEETING_FIELDS = ["cell_id", "held_on", "kind", "topic", "attended", "expected"]


# === Helpers ===================================================================================
def _require_entry(actor, organization: Organization) -> Organization:
    """The grassroots organization of `organization`, when `actor` may enter its inputs:
    a cell's own secretary for the cell's log and its members' tasks, or the committee
    above it (DOMAIN §4.2: the cell keeps its meeting log and tasks)."""
    grassroots = require_grassroots(organization)
    if actor is not None and not can_enter_cell_proposal(actor, organization):
        require_entry(actor, organization)
    return grassroots


def _lock_open_round(*, grassroots: Organization, year: int) -> RatingRound | None:
    """The year's round, locked, when it exists; refused when it no longer takes changes.

    Locking serializes an input change with a grid save of the same organization, so the
    rules never count half of it. No round yet means nothing was proposed: inputs are free.
    """
    locked = (
        RatingRound.objects.select_for_update(of=("self",))
        .select_related("organization")
        .filter(organization=grassroots, year=year)
        .first()
    )
    if locked is not None:
        require_open_for_entry(locked, year_setting(year))
    return locked


def _cell_of(member: Member, year: int) -> Organization:
    """The cell `member` belongs to at the end of `year`'s rating period (where they are rated)."""
    end = period_end(year)
    membership = (
        Membership.objects.filter(Q(end__isnull=True) | Q(end__gte=end), member=member)
        .filter(start__lte=end)
        .select_related("organization")
        .order_by("-start")
        .first()
    )
    if membership is None:
        raise ValidationError(
            _("%(member)s is not a member of any cell at the end of %(year)s.")
            % {"member": member, "year": year}
        )
    return membership.organization


def _record(actor, action: str, instance, organization, changes: dict) -> None:
    audit_record(
        actor=actor, action=action, instance=instance, organization=organization, changes=changes
    )


# === Assigned tasks ============================================================================
@transaction.atomic
def assignedtask_save(
    *,
    actor,
    year: int,
    title: str,
    result: str = "",
    shortcoming_remedied: bool | None = None,
    not_done_remedied: bool = False,
    member: Member | None = None,
    organization: Organization | None = None,
    task: AssignedTask | None = None,
) -> AssignedTask:
    """Record a task assigned to a member (or an organization) for `year`, or change one.

    The 2025 rules count the results (HTTNV needs every task done on time, HTXSNV 30%
    exceeding), so a task belongs to the grassroots organization that proposes the level and
    is frozen with its rating once sent for review. Pass `task` to change it (its owner and
    year stay); otherwise exactly one of `member` and `organization`. `not_done_remedied`
    (a task not done that the subject found and remedied themself, Điều 11) needs the result
    "not done".
    """
    if task is not None:
        year, member, organization = task.year, task.member, task.organization
    if (member is None) == (organization is None):
        raise ValueError("A task has exactly one owner: a member or an organization.")
    unit = _cell_of(member, year) if member is not None else organization
    grassroots = _require_entry(actor, unit)
    _lock_open_round(grassroots=grassroots, year=year)
    errors: dict[str, list[str]] = {}
    title = nfc(title or "").strip()
    if not title:
        errors["title"] = [_("Write what the task is.")]
    elif len(title) > 255:
        errors["title"] = [_("At most 255 characters.")]
    result = (result or "").strip()
    if result and result not in TaskResult.values:
        errors["result"] = [_("Choose a result from the list.")]
    not_done_remedied = bool(not_done_remedied)
    if not_done_remedied and result != TaskResult.NOT_DONE:
        errors["not_done_remedied"] = [
            _("Only a task not done can be marked as found and remedied by the member.")
        ]
    if errors:
        raise ValidationError(errors)
    values = {
        "title": title,
        "result": result,
        "shortcoming_remedied": shortcoming_remedied,
        "not_done_remedied": not_done_remedied,
    }
    if task is None:
        task = AssignedTask.objects.create(
            year=year, member=member, organization=organization, **values
        )
        _record(actor, "assignedtask_create", task, unit, snapshot(task, _TASK_FIELDS))
        return task
    task = AssignedTask.objects.select_for_update().get(pk=task.pk)
    before = snapshot(task, _TASK_FIELDS)
    for name, value in values.items():
        setattr(task, name, value)
    changes = diff(before, snapshot(task, _TASK_FIELDS))
    if changes:
        task.save(update_fields=list(changes))
        _record(actor, "assignedtask_update", task, unit, changes)
    return task


@transaction.atomic
def assignedtask_delete(*, actor, task: AssignedTask) -> None:
    """Remove a task recorded by mistake; the audit row keeps what it was."""
    unit = _cell_of(task.member, task.year) if task.member_id else task.organization
    grassroots = _require_entry(actor, unit)
    _lock_open_round(grassroots=grassroots, year=task.year)
    before = snapshot(task, _TASK_FIELDS)
    _record(actor, "assignedtask_delete", task, unit, {k: [v, None] for k, v in before.items()})
    AssignedTask.objects.filter(pk=task.pk).delete()


# === Civil-servant rating ======================================================================
def rating_row_missing(member: Member) -> RatingError:
    """The refusal when a member has no rating row of the round to hold the level."""
    return RatingError(
        _(
            "Enter a level (or “Not rated”) for %(member)s on the rating grid first: "
            "the civil-servant rating is stored with it."
        )
        % {"member": member}
    )


@transaction.atomic
def civil_servant_rating_set(
    *,
    actor,
    round: RatingRound,  # noqa: A002
    member: Member,
    level: str,
    version: int | None = None,
) -> MemberRating:
    """Record the level a member who is a civil servant got at their agency ("" clears it).

    M4 reads it: HTXSNV as a member needs HTXSNV as a civil servant, KHTNV as one means KHTNV.
    It is stored on the member's rating of the year, so it is written like the grid writes:
    the round locked and still open, the row's `version` checked when given, both versions
    bumped and the change audited against the round. The member needs a rating row (saved
    from the grid): a row with neither a level nor a reason would read as "not rated without
    a reason" and block the grid.
    """
    _require_entry(actor, round.organization)
    locked = lock_round(round)
    require_open_for_entry(locked, year_setting(locked.year))
    level = (level or "").strip()
    if level and not locked.scheme.is_member_level(level):
        raise ValidationError({"level": [_("Choose a level from the list.")]})
    rating = (
        MemberRating.objects.select_for_update()
        .filter(member=member, year=locked.year)
        .select_related("member")
        .first()
    )
    if rating is None or rating.round_id != locked.pk:
        raise rating_row_missing(member)
    if version is not None and rating.version != version:
        raise conflict_error(rating.updated_at)
    if rating.civil_servant_level == level:
        return rating
    before = rating.civil_servant_level
    rating.civil_servant_level = level
    rating.version += 1
    rating.updated_at = timezone.now()
    rating.updated_by = acting_user(actor)
    rating.save(update_fields=["civil_servant_level", "version", "updated_at", "updated_by"])
    save_round(locked, [])
    audit_record(
        actor=actor,
        action="civil_servant_rating_set",
        instance=locked,
        organization=locked.organization,
        changes={f"member {member.pk} civil_servant_level": [before, level]},
    )
    rating.round = locked
    return rating


# === Cell meetings =============================================================================
# Attendance figures are small integers in the database; no cell meets with more.
MEETING_MAX_MEMBERS = 9999


def meeting_problems(
    *,
    year: int,
    held_on: datetime.date | None,
    kind: str,
    attended: int | None,
    expected: int | None,
    cell: Organization,
    regular_months_taken: frozenset[int] = frozenset(),
) -> dict[str, list[str]]:
    """What is wrong with a meeting record, by field (empty when nothing is).

    Kết luận 18-KL/TW asks for one regular meeting a month: a second regular meeting in the
    same month is refused (record it as thematic).
    """
    errors: dict[str, list[str]] = defaultdict(list)
    too_many = _("At most %(limit)s members: check the number.") % {"limit": MEETING_MAX_MEMBERS}
    first, last = rules.year_bounds(year)
    if held_on is None:
        errors["held_on"].append(_("Enter the date of the meeting."))
    elif not first <= held_on <= last:
        errors["held_on"].append(
            _("The date must be in %(year)s (from %(first)s to %(last)s).")
            % {"year": year, "first": f"{first:%d/%m/%Y}", "last": f"{last:%d/%m/%Y}"}
        )
    elif not cell.is_active_on(held_on):
        errors["held_on"].append(
            _("%(cell)s did not exist on %(date)s.") % {"cell": cell, "date": f"{held_on:%d/%m/%Y}"}
        )
    elif kind == MeetingKind.REGULAR and held_on.month in regular_months_taken:
        errors["held_on"].append(
            _(
                "A regular meeting is already recorded for %(month)s/%(year)s: "
                "a cell holds one regular meeting a month (record others as thematic)."
            )
            % {"month": f"{held_on.month:02d}", "year": held_on.year}
        )
    if kind not in MeetingKind.values:
        errors["kind"].append(_("Choose a kind from the list."))
    if expected is None or expected < 1:
        errors["expected"].append(_("Enter the number of members expected (at least 1)."))
    elif expected > MEETING_MAX_MEMBERS:
        errors["expected"].append(too_many)
    if attended is None or attended < 0:
        errors["attended"].append(_("Enter the number of members who attended."))
    elif attended > MEETING_MAX_MEMBERS:
        errors["attended"].append(too_many)
    elif expected is not None and attended > expected:
        errors["attended"].append(
            _("Attended (%(attended)s) cannot be more than expected (%(expected)s).")
            % {"attended": attended, "expected": expected}
        )
    return dict(errors)


@transaction.atomic
def cellmeeting_save(
    *,
    actor,
    cell: Organization,
    year: int,
    held_on: datetime.date | None,
    kind: str,
    attended: int | None,
    expected: int | None,
    topic: str = "",
    meeting: CellMeeting | None = None,
) -> CellMeeting:
    """Record a cell meeting of `year` (or change `meeting`) with its attendance.

    The log feeds the cell's rating and the Resolution 22 indicator "cells holding all 12
    regular meetings". The cell row is locked so two people cannot both record the regular
    meeting of one month.
    """
    if cell.type not in CELL_TYPES:
        raise ValueError("Only a cell holds cell meetings.")
    # The log records what happened: December's meeting is written after the ratings were
    # sent, so it is never locked by the round's state (it changes no rating by itself).
    _require_entry(actor, cell)
    Organization.objects.select_for_update().filter(pk=cell.pk).first()
    first, last = rules.year_bounds(year)
    taken = CellMeeting.objects.filter(
        cell=cell, kind=MeetingKind.REGULAR, held_on__range=(first, last)
    )
    if meeting is not None:
        taken = taken.exclude(pk=meeting.pk)
    errors = meeting_problems(
        year=year,
        held_on=held_on,
        kind=kind,
        attended=attended,
        expected=expected,
        cell=cell,
        regular_months_taken=frozenset(d.month for d in taken.values_list("held_on", flat=True)),
    )
    if errors:
        raise ValidationError(errors)
    values = {
        "held_on": held_on,
        "kind": kind,
        "topic": nfc(topic or "").strip()[:255],
        "attended": attended,
        "expected": expected,
    }
    if meeting is None:
        meeting = CellMeeting.objects.create(cell=cell, **values)
        _record(actor, "cellmeeting_create", meeting, cell, snapshot(meeting, _MEETING_FIELDS))
        return meeting
    meeting = CellMeeting.objects.select_for_update().get(pk=meeting.pk, cell=cell)
    before = snapshot(meeting, _MEETING_FIELDS)
    for name, value in values.items():
        setattr(meeting, name, value)
    changes = diff(before, snapshot(meeting, _MEETING_FIELDS))
    if changes:
        meeting.save(update_fields=list(changes))
        _record(actor, "cellmeeting_update", meeting, cell, changes)
    return meeting


@transaction.atomic
def cellmeeting_delete(*, actor, meeting: CellMeeting) -> None:
    """Remove a meeting recorded by mistake; the audit row keeps what it was."""
    cell = meeting.cell
    _require_entry(actor, cell)
    before = snapshot(meeting, _MEETING_FIELDS)
    _record(actor, "cellmeeting_delete", meeting, cell, {k: [v, None] for k, v in before.items()})
    CellMeeting.objects.filter(pk=meeting.pk).delete()
