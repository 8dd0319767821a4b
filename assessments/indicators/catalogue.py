"""The indicators of DOMAIN §6 as data, and the formula each one is computed with.

A `Formula` is plain arithmetic over the counters the families produce: numerator counters
summed, divided by denominator counters summed, times a scale, rounded half-up to 2 decimals
(Decimal, never float). The `Indicator` rows (name, unit, direction, source document) are
seeded by `ensure_indicator_catalogue()` and may then be edited by reports staff; only the
formula key ties a row to the arithmetic here.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from ..models import Indicator, IndicatorTarget
from .counters import HUNDRED, scaled_ratio


@dataclass(frozen=True, slots=True)
class Formula:
    """numerator / denominator × scale over summed counters (a count when no denominator)."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()
    scale: Decimal = HUNDRED

    def parts(self, counts: Mapping[str, int]) -> tuple[int, int | None]:
        num = sum(counts.get(c, 0) for c in self.numerator)
        den = sum(counts.get(c, 0) for c in self.denominator) if self.denominator else None
        return num, den

    def value(self, counts: Mapping[str, int]) -> Decimal | None:
        """The value, or None when the denominator is zero (nothing to divide by)."""
        return self.value_and_parts(counts)[0]

    def value_and_parts(self, counts: Mapping[str, int]) -> tuple[Decimal | None, int, int | None]:
        num, den = self.parts(counts)
        if den is None:
            return Decimal(num), num, den
        return scaled_ratio(num, den, self.scale), num, den

    @property
    def link_counter(self) -> str:
        """The list behind the number: the first numerator counter."""
        return self.numerator[0]


def _levels(prefix: str) -> dict[str, Formula]:
    rated = (f"{prefix}.rated",)
    return {
        f"{prefix}_rated": Formula(rated),
        f"{prefix}_excellent_pct": Formula((f"{prefix}.r3",), rated),
        f"{prefix}_good_pct": Formula((f"{prefix}.r2",), rated),
        f"{prefix}_complete_pct": Formula((f"{prefix}.r1",), rated),
        f"{prefix}_weak_pct": Formula((f"{prefix}.r0",), rated),
        f"{prefix}_good_or_better_pct": Formula((f"{prefix}.r3", f"{prefix}.r2"), rated),
        f"{prefix}_weak": Formula((f"{prefix}.r0",)),
        f"{prefix}_not_rated": Formula((f"{prefix}.not_rated",)),
        f"{prefix}_pending": Formula((f"{prefix}.pending",)),
    }


FORMULAS: dict[str, Formula] = {
    **_levels("gro"),
    **_levels("cell"),
    **_levels("mem"),
    # Organizations only: a member's consecutive years are not an indicator of DOMAIN §6.
    "gro_weak_consecutive": Formula(("gro.weak2",)),
    "cell_weak_consecutive": Formula(("cell.weak2",)),
    "gro_exemplary_pct": Formula(("gro.exemplary",), ("gro.r3",)),
    "mem_excellent_to_good_pct": Formula(("mem.r3",), ("mem.r2",)),
    "members": Formula(("mc.end",)),
    "admissions": Formula(("adm.total",)),
    "admission_rate": Formula(("adm.total",), ("mc.start",)),
    "admission_women_pct": Formula(("adm.women",), ("adm.total",)),
    "admission_youth_pct": Formula(("adm.youth",), ("adm.total",)),
    "admission_minority_pct": Formula(("adm.minority",), ("adm.total",)),
    "admission_religious_pct": Formula(("adm.religious",), ("adm.total",)),
    "hamlet_independent_pct": Formula(("ru.independent",), ("ru.total",)),
    "hamlet_joint": Formula(("ru.joint",)),
    "hamlet_no_cell": Formula(("ru.no_cell",)),
    "committee_degree_pct": Formula(("cad.committee_degree",), ("cad.committee",)),
    "official_professional_pct": Formula(("cad.official_professional",), ("cad.official",)),
    "official_theory_pct": Formula(("cad.official_theory",), ("cad.official",)),
    "secretary_hamlet_head_pct": Formula(("cad.secretary_head",), ("cad.secretary",)),
    "cells_full_meetings_pct": Formula(("mt.full12",), ("exist.meeting_cell",)),
    "thematic_per_cell": Formula(("mt.thematic",), ("exist.meeting_cell",), Decimal(1)),
    "new_rural_communes": Formula(("nr.recognised",)),
    "new_rural_pct": Formula(("nr.recognised",), ("exist.commune",)),
}


