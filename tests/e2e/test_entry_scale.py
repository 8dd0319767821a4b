"""The December entry job at real size, in a real browser (Chromium headless).

A 520-member commune (20 cells) is the grassroots organization: its office enters the last
cell on the whole-commune grid (filter, paste a column, keyboard, undo), goes over the quota,
saves the draft anyway, is refused with the group's line, fixes it and sends with the
confirmation; a session that expires mid-entry loses nothing; two people on one grid see the
conflict with both values; a cell's secretary enters the cell meeting's proposal and votes,
and records December's meeting after the list was sent. axe-core checks each screen.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import expect

from assessments import services as rating_services
from assessments.choices import RoundState
from assessments.models import CellMeeting, MemberRating, RatingRound
from assessments.services import RowInput
from assessments.year_services import current_rating_year
from cells.choices import OrganizationType, Role
from tests import factories
from tests.e2e.conftest import PHONE, _new_page, assert_fits, axe_check, follow, login, shot

pytestmark = pytest.mark.e2e

CELLS = 20
PER_CELL = 26
LAST_CELL_OPEN = 10  # members of the first cell left for the journey to enter
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hòa",
    "Hùng",
    "Khánh",
    "Lan",
    "Linh",
    "Minh",
]
FAMILY = [
    "Nguyễn Văn",
    "Trần Thị",
    "Lê Văn",
    "Phạm Thị",
    "Hoàng Văn",
    "Võ Thị",
    "Đặng Văn",
    "Bùi Thị",
]


@dataclass
class BigCommune:
    year: int
    commune: object
    cells: list
    members: dict = field(default_factory=dict)  # cell pk → members in name order
    office: object = None
    office_2: object = None
    secretary: object = None


def _pasted(page, selector: str, text: str) -> None:
    """Paste `text` into the box matched by `selector`, as Ctrl+V from a spreadsheet does."""
    page.locator(selector).focus()
    page.evaluate(
        """([selector, text]) => {
            const el = document.querySelector(selector);
            const data = new DataTransfer();
            data.setData('text/plain', text);
            el.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                                          cancelable: true}));
        }""",
        [selector, text],
    )


def wait_for_check(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-grid-form][data-checking]')")


@pytest.fixture
def big(transactional_db) -> BigCommune:
    """Đảng bộ tỉnh Bình Giang → Đảng bộ xã Vĩnh Phúc (grassroots, 520 members in 20 cells);
    everyone but 10 members of the first cell already proposed HTNV with 60 points."""
    d = datetime.date
    t = OrganizationType
    province = factories.org(None, "BG", "Đảng bộ tỉnh Bình Giang", t.PROVINCE)
    commune = factories.org(
        province,
        "BG-VP",
        "Đảng bộ xã Vĩnh Phúc",
        t.COMMUNE,
        is_grassroots=True,
        established_on=d(2025, 7, 1),
    )
    cells = [
        factories.org(commune, f"BG-VP-{i:02d}", f"Chi bộ thôn {i:02d}", t.CELL)
        for i in range(1, CELLS + 1)
    ]
    for node in (commune, *cells):
        node.refresh_from_db()
    data = BigCommune(year=current_rating_year(), commune=commune, cells=cells)
    n = 0
    for cell in cells:
        names = []
        for _ in range(PER_CELL):
            name = f"{FAMILY[n % len(FAMILY)]} {GIVEN[(n // len(FAMILY)) % len(GIVEN)]} {n:03d}"
            names.append(factories.member(cell, name, admitted_on=d(1990, 1, 1)))
            n += 1
        data.members[cell.pk] = sorted(names, key=lambda m: m.name_sort_key)
    data.office = factories.user_with_role(
        commune, Role.SECRETARY, username="vanphong.vinhphuc", first_name="Văn phòng"
    )
    data.office_2 = factories.user_with_role(
        commune, Role.SECRETARY, username="phobithu.vinhphuc", first_name="Phó bí thư"
    )
    data.secretary = factories.user_with_role(
        cells[0], Role.SECRETARY, username="bithu.thon01", first_name="Bí thư thôn 01"
    )
    round_ = rating_services.round_get_or_create(
        actor=data.office, organization=commune, year=data.year
    )
    first = {m.pk for m in data.members[cells[0].pk][:LAST_CELL_OPEN]}
    rows = [
        RowInput(member_id=m.pk, level="complete", points=Decimal(60))
        for cell in cells
        for m in data.members[cell.pk]
        if m.pk not in first
    ]
    rating_services.member_ratings_save(actor=data.office, round=round_, rows=rows)
    return data


def grid_url(unit, year) -> str:
    return reverse("assessments:rating_grid", kwargs={"org_pk": unit.pk, "year": year})


def test_office_enters_a_520_member_commune_over_quota_then_sends(page, big):
    """The commune office on the whole-commune grid: ≥ 15 rows in view at 1280 × 800, the
    last cell found by filter, a column of levels and points pasted, the last change undone,
    one row typed with the keyboard; over the quota the draft saves, the sending is refused
    with "Toàn xã 2/1 HTXSNV — cần hạ 1"; corrected, it is sent after the confirmation."""
    data = big
    login(page, data.office)
    page.goto(grid_url(data.commune, data.year))
    assert page.locator("tbody.grid-member").count() == CELLS * PER_CELL
    # Compact rows: with the table's head at the top of the screen, 15+ members in full view.
    page.locator("[data-grid-table]").evaluate("t => t.scrollIntoView()")
    visible = page.evaluate(
        """() => {
            const bottom = document.getElementById('grid-actions').getBoundingClientRect().top;
            const thead = document.querySelector('[data-grid-table] thead');
            const counters = document.getElementById('grid-counters').getBoundingClientRect();
            const head = Math.max(thead.getBoundingClientRect().bottom, counters.bottom);
            return [...document.querySelectorAll('tbody.grid-member tr.grid-row')].filter(r => {
                const b = r.getBoundingClientRect();
                return b.top >= head - 1 && b.bottom <= Math.min(bottom, innerHeight) + 1;
            }).length;
        }"""
    )
    shot(page, "16-luoi-toan-xa")
    assert visible >= 15, visible
    page.evaluate("window.scrollTo(0, 0)")
    axe_check(page, "whole-commune grid (520 members)")

    # Find the members not entered yet, and search by name (accents optional).
    page.get_by_label("Mức", exact=True).select_option("_empty")
    expect(page.locator("[data-grid-count]")).to_contain_text(
        f"{LAST_CELL_OPEN}/{CELLS * PER_CELL}"
    )
    todo = data.members[data.cells[0].pk][:LAST_CELL_OPEN]
    first = todo[0]
    page.get_by_label("Tìm theo tên").fill(first.full_name.split()[-2].lower())
    expect(page.locator(f"#member-{first.pk}")).to_be_visible()
    page.get_by_label("Tìm theo tên").fill("")

    # Paste two columns (level, points) for the 9 rows after the first: 2 HTXSNV, 7 HTTNV.
    lines = ["HTXSNV\t95", "Hoàn thành xuất sắc nhiệm vụ\t92,5"] + ["httnv\t85"] * 7
    _pasted(page, f"#id_level_{todo[1].pk}", "\n".join(lines))
    wait_for_check(page)
    second = page.locator(f"#member-{todo[2].pk}")
    assert second.locator("select[data-grid-level]").input_value() == "excellent"
    assert second.locator("input.grid-points").input_value() == "92,5"
    expect(page.locator("#grid-notices")).to_contain_text("Đã dán 18 ô")
    # Undo the paste, then paste again: Ctrl+Z undoes the whole change.
    page.keyboard.press("Control+z")
    assert second.locator("select[data-grid-level]").input_value() == ""
    _pasted(page, f"#id_level_{todo[1].pk}", "\n".join(lines))

    # The first row with the keyboard: 2 = HTTNV, Tab to the 30 part, Tab to the 70 part
    # (Tab never stops on the name link); the total is left for the save to add up.
    page.locator(f"#id_level_{first.pk}").focus()
    page.keyboard.press("2")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == f"general_{first.pk}"
    page.keyboard.type("25")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == f"tasks_{first.pk}"
    page.keyboard.type("63")
    page.keyboard.press("Enter")  # moves on, never submits
    assert page.evaluate("document.activeElement.name") == f"points_{first.pk}"
    wait_for_check(page)
    quota = page.locator("#grid-counters [data-quota]")
    expect(quota).to_contain_text("Toàn xã 2/1 HTXSNV — cần hạ 1")
    expect(page.locator("[data-grid-dirty-count]")).to_contain_text("10 dòng chưa lưu")

    # Over the quota, the draft saves (only the 10 changed rows are sent).
    follow(page.get_by_role("button", name="Lưu"))
    assert "Đã lưu xếp loại của 10 đảng viên" in page.locator("main").inner_text()
    assert MemberRating.objects.filter(proposed_level="excellent").count() == 2
    typed = MemberRating.objects.get(member=first, year=data.year)
    assert (typed.proposed_level, typed.points) == ("good", Decimal("88"))
    send = page.get_by_role("button", name="Gửi danh sách của Đảng bộ xã Vĩnh Phúc…")
    follow(send)
    text = page.locator("main").inner_text()
    assert "Gửi 520 đảng viên của 20 chi bộ lên Đảng bộ tỉnh Bình Giang?" in text, text[:500]
    axe_check(page, "send confirmation")
    shot(page, "17-xac-nhan-gui")
    follow(page.get_by_role("button", name="Đồng ý, gửi 520 đảng viên"))
    summary = page.locator("#grid-summary")
    expect(summary).to_contain_text("Chưa gửi được")
    expect(summary).to_contain_text("Toàn xã 2/1 HTXSNV — cần hạ 1")
    summary.locator("details summary").first.click()
    expect(summary).to_contain_text("Chi bộ thôn 01: 2")
    axe_check(page, "send refused")
    shot(page, "18-gui-bi-tu-choi")

    # Lower one to HTTNV, save, send.
    page.locator(f"#id_level_{todo[1].pk}").select_option("good")
    page.locator(f"#id_points_{todo[1].pk}").fill("89")
    page.locator(f"#id_points_{todo[1].pk}").dispatch_event("change")
    wait_for_check(page)
    expect(quota).to_contain_text("Toàn xã 1/1 HTXSNV")
    follow(page.get_by_role("button", name="Lưu"))
    follow(page.get_by_role("button", name="Gửi danh sách của Đảng bộ xã Vĩnh Phúc…"))
    follow(page.get_by_role("button", name="Đồng ý, gửi 520 đảng viên"))
    assert "Đã gửi Đảng bộ tỉnh Bình Giang" in page.locator("main").inner_text()
    round_ = RatingRound.objects.get(organization=data.commune, year=data.year)
    assert round_.state == RoundState.SUBMITTED


def test_session_expiry_mid_entry_loses_nothing(page, big):
    """The session ends while the office types: "Lưu" leads to the login page; after logging
    in again the grid comes back with the entries restored, and they save."""
    data = big
    cell = data.cells[0]
    todo = data.members[cell.pk][:2]
    login(page, data.office)
    page.goto(grid_url(cell, data.year))
    page.locator(f"#id_level_{todo[0].pk}").select_option("good")
    page.locator(f"#id_points_{todo[0].pk}").fill("81")
    page.locator(f"#id_points_{todo[0].pk}").dispatch_event("change")
    wait_for_check(page)
    Session.objects.all().delete()  # the session expired on the server side
    page.locator(f"#id_level_{todo[1].pk}").select_option("complete")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu").click()
    assert "/dang-nhap/" in page.url
    assert not MemberRating.objects.filter(member__in=todo).exists()
    page.get_by_label("Tên đăng nhập").fill(data.office.username)
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem")
    follow(page.get_by_role("button", name="Đăng nhập"))
    assert page.url.endswith(grid_url(cell, data.year)), page.url
    expect(page.locator("#grid-restored")).to_contain_text("Đã khôi phục 2 dòng")
    assert page.locator(f"#id_level_{todo[0].pk}").input_value() == "good"
    assert page.locator(f"#id_points_{todo[0].pk}").input_value() == "81"
    assert page.locator(f"#id_level_{todo[1].pk}").input_value() == "complete"
    axe_check(page, "grid restored after a new login")
    shot(page, "19-khoi-phuc-sau-dang-nhap")
    follow(page.get_by_role("button", name="Lưu"))
    saved = dict(
        MemberRating.objects.filter(member__in=todo).values_list("member_id", "proposed_level")
    )
    assert saved == {todo[0].pk: "good", todo[1].pk: "complete"}
    # Saved: nothing is restored any more.
    page.reload()
    expect(page.locator("#grid-restored")).to_have_count(0)
    # Logging out clears what this browser kept: the next person here gets nothing back.
    page.locator(f"#id_level_{todo[0].pk}").select_option("complete")
    wait_for_check(page)
    key = page.locator("[data-grid-form]").get_attribute("data-store-key")
    assert page.evaluate("key => window.localStorage.getItem(key)", key)
    page.once("dialog", lambda dialog: dialog.accept())  # "leave the page?" on unsaved rows
    with page.expect_navigation():
        page.locator("form[data-logout]").evaluate("form => form.requestSubmit()")
    kept = page.evaluate(
        "() => Object.keys(window.localStorage).filter(k => k.startsWith('pb-grid:'))"
    )
    assert kept == []


def test_two_people_on_one_grid_see_both_values(page, browser, live_server, big):
    """Two committee members change the same member: the second to save sees the first's
    value next to hers, nothing overwritten; she takes theirs, or keeps hers and saves."""
    data = big
    cell = data.cells[0]
    member, other = data.members[cell.pk][:2]
    context_b, page_b = _new_page(browser, live_server, {"width": 1280, "height": 800})
    try:
        login(page, data.office)
        login(page_b, data.office_2)
        page.goto(grid_url(cell, data.year))
        page_b.goto(grid_url(cell, data.year))
        page.locator(f"#id_level_{member.pk}").select_option("good")
        page.locator(f"#id_points_{member.pk}").fill("80")
        page.locator(f"#id_points_{member.pk}").dispatch_event("change")
        page_b.locator(f"#id_level_{member.pk}").select_option("complete")
        page_b.locator(f"#id_points_{member.pk}").fill("65")
        page_b.locator(f"#id_points_{member.pk}").dispatch_event("change")
        page_b.locator(f"#id_level_{other.pk}").select_option("complete")
        page_b.locator(f"#id_points_{other.pk}").fill("66")
        page_b.locator(f"#id_points_{other.pk}").dispatch_event("change")
        wait_for_check(page)
        wait_for_check(page_b)
        follow(page.get_by_role("button", name="Lưu"))
        follow(page_b.get_by_role("button", name="Lưu"))
        text = page_b.locator("main").inner_text()
        assert "1 dòng vừa được người khác lưu" in text, text[:600]
        row = page_b.locator(f"#msgs-{member.pk}")
        expect(row).to_contain_text("Người khác vừa lưu: Hoàn thành tốt nhiệm vụ · điểm 80")
        assert page_b.locator(f"#id_level_{member.pk}").input_value() == "complete"
        assert MemberRating.objects.get(member=member).proposed_level == "good"
        assert not MemberRating.objects.filter(member=other).exists()  # all or nothing
        axe_check(page_b, "conflict with both values")
        row.scroll_into_view_if_needed()
        shot(page_b, "20-xung-dot-hai-nguoi")
        row.get_by_role("button", name="Lấy của người kia").click()
        assert page_b.locator(f"#id_level_{member.pk}").input_value() == "good"
        assert page_b.locator(f"#id_points_{member.pk}").input_value() == "80"
        wait_for_check(page_b)
        follow(page_b.get_by_role("button", name="Lưu"))
        assert MemberRating.objects.get(member=member).proposed_level == "good"
        assert MemberRating.objects.get(member=other).proposed_level == "complete"
    finally:
        context_b.close()


def test_cell_secretary_enters_the_cells_column_and_december_meeting(
    page, browser, live_server, big
):
    """A cell's secretary: the menu offers no review screen; on the cell's page the cell
    proposes (level and votes) while the committee's column is read-only, and the state
    line says who acts next; after the commune sent the list, December's meeting is still
    recorded in the cell's log. At 375 px the cell's grid fits the screen."""
    data = big
    cell = data.cells[1]
    member = data.members[cell.pk][0]
    login(page, data.secretary)
    page.goto(grid_url(data.cells[0], data.year))
    assert page.get_by_role("link", name="Duyệt xếp loại").count() == 0
    text = page.locator("main").inner_text()
    assert "Việc tiếp theo: chi bộ nhập mức đề nghị và số phiếu" in text, text[:500]
    mine = data.members[data.cells[0].pk][0]
    assert page.locator(f"#id_level_{mine.pk}").count() == 0  # the committee's column
    page.locator(f"#id_cell_level_{mine.pk}").focus()
    page.keyboard.press("2")
    page.keyboard.press("Tab")
    page.keyboard.type("7")
    page.keyboard.press("Tab")
    page.keyboard.type("9")
    page.keyboard.press("Tab")
    wait_for_check(page)
    axe_check(page, "cell secretary's grid")
    follow(page.get_by_role("button", name="Lưu"))
    rating = MemberRating.objects.get(member=mine)
    assert (rating.cell_level, rating.votes_for, rating.votes_total) == ("good", 7, 9)
    # Another cell's page is not hers.
    assert page.goto(grid_url(cell, data.year)).status == 404
    assert member.pk

    # The commune sends; December's meeting is recorded afterwards.
    round_ = RatingRound.objects.get(organization=data.commune, year=data.year)
    rating_services.member_ratings_save(
        actor=None,
        round=round_,
        rows=[
            RowInput(member_id=m.pk, level="complete", points=Decimal(60))
            for m in data.members[data.cells[0].pk][:LAST_CELL_OPEN]
        ],
    )
    round_.refresh_from_db()
    rating_services.round_submit(actor=None, round=round_, round_version=round_.version)
    page.goto(
        reverse(
            "assessments:cellmeeting_create",
            kwargs={"cell_pk": data.cells[0].pk, "year": data.year},
        )
        + "?thang=12"
    )
    page.get_by_label("Số có mặt").fill("20")
    page.get_by_label("Số đảng viên phải dự").fill("26")
    follow(page.get_by_role("button", name=re.compile("Lưu")))
    assert CellMeeting.objects.filter(cell=data.cells[0], held_on__month=12).exists()

    context, phone = _new_page(browser, live_server, PHONE)
    try:
        login(phone, data.secretary)
        phone.goto(grid_url(data.cells[0], data.year))
        assert_fits(phone, "cell grid at 375 px")
        axe_check(phone, "cell grid at 375 px")
    finally:
        context.close()
