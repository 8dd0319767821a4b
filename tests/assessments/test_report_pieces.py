"""Long documents in pieces (issue #18): a unit's forms are made one cell per part, in
parallel, with progress per piece, joined into one PDF and offered as a zip with
one file per cell — no limit of 400 forms for a whole unit."""

import io
import subprocess
import zipfile

import pytest
from django.urls import reverse

from assessments.models import ReportJob
from assessments.reports import pieces, services
from cells.choices import Role
from cells.models import AuditEntry
from tests import factories

from .test_reports import pdf_text, rated  # noqa: F401  (fixture)


@pytest.mark.usefixtures("rated")
def test_pieces_of_a_unit_are_its_cells_with_members(province):
    """The pieces are the cells holding members that year, in Vietnamese order; a cell is
    one piece by itself."""
    units = pieces.piece_units(organization=province.old_commune, year=2021)
    assert [u.name for u in units] == ["Chi bộ ấp 1", "Chi bộ ấp 2"]
    assert pieces.piece_units(organization=province.old_cell, year=2021) == []


@pytest.mark.usefixtures("rated")
def test_forms_of_a_unit_render_in_pieces_and_join(
    province, settings, tmp_path, client, django_capture_on_commit_callbacks
):
    """Asking for the unit's forms makes one part per cell (each queued as its own task);
    every finished part advances the batch; the last one joins them: 15 forms, one PDF, the
    cells in order; the zip holds one PDF per cell; the limit no longer applies to the unit."""
    settings.REPORT_MAX_FORMS = 12  # below the unit's 15 members, above each cell's
    officer = factories.user_with_role(province.old_commune, Role.SECRETARY)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        batch, created = services.reportjob_request(
            actor=officer,
            kind="self_review",
            organization=province.old_commune,
            year=2021,
            fmt="pdf",
        )
    assert created and batch.is_batch and batch.format == "pdf"
    parts = list(batch.parts.order_by("organization__name_sort_key"))
    assert [p.organization.name for p in parts] == ["Chi bộ ấp 1", "Chi bộ ấp 2"]
    assert len(queued) == 2  # one task per piece
    services.reportjob_run(parts[0].pk, task_id="a")
    batch.refresh_from_db()
    assert (batch.state, batch.progress_done, batch.progress_total) == ("running", 1, 2)
    services.reportjob_run(parts[1].pk, task_id="b")
    batch.refresh_from_db()
    assert [(p.state, p.error) for p in batch.parts.all()] == [("done", "")] * 2
    assert batch.state == "done" and batch.filename == "self_review-BG-PA-AH-2021.pdf"
    content = batch.file.open("rb").read()
    text = " ".join(pdf_text(content, tmp_path).split())
    # 15 forms, each with its task annex (reports.forms.member), joined in one PDF.
    assert text.count("NGƯỜI TỰ KIỂM ĐIỂM") == 15
    assert text.count("PHỤ LỤC Kết quả thực hiện nhiệm vụ được giao") == 15
    assert text.index("Nguyễn Văn An 1") < text.index("Trần Thị An 1")  # ấp 1, then ấp 2
    client.force_login(officer)
    response = client.get(reverse("assessments:reportjob_zip", args=[batch.pk]))
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == ["self_review-BG-PA-AH-C01-2021.pdf", "self_review-BG-PA-AH-C02-2021.pdf"]
    assert AuditEntry.objects.filter(action="export", comment="report_zip").count() == 1
    page = client.get(reverse("assessments:reportjob_detail", args=[batch.pk])).content.decode()
    assert "Chi bộ ấp 1" in page and "Chi bộ ấp 2" in page  # progress per piece
    stranger = factories.user_with_role(province.other_province, Role.ADMIN)
    client.force_login(stranger)
    assert client.get(reverse("assessments:reportjob_zip", args=[batch.pk])).status_code == 404


