"""Browser journey of Hướng dẫn 43-HD/BTCTW §3: a đảng bộ cơ sở's chi bộ trực thuộc are decided
by its đảng ủy, then the tier above (the commune's standing committee) decides the đảng bộ.

The đảng ủy's reviewer opens the review, is led to its cells, selects both, reads the scope
("Quyết định 2 đơn vị, 4 đảng viên?") and confirms; the commune's reviewer, who was told to
wait for it, now reads "Chờ Ban Thường vụ Đảng ủy xã An Hòa quyết định." and decides the
đảng bộ after its own confirmation."""

import datetime

import pytest
from django.urls import reverse

from assessments import services as rating_services
from assessments.choices import RoundState
from assessments.models import OrganizationRating, RatingRound
from cells.choices import OrganizationType, Role
from tests import factories
from tests.e2e.conftest import follow, login, logout, main_text, rate, shot

pytestmark = pytest.mark.e2e

PLAN = {"Trần Văn Một": ("good", 80), "Lê Thị Hai": ("good", 78)}
PLAN_B = {"Phạm Văn Ba": ("good", 82), "Vũ Thị Bốn": ("complete", 60)}


def test_journey_dang_uy_decides_its_cells_then_the_commune_decides_the_dang_bo(page, commune):
    data = commune
    d = datetime.date(2020, 1, 1)
    school = factories.org(
        data.commune,
        "BG-AH-THPT",
        "Đảng bộ Trường THPT An Hòa",
        OrganizationType.GRASSROOTS_COMMITTEE,
        is_grassroots=True,
        established_on=d,
    )
    cells = [
        factories.org(school, f"BG-AH-THPT-{n}", name, OrganizationType.CELL, established_on=d)
        for n, name in ((1, "Chi bộ Giáo viên"), (2, "Chi bộ Hành chính"))
    ]
    members = [
        {name: factories.member(cell, name) for name in plan}
        for cell, plan in zip(cells, (PLAN, PLAN_B), strict=True)
    ]
    dang_uy = factories.user_with_role(
        school, Role.REVIEWER, username="danguy.thpt", first_name="Đỗ Thị Hạnh"
    )
    for cell, group, plan in zip(cells, members, (PLAN, PLAN_B), strict=True):
        round_ = rate(cell, group, plan, year=data.year, actor=None, submit=False)
    for cell, level in zip(cells, ("good", "good"), strict=True):
        round_.refresh_from_db()
        rating_services.organization_rating_save(
            actor=None, round=round_, organization=cell, level=level, points=80
        )
    round_.refresh_from_db()
    rating_services.round_submit(actor=None, round=round_, round_version=round_.version)

    # The commune's reviewer first: the unit waits for its đảng ủy, and says so.
    login(page, data.reviewer)
    page.goto(reverse("assessments:review_detail", args=[round_.pk]))
    assert "Chờ Đảng ủy Trường THPT An Hòa quyết định 2 chi bộ trực thuộc" in main_text(page)
    assert page.get_by_role("button", name="Quyết định", exact=True).count() == 0
    logout(page)

    # The đảng ủy: the review leads it to its cells.
    login(page, dang_uy)
    page.goto(reverse("assessments:review_home"))
    follow(page.get_by_role("link", name="Quyết định các chi bộ trực thuộc"))
    assert "Chi bộ Giáo viên" in main_text(page) and "Chi bộ Hành chính" in main_text(page)
    for cell in cells:
        page.locator(f'tr[data-cell="{cell.code}"] input[name="cells"]').check()
    shot(page, "31-danguy-chi-bo-truc-thuoc")
    follow(page.get_by_role("button", name="Quyết định các chi bộ đã chọn"))
    assert "Quyết định 2 đơn vị, 4 đảng viên?" in main_text(page)
    assert not OrganizationRating.objects.filter(decided_at__isnull=False).exists()
    follow(page.get_by_role("button", name="Đồng ý quyết định"))
    assert "Đã quyết định xếp loại 2 chi bộ trực thuộc." in main_text(page)
    assert "Đã quyết định 2 / 2." in main_text(page)
    logout(page)

    # The commune decides the đảng bộ itself, after the confirmation of its scope.
    login(page, data.reviewer)
    page.goto(reverse("assessments:review_detail", args=[round_.pk]))
    assert "Chờ Ban Thường vụ Đảng ủy xã An Hòa quyết định." in main_text(page)
    follow(page.get_by_role("button", name="Quyết định", exact=True))
    assert "Quyết định 1 đơn vị, 0 đảng viên?" in main_text(page)
    follow(page.get_by_role("button", name="Đồng ý quyết định"))
    round_ = RatingRound.objects.get(pk=round_.pk)
    assert round_.state == RoundState.DECIDED
    assert OrganizationRating.objects.get(organization=cells[0]).decided_by == dang_uy
