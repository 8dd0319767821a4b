"""The rating rules of DOMAIN.md §4.1 as pure functions over plain values and dataclasses.

A package by rule family: `constants`, `data` (the dataclasses), `periods`, `common`,
`members` (M0–M5), `quota` (Q1), `organizations` (O1–O6), `transitions` (the workflow),
`category` (the 2A/2B/2C form category), `targets` (an indicator's status against its
target), `quarters` (Mẫu 05 quarters feeding the year), and for 2025– `article11`,
`points`, `ceilings`, `deciders`, `bands`; every
public name is re-exported here, so `from assessments.rules import X` and `rules.X` both work.

No ORM, no database, no HTTP: services and import commands gather the facts, call
`check_member_ratings` / `check_organization_rating` / `check_transition`, and turn the returned
`Violation`s into errors. Which rule is in force comes from the scheme (`RatingScheme.applies`).

Messages are plain Vietnamese strings, not `gettext` calls: they are domain messages citing a
regulation, identical in every UI language and in the interchange-file error lists, and the rules
must run without Django being configured. The event, discipline, not-rated-reason and workflow
slugs mirror `cells.choices` / `assessments.choices` for the same reason (tests keep them in step).

Decisions on what the regulations leave open (each has boundary tests in test_rules):
- "3 months" of sick leave (M2) is counted in calendar months by date (DOMAIN §4.3): spells are
  clipped to the year and merged (overlaps once; an open-ended leave runs to 31/12); each counts
  its whole calendar months from its first day (01/02–30/04 is three); the days left over from
  every spell are added, 31 to a month (one spell never gains a month it did not cover).
- O1 is not met while no sub-unit or member is rated yet.
- The 2025– families have their own decisions in their docstrings: `article11` (Điều 11 task
  conditions), `points` (30 + 70), `ceilings` (peer groups and the 25% ceiling), `deciders`
  (who decides, Hướng dẫn 43 §3), `bands` (points bands and the far-below warning).
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

from .article11 import TaskCap, TaskCount, highest_rank_by_tasks, task_caps
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
from .ceilings import PeerGroupRule, QuotaCeiling, ceiling_problems, peer_group_for
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
    SICK_LEAVE_MIN_MONTHS,
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
    OrganizationRatingInput,
    QuotaCount,
    QuotaException,
    TasksSummary,
    Violation,
)
from .deciders import Decider, Node, decider_for
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
    calendar_months,
    default_period_end,
    disciplines_in_year,
    is_less_than_six_months,
    sick_leave_days,
    sick_leave_months,
    sick_leave_spells,
    year_bounds,
)
from .points import (
    DEFAULT_ITEMS,
    PointsItemSpec,
    PointsParts,
    far_below_band,
    items_problems,
    parts_from_items,
    parts_problems,
    suggest_task_points,
)
from .quarters import QUARTERS, QuartersSummary, year_from_quarters
from .quota import (
    check_member_ratings,
    organization_quota_violations,
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
    "QUARTERS",
    "QuartersSummary",
    "year_from_quarters",
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
    "DEFAULT_ITEMS",
    "DISCIPLINE_DISMISSAL",
    "DISCIPLINE_EXPULSION",
    "DISCIPLINE_LABELS",
    "DISCIPLINE_REPRIMAND",
    "DISCIPLINE_SEVERITY",
    "DISCIPLINE_WARNING",
    "Decider",
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
    "Node",
    "O1_GOOD_OR_BETTER_SHARE",
    "O3_DISCIPLINED_SUB_UNITS_SHARE",
    "O5_NOT_COMPLETE_MEMBERS_SHARE",
    "O5_WEAK_SUB_ORGANIZATIONS_SHARE",
    "OrganizationFacts",
    "OrganizationRatingInput",
    "POINT_BANDS",
    "PeerGroupRule",
    "PointsItemSpec",
    "PointsParts",
    "QuotaCeiling",
    "QuotaCount",
    "QuotaException",
    "SEVERITY_ERROR",
    "SEVERITY_WARNING",
    "SICK_LEAVE_MIN_MONTHS",
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
    "TaskCap",
    "TaskCount",
    "TasksSummary",
    "TransitionError",
    "Violation",
    "add_months",
    "calendar_months",
    "category_from_text",
    "ceiling_problems",
    "check_member_rating",
    "check_member_ratings",
    "check_organization_rating",
    "check_transition",
    "decider_for",
    "default_period_end",
    "year_bounds",
    "disciplines_in_year",
    "far_below_band",
    "highest_rank_by_tasks",
    "is_less_than_six_months",
    "items_problems",
    "max_level_for",
    "max_organization_level_for",
    "organization_quota_violations",
    "parts_from_items",
    "parts_problems",
    "peer_group_for",
    "percent_text",
    "quota_counts",
    "quota_violations",
    "require_transition",
    "sick_leave_days",
    "sick_leave_months",
    "sick_leave_spells",
    "suggest_form_category",
    "suggest_task_points",
    "task_caps",
]
