"""Rating inputs (DOMAIN §5): members' assigned tasks and their results, the civil-servant
rating of members who are civil servants, and the cell meeting log.

The rules read these through assessments.facts (tasks for M0/M5, the civil-servant level for
M4); this module writes them and lists them for the input screens. Writes follow the order of
assessments.services: check the permission, lock the year's round of the grassroots
organization (a rating sent for review or decided keeps the inputs it was made on), validate,
write, audit. Field problems are a ValidationError keyed by field, for the form to place.

The package: `services` (the writes: tasks, the civil-servant rating, the meeting log) and
`selectors` (the lists of the input screens). Every name is importable from
`assessments.inputs` as before.
"""

from .selectors import (
    MeetingLog,
    MemberTasks,
    MonthSlot,
    assignedtask_get,
    cell_meetings_for,
    cellmeeting_get,
    civil_servant_ids,
    default_meeting_date,
    expected_attendance,
    inputs_editable,
    member_in_unit_get,
    member_tasks_for,
)
from .services import (
    MEETING_MAX_MEMBERS,
    assignedtask_delete,
    assignedtask_save,
    cellmeeting_delete,
    cellmeeting_save,
    civil_servant_rating_set,
    meeting_problems,
    rating_row_missing,
)

__all__ = [
    "MEETING_MAX_MEMBERS",
    "MeetingLog",
    "MemberTasks",
    "MonthSlot",
    "assignedtask_delete",
    "assignedtask_get",
    "assignedtask_save",
    "cell_meetings_for",
    "cellmeeting_delete",
    "cellmeeting_get",
    "cellmeeting_save",
    "civil_servant_ids",
    "civil_servant_rating_set",
    "default_meeting_date",
    "expected_attendance",
    "inputs_editable",
    "meeting_problems",
    "member_in_unit_get",
    "member_tasks_for",
    "rating_row_missing",
]
