"""The rating rules of DOMAIN.md §4.1 as pure functions over plain values and dataclasses.

A package by rule family: `constants`, `data` (the dataclasses), `periods`, `common`,
`members` (M0–M5), `quota` (Q1), `organizations` (O1–O6), `transitions` (the workflow),
`category` (the 2A/2B/2C form category), `targets` (an indicator's status against its
target); every
public name is re-exported here, so `from assessments.rules import X` and `rules.X` both work.

No ORM, no database, no HTTP: services and import commands gather the facts, call
`check_member_ratings` / `check_organization_rating` / `check_transition`, and turn the returned
`Violation`s into errors. Which rule is in force comes from the scheme (`RatingScheme.applies`).

Messages are plain Vietnamese strings, not `gettext` calls: they are domain messages citing a
regulation, identical in every UI language and in the interchange-file error lists, and the rules
must run without Django being configured. The event, discipline, not-rated-reason and workflow
slugs mirror `cells.choices` / `assessments.choices` for the same reason (tests keep them in step).

Decisions on what the regulations leave open (each has boundary tests in test_rules):
- "3 months" of sick leave (M2) is 90 days (three 30-day months): every sick-leave period is
  clipped to the calendar year and overlaps are counted once; an open-ended leave runs to 31/12.
- "Less than 6 months before the end of the rating period" (M3, O6): the period ends at the end
  of its last day, so a start exactly 6 calendar months before that instant (1/7 for a period
  ending 31/12) makes 6 full months and is rated; a start on 2/7 is not.
- Quota (Q1) arithmetic is integer only: good × numerator // denominator (rounded down).
- A discipline counts in the year of its date only (M1, M0, O2–O4).
- Exempt/suspended members must not be rated when the status holds on the period end; the
  reason is accepted when the status held on any day of the rating year.
- M5/O4 points bands are ceilings: other rules or the quota may give a lower level.

`Violation.level` is the severity: "error" blocks a submission or import, "warning" is reported
only (a justified quota exception, a free-text "Khác:" reason left to the deciding level).
"""

from .category import (
    CATEGORY_CODES,
    CATEGORY_LABELS,
    CATEGORY_LEADER,
    CATEGORY_NON_LEADER,
    CATEGORY_OUTSIDE,
    CategoryBasis,
    CategorySuggestion,
    category_from_text,
    suggest_form_category,
)
from .common import percent_text
from .constants import (
    DISCIPLINE_DISMISSAL,
    DISCIPLINE_EXPULSION,
    DISCIPLINE_LABELS,
    DISCIPLINE_REPRIMAND,
    DISCIPLINE_SEVERITY,
    DISCIPLINE_WARNING,
    EVENT_DISCIPLINE,
    EVENT_EXEMPTION,
    EVENT_SICK_LEAVE,
    EVENT_SUSPENSION,
    M1_SELF_REMEDY_FROM_YEAR,
    M5_EXCEEDING_SHARE,
    NEW_SUBJECT_MONTHS,
    NOT_RATED_EXEMPT,
    NOT_RATED_LABELS,
    NOT_RATED_NEWLY_ADMITTED,
    NOT_RATED_NEWLY_ESTABLISHED,
    NOT_RATED_OTHER,
    NOT_RATED_SUSPENDED,
    O1_GOOD_OR_BETTER_SHARE,
    O3_DISCIPLINED_SUB_UNITS_SHARE,
    O5_NOT_COMPLETE_MEMBERS_SHARE,
    O5_WEAK_SUB_ORGANIZATIONS_SHARE,
    POINT_BANDS,
    SEVERITY_ERROR,
    SEVERITY_WARNING,
    SICK_LEAVE_MIN_DAYS,
    STATE_DECIDED,
    STATE_DRAFT,
    STATE_LABELS,
    STATE_PUBLISHED,
    STATE_RETURNED,
    STATE_SUBMITTED,
    SUSPENSION_NOT_RATED_FROM_YEAR,
    TASK_EXCEEDED,
    TASK_LATE,
    TASK_NOT_DONE,
    TASK_ON_TIME,
    SubjectId,
)
from .data import (
    CapReason,
    EventFact,
    LevelCap,
    MemberFacts,
    MemberRatingInput,
    OrganizationFacts,
    QuotaCount,
    QuotaException,
    TasksSummary,
    Violation,
)
from .members import (
    check_member_rating,
    max_level_for,
)
from .organizations import (
    check_organization_rating,
    max_organization_level_for,
)
from .periods import (
    add_months,
    default_period_end,
    disciplines_in_year,
    is_less_than_six_months,
    sick_leave_days,
)
from .quota import (
    check_member_ratings,
    quota_counts,
    quota_violations,
)
from .targets import (
    STATUS_AT_RISK,
    STATUS_MET,
    STATUS_NOT_MET,
    STATUS_ON_TRACK,
    STATUSES,
    TargetPath,
    rate_shortfall,
    split_target,
    target_status,
    trajectory_value,
)
from .transitions import (
    TransitionError,
    check_transition,
    require_transition,
)

