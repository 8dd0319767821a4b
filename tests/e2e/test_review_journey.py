"""Browser journey of a reviewer at scale: filter the submitted units → open one → see what
changed since its return → decide several with the confirmation of their scope → the
dashboard shows it → open the list behind the gap → export it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assessments import services as rating_services
from assessments.choices import RoundState
from assessments.models import Indicator, IndicatorTarget, RatingRound
from tests.e2e.conftest import PLAN_A, PLAN_B, follow, login, main_text, rate, shot

pytestmark = pytest.mark.e2e

# Phú Lợi's corrected proposals after the return: Trịnh Văn Quang HTNV 62 → HTTNV 72.
PLAN_B_CORRECTED = {**PLAN_B, "Trịnh Văn Quang": ("good", 72)}


def test_journey_reviewer_filters_sees_changes_decides_several_and_reads_the_gap(page, commune):
    """Both cells submitted, Phú Lợi after a return and a correction; the reviewer narrows
    the list to the submitted units, reads Phú Lợi's change (HTNV 62 → HTTNV 72), selects
    every unit of the filter, confirms "Quyết định 2 đơn vị, 16 đảng viên?", and finds on the
    dashboard the commune's target with Tân Hòa listed as the unit below it, whose list
    exports to Excel."""
    data = commune
    IndicatorTarget.objects.create(
        indicator=Indicator.objects.get(code="mem-good-or-better"),
        organization=data.commune,
        baseline_year=data.year - 5,
        baseline_value=Decimal(85),
        target_year=data.year + 4,
        target_value=Decimal(95),
    )
    rate(data.cell_a, data.members_a, PLAN_A, year=data.year, actor=data.secretary)
    rate(data.cell_b, data.members_b, PLAN_B, year=data.year, actor=data.secretary_b)
    returned = RatingRound.objects.get(organization=data.cell_b, year=data.year)
    rating_services.round_return(
        actor=data.reviewer, round=returned, comment="Chấm lại điểm đồng chí Quang."
    )
    rate(data.cell_b, data.members_b, PLAN_B_CORRECTED, year=data.year, actor=data.secretary_b)

    login(page, data.reviewer)
    page.goto(reverse("assessments:review_list", args=[data.commune.pk, data.year]))
    # Filter: the submitted units only.
    follow(page.locator('.review-filter a[href="?state=submitted"]'))
    rows = page.locator("table.review-table tbody tr")
    assert rows.count() == 2
    changed = page.locator('tr[data-unit="BG-AH-PL"] .review-changed-badge')
    assert changed.inner_text().strip() == "1"
    shot(page, "27-duyet-loc-da-gui")

    # Open Phú Lợi: what changed since the return, per member.
    follow(page.get_by_role("link", name="Chi bộ ấp Phú Lợi"))
    text = main_text(page)
    assert "Thay đổi kể từ lần trả lại ngày" in text
    quang = data.members_b["Trịnh Văn Quang"]
    change = page.locator(f'[data-changed-member="{quang.pk}"]')
    assert "HTNV" in change.inner_text() and "HTTNV" in change.inner_text()
    assert "72" in change.inner_text()
    shot(page, "28-duyet-thay-doi")
    page.go_back()

    # Select every unit of the filter and decide, after the confirmation.
    page.locator("[data-select-all]").check()
    assert page.locator("[data-selected-count]").inner_text() == "2"
    follow(page.get_by_role("button", name="Quyết định các đơn vị đã chọn"))
    assert "Quyết định 2 đơn vị, 16 đảng viên?" in main_text(page)
    assert RatingRound.objects.filter(state=RoundState.DECIDED).count() == 0
    shot(page, "29-duyet-xac-nhan")
    follow(page.get_by_role("button", name="Đồng ý quyết định"))
    assert "Đã quyết định xếp loại của 2 đơn vị." in main_text(page)
    assert RatingRound.objects.filter(state=RoundState.DECIDED).count() == 2

    # The dashboard shows it at once, the target first: 14 of 15 rated, 93,33% < 95%.
    page.goto(reverse("assessments:dashboard_detail", args=[data.commune.pk, data.year]))
    target = page.locator('[data-target-indicator="mem-good-or-better"]')
    assert "93,33%" in target.inner_text()
    assert "1 đơn vị kéo Đảng bộ xã An Hòa xuống dưới 95%" in target.inner_text()
    shot(page, "30-chi-tieu-khoang-cach")

    # The gap list: Tân Hòa's members counted in the number, then the Excel.
    follow(target.locator(".dash-gap-units a", has_text="%").first)
    assert (
        "Đảng viên hoàn thành tốt nhiệm vụ trở lên"
        in page.locator('[data-testid="list-title"]').inner_text()
    )
    assert page.locator('[data-testid="count"]').inner_text() == "7"
    with page.expect_download() as download:
        page.locator('[data-testid="export"]').click()
    assert download.value.suggested_filename.endswith(".xlsx")
