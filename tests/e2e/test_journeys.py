"""The product as its users meet it: four journeys in a real browser (Chromium headless).

1. A hamlet cell's secretary rates every member, meets the quota, corrects it and submits.
2. The commune's reviewer returns one unit with a comment and decides the other; the
   Resolution 22 dashboard's official figures follow the decision.
3. Reports staff request the grassroots report, watch its progress and read the PDF.
4. A member file with errors is refused row by row with nothing written; the corrected
   file imports.

Each journey runs axe-core on its screens and saves the screenshots of docs/screenshots/.
"""

import re
import subprocess

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from assessments import services as rating_services
from assessments.choices import RoundState
from assessments.models import MemberRating, RatingRound
from tests.e2e.conftest import (
    EXEMPT_MEMBER,
    PLAN_A,
    PLAN_B,
    axe_check,
    follow,
    login,
    main_text,
    rate,
    shot,
)

pytestmark = pytest.mark.e2e


def grid_row(page, member):
    return page.locator(f"#member-{member.pk}")


def choose(page, member, level: str, points: int | None = None) -> None:
    """Pick a level (and type the points) on a member's row, as with a mouse."""
    row = grid_row(page, member)
    row.locator("select[data-grid-level]").select_option(level)
    if points is not None:
        row.locator("input.grid-points").fill(str(points))
        row.locator("input.grid-points").dispatch_event("change")


def wait_for_check(page) -> None:
    """Let the live check come back: grid.js marks the form `data-checking` from the change
    until the answer is swapped in."""
    page.wait_for_function("() => !document.querySelector('[data-grid-form][data-checking]')")


