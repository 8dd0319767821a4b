"""Điều 11 of Quy định 366-QĐ/TW (2025–): the task conditions of each level, for individuals
and collectives, from the year's task ledger (DOMAIN §4.3, §5). Pure Python.

- HTXSNV: 100% of tasks done on time, ≥ 30% exceeding requirements, earlier shortcomings
  remedied (and ≥ 90 points, checked by the points bands).
- HTTNV: 100% of tasks done on time.
- HTNV: 100% of tasks completed, tasks behind schedule ≤ 20%.
- KHTNV (a listed case): more than 50% of the year's tasks not completed, unless the subject
  found and remedied it themself; for a collective (and a leader's unit), less than 70% of its
  planned tasks completed.

Decisions: the conditions are cumulative (HTXSNV needs HTTNV's too); a subject failing the HTNV
conditions can only be KHTNV, the level below; "exceeding", "late" and "not completed" are
shares of the tasks assigned, counted in integers (3/10 is 30%: met; 2/10 late is 20%: met;
3/6 not completed is 50%: not "more than 50%"). With no task recorded the conditions are not
checked (the ledger may not be kept); with tasks recorded but none assigned they hold.
Messages name the count: "chưa đủ 30% nhiệm vụ vượt yêu cầu: 1/4".
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from assessments.schemes import Rank

from .constants import M5_EXCEEDING_SHARE as EXCEEDING_SHARE
from .constants import UNIT_TASKS_DONE_SHARE

LATE_SHARE = Fraction(1, 5)
NOT_DONE_SHARE = Fraction(1, 2)


def _percent(share: Fraction) -> str:
    hundred = share * 100
    return f"{hundred.numerator // hundred.denominator}%"


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskCount:
    """The counts Điều 11 reads (assigned, done on time or exceeded, late, not done, exceeded).

    `not_done_remedied`: tasks not completed that the subject found and remedied themself;
    they are left out of the "more than 50% not completed" case.
    """

    assigned: int
    on_time: int  # done on time, exceeded included
    late: int
    exceeded: int
    not_done_remedied: int = 0

    @property
    def not_done(self) -> int:
        return self.assigned - self.on_time - self.late

    def __post_init__(self) -> None:
        if min(self.assigned, self.on_time, self.late, self.exceeded, self.not_done_remedied) < 0:
            raise ValueError("Task counts cannot be negative")
        if self.on_time + self.late > self.assigned or self.exceeded > self.on_time:
            raise ValueError("Need exceeded ≤ on_time and on_time + late ≤ assigned")
        if self.not_done_remedied > self.not_done:
            raise ValueError("Remedied tasks are among those not done")


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskCap:
    """The highest rank the ledger allows and the plain sentence saying what is missing.

    `missing_for`: the level whose conditions are not met (None for the listed KHTNV case).
    """

    rank: Rank
    why: str
    missing_for: Rank | None = None


def _share_at_least(part: int, whole: int, share: Fraction) -> bool:
    return part * share.denominator >= whole * share.numerator


def _share_above(part: int, whole: int, share: Fraction) -> bool:
    return part * share.denominator > whole * share.numerator


def missing_for(rank: Rank, tasks: TaskCount, *, remedied: bool = True) -> list[str]:
    """What the ledger lacks for `rank` (its own conditions only), as plain phrases."""
    n = tasks.assigned
    missing: list[str] = []
    if rank == Rank.EXCELLENT:
        if not _share_at_least(tasks.exceeded, n, EXCEEDING_SHARE):
            missing.append(
                f"chưa đủ {_percent(EXCEEDING_SHARE)} nhiệm vụ vượt yêu cầu: {tasks.exceeded}/{n}"
            )
        if not remedied:
            missing.append("chưa khắc phục hết hạn chế, khuyết điểm đã được chỉ ra")
    elif rank == Rank.GOOD:
        if tasks.on_time < n:
            missing.append(f"chưa hoàn thành 100% nhiệm vụ đúng tiến độ: {tasks.on_time}/{n}")
    elif rank == Rank.COMPLETE:
        if tasks.not_done:
            missing.append(f"còn nhiệm vụ chưa hoàn thành: {tasks.not_done}/{n}")
        if _share_above(tasks.late, n, LATE_SHARE):
            missing.append(f"quá {_percent(LATE_SHARE)} nhiệm vụ chậm tiến độ: {tasks.late}/{n}")
    return missing


def below_planned_tasks(tasks: TaskCount) -> bool:
    """A unit completed (on time or late) less than 70% of its planned tasks (none: no)."""
    done = tasks.on_time + tasks.late
    return tasks.assigned > 0 and not _share_at_least(done, tasks.assigned, UNIT_TASKS_DONE_SHARE)


def planned_tasks_text(tasks: TaskCount) -> str:
    """ "hoàn thành dưới 70% nhiệm vụ theo kế hoạch: 6/10" """
    done = tasks.on_time + tasks.late
    return (
        f"hoàn thành dưới {_percent(UNIT_TASKS_DONE_SHARE)} nhiệm vụ theo kế hoạch: "
        f"{done}/{tasks.assigned}"
    )


def task_caps(
    tasks: TaskCount | None, *, remedied: bool = True, collective: bool = False
) -> list[TaskCap]:
    """One cap per level whose conditions the ledger does not meet, best level first.

    The cap of a level is the level below it (conditions are cumulative, so the lowest cap
    wins). The "more than 50% not completed" case is its own KHTNV cap; for a `collective`
    so is "less than 70% of its planned tasks completed" (the remedied-by-itself exception is
    the members' only).
    """
    if tasks is None:
        return []
    caps: list[TaskCap] = []
    for rank in (Rank.EXCELLENT, Rank.GOOD, Rank.COMPLETE):
        missing = missing_for(rank, tasks, remedied=remedied)
        if missing:
            caps.append(TaskCap(rank=Rank(rank - 1), why="; ".join(missing), missing_for=rank))
    unremedied = tasks.not_done - tasks.not_done_remedied
    if _share_above(unremedied, tasks.assigned, NOT_DONE_SHARE):
        caps.append(
            TaskCap(
                rank=Rank.NOT_COMPLETE,
                why=(
                    f"quá {_percent(NOT_DONE_SHARE)} nhiệm vụ trong năm không hoàn thành: "
                    f"{unremedied}/{tasks.assigned}"
                ),
            )
        )
    if collective and below_planned_tasks(tasks):
        caps.append(TaskCap(rank=Rank.NOT_COMPLETE, why=planned_tasks_text(tasks)))
    return caps


def highest_rank_by_tasks(tasks: TaskCount | None, *, remedied: bool = True) -> Rank:
    """The best level the ledger allows (EXCELLENT when nothing is recorded)."""
    return min((c.rank for c in task_caps(tasks, remedied=remedied)), default=Rank.EXCELLENT)
