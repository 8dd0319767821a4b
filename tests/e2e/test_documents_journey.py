"""Browser journey of issue #18: reports staff issue the commune's results report, download
it, upload the copy signed with the signer's and the organization's certificates, and find
it signed in the register (sổ văn bản)."""

import re
from concurrent.futures import ThreadPoolExecutor

from assessments import services as rating_services
from documents.models import IssuedDocument
from documents.services import trustroot_load
from tests.documents import ca as test_ca
from tests.documents.conftest import sign_both

from .conftest import PLAN_A, PLAN_B, axe_check, follow, login, main_text, rate, shot


def test_journey_issue_download_sign_upload_register(
    page, commune, tmp_path, celery_worker_process
):
    data = commune
    for cell, members, plan, secretary in (
        (data.cell_a, data.members_a, PLAN_A, data.secretary),
        (data.cell_b, data.members_b, PLAN_B, data.secretary_b),
    ):
        round_ = rate(cell, members, plan, year=data.year, actor=secretary)
        rating_services.round_decide(actor=data.reviewer, round=round_)
    root = test_ca.make_ca()
    authority = {
        "root": root,
        "signer": test_ca.make_signer(root, "Võ Văn Bí Thư"),
        "organization": test_ca.make_signer(root, "Đảng ủy xã An Hòa", "Đảng ủy xã An Hòa"),
    }
    trustroot_load(actor=None, name="CA thử nghiệm", content=root.pem)

    login(page, data.reports)
    follow(page.locator("#main-nav").get_by_role("link", name="Báo cáo", exact=True))
    form = page.locator("#document-issue-form")
    form.get_by_label("Văn bản").select_option("results")
    form.get_by_label("Đơn vị ban hành").select_option(str(data.commune.pk))
    form.get_by_label("Năm").select_option(str(data.year))
    axe_check(page, "issue form")
    follow(form.get_by_role("button", name="Phát hành và cấp số"))
    # Issuing is the worker's: its page shows the progress, then the number.
    page.wait_for_url("**/bao-cao/phat-hanh/*/")
    assert "Phát hành văn bản" in main_text(page)
    celery_worker_process.wait_ready()
    opened = page.locator("#open-in-register")
    opened.wait_for(timeout=90_000)
    assert "Đã phát hành văn bản Số 01-BC/ĐU" in main_text(page)
    axe_check(page, "issue done")
    follow(opened)
    page.wait_for_url("**/van-ban/*/")
    text = main_text(page)
    assert "Đã phát hành, chờ ký số" in text and "Số 01-BC/ĐU" in text
    axe_check(page, "issued document")
    shot(page, "24-van-ban-da-phat-hanh")

    with page.expect_download() as info:
        page.locator("#download-pdf").click()
    issued = tmp_path / info.value.suggested_filename
    info.value.save_as(issued)
    assert issued.read_bytes().startswith(b"%PDF")

    # Signed on the signer's PC with the two tokens (here: the test CA's keys). pyHanko runs
    # its own event loop, so it signs in a thread apart from Playwright's.
    signed = tmp_path / "da-ky.pdf"
    with ThreadPoolExecutor(max_workers=1) as pool:
        signed.write_bytes(pool.submit(sign_both, issued.read_bytes(), authority).result())
    upload = page.locator("#signed-upload-form")
    upload.get_by_label("Tệp PDF đã ký").set_input_files(str(signed))
    follow(upload.get_by_role("button", name="Kiểm tra và lưu bản đã ký"))
    text = main_text(page)
    assert "đã được kiểm tra và lưu làm bản gốc điện tử" in text
    assert "Võ Văn Bí Thư" in text and "Đã ký (bản gốc điện tử)" in text
    shot(page, "25-van-ban-da-ky")

    follow(page.locator("#main-nav").get_by_role("link", name="Sổ văn bản"))
    row = page.locator("#register-table tbody tr").filter(has_text="Số 01-BC/ĐU")
    assert re.search(r"Đã ký \(bản gốc điện tử\)", row.inner_text())
    axe_check(page, "register")
    shot(page, "26-so-van-ban")
    document = IssuedDocument.objects.get()
    assert document.state == "signed" and document.originals.count() == 1
