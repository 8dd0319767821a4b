"""The plain dataclasses the rules take (facts, ratings) and return (violations, caps, counts)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from assessments.schemes import Rank

from .article11 import TaskCount
from .ceilings import QuotaCeiling
from .constants import SEVERITY_ERROR, TASK_EXCEEDED, TASK_LATE, TASK_ON_TIME, SubjectId


@dataclass(frozen=True, slots=True, kw_only=True)
class EventFact:
    """A dated event (cells.choices slugs); a discipline's date is `start`, `end` may be open."""

    kind: str
    start: datetime.date
    end: datetime.date | None = None
    discipline_form: str | None = None
    self_remedied: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TasksSummary:
    """A member's assigned tasks of the year and their results (DOMAIN §5)."""

    assigned: int
    done: int  # on time, late or exceeded
    done_on_time: int  # on time or exceeded
    exceeded: int
    not_done_remedied: int = 0  # not completed, but found and remedied by the subject

    def __post_init__(self) -> None:
        if not 0 <= self.exceeded <= self.done_on_time <= self.done <= self.assigned:
            raise ValueError("Need 0 ≤ exceeded ≤ done_on_time ≤ done ≤ assigned")
        if not 0 <= self.not_done_remedied <= self.assigned - self.done:
            raise ValueError("Remedied tasks are among those not done")

    @property
    def counts(self) -> TaskCount:
        """The same ledger in the shape Điều 11 reads it (rules.article11)."""
        return TaskCount(
            assigned=self.assigned,
            on_time=self.done_on_time,
            late=self.done - self.done_on_time,
            exceeded=self.exceeded,
            not_done_remedied=self.not_done_remedied,
        )

    @classmethod
    def from_results(cls, results: Iterable[str], *, not_done_remedied: int = 0) -> TasksSummary:
        """Count assessments.choices.TaskResult slugs; "exceeded" counts as done on time.

        `not_done_remedied`: how many of the tasks not done the subject found and remedied
        themself (AssignedTask.not_done_remedied)."""
        results = list(results)
        exceeded = results.count(TASK_EXCEEDED)
        on_time = results.count(TASK_ON_TIME) + exceeded
        done = on_time + results.count(TASK_LATE)
        return cls(
            assigned=len(results),
            done=done,
            done_on_time=on_time,
            exceeded=exceeded,
            not_done_remedied=not_done_remedied,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberFacts:
    """What the rules need to know about one member for one rating year."""

    member_id: SubjectId
    year: int
    admitted_on: datetime.date | None = None  # the admission decision date
    events: tuple[EventFact, ...] = ()
    civil_servant_level: str | None = None  # 2018+ level slug of the civil-servant rating
    points: Decimal | int | None = None  # 2025+
    tasks: TasksSummary | None = None  # None: not recorded, task conditions not checked
    earlier_shortcomings_remedied: bool = True
    # 2025– (Điều 11: HTXSNV "for a leader, their unit too"): the units the member heads as
    # bí thư or phó bí thư in the year, by name, with the level each is proposed or decided
    # (None: not rated yet, not counted).
    led_units: tuple[tuple[str, str | None], ...] = ()
    # The same units' own task ledgers (AssignedTask.organization), by name: Điều 11's KHTNV
    # case "their unit completed less than 70% of its planned tasks".
    led_unit_tasks: tuple[tuple[str, TasksSummary], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberRatingInput:
    """A proposed or decided member level; `level` None means "not rated", with a reason."""

    member_id: SubjectId
    level: str | None
    not_rated_reason: str | None = None
    not_rated_note: str = ""
    organization_id: SubjectId | None = None  # grassroots organization: the quota scope
    group: str | None = None  # group of similar members (quota scope "member_group")


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationRatingInput:
    """A proposed organization level for the collectives' quota (Quy định 366, Điều 11).

    As in `MemberRatingInput`, `organization_id` is the quota scope: the deciding level whose
    subjects are counted together; `subject_id` the organization rated.
    """

    subject_id: SubjectId
    level: str | None
    organization_id: SubjectId | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaException:
    """A justified Q1 exception recorded by the deciding level; reports show it.

    `group` None covers every group of the organization; `allowed_excellent` None lifts the
    limit, a number lifts it up to that many HTXSNV.
    """

    organization_id: SubjectId | None
    justification: str
    group: str | None = None
    allowed_excellent: int | None = None

    def __post_init__(self) -> None:
        if not self.justification.strip():
            raise ValueError("A quota exception needs a justification")


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationFacts:
    """What the rules need to know about one organization for one rating year.

    `sub_levels`: level slugs of its sub-organizations (đảng bộ) or of its members (chi bộ),
    None for those not rated. Disciplines of other years may be passed: only `year`'s count.
    """

    organization_id: SubjectId
    year: int
    is_committee: bool  # đảng bộ (sub-units are organizations) vs chi bộ (members)
    established_on: datetime.date | None = None
    sub_levels: tuple[str | None, ...] = ()
    leadership_disciplines: tuple[EventFact, ...] = ()  # of individual leadership members
    collective_disciplines: tuple[EventFact, ...] = ()  # of the leadership collective
    sub_unit_count: int = 0
    disciplined_sub_unit_count: int = 0
    points: Decimal | int | None = None  # 2014–2017 (optional) and 2025+ (required)
    # The organization's own tasks (AssignedTask.organization): Điều 11 conditions (2025–).
    tasks: TasksSummary | None = None
    earlier_shortcomings_remedied: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """A broken rule: `code` names the clause of DOMAIN §4.1, `level` is the severity."""

    code: str
    subject_id: SubjectId | None
    message: str
    level: str = SEVERITY_ERROR

    @property
    def is_blocking(self) -> bool:
        return self.level == SEVERITY_ERROR


@dataclass(frozen=True, slots=True, kw_only=True)
class CapReason:
    """One rule lowering the level a subject may get, with the sentence explaining it."""

    code: str
    rank: Rank
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelCap:
    """The highest level a subject may get (for the entry grid) and why; `level` None: not rated."""

    level: str | None
    rank: Rank | None
    reasons: tuple[CapReason, ...] = ()
    not_rated_reason: str | None = None
    not_rated_message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaCount:
    """The Q1 arithmetic of one scope: a grassroots organization, or one group in it."""

    organization_id: SubjectId | None
    group: str | None
    good: int
    excellent: int
    max_excellent: int
    ratio: Fraction | None = None
    ceiling: QuotaCeiling | None = None  # the recorded decision that raised the ratio

    @property
    def remaining(self) -> int:
        """HTXSNV still allowed in the scope (negative: over the quota)."""
        return self.max_excellent - self.excellent

    @property
    def exceeded(self) -> bool:
        return self.excellent > self.max_excellent