@pytest.mark.usefixtures("rated")
def test_excel_and_cells_stay_single_jobs(province):
    """A cell's forms, or an Excel file, are one job as before."""
    officer = factories.user_with_role(province.old_commune, Role.SECRETARY)
    job, _ = services.reportjob_request(
        actor=officer, kind="self_review", organization=province.old_cell, year=2021, fmt="pdf"
    )
    assert not job.is_batch
    assert ReportJob.objects.filter(batch__isnull=False).count() == 0


def page_texts(content: bytes, tmp_path) -> list[str]:
    """The text of each page in content order (pdftotext -raw: it keeps the rotated DỰ THẢO
    watermark, which the default mode leaves out), pages split at pdftotext's form feeds."""
    path = tmp_path / "pages.pdf"
    path.write_bytes(content)
    out = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [" ".join(page.split()) for page in out.split("\f") if page.strip()]


@pytest.mark.usefixtures("rated")
def test_proposals_list_cut_in_pieces_is_one_document_numbered_across(
    province, settings, tmp_path, django_capture_on_commit_callbacks
):
    """A unit's proposals list is one batch: its worker builds the document once and cuts it
    between cells; each piece is a part (progress per piece); the join stamps "Trang x/y"
    of the whole on every page: one header at the start, the cells numbered on across the
    pieces, the quota summary and the signature once at the end, DỰ THẢO throughout."""
    settings.REPORT_CUT_PIECES = 2
    officer = factories.user_with_role(province.old_commune, Role.SECRETARY)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        batch, created = services.reportjob_request(
            actor=officer, kind="proposals", organization=province.old_commune, year=2021, fmt="pdf"
        )
    assert created and batch.is_batch and not batch.parts.exists() and len(queued) == 1
    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.reportjob_run(batch.pk, task_id="cut")
    batch.refresh_from_db()
    parts = list(batch.parts.order_by("id"))
    assert len(parts) == 2 and len(queued) == 2  # one task per piece
    assert (batch.state, batch.progress_done, batch.progress_total) == ("running", 0, 2)
    assert batch.data_as_of is not None and all(p.data_as_of == batch.data_as_of for p in parts)
    services.reportjob_run(parts[1].pk, task_id="b")  # pieces finish in any order
    batch.refresh_from_db()
    assert (batch.state, batch.progress_done) == ("running", 1)
    services.reportjob_run(parts[0].pk, task_id="a")
    batch.refresh_from_db()
    assert batch.state == "done", batch.error
    assert batch.filename == "proposals-BG-PA-AH-2021.pdf"
    pages = page_texts(batch.file.open("rb").read(), tmp_path)
    total = len(pages)
    assert total >= 2  # each piece starts on a page of its own
    for number, page in enumerate(pages, start=1):
        assert page.count(f"Trang {number}/{total}") == 1, page
        assert page.count("Trang ") == 1
        assert "DỰ THẢO" in page
    whole = " ".join(pages)
    assert whole.count("DANH SÁCH Đề nghị xếp loại chất lượng đảng viên năm 2021") == 1
    assert pages[0].startswith("ĐẢNG BỘ") or "ĐẢNG CỘNG SẢN VIỆT NAM" in pages[0]
    assert "1. Chi bộ ấp 1" in whole and "2. Chi bộ ấp 2" in whole
    assert whole.index("1. Chi bộ ấp 1") < whole.index("2. Chi bộ ấp 2")
    assert whole.count("Tổng hợp và kiểm tra tỷ lệ") == 1
    assert "Tổng hợp và kiểm tra tỷ lệ" in pages[-1] and "Nơi nhận" in pages[-1]
    assert "HTTNV 10, HTXSNV 1, tối đa HTXSNV 2 — đạt" in whole
    # Nothing of a piece's page is left behind once it is rendered.
    from django.core.files.storage import default_storage

    assert not any(default_storage.exists(pieces.source_name(p.pk)) for p in parts)