# --- 1 ------------------------------------------------------------------------------------------
def test_journey_secretary_rates_meets_quota_and_submits(page, commune):
    """A secretary logs in, opens her cell's grid from the tree, rates every member, pushes
    one too many to HTXSNV: the quota line says what to change, the draft still saves, the
    sending (after its confirmation) is refused with the group's line; she fixes it, saves
    and sends."""
    data = commune
    page.goto("/")
    assert "/dang-nhap/" in page.url  # everything needs a login
    axe_check(page, "login")
    login(page, data.secretary, screenshot="01-dang-nhap")

    # The tree starts at her unit; its page leads to the year's rating.
    assert "Chi bộ ấp Tân Hòa" in main_text(page)
    axe_check(page, "tree (secretary)")
    follow(page.get_by_role("link", name="Chi bộ ấp Tân Hòa"))
    axe_check(page, "organization page")
    follow(page.get_by_role("link", name=f"Xếp loại năm {data.year}"))
    page.wait_for_url(f"**/xep-loai/don-vi/{data.cell_a.pk}/{data.year}/")
    text = main_text(page)
    assert f"Xếp loại chất lượng đảng viên năm {data.year}" in text, text[:400]
    axe_check(page, "grid (empty)")

    # The exempt member comes pre-filled as not rated, with the reason.
    exempt = grid_row(page, data.members_a[EXEMPT_MEMBER])
    assert exempt.locator("select[data-grid-level]").input_value() == "none"
    assert exempt.locator("select[data-grid-reason]").input_value() == "exempt"

    # The help says what this year's levels mean.
    page.locator("details.grid-help summary").click()
    help_text = page.locator("details.grid-help").inner_text()
    assert "20%" in help_text and "Hoàn thành tốt nhiệm vụ" in help_text

    for name, (level, points) in PLAN_A.items():
        choose(page, data.members_a[name], level, points)
    counters = page.locator("#grid-counters")
    wait_for_check(page)
    expect(counters).to_contain_text(re.compile(r"HTXSNV\s*1\s*HTTNV\s*6", re.S))
    expect(counters).to_contain_text("Toàn chi bộ 1/1 HTXSNV")
    page.locator("details.grid-help").evaluate("d => d.open = false")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "03-luoi-xep-loai")

    # One too many at the top level: the group's line says it once, with what to change;
    # the row itself carries no repeated red line.
    pushed = data.members_a["Trần Thị Lan"]
    choose(page, pushed, "excellent", 92)
    wait_for_check(page)
    msgs = page.locator(f"#msgs-{pushed.pk}")
    quota = counters.locator("[data-quota]")
    expect(quota).to_contain_text("Toàn chi bộ 2/1 HTXSNV — cần hạ 1")
    expect(quota).to_have_class(re.compile(r"grid-counter--over"))
    expect(msgs).not_to_contain_text("Vượt tỷ lệ")
    send_name = "Gửi danh sách của Chi bộ ấp Tân Hòa…"
    expect(page.get_by_role("button", name=send_name)).to_be_disabled()  # unsaved changes
    axe_check(page, "grid (quota exceeded)")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "04-luoi-vuot-ti-le")

    # The draft saves anyway; sending asks first, naming what it sends, then is refused.
    follow(page.get_by_role("button", name="Lưu"))
    assert "Đã lưu xếp loại của 9 đảng viên" in main_text(page), main_text(page)[:600]
    follow(page.get_by_role("button", name=send_name))
    assert "Gửi 9 đảng viên của 1 chi bộ lên Đảng bộ xã An Hòa?" in main_text(page)
    axe_check(page, "send confirmation")
    follow(page.get_by_role("button", name="Đồng ý, gửi 9 đảng viên"))
    text = main_text(page)
    assert "Chưa gửi được" in text, text[:600]
    assert "Toàn chi bộ 2/1 HTXSNV — cần hạ 1" in page.locator("#grid-summary").inner_text()

    # She puts it back, saves, and sends the list to the commune.
    choose(page, pushed, "good", 88)
    wait_for_check(page)
    expect(quota).to_contain_text("Toàn chi bộ 1/1 HTXSNV")
    expect(quota).not_to_have_class(re.compile(r"grid-counter--over"))
    follow(page.get_by_role("button", name="Lưu"))
    assert "Đã lưu xếp loại của 1 đảng viên" in main_text(page), main_text(page)[:600]
    send = page.get_by_role("button", name=send_name)
    expect(send).to_be_enabled()
    follow(send)
    follow(page.get_by_role("button", name="Đồng ý, gửi 9 đảng viên"))
    text = main_text(page)
    assert "Đã gửi Đảng bộ xã An Hòa xem xét, quyết định" in text, text[:600]
    assert "Đã gửi" in page.locator(".grid-state").inner_text()
    assert "Danh sách này chỉ xem, không sửa được" in text  # read-only once submitted
    axe_check(page, "grid (submitted)")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "05-da-gui-duyet")

    round_ = RatingRound.objects.get(organization=data.cell_a, year=data.year)
    assert round_.state == RoundState.SUBMITTED
    saved = {
        r.member.full_name: (r.proposed_level, r.points, r.not_rated_reason)
        for r in MemberRating.objects.filter(round=round_).select_related("member")
    }
    assert saved[EXEMPT_MEMBER] == ("", None, "exempt")
    assert {n: (lv, int(p)) for n, (lv, p, _r) in saved.items() if lv} == PLAN_A


# --- 2 ------------------------------------------------------------------------------------------
def dashboard_card(page, code: str) -> str:
    return re.sub(r"\s+", " ", page.locator(f'[data-indicator="{code}"]').inner_text())


