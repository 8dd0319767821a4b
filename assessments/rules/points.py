"""The 100 points of Quy định 366-QĐ/TW (Điều 10): general criteria (30) and task results (70).

The items inside each part and their points are data per province and year (PointsItem);
without any, one item per part is used. An item is scored in points up to its maximum or
"đảm bảo" (full) / "không đảm bảo" (0). The 70 part is suggested from the task ledger; a
different value needs a reason. A level far below its points band is flagged (a warning: the
other rules may explain it). Pure Python.

Decisions (the regulations give no formula): the suggestion gives each assigned task an equal
share of the 70 points — full for a task done on time or exceeded, half for a task done late,
nothing for a task not done — rounded down to 0,5; "far below" is two levels or more under
the band of the points, unless a rule already caps the level that low.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

from assessments.schemes import Rank

from .article11 import TaskCount

GENERAL = "general"
TASKS = "tasks"
PART_POINTS = {GENERAL: Decimal(30), TASKS: Decimal(70)}
PART_LABELS = {GENERAL: "tiêu chí chung", TASKS: "kết quả thực hiện nhiệm vụ"}
SCORING_POINTS = "points"
SCORING_PASS_FAIL = "pass_fail"
LATE_TASK_SHARE = Fraction(1, 2)
SUGGESTION_STEP = Decimal("0.5")
PASS_WORDS = {"đảm bảo", "dam bao", "có", "x", "true", "1"}
FAIL_WORDS = {"không đảm bảo", "khong dam bao", "không", "false", "0"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsItemSpec:
    """One criteria item: its part, name, maximum and how it is scored."""

    key: str
    part: str
    name: str
    max_points: Decimal
    scoring: str = SCORING_POINTS


DEFAULT_ITEMS = (
    PointsItemSpec(
        key="general",
        part=GENERAL,
        name="Tiêu chí chung (chính trị tư tưởng; đạo đức, lối sống; ý thức tổ chức kỷ luật; "
        "tác phong, lề lối làm việc; tự phê bình và phê bình)",
        max_points=PART_POINTS[GENERAL],
    ),
    PointsItemSpec(
        key="tasks",
        part=TASKS,
        name="Kết quả thực hiện chức trách, nhiệm vụ được giao",
        max_points=PART_POINTS[TASKS],
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsParts:
    """The two parts of one score; `total` their sum."""

    general: Decimal
    tasks: Decimal

    @property
    def total(self) -> Decimal:
        return self.general + self.tasks


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def items_problems(items: Sequence[PointsItemSpec]) -> list[str]:
    """Why a province's item set is unusable: each part must add up to its 30 / 70 points."""
    problems = []
    for part, points in PART_POINTS.items():
        total = sum((i.max_points for i in items if i.part == part), Decimal(0))
        if total != points:
            problems.append(
                f"Các tiêu chí phần {PART_LABELS[part]} cộng {_num(total)} điểm, "
                f"phải bằng {_num(points)}"
            )
    return problems


def parts_from_items(
    items: Sequence[PointsItemSpec], values: Mapping[str, object]
) -> tuple[PointsParts | None, list[str]]:
    """The parts scored item by item ({key: points, or True/False/"đảm bảo"}), and problems.

    Every item needs a value; a pass/fail item takes its full points or 0.
    """
    sums = {GENERAL: Decimal(0), TASKS: Decimal(0)}
    problems = []
    for item in items:
        value = values.get(item.key)
        if value is None or value == "":
            problems.append(f"Chưa chấm tiêu chí «{item.name}»")
            continue
        if item.scoring == SCORING_PASS_FAIL:
            word = value if isinstance(value, bool) else str(value).strip().casefold()
            if word is True or word in PASS_WORDS:
                sums[item.part] += item.max_points
            elif word is False or word in FAIL_WORDS:
                pass
            else:
                problems.append(
                    f"Tiêu chí «{item.name}» chấm «đảm bảo» hoặc «không đảm bảo», "
                    f"không phải «{value}»"
                )
            continue
        try:
            points = Decimal(str(value).replace(",", "."))
        except ArithmeticError:
            points = None
        if points is None or not points.is_finite() or not 0 <= points <= item.max_points:
            problems.append(
                f"Tiêu chí «{item.name}»: «{value}» không phải số điểm từ 0 đến "
                f"{_num(item.max_points)}"
            )
            continue
        sums[item.part] += points
    if problems:
        return None, problems
    return PointsParts(general=sums[GENERAL], tasks=sums[TASKS]), []


def suggest_task_points(
    tasks: TaskCount | None, *, max_points: Decimal = PART_POINTS[TASKS]
) -> Decimal | None:
    """The 70 part the ledger suggests (see the module docstring); None with no task."""
    if tasks is None or tasks.assigned == 0:
        return None
    earned = Fraction(tasks.on_time) + Fraction(tasks.late) * LATE_TASK_SHARE
    exact = Fraction(str(max_points)) * earned / tasks.assigned
    steps = (Decimal(exact.numerator) / Decimal(exact.denominator) / SUGGESTION_STEP).to_integral(
        rounding=ROUND_FLOOR
    )
    return steps * SUGGESTION_STEP


def parts_problems(
    *,
    general: Decimal | None,
    tasks: Decimal | None,
    total: Decimal | None = None,
    suggested: Decimal | None = None,
    reason: str = "",
) -> list[tuple[str, str]]:
    """(code, sentence) for each problem of one score's parts.

    P1 a part outside 0–30 / 0–70; P2 the parts do not add up to the total (`diem`);
    P3 the task part differs from the ledger's suggestion without a reason.
    """
    found: list[tuple[str, str]] = []
    for part, value in ((GENERAL, general), (TASKS, tasks)):
        top = PART_POINTS[part]
        if value is not None and not 0 <= value <= top:
            found.append(
                ("P1", f"Điểm {PART_LABELS[part]} {_num(value)} ngoài khoảng 0–{_num(top)}")
            )
    if None not in (total, general, tasks) and general + tasks != total:
        found.append(
            (
                "P2",
                f"Điểm {PART_LABELS[GENERAL]} ({_num(general)}) cộng điểm "
                f"{PART_LABELS[TASKS]} ({_num(tasks)}) bằng {_num(general + tasks)}, "
                f"không bằng tổng điểm {_num(total)}",
            )
        )
    if tasks is not None and suggested is not None and tasks != suggested and not reason.strip():
        found.append(
            (
                "P3",
                f"Điểm {PART_LABELS[TASKS]} {_num(tasks)} khác mức gợi ý từ sổ nhiệm vụ "
                f"({_num(suggested)}): phải ghi lý do",
            )
        )
    return found


def band_of(points: Decimal) -> Rank:
    """The level band of a score (M5/O4): ≥ 90, 70–< 90, 50–< 70, < 50."""
    if points >= 90:
        return Rank.EXCELLENT
    if points >= 70:
        return Rank.GOOD
    if points >= 50:
        return Rank.COMPLETE
    return Rank.NOT_COMPLETE


def far_below_band(points: Decimal, rank: Rank, *, caps: Iterable[Rank] = ()) -> bool:
    """Whether `rank` is two levels or more below the points band, with no cap explaining it."""
    lowest_cap = min(caps, default=Rank.EXCELLENT)
    return band_of(points) - rank >= 2 and lowest_cap > rank
