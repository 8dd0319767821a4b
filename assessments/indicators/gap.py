"""The dashboard's lead: each target with its status, and the units that make up the gap.

For a target on a rate ("HTTNV trở lên ≥ 90%"), a child's share of the gap is how many counted
items it lacks to be at the target rate itself (`rules.rate_shortfall`): the children are
ranked by it, so "12 xã kéo tỉnh xuống dưới 90%" lists the twelve whose shortfall is positive,
the largest first. A child with its own (cascaded) target is measured against that one.
Count targets (admissions, new-rural communes) have no rate to fall short of: their units are
ranked by their value, lowest first when higher is better.

Also here: an indicator's name in a given year's words (no "TSVM" after 2017, no "tiêu biểu"
card when the scheme has no such flag) and the direction of a year-over-year change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .. import rules, schemes
from ..models import Indicator, IndicatorTarget
from .catalogue import FORMULAS

GAP_TOP = 10  # units listed under a target before "see all"


# --- names in the year's words ------------------------------------------------------------------
_ORGANIZATION_PREFIXES = ("gro_", "cell_")


def indicator_shown(indicator: Indicator, year: int) -> bool:
    """Whether the indicator exists in `year`'s scheme (the "tiêu biểu" share needs the flag)."""
    if indicator.formula.endswith("exemplary_pct"):
        return schemes.scheme_for_year(year).has_exemplary_flag
    return True


def indicator_name(indicator: Indicator, year: int) -> str:
    """The indicator's name with the organization labels of `year`'s scheme: "trong sạch, vững
    mạnh" and "yếu kém" up to 2017, "hoàn thành xuất sắc nhiệm vụ" and "không hoàn thành nhiệm
    vụ" from 2018 (the catalogue names carry both forms for the years they cover)."""
    name = indicator.name
    if not indicator.formula.startswith(_ORGANIZATION_PREFIXES):
        return name
    old = schemes.scheme_for_year(year).has_exemplary_flag
    if old:
        name = name.replace("hoàn thành xuất sắc nhiệm vụ (TSVM)", "trong sạch, vững mạnh")
        name = name.replace("hoàn thành xuất sắc nhiệm vụ", "trong sạch, vững mạnh")
        name = name.replace("không hoàn thành nhiệm vụ (yếu kém)", "yếu kém")
        return name.replace("không hoàn thành nhiệm vụ", "yếu kém")
    name = name.replace(" (TSVM)", "").replace(" (yếu kém)", "")
    return name.replace("yếu kém", "không hoàn thành nhiệm vụ")


def change_direction(indicator: Indicator, delta: Decimal | None) -> str:
    """ "better", "worse" or "" (no change, or nothing to compare) for a year-over-year delta."""
    if delta is None or delta == 0:
        return ""
    up = delta > 0
    return "better" if up == (indicator.better == Indicator.Better.HIGHER) else "worse"


# --- targets and the gap ------------------------------------------------------------------------
def target_path(indicator: Indicator, target: IndicatorTarget) -> rules.TargetPath:
    return rules.TargetPath(
        better=indicator.better,
        target_year=target.target_year,
        target_value=target.target_value,
        baseline_year=target.baseline_year,
        baseline_value=target.baseline_value,
    )


@dataclass
class GapUnit:
    """A child of the node and its share of one target's gap."""

    info: object  # indicators.OrgInfo
    value: Decimal | None
    numerator: int
    denominator: int | None
    target_value: Decimal
    shortfall: Decimal  # counted items missing (rate) or the value (count)
    status: str | None
    explanation: str = ""
    href: str = ""  # the child's own dashboard, set by the view
    list_href: str = ""  # the list behind the child's number, set by the view


@dataclass
class TargetLine:
    """One target at the top of the page: where the node stands and who makes the gap."""

    indicator: Indicator
    name: str
    target: IndicatorTarget
    value: Decimal | None
    numerator: int
    denominator: int | None
    status: str | None
    expected: Decimal | None  # the trajectory's value for the year
    gap: Decimal | None
    units: list[GapUnit] = field(default_factory=list)  # contributing, the largest first
    below: int = 0  # children short of the target
    href: str = ""  # the list behind the node's number, set by the view
    own_explanation: str | None = None  # the node's own text; None: the user may not write one

    @property
    def is_rate(self) -> bool:
        return bool(FORMULAS[self.indicator.formula].denominator)

    @property
    def top(self) -> list[GapUnit]:
        return self.units[:GAP_TOP]


def target_lines(
    *,
    results,
    year: int,
    children,
    targets: dict[int, IndicatorTarget],
    child_targets: dict[tuple[int, int], IndicatorTarget],
    explanations: dict[tuple[int, int], str],
    active: list[Indicator],
) -> list[TargetLine]:
    """The node's targets (in catalogue order), each with its status and ranked gap units.

    `child_targets` and `explanations` are keyed (indicator id, child organization id).
    """
    lines = []
    for indicator in active:
        target = targets.get(indicator.pk)
        if target is None or not indicator_shown(indicator, year):
            continue
        formula = FORMULAS[indicator.formula]
        value = results.value(indicator.formula, year)
        num, den = results.parts(indicator.formula, year)
        path = target_path(indicator, target)
        gap = None if value is None else value - target.target_value
        line = TargetLine(
            indicator=indicator,
            name=indicator_name(indicator, year),
            target=target,
            value=value,
            numerator=num,
            denominator=den,
            status=rules.target_status(path, year=year, value=value),
            expected=rules.trajectory_value(path, year),
            gap=gap,
        )
        units = []
        for child in children:
            own = child_targets.get((indicator.pk, child.id), target)
            c_value = results.value(indicator.formula, year, child.path)
            c_num, c_den = results.parts(indicator.formula, year, child.path)
            if formula.denominator:
                if not c_den:
                    continue
                shortfall = rules.rate_shortfall(
                    numerator=c_num,
                    denominator=c_den,
                    target_percent=own.target_value * 100 / formula.scale,
                    better=indicator.better,
                )
                status = rules.target_status(target_path(indicator, own), year=year, value=c_value)
            elif (indicator.pk, child.id) in child_targets:  # a count split from above
                higher = indicator.better == Indicator.Better.HIGHER
                shortfall = (own.target_value - c_num) if higher else (c_num - own.target_value)
                status = rules.target_status(target_path(indicator, own), year=year, value=c_value)
            else:  # a count without a unit target: ranked by the value, no status of its own
                higher = indicator.better == Indicator.Better.HIGHER
                shortfall = -Decimal(c_num) if higher else Decimal(c_num)
                status = None
            units.append(
                GapUnit(
                    info=child,
                    value=c_value,
                    numerator=c_num,
                    denominator=c_den,
                    target_value=own.target_value,
                    shortfall=shortfall,
                    status=status,
                    explanation=explanations.get((indicator.pk, child.id), ""),
                )
            )
        units.sort(key=lambda u: (-u.shortfall, u.info.name_sort_key, u.info.path))
        judged = [u for u in units if u.status is not None]
        if formula.denominator or judged:
            line.units = [u for u in judged if u.shortfall > 0]
            line.below = len(line.units)
        else:
            line.units = units
        lines.append(line)
    return lines