def test_journey_reviewer_returns_one_unit_and_decides_the_other(page, commune):
    """The commune's reviewer sees both submitted cells, returns one with a comment, decides
    the other; the dashboard's official member figures move from nothing to that cell's."""
    data = commune
    rate(data.cell_a, data.members_a, PLAN_A, year=data.year, actor=data.secretary)
    rate(data.cell_b, data.members_b, PLAN_B, year=data.year, actor=data.secretary_b)
    dashboard_url = reverse(
        "assessments:dashboard_detail", kwargs={"org_pk": data.commune.pk, "year": data.year}
    )
    login(page, data.reviewer)

    # The tree: the commune and, one click away, its two cells.
    page.get_by_role("button", name="Đảng bộ xã An Hòa").click()
    page.get_by_role("link", name="Chi bộ ấp Phú Lợi").wait_for()
    axe_check(page, "tree (reviewer)")
    shot(page, "02-cay-to-chuc")

    # Nothing is decided yet: the official member figures are empty.
    page.goto(dashboard_url)
    assert dashboard_card(page, "members").startswith("Tổng số đảng viên (31/12) 16")
    assert "nhiệm vụ trở lên – 0/0" in dashboard_card(page, "mem-good-or-better")
    assert "nhiệm vụ – 0/0" in dashboard_card(page, "mem-good")
    axe_check(page, "dashboard (before)")

    follow(page.get_by_role("link", name="Duyệt xếp loại"))
    page.wait_for_url(f"**/xep-loai/duyet/{data.commune.pk}/{data.year}/")
    text = main_text(page)
    assert "Chi bộ ấp Tân Hòa" in text and "Chi bộ ấp Phú Lợi" in text
    assert page.locator('[data-state-count="submitted"]').inner_text() == "2"
    axe_check(page, "review list")
    shot(page, "06-danh-sach-duyet")

    # Phú Lợi goes back with what to correct.
    comment = (
        "Đề nghị chi bộ bổ sung biên bản họp ngày 10/12 và chấm lại điểm của đồng chí Vũ Thị Yến."
    )
    follow(page.get_by_role("link", name="Chi bộ ấp Phú Lợi"))
    page.get_by_label("Nội dung đơn vị cần sửa").fill(comment)
    axe_check(page, "review detail (submitted)")
    follow(page.get_by_role("button", name="Trả lại đơn vị"))
    # Every decision first says what it acts on.
    assert "Trả lại 1 đơn vị, 7 đảng viên, để sửa?" in main_text(page)
    follow(page.get_by_role("button", name="Đồng ý trả lại"))
    text = main_text(page)
    assert "Đề nghị của Chi bộ ấp Phú Lợi đã được trả lại cho đơn vị." in text, text[:600]
    assert comment in text
    assert "Bị trả lại" in text

    # Tân Hòa is in order: decided.
    follow(page.get_by_role("link", name=f"Đảng bộ xã An Hòa · {data.year}"))
    follow(page.get_by_role("link", name="Chi bộ ấp Tân Hòa"))
    counts = page.locator(".review-counts")
    assert counts.locator('[data-level="excellent"]').inner_text() == "1"
    assert counts.locator('[data-level="good"]').inner_text() == "6"
    assert "Không vi phạm quy định nào." in main_text(page)
    shot(page, "07-duyet-chi-tiet")
    follow(page.get_by_role("button", name="Quyết định"))
    assert "Quyết định 1 đơn vị, 9 đảng viên?" in main_text(page)
    follow(page.get_by_role("button", name="Đồng ý quyết định"))
    text = main_text(page)
    assert "Xếp loại của Chi bộ ấp Tân Hòa đã được quyết định." in text, text[:600]
    assert "Đã quyết định" in text
    axe_check(page, "review detail (decided)")

    states = dict(
        RatingRound.objects.filter(year=data.year).values_list("organization__code", "state")
    )
    assert states == {"BG-AH-TH": RoundState.DECIDED, "BG-AH-PL": RoundState.RETURNED}
    assert RatingRound.objects.get(organization=data.cell_b).return_comment == comment

    # The official figures now count Tân Hòa's decided levels, and only them.
    page.goto(dashboard_url)
    # 8 rated (the exempt member is not): 1 HTXSNV + 6 HTTNV; Phú Lợi, returned, not counted.
    assert "nhiệm vụ trở lên 87,50% 7/8" in dashboard_card(page, "mem-good-or-better")
    assert "nhiệm vụ 75% 6/8" in dashboard_card(page, "mem-good")
    axe_check(page, "dashboard (after)")
    page.locator("#grp-members").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -60)")
    shot(page, "08-chi-tieu-nq22")


# --- 3 ------------------------------------------------------------------------------------------
def pdf_text(path) -> str:
    """The PDF's text as pdftotext reads it (layout kept, so table rows stay on one line)."""
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return result.stdout.decode("utf-8")


