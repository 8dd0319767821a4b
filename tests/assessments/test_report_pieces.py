"""Long documents in pieces (issue #18): a unit's forms are made one cell per part, in
parallel, with progress per piece, joined into one PDF with pypdf and offered as a zip with
one file per cell — no limit of 400 forms for a whole unit."""

import io
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
