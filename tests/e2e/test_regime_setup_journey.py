"""The deciding committee sets up the 2025– regime in a real browser (issue #14): it forms a
peer group and puts a member in it by hand, raises a cell's ceiling to 25% after the
confirmation, and a cell's secretary enters a member's score sheet item by item. axe-core
checks every screen."""

import pytest
from django.urls import reverse

from assessments.choices import ScoreStage
from assessments.models import PeerGroup, QuotaCeilingDecision, ScoreSheet
from tests.e2e.conftest import PLAN_A, axe_check, follow, login, main_text, rate

pytestmark = pytest.mark.e2e


def test_journey_committee_forms_a_group_raises_a_ceiling_and_a_sheet_is_scored(page, commune):
    year = commune.year
    rate(commune.cell_a, commune.members_a, PLAN_A, year=year, actor=None, submit=False)
    member = commune.members_a["Trần Thị Lan"]

    login(page, commune.reviewer)
    page.goto(reverse("assessments:peergroup_list", args=[commune.commune.pk, year]))
    axe_check(page, "peer groups (empty)")
    page.get_by_label("Mã nhóm (cột “nhom” của tệp xếp loại)").fill("BT")
    page.get_by_label("Tên nhóm").fill("Bí thư chi bộ")
    page.get_by_label("Đảng viên giữ các chức vụ").fill("Bí thư; Phó Bí thư")
    follow(page.get_by_role("button", name="Tạo nhóm"))
    assert "Đã tạo nhóm “Bí thư chi bộ”" in main_text(page)
    follow(page.get_by_role("link", name="Bí thư chi bộ"))
    page.get_by_label("Số lý lịch").fill(member.record_number)
    follow(page.get_by_role("button", name="Đưa vào nhóm"))
    text = main_text(page)
    assert "Trần Thị Lan" in text and "Đưa vào nhóm trực tiếp" in text
    axe_check(page, "peer group detail")
    group = PeerGroup.objects.get(owner=commune.commune, year=year)
    assert list(group.assignments.values_list("member_id", flat=True)) == [member.pk]

    page.goto(reverse("assessments:quotaceiling", args=[commune.cell_a.pk, year]))
    axe_check(page, "quota ceiling")
    page.get_by_label("Mức trần (% so với số xếp loại HTTNV)").fill("25")
    page.get_by_label("Lý do (thành tích nổi bật của tổ chức)").fill(
        "Chi bộ dẫn đầu phong trào thi đua của xã"
    )
    follow(page.get_by_role("button", name="Tiếp tục"))
    assert "Cho phép tối đa 25% HTXSNV" in main_text(page)
    axe_check(page, "quota ceiling confirmation")
    assert not QuotaCeilingDecision.objects.exists()
    follow(page.get_by_role("button", name="Ghi quyết định"))
    assert "Đã ghi quyết định nâng mức trần." in main_text(page)
    assert QuotaCeilingDecision.objects.get().decided_by == commune.reviewer

    page.context.clear_cookies()
    login(page, commune.secretary)
    page.goto(reverse("assessments:member_tasks", args=[commune.cell_a.pk, year]))
    follow(page.locator(f"#member-tasks-{member.pk}").get_by_role("link", name="Phiếu chấm điểm"))
    axe_check(page, "score sheet")
    fields = page.locator("form.app-form input[type=text], form.app-form input[type=number]")
    fields.nth(0).fill("27")
    fields.nth(1).fill("61")
    page.get_by_label("Lý do khác mức gợi ý").fill("Không có nhiệm vụ trong sổ")
    follow(page.get_by_role("button", name="Lưu phiếu chấm điểm"))
    assert "Đã lưu: 27,00/30 + 61,00/70 = 88,00/100" in main_text(page)
    sheet = ScoreSheet.objects.get(member_rating__member=member, stage=ScoreStage.SELF)
    assert (sheet.general, sheet.tasks) == (27, 61)