def test_journey_reports_staff_download_the_results_report(
    page, commune, broker, request, tmp_path
):
    """Reports staff ask for the commune's results report, watch the progress bar while the
    worker renders it, download the PDF and its text carries the official figures."""
    data = commune
    round_a = rate(data.cell_a, data.members_a, PLAN_A, year=data.year, actor=data.secretary)
    rate(data.cell_b, data.members_b, PLAN_B, year=data.year, actor=data.secretary_b)
    rating_services.round_decide(actor=data.reviewer, round=round_a)

    login(page, data.reports)
    follow(page.locator("#main-nav").get_by_role("link", name="Báo cáo", exact=True))
    form = page.locator("#reportjob-form")
    form.get_by_label("Báo cáo").select_option("results")
    form.get_by_label("Đơn vị").select_option(str(data.commune.pk))
    form.get_by_label("Năm").select_option(str(data.year))
    form.get_by_label("Định dạng").select_option("pdf")
    axe_check(page, "reports form")
    follow(form.get_by_role("button", name="Lập báo cáo"))
    page.wait_for_url("**/xep-loai/bao-cao/*/")

    # No worker yet: the job waits in the queue, and its progress bar says so.
    bar = page.get_by_role("progressbar", name="Tiến độ")
    bar.wait_for()
    assert 0 <= int(bar.get_attribute("aria-valuenow")) < 100
    assert "Báo cáo kết quả kiểm điểm, xếp loại" in main_text(page)
    axe_check(page, "report (in progress)")
    shot(page, "11-bao-cao-tien-do")

    # The worker starts (the queue was emptied once, by `broker`, before the request).
    request.getfixturevalue("celery_worker_process").wait_ready()
    download = page.get_by_role("link", name="Tải về")
    download.wait_for(timeout=90_000)
    assert bar.count() == 0
    axe_check(page, "report (ready)")
    shot(page, "12-bao-cao-xong")
    with page.expect_download() as info:
        download.click()
    pdf = tmp_path / info.value.suggested_filename
    info.value.save_as(pdf)
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")

    # The document: Party heading, number, title; the statistics equal the dashboard's
    # (only the decided Tân Hòa counts; Phú Lợi is "not decided yet"); the exempt member.
    flat = re.sub(r"\s+", " ", pdf_text(pdf))
    for expected in (
        "ĐẢNG BỘ TỈNH BÌNH GIANG",
        "ĐẢNG ỦY XÃ AN HÒA",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "DỰ THẢO",  # the report centre makes drafts: no number until issued
        "Số liệu chưa phải kết quả chính thức",  # Phú Lợi is not decided yet
        "BÁO CÁO Kết quả kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng, đảng viên "
        f"năm {data.year}",
        "Tổng cộng 16 1 0 0 0 1 7 8 1 12,50 6 75,00 1 12,50 0 0,00 7 87,50 16,67",
        "Đỗ Văn Tâm Chi bộ ấp Tân Hòa Miễn công tác và sinh hoạt đảng",
        "T/M ĐẢNG ỦY",
        "Xuất bởi Phạm Thu Trang",
    ):
        assert expected in flat, (expected, flat[:3000])


# --- 4 ------------------------------------------------------------------------------------------
MEMBER_HEADER = (
    "so_ly_lich,ho_ten,gioi_tinh,ngay_sinh,ma_chi_bo,ngay_vao_dang,ngay_chinh_thuc,"
    "so_the_dang_vien,cccd,dan_toc,ton_giao,trinh_do_pho_thong,chuyen_mon,ly_luan_chinh_tri,"
    "chuc_vu_dang,chuc_vu_chinh_quyen"
)
MEMBERS_WITH_ERRORS = [
    "090001BG,Mai Văn Tiến,Nam,12/04/1968,BG-AH-TH,19/05/1995,19/05/1996,,,Kinh,,12/12,,,,",
    # Row 3: a gender that is not a label, 31 February.
    "090002BG,Cao Thị Diệu,Nữ giới,31/02/1972,BG-AH-TH,03/02/2000,03/02/2001,,,Kinh,,12/12,,,,",
    # Row 4: a record number without its province letters.
    "090003,Tạ Văn Lực,Nam,05/09/1980,BG-AH-TH,02/09/2010,,,,Kinh,,12/12,,,,",
]
MEMBERS_CORRECTED = [
    MEMBERS_WITH_ERRORS[0],
    "090002BG,Cao Thị Diệu,Nữ,28/02/1972,BG-AH-TH,03/02/2000,03/02/2001,,,Kinh,,12/12,,,,",
    "090003BG,Tạ Văn Lực,Nam,05/09/1980,BG-AH-TH,02/09/2010,,,,Kinh,,12/12,,,,",
]