@pytest.mark.usefixtures("rated")
def test_proposals_cut_failure_is_the_batchs_and_retry_runs_it_again(
    province, django_capture_on_commit_callbacks
):
    """A cut document that cannot be built fails as one job (no pieces), with its reason;
    retrying queues the batch itself again."""
    officer = factories.user_with_role(province.old_commune, Role.SECRETARY)
    with django_capture_on_commit_callbacks(execute=False):
        batch, _ = services.reportjob_request(
            actor=officer, kind="proposals", organization=province.old_commune, year=2021, fmt="pdf"
        )
    from assessments.models import RatingRound

    RatingRound.objects.filter(organization=province.old_commune, year=2021).update(year=2018)
    services.reportjob_run(batch.pk, task_id="cut")
    batch.refresh_from_db()
    assert batch.state == "failed" and "2021" in batch.error and not batch.parts.exists()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.reportjob_retry(actor=officer, job=batch)
    batch.refresh_from_db()
    assert batch.state == "pending" and len(queued) == 1


def test_cut_keeps_cells_whole_and_balances_lines():
    """Pieces are runs of whole cells of about equal lines, never empty, at most as many as
    asked for."""
    assert pieces.cut([43] * 40, 4) == [range(0, 10), range(10, 20), range(20, 30), range(30, 40)]
    assert pieces.cut([10, 500, 10, 10, 10], 3) == [range(0, 2), range(2, 3), range(3, 5)]
    assert pieces.cut([5], 4) == [range(0, 1)]
    assert pieces.cut([1, 1], 4) == [range(0, 1), range(1, 2)]
    assert pieces.cut([], 3) == []


def _inheriting_pdf() -> bytes:
    """A one-page PDF written by hand (a PDF library would move what is inherited onto the
    page on saving): its page takes its size and font from the page tree, and has a link
    whose address reads like a reference ("5 0 R")."""
    content = b"BT /F1 12 Tf 20 350 Td (Chi bo ap 9) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [ 3 0 R ] /Count 1 /MediaBox [ 0 0 300 400 ]"
        b" /Resources << /Font << /F1 4 0 R >> >> >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Annots [ << /Type /Annot /Subtype"
        b" /Link /Rect [ 0 0 9 9 ] /A << /S /URI /URI (https://x.invalid/?q=5 0 R) >> >> ] >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 6\n0000000000 65535 f \n")
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def test_join_copies_every_page_with_what_it_inherits(tmp_path):
    """The join keeps the pieces' pages in order with their text, fonts and links; a page
    that took its size and resources from its own page tree keeps them (the join writes a
    new tree); a string that reads like a reference is copied as it is."""
    from pypdf import PdfReader

    from assessments.reports import pdf

    rendered = pdf.render_pdf(
        "<p>Chi bộ ấp 1</p><p style='page-break-before: always'>Trang hai</p>"
    )
    inheriting = _inheriting_pdf()
    out = io.BytesIO()
    assert pieces.join_pdfs([rendered, inheriting, rendered], out) == 5
    joined = PdfReader(io.BytesIO(out.getvalue()), strict=True)
    assert [p.mediabox.width for p in joined.pages] == [
        *(PdfReader(io.BytesIO(rendered)).pages[0].mediabox.width,) * 2,
        300,
        *(PdfReader(io.BytesIO(rendered)).pages[0].mediabox.width,) * 2,
    ]
    link = joined.pages[2]["/Annots"][0].get_object()["/A"]["/URI"]
    assert link == "https://x.invalid/?q=5 0 R"
    text = pdf_text(out.getvalue(), tmp_path, layout=False)
    assert [" ".join(page.split()) for page in text.split("\f")][:5] == [
        "Chi bộ ấp 1",
        "Trang hai",
        "Chi bo ap 9",
        "Chi bộ ấp 1",
        "Trang hai",
    ]
    assert pieces.join_pdfs([rendered]).startswith(b"%PDF-1.7")
