"""The slugs, labels and thresholds the rules use (the package docstring says why these values).

The event, discipline, not-rated-reason and workflow slugs mirror `cells.choices` /
`assessments.choices`: the rules must run without Django configured (tests keep them in step).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from assessments.schemes import Rank

SubjectId = int | str

# --- Slugs mirrored from cells.choices ---------------------------------------------------------
EVENT_DISCIPLINE = "discipline"
EVENT_EXEMPTION = "exemption"
EVENT_SUSPENSION = "suspension"
EVENT_SICK_LEAVE = "sick_leave"
DISCIPLINE_REPRIMAND = "reprimand"
DISCIPLINE_WARNING = "warning"
DISCIPLINE_DISMISSAL = "dismissal"
DISCIPLINE_EXPULSION = "expulsion"
DISCIPLINE_SEVERITY = {
    DISCIPLINE_REPRIMAND: 1,
    DISCIPLINE_WARNING: 2,
    DISCIPLINE_DISMISSAL: 3,
    DISCIPLINE_EXPULSION: 4,
}
DISCIPLINE_LABELS = {
    DISCIPLINE_REPRIMAND: "Khiển trách",
    DISCIPLINE_WARNING: "Cảnh cáo",
    DISCIPLINE_DISMISSAL: "Cách chức",
    DISCIPLINE_EXPULSION: "Khai trừ",
}
# --- Slugs mirrored from assessments.choices ---------------------------------------------------
NOT_RATED_EXEMPT = "exempt"
NOT_RATED_SUSPENDED = "suspended"
NOT_RATED_NEWLY_ADMITTED = "newly_admitted"
NOT_RATED_NEWLY_ESTABLISHED = "newly_established"
NOT_RATED_OTHER = "other"  # "Khác: …": needs a note; reported to the deciding level
NOT_RATED_LABELS = {
    NOT_RATED_EXEMPT: "Miễn công tác và sinh hoạt đảng",
    NOT_RATED_SUSPENDED: "Đình chỉ sinh hoạt đảng",
    NOT_RATED_NEWLY_ADMITTED: "Mới kết nạp chưa đủ 06 tháng",
    NOT_RATED_NEWLY_ESTABLISHED: "Tổ chức mới thành lập chưa đủ 06 tháng",
    NOT_RATED_OTHER: "Khác",
}
TASK_ON_TIME, TASK_LATE, TASK_NOT_DONE, TASK_EXCEEDED = "on_time", "late", "not_done", "exceeded"
STATE_DRAFT = "draft"
STATE_SUBMITTED = "submitted"
STATE_RETURNED = "returned"
STATE_DECIDED = "decided"
STATE_PUBLISHED = "published"
STATE_LABELS = {
    STATE_DRAFT: "Đang thực hiện",
    STATE_SUBMITTED: "Đã gửi",
    STATE_RETURNED: "Bị trả lại",
    STATE_DECIDED: "Đã quyết định",
    STATE_PUBLISHED: "Đã công bố",
}
# A returned unit is edited and re-submitted (or taken back to draft by its secretary).

SEVERITY_ERROR = "error"
SEVERITY_WARNING = "warning"

# --- Thresholds (the module docstring says why these values) ----------------------------------
SICK_LEAVE_MIN_MONTHS = 3
# Days left over from several spells are added; 31 make a month, so one spell never gains a
# month it did not cover (01/01–30/03 stays two months and 30 days).
DAYS_PER_LEFTOVER_MONTH = 31
NEW_SUBJECT_MONTHS = 6
M1_SELF_REMEDY_FROM_YEAR = 2023
SUSPENSION_NOT_RATED_FROM_YEAR = 2019
M5_EXCEEDING_SHARE = Fraction(3, 10)
# Điều 11 (2025–), the listed KHTNV cases of leaders and collectives: the unit completed less
# than 70% of its planned tasks; more than 50% of the units a leader leads rated KHTNV.
UNIT_TASKS_DONE_SHARE = Fraction(7, 10)
LED_UNITS_NOT_COMPLETE_SHARE = Fraction(1, 2)
O1_GOOD_OR_BETTER_SHARE = Fraction(4, 5)
O3_DISCIPLINED_SUB_UNITS_SHARE = Fraction(1, 5)
O5_WEAK_SUB_ORGANIZATIONS_SHARE = Fraction(1, 3)
O5_NOT_COMPLETE_MEMBERS_SHARE = Fraction(1, 2)
# Lower bound of each points band (M5, O4; O5 uses the last), best first.
POINT_BANDS = (
    (Decimal(90), Rank.EXCELLENT),
    (Decimal(70), Rank.GOOD),
    (Decimal(50), Rank.COMPLETE),
)