__all__ = [
    "STATUSES",
    "STATUS_AT_RISK",
    "STATUS_MET",
    "STATUS_NOT_MET",
    "STATUS_ON_TRACK",
    "TargetPath",
    "rate_shortfall",
    "split_target",
    "target_status",
    "trajectory_value",
    "CATEGORY_CODES",
    "CATEGORY_LABELS",
    "CATEGORY_LEADER",
    "CATEGORY_NON_LEADER",
    "CATEGORY_OUTSIDE",
    "CapReason",
    "CategoryBasis",
    "CategorySuggestion",
    "DISCIPLINE_DISMISSAL",
    "DISCIPLINE_EXPULSION",
    "DISCIPLINE_LABELS",
    "DISCIPLINE_REPRIMAND",
    "DISCIPLINE_SEVERITY",
    "DISCIPLINE_WARNING",
    "EVENT_DISCIPLINE",
    "EVENT_EXEMPTION",
    "EVENT_SICK_LEAVE",
    "EVENT_SUSPENSION",
    "EventFact",
    "LevelCap",
    "M1_SELF_REMEDY_FROM_YEAR",
    "M5_EXCEEDING_SHARE",
    "MemberFacts",
    "MemberRatingInput",
    "NEW_SUBJECT_MONTHS",
    "NOT_RATED_EXEMPT",
    "NOT_RATED_LABELS",
    "NOT_RATED_NEWLY_ADMITTED",
    "NOT_RATED_NEWLY_ESTABLISHED",
    "NOT_RATED_OTHER",
    "NOT_RATED_SUSPENDED",
    "O1_GOOD_OR_BETTER_SHARE",
    "O3_DISCIPLINED_SUB_UNITS_SHARE",
    "O5_NOT_COMPLETE_MEMBERS_SHARE",
    "O5_WEAK_SUB_ORGANIZATIONS_SHARE",
    "OrganizationFacts",
    "POINT_BANDS",
    "QuotaCount",
    "QuotaException",
    "SEVERITY_ERROR",
    "SEVERITY_WARNING",
    "SICK_LEAVE_MIN_DAYS",
    "STATE_DECIDED",
    "STATE_DRAFT",
    "STATE_LABELS",
    "STATE_PUBLISHED",
    "STATE_RETURNED",
    "STATE_SUBMITTED",
    "SUSPENSION_NOT_RATED_FROM_YEAR",
    "SubjectId",
    "TASK_EXCEEDED",
    "TASK_LATE",
    "TASK_NOT_DONE",
    "TASK_ON_TIME",
    "TasksSummary",
    "TransitionError",
    "Violation",
    "add_months",
    "category_from_text",
    "check_member_rating",
    "check_member_ratings",
    "check_organization_rating",
    "check_transition",
    "default_period_end",
    "disciplines_in_year",
    "is_less_than_six_months",
    "max_level_for",
    "max_organization_level_for",
    "percent_text",
    "quota_counts",
    "quota_violations",
    "require_transition",
    "sick_leave_days",
    "suggest_form_category",
]