def member_file(name: str, rows: list[str]) -> dict:
    content = "\ufeff" + "\r\n".join([MEMBER_HEADER, *rows]) + "\r\n"
    return {"name": name, "mimeType": "text/csv", "buffer": content.encode("utf-8")}


def upload(page, data, file: dict) -> None:
    page.get_by_label("Nội dung tệp").select_option("members")
    page.get_by_label("Đơn vị").select_option(str(data.cell_a.pk))
    page.locator("#id_file").set_input_files(file)
    follow(page.get_by_role("button", name="Tải lên và kiểm tra"))
    page.wait_for_url("**/to-chuc/nhap/*/")


def test_journey_import_with_errors_then_corrected_file(page, commune, celery_worker_process):
    """A member file with errors is checked by the worker: every error is listed with its row
    and column and nothing is written; the corrected file is previewed, confirmed, imported."""
    from cells.models import Member

    data = commune
    before = Member.objects.count()
    login(page, data.secretary)
    follow(page.get_by_role("link", name="Nhập dữ liệu"))
    follow(page.get_by_role("link", name="Nhập tệp"))
    axe_check(page, "import form")
    upload(page, data, member_file("dang_vien_tan_hoa.csv", MEMBERS_WITH_ERRORS))

    celery_worker_process.wait_ready()
    errors = page.locator("#importjob-errors")
    errors.wait_for(timeout=60_000)
    rows = [
        [cell.strip() for cell in row.split("\t")]
        for row in errors.locator("tbody tr").all_inner_texts()
    ]
    assert rows == [
        ["3", "gioi_tinh", "“Nữ giới” không thuộc danh mục: Nam, Nữ."],
        ["3", "ngay_sinh", "“31/02/1972” không phải ngày theo dạng dd/mm/yyyy."],
        ["4", "so_ly_lich", "Số lý lịch gồm 6 chữ số và 1 đến 3 chữ cái in hoa, ví dụ 012345HG."],
    ]
    assert "Tệp có 3 lỗi. Chưa có gì được ghi" in main_text(page)
    assert Member.objects.count() == before
    assert not Member.objects.filter(record_number__startswith="0900").exists()
    axe_check(page, "import (errors)")
    shot(page, "09-nhap-loi")

    follow(page.get_by_role("link", name="Tải lên tệp đã sửa"))
    upload(page, data, member_file("dang_vien_tan_hoa_da_sua.csv", MEMBERS_CORRECTED))
    # The check writes nothing: it says what the import will do and waits for a yes.
    confirm = page.get_by_role("button", name="Xác nhận nhập")
    confirm.wait_for(timeout=60_000)
    assert "Sẽ thêm 3, cập nhật 0." in main_text(page)
    assert Member.objects.count() == before
    follow(confirm)
    page.locator("#importjob-progress .alert-success").wait_for(timeout=60_000)
    assert "Đã nhập: thêm 3, cập nhật 0." in main_text(page)
    axe_check(page, "import (done)")
    shot(page, "10-nhap-thanh-cong")

    assert Member.objects.count() == before + 3
    imported = Member.objects.get(record_number="090002BG")
    assert (imported.full_name, imported.gender, imported.birth_date.isoformat()) == (
        "Cao Thị Diệu",
        "female",
        "1972-02-28",
    )
    assert imported.memberships.get(end__isnull=True).organization == data.cell_a