@dataclass(frozen=True, slots=True)
class Source:
    number: str
    date: datetime.date | None
    issuer: str


NQ22 = Source("22-NQ/TW", datetime.date(2008, 2, 2), "Ban Chấp hành Trung ương")
NQ21 = Source("21-NQ/TW", datetime.date(2022, 6, 16), "Ban Chấp hành Trung ương")
KL18 = Source("18-KL/TW", datetime.date(2017, 9, 22), "Ban Bí thư")

# (code, Vietnamese name, group, formula, unit, better, source, headline)
CATALOGUE: tuple[tuple, ...] = (
    (
        "gro-good-or-better",
        "TCCSĐ hoàn thành tốt nhiệm vụ trở lên",
        "organizations",
        "gro_good_or_better_pct",
        "percent",
        "higher",
        NQ22,
        True,
    ),
    (
        "gro-excellent",
        "TCCSĐ hoàn thành xuất sắc nhiệm vụ (TSVM)",
        "organizations",
        "gro_excellent_pct",
        "percent",
        "higher",
        NQ22,
        False,
    ),
    (
        "gro-good",
        "TCCSĐ hoàn thành tốt nhiệm vụ",
        "organizations",
        "gro_good_pct",
        "percent",
        "higher",
        NQ22,
        False,
    ),
    (
        "gro-complete",
        "TCCSĐ hoàn thành nhiệm vụ",
        "organizations",
        "gro_complete_pct",
        "percent",
        "lower",
        NQ22,
        False,
    ),
    (
        "gro-weak",
        "TCCSĐ không hoàn thành nhiệm vụ (yếu kém)",
        "organizations",
        "gro_weak_pct",
        "percent",
        "lower",
        NQ22,
        False,
    ),
    (
        "gro-weak-consecutive",
        "TCCSĐ yếu kém 2 năm liền",
        "organizations",
        "gro_weak_consecutive",
        "count",
        "lower",
        NQ21,
        False,
    ),
    (
        "gro-exemplary",
        "TCCSĐ TSVM tiêu biểu (trong số TSVM)",
        "organizations",
        "gro_exemplary_pct",
        "percent",
        "higher",
        NQ22,
        False,
    ),
    (
        "gro-rated",
        "TCCSĐ được xếp loại",
        "organizations",
        "gro_rated",
        "count",
        "higher",
        NQ22,
        False,
    ),
    (
        "gro-not-rated",
        "TCCSĐ không xếp loại",
        "organizations",
        "gro_not_rated",
        "count",
        "lower",
        NQ22,
        False,
    ),
    (
        "gro-pending",
        "TCCSĐ chưa quyết định",
        "organizations",
        "gro_pending",
        "count",
        "lower",
        NQ22,
        False,
    ),
    (
        "cell-good-or-better",
        "Chi bộ trực thuộc hoàn thành tốt nhiệm vụ trở lên",
        "cells",
        "cell_good_or_better_pct",
        "percent",
        "higher",
        NQ22,
        True,
    ),
    (
        "cell-excellent",
        "Chi bộ trực thuộc hoàn thành xuất sắc nhiệm vụ",
        "cells",
        "cell_excellent_pct",
        "percent",
        "higher",
        NQ22,
        False,
    ),
    (
        "cell-weak",
        "Chi bộ trực thuộc không hoàn thành nhiệm vụ",
        "cells",
        "cell_weak_pct",
        "percent",
        "lower",
        NQ22,
        False,
    ),
    (
        "cell-weak-consecutive",
        "Chi bộ yếu kém 2 năm liền",
        "cells",
        "cell_weak_consecutive",
        "count",
        "lower",
        NQ21,
        False,
    ),
    (
        "mem-good-or-better",
        "Đảng viên hoàn thành tốt nhiệm vụ trở lên",
        "members",
        "mem_good_or_better_pct",
        "percent",
        "higher",
        NQ22,
        True,
    ),
    (
        "mem-excellent",
        "Đảng viên hoàn thành xuất sắc nhiệm vụ",
        "members",
        "mem_excellent_pct",
        "percent",
        "higher",
        NQ22,
        False,
    ),
    (
        "mem-good",
        "Đảng viên hoàn thành tốt nhiệm vụ",
        "members",
        "mem_good_pct",
        "percent",
        "higher",
        NQ22,
        False,
    ),
    (
        "mem-complete",
        "Đảng viên hoàn thành nhiệm vụ",
        "members",
        "mem_complete_pct",
        "percent",
        "lower",
        NQ22,
        False,
    ),
    (
        "mem-not-complete",
        "Đảng viên không hoàn thành nhiệm vụ",
        "members",
        "mem_weak_pct",
        "percent",
        "lower",
        NQ22,
        False,
    ),
    (
        "mem-excellent-ratio",
        "Tỷ lệ HTXSNV so với HTTNV",
        "members",
        "mem_excellent_to_good_pct",
        "percent",
        "lower",
        NQ21,
        False,
    ),
    (
        "mem-not-rated",
        "Đảng viên không xếp loại",
        "members",
        "mem_not_rated",
        "count",
        "lower",
        NQ22,
        False,
    ),
    ("members", "Tổng số đảng viên (31/12)", "members", "members", "count", "higher", NQ22, False),
    (
        "admissions",
        "Kết nạp đảng viên mới",
        "admissions",
        "admissions",
        "count",
        "higher",
        NQ21,
        True,
    ),
    (
        "admission-rate",
        "Kết nạp trên 100 đảng viên",
        "admissions",
        "admission_rate",
        "per_100",
        "higher",
        NQ21,
        False,
    ),
    (
        "admission-women",
        "Đảng viên mới là nữ",
        "admissions",
        "admission_women_pct",
        "percent",
        "higher",
        NQ21,
        False,
    ),
    (
        "admission-youth",
        "Đảng viên mới từ 30 tuổi trở xuống",
        "admissions",
        "admission_youth_pct",
        "percent",
        "higher",
        NQ21,
        False,
    ),
    (
        "admission-minority",
        "Đảng viên mới là người dân tộc thiểu số",
        "admissions",
        "admission_minority_pct",
        "percent",
        "higher",
        NQ21,
        False,
    ),
    (
        "admission-religious",
        "Đảng viên mới là người có đạo",
        "admissions",
        "admission_religious_pct",
        "percent",
        "higher",
        NQ21,
        False,
    ),
    (
        "hamlet-independent",
        "Thôn, tổ dân phố có chi bộ độc lập",
        "hamlets",
        "hamlet_independent_pct",
        "percent",
        "higher",
        NQ21,
        True,
    ),
    (
        "hamlet-joint",
        "Thôn, tổ dân phố sinh hoạt chi bộ ghép",
        "hamlets",
        "hamlet_joint",
        "count",
        "lower",
        NQ21,
        False,
    ),
    (
        "hamlet-no-cell",
        "Thôn, tổ dân phố chưa có chi bộ (chưa có đảng viên)",
        "hamlets",
        "hamlet_no_cell",
        "count",
        "lower",
        NQ21,
        False,
    ),
    (
        "committee-degree",
        "Cấp ủy viên xã có trình độ cao đẳng, đại học trở lên",
        "cadres",
        "committee_degree_pct",
        "percent",
        "higher",
        NQ22,
        False,
    ),
    (
        "official-professional",
        "Cán bộ xã có chuyên môn trung cấp trở lên",
        "cadres",
        "official_professional_pct",
        "percent",
        "higher",
        NQ22,
        False,
    ),
    (
        "official-theory",
        "Cán bộ xã có lý luận chính trị trung cấp trở lên",
        "cadres",
        "official_theory_pct",
        "percent",
        "higher",
        NQ22,
        False,
    ),
    (
        "secretary-hamlet-head",
        "Bí thư chi bộ đồng thời là trưởng thôn, tổ trưởng tổ dân phố",
        "cadres",
        "secretary_hamlet_head_pct",
        "percent",
        "higher",
        NQ21,
        False,
    ),
    (
        "cells-full-meetings",
        "Chi bộ sinh hoạt thường kỳ đủ 12 kỳ",
        "meetings",
        "cells_full_meetings_pct",
        "percent",
        "higher",
        KL18,
        True,
    ),
    (
        "thematic-per-cell",
        "Sinh hoạt chuyên đề bình quân mỗi chi bộ",
        "meetings",
        "thematic_per_cell",
        "average",
        "higher",
        KL18,
        False,
    ),
    (
        "new-rural",
        "Xã đạt chuẩn nông thôn mới",
        "new_rural",
        "new_rural_communes",
        "count",
        "higher",
        NQ21,
        False,
    ),
    (
        "new-rural-pct",
        "Tỷ lệ xã đạt chuẩn nông thôn mới",
        "new_rural",
        "new_rural_pct",
        "percent",
        "higher",
        NQ21,
        False,
    ),
)
# DOMAIN §6: the 2017 figures, usable as baselines; targets are demo values (configurable).
DEMO_TARGETS = {
    "committee-degree": (2017, Decimal("80"), 2030, Decimal("95")),
    "official-professional": (2017, Decimal("93"), 2030, Decimal("100")),
    "official-theory": (2017, Decimal("64"), 2030, Decimal("85")),
    "gro-good-or-better": (None, None, 2030, Decimal("90")),
    "mem-good-or-better": (None, None, 2030, Decimal("90")),
    "gro-weak": (None, None, 2030, Decimal("0")),
    "hamlet-independent": (None, None, 2030, Decimal("100")),
    "hamlet-no-cell": (None, None, 2030, Decimal("0")),
    "cells-full-meetings": (None, None, 2030, Decimal("100")),
}
NATIONAL_NEW_RURAL_2017 = 2500  # "more than 2,500 new-rural communes" (DOMAIN §6), national


@transaction.atomic
def ensure_indicator_catalogue(*, targets_for=None) -> int:
    """Create or update the indicator rows (idempotent); with `targets_for` (an organization,
    usually the demo province) also its demo targets and the 2017 baselines. Returns the
    number of indicators. Called by the seed command and by a data migration."""
    by_code = {}
    for order, (code, name, group, formula, unit, better, source, headline) in enumerate(
        CATALOGUE, start=1
    ):
        assert formula in FORMULAS, formula
        by_code[code], _ = Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "group": group,
                "formula": formula,
                "unit": unit,
                "better": better,
                "source_number": source.number,
                "source_date": source.date,
                "source_issuer": source.issuer,
                "is_headline": headline,
                "sort_order": order * 10,
            },
        )
    if targets_for is not None:
        for code, (b_year, b_value, t_year, t_value) in DEMO_TARGETS.items():
            IndicatorTarget.objects.update_or_create(
                indicator=by_code[code],
                organization=targets_for,
                target_year=t_year,
                defaults={
                    "baseline_year": b_year,
                    "baseline_value": b_value,
                    "target_value": t_value,
                    "note": "Số liệu minh họa" if b_year is None else "Cơ sở năm 2017 (NQ22)",
                },
            )
    return len(by_code)
