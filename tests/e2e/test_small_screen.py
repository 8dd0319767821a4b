"""A phone 375 px wide, and a keyboard: the grid, the review screen and the dashboard fit the
screen (the page never scrolls sideways), and the grid is filled without touching a mouse."""

import pytest
from django.urls import reverse

from assessments.choices import RoundState
from assessments.models import MemberRating, RatingRound
from tests.e2e.conftest import (
    PLAN_A,
    PLAN_B,
    assert_fits,
    axe_check,
    follow,
    login,
    logout,
    main_text,
    rate,
    shot,
)

pytestmark = pytest.mark.e2e

# The level box's digits (static/js/grid.js): 1–4 the levels best first, 0 "not rated".
DIGIT = {"excellent": "1", "good": "2", "complete": "3", "not_complete": "4"}
MAX_TABS = 120


def active(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName, id: e.id, name: e.name || '',
                           cls: e.className || '', value: e.value || ''}; }"""
    )


def tab_until(page, wanted, *, what: str) -> dict:
    """Press Tab until the focused element satisfies `wanted` (a bounded number of times)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        element = active(page)
        if wanted(element):
            return element
    pytest.fail(f"Tab never reached {what}; focus is on {active(page)}")


def is_level(element) -> bool:
    return element["tag"] == "SELECT" and element["id"].startswith("id_level_")


def test_small_screen_grid_by_keyboard_review_and_dashboard(phone_page, commune):
    """At 375 px: the secretary fills the whole grid with the keyboard (digits choose the
    level, Tab moves on, Ctrl+S saves, Enter on “Gửi duyệt” submits); the reviewer decides
    on the review screen and reads the dashboard; no page body is wider than the screen."""
    page, data = phone_page, commune
    login(page, data.secretary)
    assert_fits(page, "tree")

    follow(page.get_by_role("link", name="Chi bộ ấp Tân Hòa"))
    assert_fits(page, "organization page")
    follow(page.get_by_role("link", name=f"Xếp loại năm {data.year}"))
    page.wait_for_url(f"**/xep-loai/don-vi/{data.cell_a.pk}/{data.year}/")
    assert_fits(page, "grid (empty)")
    axe_check(page, "grid at 375 px")

    by_pk = {str(m.pk): name for name, m in data.members_a.items()}
    rows = page.locator("select[data-grid-level]").count()
    assert rows == len(data.members_a)
    done = set()
    element = tab_until(page, is_level, what="the first level box")
    while True:
        name = by_pk[element["id"].removeprefix("id_level_")]
        if name in PLAN_A:
            level, points = PLAN_A[name]
            page.keyboard.press(DIGIT[level])
            assert active(page)["value"] == level, (name, active(page))
            element = tab_until(
                page, lambda e: "grid-points" in e["cls"], what=f"the points of {name}"
            )
            page.keyboard.type(str(points))
        else:  # the exempt member: pre-filled "not rated" with the reason; confirm, move on
            assert element["value"] == "none"
        done.add(name)
        if len(done) == rows:
            break
        element = tab_until(page, is_level, what="the next level box")
    # The live check after the last change.
    page.wait_for_function("() => !document.querySelector('[data-grid-form][data-checking]')")
    assert_fits(page, "grid (filled)")
    page.locator(f"#member-{data.members_a['Trần Thị Lan'].pk}").scroll_into_view_if_needed()
    shot(page, "13-dien-thoai-luoi")

    with page.expect_navigation():
        page.keyboard.press("Control+s")
    assert "Đã lưu xếp loại của 9 đảng viên" in main_text(page), main_text(page)[:500]
    send = tab_until(page, lambda e: e["value"] == "submit", what="the “Gửi danh sách” button")
    assert send["tag"] == "BUTTON"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Gửi 9 đảng viên của 1 chi bộ" in main_text(page)
    assert_fits(page, "send confirmation")
    tab_until(page, lambda e: e["tag"] == "BUTTON" and "btn-lg" in e["cls"], what="“Đồng ý”")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Đã gửi Đảng bộ xã An Hòa xem xét, quyết định" in main_text(page)
    assert_fits(page, "grid (submitted)")

    round_ = RatingRound.objects.get(organization=data.cell_a, year=data.year)
    assert round_.state == RoundState.SUBMITTED
    saved = {
        r.member.full_name: (r.proposed_level, int(r.points))
        for r in MemberRating.objects.filter(round=round_, points__isnull=False).select_related(
            "member"
        )
    }
    assert saved == PLAN_A

    # The reviewer, on a phone too.
    rate(data.cell_b, data.members_b, PLAN_B, year=data.year, actor=data.secretary_b)
    logout(page)
    login(page, data.reviewer)
    page.goto(reverse("assessments:review_home"))
    page.wait_for_url(f"**/xep-loai/duyet/{data.commune.pk}/{data.year}/")
    assert_fits(page, "review list")
    axe_check(page, "review list at 375 px")
    shot(page, "14-dien-thoai-duyet")
    follow(page.get_by_role("link", name="Chi bộ ấp Tân Hòa"))
    assert_fits(page, "review detail")
    follow(page.get_by_role("button", name="Quyết định"))
    assert_fits(page, "decision confirmation")
    follow(page.get_by_role("button", name="Đồng ý quyết định"))
    assert "Xếp loại của Chi bộ ấp Tân Hòa đã được quyết định." in main_text(page)
    assert_fits(page, "review detail (decided)")

    page.goto(
        reverse(
            "assessments:dashboard_detail", kwargs={"org_pk": data.commune.pk, "year": data.year}
        )
    )
    assert "87,50%" in page.locator('[data-indicator="mem-good-or-better"]').inner_text()
    assert_fits(page, "dashboard")
    axe_check(page, "dashboard at 375 px")
    page.locator('[data-indicator="mem-good-or-better"]').scroll_into_view_if_needed()
    shot(page, "15-dien-thoai-chi-tieu")
