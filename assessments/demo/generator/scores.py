"""The 30 + 70 score sheets of a generated province (Quy định 366, Điều 10; DOMAIN §4.3).

For each year scored in points under the 2025– regime, the province sets its criteria items
(`points_items`: five general items of 6 points and two task items) and every rated subject
gets a sheet per stage of the procedure the round has reached: the self-score always, the
cell's proposal once the round left the draft, the committee's appraisal once it is decided.
The appraisal adds up to the rating's points (the total the bands read); the 70 part follows
the task ledger's suggestion (rules.suggest_task_points) unless the points leave no room for
it, and then carries the reason the rules ask for (P3).
"""

from __future__ import annotations

import datetime
import json
import random
from decimal import ROUND_FLOOR, Decimal

from ... import rules
from ...choices import DECIDED_STATES, PointsPart, ScoreStage, ScoringMode
from ...schemes import ASSESSMENT_POINTS, RatingScheme

GENERAL_ITEMS = [
    "Tư tưởng chính trị",
    "Phẩm chất đạo đức, lối sống",
    "Ý thức tổ chức kỷ luật",
    "Tác phong, lề lối làm việc",
    "Tự phê bình và phê bình, khắc phục hạn chế",
]
GENERAL_ITEM_POINTS = Decimal(6)
TASK_ITEMS = [
    ("Kết quả thực hiện nhiệm vụ được giao", Decimal(60)),
    ("Kết quả thực hiện nhiệm vụ nơi cư trú", Decimal(10)),
]
POINTS_ITEM_COLUMNS = [
    "id",
    "province_id",
    "year",
    "part",
    "audience",
    "name",
    "max_points",
    "scoring",
    "order",
]
SCORE_SHEET_COLUMNS = [
    "member_rating_id",
    "organization_rating_id",
    "stage",
    "general",
    "tasks",
    "tasks_suggested",
    "tasks_reason",
    "items",
    "updated_at",
]
HALF = Decimal("0.5")
TASKS_REASON = "Điểm tiêu chí chung không đủ để giữ điểm gợi ý từ sổ nhiệm vụ; chi bộ thống nhất."


def scores_sheets(scheme: RatingScheme, year: int) -> bool:
    """Whether the year's subjects are scored on 30 + 70 points (the 2025– regime)."""
    return scheme.member_assessment == ASSESSMENT_POINTS and scheme.applies("M5")


def points_items(province_id: int, year: int, first_id: int) -> list[tuple]:
    """The province's criteria items of the year, as rows in POINTS_ITEM_COLUMNS order."""
    specs = [
        (PointsPart.GENERAL, n, name, GENERAL_ITEM_POINTS) for n, name in enumerate(GENERAL_ITEMS)
    ]
    specs += [(PointsPart.TASKS, n, name, top) for n, (name, top) in enumerate(TASK_ITEMS)]
    return [
        (first_id + i, province_id, year, part, "", name, top, ScoringMode.POINTS, order)
        for i, (part, order, name, top) in enumerate(specs)
    ]


def _halves(value: float) -> Decimal:
    return (Decimal(str(value)) / HALF).to_integral() * HALF


class SheetDrawer:
    """Draws the sheets of one province and year; `items` are its POINTS_ITEM rows."""

    def __init__(self, items: list[tuple], stamp: datetime.datetime):
        self.general_keys = [str(r[0]) for r in items if r[3] == PointsPart.GENERAL]
        self.task_items = [(str(r[0]), r[6]) for r in items if r[3] == PointsPart.TASKS]
        self.stamp = stamp
        self._items_of: dict[tuple[str, str], str] = {}

    def _items(self, general: Decimal, tasks: Decimal) -> str:
        # A province's ≈ 2 million sheets share a few thousand (general, tasks) pairs. Keyed
        # by their text: Decimal("1.0") == Decimal("1"), but the items would read "1.0".
        key = (str(general), str(tasks))
        found = self._items_of.get(key)
        if found is None:
            found = self._items_of[key] = self._spread(general, tasks)
        return found

    def _spread(self, general: Decimal, tasks: Decimal) -> str:
        # The general part spread evenly over its items (half points), the rest from the first.
        keys = self.general_keys
        share = (general / len(keys) / HALF).to_integral(rounding=ROUND_FLOOR) * HALF
        left = general - share * len(keys)
        values = {}
        for key in keys:
            extra = min(GENERAL_ITEM_POINTS - share, left)
            values[key] = str(share + extra)
            left -= extra
        left = tasks
        for key, top in self.task_items[:-1]:
            values[key] = str(min(top, left))
            left -= min(top, left)
        values[self.task_items[-1][0]] = str(left)
        return json.dumps(values)

    def parts(
        self, rng: random.Random, points: Decimal, suggested: Decimal | None
    ) -> tuple[Decimal, Decimal, str]:
        """(general, tasks, reason) adding up to `points`, tasks at the suggestion if it fits."""
        low, high = max(Decimal(0), points - 70), min(Decimal(30), points)
        if suggested is not None and low <= points - suggested <= high:
            return points - suggested, suggested, ""
        general = min(max(_halves(float(points) * 0.3 + rng.uniform(-1.5, 1.5)), low), high)
        reason = TASKS_REASON if suggested is not None else ""
        return general, points - general, reason

    def sheets(
        self,
        rng: random.Random,
        *,
        member_rating_id: int | None = None,
        organization_rating_id: int | None = None,
        points: Decimal | None,
        state: str,
        tasks: rules.TasksSummary | None = None,
    ) -> list[tuple]:
        """The rating's sheets for the stages its round has reached (none if not scored)."""
        if points is None:
            return []
        suggested = rules.suggest_task_points(tasks.counts) if tasks is not None else None
        general, task_part, reason = self.parts(rng, points, suggested)
        stages = [ScoreStage.SELF]
        if state != "draft":
            stages.append(ScoreStage.CELL)
        if state in DECIDED_STATES:
            stages.append(ScoreStage.COMMITTEE)
        rows = []
        for stage in stages:
            g = general
            if stage == ScoreStage.SELF:  # the self-score is often a little kinder
                g = min(Decimal(30), general + rng.choice((0, 0, 0, HALF, 1)))
            rows.append(
                (
                    member_rating_id,
                    organization_rating_id,
                    stage,
                    g,
                    task_part,
                    suggested,
                    reason,
                    self._items(g, task_part),
                    self.stamp,
                )
            )
        return rows
