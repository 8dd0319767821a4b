"""The XLSX template of a `xep_loai` file (DOMAIN.md §8), registered with the cells templates.

Its drop-down offers the member levels of the year's scheme (long labels; the short forms are
accepted too) and the fixed reasons for not rating, where "Khác: …" may be typed.
"""

from django.utils import timezone

from cells.imports.templates import TemplateSpec, register_template

from . import rules
from .imports import KIND, RatingImporter
from .schemes import scheme_for_year


@register_template(KIND)
def ratings_template(*, year: int | None = None, **_options) -> TemplateSpec:
    year = year or timezone.localdate().year
    scheme = scheme_for_year(year)
    reasons = [label for slug, label in rules.NOT_RATED_LABELS.items() if slug != "other"]
    return TemplateSpec(
        kind=KIND,
        filename=f"xep_loai_{year}_mau.xlsx",
        title=f"Xếp loại chất lượng năm {year} (xep_loai) — {scheme.citation}",
        required=tuple(RatingImporter.required_columns),
        optional=tuple(RatingImporter.optional_columns),
        choices={
            "muc": [level.label for level in scheme.member_levels],
            "ly_do_khong_xep_loai": [*reasons, "Khác: "],
        },
        open_lists=frozenset({"ly_do_khong_xep_loai"}),
        leading=("so_ly_lich", "ma", "nam", "muc", "ly_do_khong_xep_loai"),
        notes=(
            f"Mỗi dòng một đảng viên (cột Số lý lịch) hoặc một tổ chức (cột Mã tổ chức); cột Năm "
            f"ghi {year}. Mức xếp loại theo {scheme.citation}; có thể ghi tên viết tắt "
            f"({', '.join(level.short for level in scheme.member_levels)}).",
        ),
    )
