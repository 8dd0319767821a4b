"""Reports (DOMAIN §7): the official layout, the statistics tables and their Excel twins,
document numbers, the restricted fetcher, the report centre's jobs and the command."""

import datetime
import io
import re
import subprocess
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from assessments import services as rating_services
from assessments.models import ReportJob
from assessments.reports import context, pdf, selectors, services, xlsx
from cells.choices import EventKind, PostKind, Role
from cells.models import AuditEntry, Post
from tests import factories

from .conftest import make_members, open_round, save_levels, submit

DAY = datetime.date(2021, 12, 15)


def pdf_text(content: bytes, tmp_path, *, layout: bool = True) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(content)
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdf_pages(content: bytes, tmp_path) -> list[str]:
    """Each page's text in content order, squashed. pdftotext -raw: the default mode leaves
    out rotated text, so it would never see the DỰ THẢO watermark drawn across a page."""
    path = tmp_path / "p.pdf"
    path.write_bytes(content)
    args = ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return [squash(page) for page in out.split("\f") if page.strip()]


def pdf_fonts(content: bytes, tmp_path) -> list[tuple[str, str]]:
    """(font name without its subset tag, embedded yes/no) of every font pdffonts lists."""
    rows = pdf_tool("pdffonts", content, tmp_path).splitlines()[2:]
    return [(row.split()[0].split("+")[-1], row.split()[-5]) for row in rows]


def pdf_tool(tool: str, content: bytes, tmp_path) -> str:
    path = tmp_path / "t.pdf"
    path.write_bytes(content)
    return subprocess.run([tool, str(path)], check=True, capture_output=True, text=True).stdout


def pdf_words(content: bytes, tmp_path) -> list[tuple[str, float, float, float]]:
    """Every word of the PDF with its box in points: (text, x min, x max, y min)."""
    path = tmp_path / "w.pdf"
    path.write_bytes(content)
    args = ["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>'
    return [(t, float(x0), float(x1), float(y0)) for x0, y0, x1, t in re.findall(pattern, out)]


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def rated(province, district_reviewer):
    """The old commune's 2021 round, decided: cell 1 has 10 members (1 HTXSNV, 7 HTTNV,
    1 HTNV, 1 exempt), cell 2 has 5 (3 HTTNV, 1 HTNV, 1 KHTNV); cells rated HTTNV and HTNV."""
    round_ = open_round(province.old_commune, 2021)
    first = make_members(province.old_cell, 10)
    second = make_members(province.other_cell, 5, family="Trần Thị")
    factories.member_event(first[9], EventKind.EXEMPTION, datetime.date(2020, 1, 1))
    levels = {first[0]: "excellent", first[8]: "complete", first[9]: ("", "exempt")}
    levels.update({m: "good" for m in first[1:8]})
    levels.update({second[0]: "good", second[1]: "good", second[2]: "good"})
    levels.update({second[3]: "complete", second[4]: "not_complete"})
    save_levels(round_, levels)
    for cell, level in ((province.old_cell, "good"), (province.other_cell, "complete")):
        round_.refresh_from_db()
        rating_services.organization_rating_save(
            actor=None, round=round_, organization=cell, level=level
        )
    submit(round_)
    round_.refresh_from_db()
    rating_services.round_decide(actor=district_reviewer, round=round_)
    Post.objects.create(
        member=first[1],
        kind=PostKind.PARTY,
        title="Bí thư Đảng ủy",
        organization=province.old_commune,
    )
    return round_


def render(kind, organization, year=2021, fmt="pdf", **kwargs):
    kwargs.setdefault("day", DAY)
    return services.report_render(
        kind=kind,
        organization=organization,
        year=year,
        fmt=fmt,
        exported_by="Nguyễn Văn Xuất",
        **kwargs,
    )


def test_report_results_pdf_official_layout(province, rated, tmp_path):
    """The results report carries the layout of Hướng dẫn 36-HD/VPTW: both header blocks, the
    Party line, the number, the place and date, the title, the signature block and recipients."""
    rendered = render("results", province.old_commune)
    text = squash(pdf_text(rendered.content, tmp_path))
    for expected in (
        "ĐẢNG BỘ HUYỆN PHÚ AN",
        "ĐẢNG ỦY XÃ AN HÒA",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "DỰ THẢO",
        "An Hòa, ngày 15 tháng 12 năm 2021",
        "BÁO CÁO",
        "Kết quả kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng, đảng viên năm 2021",
        "T/M ĐẢNG ỦY",
        "BÍ THƯ",
        "Nơi nhận:",
        "Hướng dẫn 21-HD/BTCTW (18/10/2019)",
        "Xuất bởi Nguyễn Văn Xuất",
        "Số liệu tính đến",
    ):
        assert expected in text, expected
    assert "Số 01-" not in text and rendered.number == ""
    assert rendered.filename == "results-BG-PA-AH-2021.pdf"


def test_report_pdf_embeds_serif_font_and_counts_pages(province, rated, tmp_path):
    """The PDF embeds Liberation Serif (a Times New Roman-like serif covering Vietnamese,
    Debian fonts-liberation2) for its text, and numbers its pages (HD 36 page set-up); the
    charts keep their sans-serif labels."""
    content = render("results", province.old_commune).content
    fonts = pdf_tool("pdffonts", content, tmp_path)
    lines = fonts.splitlines()[2:]
    for face in ("Liberation-Serif ", "Liberation-Serif-Bold ", "Liberation-Serif-Italic "):
        assert any(face in line for line in lines), face
    assert all(line.split()[-5] == "yes" for line in lines)
    info = pdf_tool("pdfinfo", content, tmp_path)
    assert re.search(r"^Pages:\s+2$", info, re.M)
    assert "595.276 x 841.89 pts (A4)" in info or "841.89 x 595.276 pts (A4)" in info
    text = pdf_text(content, tmp_path)
    assert "Trang 1/2" in text and "Trang 2/2" in text


def test_render_pdf_normalises_text_to_nfc(tmp_path):
    """Decomposed Vietnamese (NFD, as macOS writes it) comes out of the PDF composed."""
    import unicodedata

    name = "Nguyễn Thị Hường"
    html = f"<html><body><p>{unicodedata.normalize('NFD', name)}</p></body></html>"
    text = pdf_text(pdf.render_pdf(html), tmp_path, layout=False)
    assert name in text


def _numbers(line: str, name: str) -> list[str]:
    return line.split(name, 1)[1].split()


def _pdf_row(text: str, name: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(name))
    return _numbers(line, name)


def test_report_numbers_equal_in_pdf_excel_and_dashboard(province, rated, tmp_path):
    """Every number of the members table is the same in the PDF, in the Excel twin and on the
    dashboard (assessments.indicators, the same rule for which level counts)."""
    from assessments import dashboard, indicators

    indicators.ensure_indicator_catalogue()
    node = province.old_commune
    text = pdf_text(render("results", node).content, tmp_path)
    book = load_workbook(io.BytesIO(render("results", node, fmt="xlsx").content))
    sheet = book["Đảng viên"]
    excel = {row[0]: row for row in sheet.iter_rows(values_only=True) if row and row[0]}
    scope = dashboard.dashboard_scope(user=None, node=node)
    results = indicators.compute(scope=scope, years=[2021])
    formulas = [
        "mem_excellent_pct",
        "mem_good_pct",
        "mem_complete_pct",
        "mem_weak_pct",
        "mem_good_or_better_pct",
    ]
    for name, bucket in (
        ("Chi bộ ấp 1", province.old_cell.path),
        ("Chi bộ ấp 2", province.other_cell.path),
        ("Tổng cộng", None),
    ):
        pdf_values = _pdf_row(text, name)
        row = excel[name]
        # Tổng số, Miễn, Đình chỉ, Mới kết nạp, Lý do khác, Cộng, Được xếp loại, then n/% pairs.
        counts = results.counters(2021, bucket)
        assert int(pdf_values[0]) == row[1] == counts["mem.total"]
        assert int(pdf_values[6]) == row[7] == counts["mem.rated"]
        assert int(pdf_values[5]) == row[6] == counts["mem.not_rated"]
        for i, formula in enumerate(formulas):
            n_pdf, pct_pdf = pdf_values[7 + 2 * i], pdf_values[8 + 2 * i]
            n_xlsx, pct_xlsx = row[8 + 2 * i], row[9 + 2 * i]
            num, _den = results.parts(formula, 2021, bucket)
            value = results.value(formula, 2021, bucket)
            assert int(n_pdf) == n_xlsx == num, (name, formula)
            assert Decimal(pct_pdf.replace(",", ".")) == Decimal(str(pct_xlsx)) == value
        ratio = results.value("mem_excellent_to_good_pct", 2021, bucket)
        assert Decimal(pdf_values[-1].replace(",", ".")) == Decimal(str(row[-1])) == ratio
    total = _pdf_row(text, "Tổng cộng")
    assert total[:8] == ["15", "1", "0", "0", "0", "1", "14", "1"]
    assert total[8:] == ["7,14", "10", "71,43", "2", "14,29", "1", "7,14", "11", "78,57", "10,00"]
    data = dashboard.dashboard_get(user=None, node=node, year=2021)
    headline = {c.indicator.formula: c.value for c in data.cards}
    assert headline["mem_good_or_better_pct"] == Decimal("78.57")


def test_report_undecided_round_is_pending_not_counted(province, tmp_path):
    """A round not decided yet counts as pending (its own column), never in the percentages,
    as on the dashboard; asking for proposals counts the proposed levels."""
    round_ = open_round(province.old_commune, 2022)
    a, b = make_members(province.old_cell, 2)
    save_levels(round_, {a: "good", b: "complete"})
    stats = selectors.rating_statistics(node=province.old_commune, year=2022)
    assert (stats.members.total.pending, stats.members.total.rated) == (2, 0)
    text = squash(pdf_text(render("results", province.old_commune, year=2022).content, tmp_path))
    assert "Chưa quyết định" in text
    drafted = selectors.rating_statistics(
        node=province.old_commune, year=2022, include_proposals=True
    )
    assert drafted.members.total.levels == {"r2": 1, "r1": 1}


def test_fetcher_serves_only_our_static_files():
    """The renderer loads our static files; file:// outside static, the network and paths
    escaping the static tree are refused."""
    fetcher = pdf.StaticOnlyFetcher()
    font = pdf.BASE_URL + "static/vendor/be-vietnam-pro/files/be-vietnam-pro-latin-400-normal.woff"
    response = fetcher.fetch(font)
    assert response.read(4) == b"wOFF"
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:8000/static/css/app.css",
        "https://example.com/static/css/app.css",
        pdf.BASE_URL + "static/../../../etc/passwd",
        pdf.BASE_URL + "static/%2e%2e/%2e%2e/etc/passwd",
        pdf.BASE_URL + "media/reports/x.pdf",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_render_pdf_with_forbidden_resources_still_renders(tmp_path):
    """A page that points at a local file or the network renders without them."""
    html = (
        '<html><body><p>Xin chào</p><img src="file:///etc/passwd">'
        '<img src="http://127.0.0.1:9/x.png"></body></html>'
    )
    assert "Xin chào" in pdf_text(pdf.render_pdf(html), tmp_path)


def test_xlsx_neutralises_formula_injection(province, rated):
    """Text starting with = + - @ is stored with a leading apostrophe, never as a formula."""
    assert xlsx.safe('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert xlsx.safe("+1") == "'+1" and xlsx.safe("-1") == "'-1" and xlsx.safe("@A1") == "'@A1"
    assert xlsx.safe("Chi bộ") == "Chi bộ" and xlsx.safe(Decimal("7.14")) == 7.14
    type(province.old_cell).objects.filter(pk=province.old_cell.pk).update(name="=1+2")
    book = load_workbook(io.BytesIO(render("results", province.old_commune, fmt="xlsx").content))
    names = [row[0].value for row in book["Đảng viên"].iter_rows()]
    assert "'=1+2" in names
    assert all(not (isinstance(n, str) and n.startswith("=")) for n in names)


def test_report_proposals_lists_cells_and_quota(province, rated, tmp_path):
    """Kind 2 lists each cell's members with their levels and checks the quota (Q1)."""
    text = squash(pdf_text(render("proposals", province.old_commune).content, tmp_path))
    assert "DANH SÁCH" in text
    assert "DỰ THẢO" in text and "Số 01-DS" not in text
    assert "Đề nghị xếp loại chất lượng đảng viên năm 2021" in text
    assert "Chi bộ ấp 1" in text and "Chi bộ ấp 2" in text
    assert "Nguyễn Văn An 1" in text and "Trần Thị An 1" in text
    assert "HTTNV 10, HTXSNV 1, tối đa HTXSNV 2 — đạt" in text


def test_report_proposals_long_name_wraps_in_its_column(province, tmp_path):
    """The proposals list's columns have fixed widths (table.fixed in _print.css): a name
    wider than its column wraps inside it, left of the birth year, and every word is there."""
    round_ = open_round(province.old_commune, 2021)
    name = "Tôn Nữ Thị Hoàng Phương Anh"
    member = factories.member(province.old_cell, name, birth_date=datetime.date(1971, 3, 2))
    save_levels(round_, {member: "excellent"})
    words = pdf_words(render("proposals", province.old_commune).content, tmp_path)
    (year,) = [w for w in words if w[0] == "1971"]
    parts = [w for w in words if w[0] in name.split() and abs(w[3] - year[3]) < 30]
    assert " ".join(w[0] for w in parts) == name
    assert max(w[2] for w in parts) < year[1]  # no word runs over the next column
    assert len({round(w[3]) for w in parts}) == 2  # on two lines


def test_report_self_review_one_form_per_member(province, rated, tmp_path):
    """Kind 3: one pre-filled form per member, with the scheme's form code and its task
    annex (reports.forms.member); no number."""
    content = render("self_review", province.old_commune).content
    text = squash(pdf_text(content, tmp_path))
    assert "Mẫu 02-HD KĐ.ĐG" in text
    assert "BẢN KIỂM ĐIỂM CÁ NHÂN" in text
    assert "Họ và tên: Nguyễn Văn An 1" in text
    assert "Số 01-" not in text  # a blank to fill in: no number, so DỰ THẢO (context.is_draft)
    # One form (with its sections and signatures) and one task annex per member.
    assert text.count("NGƯỜI TỰ KIỂM ĐIỂM") == 15
    assert text.count("PHỤ LỤC Kết quả thực hiện nhiệm vụ được giao") == 15


def test_report_self_review_form_code_2025(province, tmp_path):
    """From 2025 a member outside the political system gets form 2C (DOMAIN §4.2)."""
    (member,) = make_members(province.new_cell, 1, admitted_on=datetime.date(2000, 1, 1))
    text = squash(pdf_text(render("self_review", province.new_cell, year=2025).content, tmp_path))
    assert "Mẫu 2C" in text
    assert member.full_name in text


def test_report_self_review_form_is_the_recorded_category_not_the_posts(province, tmp_path):
    """The report centre's forms take 2A/2B/2C from the recorded MemberCategory: a cell
    secretary (posts suggest 2A) recorded as 2B prints Mẫu 2B, unmarked; a member with no
    category recorded prints the suggestion, marked as such on the PDF and in the Excel."""
    from assessments import regime_services
    from cells.choices import PostKind
    from cells.models import Post

    secretary, other = make_members(province.new_cell, 2, admitted_on=datetime.date(2000, 1, 1))
    Post.objects.create(
        member=secretary, organization=province.new_cell, kind=PostKind.PARTY, title="Bí thư",
        start=datetime.date(2025, 7, 1),
    )  # fmt: skip
    regime_services.membercategory_set(
        actor=None, member=secretary, year=2025, category="non_leader"
    )
    text = squash(pdf_text(render("self_review", province.new_cell, year=2025).content, tmp_path))
    assert text.count("Mẫu 2B") >= 1 and "Mẫu 2A" not in text
    assert text.count("Mẫu do hệ thống gợi ý") == 1  # the other member's form only
    book = load_workbook(
        io.BytesIO(render("self_review", province.new_cell, year=2025, fmt="xlsx").content)
    )
    codes = {row[1]: row[0] for row in book.active.iter_rows(values_only=True) if row[1]}
    assert codes[secretary.full_name] == "2B"
    assert codes[other.full_name] == "2C (gợi ý)"


def test_report_minutes_per_cell(province, rated, tmp_path):
    """Kind 4: one set of minutes per cell, with its members and those not rated."""
    content = render("minutes", province.old_commune).content
    text = squash(pdf_text(content, tmp_path))
    assert "BIÊN BẢN" in text
    assert "Tổng số đảng viên của chi bộ: 10" in text
    assert "Tổng số đảng viên của chi bộ: 5" in text
    assert "Nguyễn Văn Nga 1: Miễn công tác và sinh hoạt đảng" in text


def test_report_summary_of_upper_committee(province, rated, tmp_path):
    """Kind 5: the district's summary across its units, each unit's level and the Resolution
    22 indicators with charts."""
    from assessments import indicators

    indicators.ensure_indicator_catalogue()
    rendered = render("summary", province.district)
    text = squash(pdf_text(rendered.content, tmp_path))
    assert "ĐẢNG BỘ TỈNH BÌNH GIANG" in text
    assert "HUYỆN ỦY PHÚ AN" in text and "ĐẢNG ỦY HUYỆN" not in text
    assert "T/M BAN THƯỜNG VỤ" in text and "DỰ THẢO" in text
    assert "CÁC CHỈ TIÊU THỰC HIỆN NGHỊ QUYẾT 22-NQ/TW" in text
    assert "Đảng viên theo mức xếp loại năm 2021" in text
    assert "78,57 %" in text  # members rated HTTNV or better, as on the dashboard


def test_render_report_command_writes_file(province, rated, tmp_path):
    """The command renders through the same code path, to PDF or Excel."""
    out = tmp_path / "bc.pdf"
    call_command(
        "render_report",
        kind="results",
        org="BG-PA-AH",
        year=2021,
        out=str(out),
        stdout=io.StringIO(),
    )
    assert "ĐẢNG ỦY XÃ AN HÒA" in pdf_text(out.read_bytes(), tmp_path)
    out_x = tmp_path / "bc.xlsx"
    call_command(
        "render_report",
        "--kind=self-review",
        "--org=BG-PA-AH",
        "--year=2021",
        f"--out={out_x}",
        "--format=xlsx",
        stdout=io.StringIO(),
    )
    rows = list(load_workbook(out_x).active.iter_rows(values_only=True))
    assert any(r[1] == "Nguyễn Văn An 1" for r in rows if r and len(r) > 1)


def test_render_report_command_unknown_unit_exits_2(db, tmp_path):
    """An unknown unit code is wrong usage (exit code 2)."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as excinfo:
        call_command(
            "render_report", kind="results", org="XX", year=2021, out=str(tmp_path / "x.pdf")
        )
    assert excinfo.value.returncode == 2


# --- the report centre -------------------------------------------------------------------
@pytest.fixture
def officer(province):
    return factories.user_with_role(province.old_commune, Role.SECRETARY)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_reportjob_request_twice_returns_pending_one(
    province, officer, django_capture_on_commit_callbacks
):
    """Asking twice for the same report while it is pending returns the pending job; the
    first request enqueues one task, the second none."""
    with django_capture_on_commit_callbacks() as callbacks:
        first, created = services.reportjob_request(
            actor=officer, kind="results", organization=province.old_commune, year=2021, fmt="pdf"
        )
    assert created and len(callbacks) == 1
    # Its message went out (publishing records the task id; an unsent job is sent again).
    ReportJob.objects.filter(pk=first.pk).update(task_id="sent")
    with django_capture_on_commit_callbacks() as callbacks:
        second, created = services.reportjob_request(
            actor=officer, kind="results", organization=province.old_commune, year=2021, fmt="pdf"
        )
    assert (second.pk, created, len(callbacks)) == (first.pk, False, 0)
    other, created = services.reportjob_request(
        actor=officer, kind="results", organization=province.old_commune, year=2021, fmt="xlsx"
    )
    assert created and other.pk != first.pk


def test_reportjob_request_out_of_scope_refused(province, officer):
    """A unit outside the user's subtree cannot be asked for."""
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.reportjob_request(
            actor=officer, kind="results", organization=province.foreign_cell, year=2021, fmt="pdf"
        )


def test_reportjob_run_renders_and_download_is_audited(province, rated, officer, media, client):
    """The worker's service renders the file onto the job; the owner downloads it (audited);
    another user gets a 404."""
    job, _ = services.reportjob_request(
        actor=officer, kind="results", organization=province.old_commune, year=2021, fmt="pdf"
    )
    services.reportjob_run(job.pk, task_id="t-1")
    job.refresh_from_db()
    assert (job.state, job.progress_done, job.progress_total) == ("done", 4, 4)
    assert job.document_number == "" and job.filename == "results-BG-PA-AH-2021.pdf"
    assert job.data_as_of is not None and job.attempts == 1
    client.force_login(officer)
    response = client.get(reverse("assessments:reportjob_download", args=[job.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    assert 'filename="results-BG-PA-AH-2021.pdf"' in response["Content-Disposition"]
    entry = AuditEntry.objects.filter(action="export", comment="report_pdf").get()
    assert (entry.actor, entry.changes["filters"]["job"]) == (officer, job.pk)
    stranger = factories.user_with_role(province.other_province, Role.ADMIN)
    client.force_login(stranger)
    assert client.get(reverse("assessments:reportjob_download", args=[job.pk])).status_code == 404
    assert client.get(reverse("assessments:reportjob_detail", args=[job.pk])).status_code == 404


def test_reportjob_run_error_is_shown_and_retry_requeues(
    province, officer, media, client, django_capture_on_commit_callbacks
):
    """A report that cannot be made fails with its reason; retry queues it again."""
    job, _ = services.reportjob_request(
        actor=officer, kind="proposals", organization=province.old_commune, year=2019, fmt="pdf"
    )
    services.reportjob_run(job.pk, task_id="t-1")
    job.refresh_from_db()
    assert job.state == "failed"
    assert job.error == "Đơn vị chưa có đợt xếp loại năm 2019."
    client.force_login(officer)
    page = client.get(reverse("assessments:reportjob_detail", args=[job.pk])).content.decode()
    assert "Đơn vị chưa có đợt xếp loại năm 2019." in page
    assert reverse("assessments:reportjob_retry", args=[job.pk]) in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("assessments:reportjob_retry", args=[job.pk]))
    assert response.status_code == 302 and len(callbacks) == 1
    job.refresh_from_db()
    assert (job.state, job.error) == ("pending", "")


def test_reportjob_stale_running_job_shown_failed_and_taken_over(province, rated, officer, media):
    """A job left running past the task time limit (its worker died) is shown as failed,
    a new request does not wait on it, and a redelivered task may take it over."""
    job, _ = services.reportjob_request(
        actor=officer, kind="results", organization=province.old_commune, year=2021, fmt="pdf"
    )
    long_ago = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    ReportJob.objects.filter(pk=job.pk).update(
        state="running", task_id="dead", started_at=long_ago, updated_at=long_ago
    )
    job.refresh_from_db()
    assert services.reportjob_is_stale(job)
    assert services.reportjob_display_state(job) == "failed"
    assert services.reportjob_run(job.pk, task_id="other") is not None
    job.refresh_from_db()
    assert job.state == "done"


def test_reportjob_duplicate_message_is_ignored(province, rated, officer, media):
    """A second delivery of a finished job's task does nothing."""
    job, _ = services.reportjob_request(
        actor=officer, kind="results", organization=province.old_commune, year=2021, fmt="xlsx"
    )
    services.reportjob_run(job.pk, task_id="t-1")
    assert services.reportjob_run(job.pk, task_id="t-1") is None
    assert job.document_number == ""  # a draft: no number taken


def test_reportjob_batch_renders_each_unit_and_zips(province, rated, media):
    """A province batch makes one job per commune-level unit of that year and, when every
    part is done, a zip of their PDFs."""
    import zipfile

    admin = factories.user_with_role(province.province, Role.REPORTS)
    batch, created = services.reportjob_batch_request(
        actor=admin, province=province.province, year=2021
    )
    parts = list(batch.parts.all())
    assert created and [p.organization for p in parts] == [province.old_commune]
    again, created = services.reportjob_batch_request(
        actor=admin, province=province.province, year=2021
    )
    assert (again.pk, created) == (batch.pk, False)
    for part in parts:
        services.reportjob_run(part.pk, task_id=f"t-{part.pk}")
    batch.refresh_from_db()
    assert (batch.state, batch.progress_done, batch.filename) == ("done", 1, "results-BG-2021.zip")
    with batch.file.open("rb") as fh, zipfile.ZipFile(fh) as archive:
        assert archive.namelist() == ["results-BG-PA-AH-2021.pdf"]
        assert archive.read("results-BG-PA-AH-2021.pdf").startswith(b"%PDF")


def test_reportjob_list_view_shows_my_jobs_with_progress(
    province, officer, client, django_assert_max_num_queries
):
    """The centre lists my jobs with a live progress bar (htmx polling) and the forms; the
    query count does not grow with the number of jobs."""
    for year in (2019, 2020, 2021):
        services.reportjob_request(
            actor=officer, kind="results", organization=province.old_commune, year=year, fmt="pdf"
        )
    client.force_login(officer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("assessments:reportjob_list"))
    page = response.content.decode()
    assert page.count('hx-trigger="every 1s"') == 3
    assert "Đảng bộ xã An Hòa" in page
    job = ReportJob.objects.filter(requested_by=officer).first()
    partial = client.get(reverse("assessments:reportjob_progress", args=[job.pk])).content.decode()
    assert 'role="progressbar"' in partial and "0%" in partial


def test_reportjob_create_view_redirects_to_job(province, officer, client):
    """Posting the form creates the job and opens its page; posting again opens the same."""
    client.force_login(officer)
    data = {
        "kind": "results",
        "organization": province.old_commune.pk,
        "year": 2021,
        "format": "pdf",
    }
    first = client.post(reverse("assessments:reportjob_create"), data)
    second = client.post(reverse("assessments:reportjob_create"), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ReportJob.objects.count() == 1


def test_report_self_review_too_many_members_asks_per_cell(province, rated, settings):
    """Forms for more members than REPORT_MAX_FORMS are refused with a clear reason: a
    1,700-page file would take minutes and gigabytes in the worker."""
    settings.REPORT_MAX_FORMS = 12
    with pytest.raises(context.ReportError) as excinfo:
        render("self_review", province.old_commune)
    assert str(excinfo.value) == (
        "Đảng bộ xã An Hòa có 15 đảng viên: hãy lập bản kiểm điểm cho từng chi bộ "
        "(tối đa 12 bản mỗi tệp)."
    )
    assert render("self_review", province.old_cell).content.startswith(b"%PDF")


def test_reportjob_batch_with_failed_part_fails_and_retries_only_it(
    province, rated, media, django_capture_on_commit_callbacks
):
    """A batch whose part failed is failed with a count; retrying it queues only the failed
    parts again, and the batch shows as running."""
    admin = factories.user_with_role(province.province, Role.REPORTS)
    batch, _ = services.reportjob_batch_request(actor=admin, province=province.province, year=2021)
    (part,) = batch.parts.all()
    ReportJob.objects.filter(pk=part.pk).update(kind="proposals", year=2019)
    services.reportjob_run(part.pk, task_id="t-1")
    batch.refresh_from_db()
    assert (batch.state, batch.error) == ("failed", "1 trên 1 đơn vị bị lỗi: hãy thử lại.")
    with django_capture_on_commit_callbacks() as callbacks:
        services.reportjob_retry(actor=admin, job=batch)
    assert len(callbacks) == 1
    batch.refresh_from_db()
    part.refresh_from_db()
    assert (batch.state, part.state, part.error) == ("running", "pending", "")


def draft_marked_on_every_page(content: bytes, tmp_path) -> list[str]:
    pages = pdf_pages(content, tmp_path)
    assert pages
    for page in pages:
        assert "DỰ THẢO" in page, page[:200]
        assert "Số 0" not in page
    return pages


def test_du_thao_rule_drafts_and_blank_forms_say_it_on_every_page(province, rated, tmp_path):
    """One rule (context.is_draft) for every document: without a number it says DỰ THẢO —
    a report centre draft, a blank self-review form, the minutes, and the same forms
    downloaded one cell at a time — in the header and across every page (the watermark)."""
    from assessments.reports.forms import render as form_render
    from cells.selectors import members_of

    for kind in ("results", "proposals", "self_review", "minutes"):
        pages = draft_marked_on_every_page(render(kind, province.old_commune).content, tmp_path)
        assert len(pages) >= 1, kind
    members = list(
        members_of(organization=province.old_cell, on=datetime.date(2021, 12, 31), subtree=True)
    )
    single = form_render.member_forms_pdf(
        members=members, organization=province.old_cell, year=2021, exported_by="X", day=DAY
    )
    pages = draft_marked_on_every_page(single, tmp_path)
    # Each form says it in its own header too, besides the watermark on each of its pages.
    assert sum(page.count("DỰ THẢO") for page in pages) == len(pages) + len(members)


def test_charts_in_documents_use_the_documents_face_all_embedded(province, rated, tmp_path):
    """A chart in a PDF is set in the document's face (Liberation Serif, the print
    stylesheet's family), not the web page's DejaVu Sans / Be Vietnam Pro; pdffonts shows
    every font embedded."""
    from django.template.loader import get_template

    from assessments import charts

    css = get_template("assessments/reports/_print.css").template.source
    family = re.search(r"html \{ font-family: ([^;]+);", css).group(1)
    assert family == charts.PRINT_FONT_FAMILY
    rendered = render("summary", province.old_commune)
    assert b"<svg" not in rendered.content  # drawn, not embedded as markup
    document_html = services.report_html(
        context.build_document(
            kind="summary",
            organization=province.old_commune,
            year=2021,
            number="",
            exported_by="X",
            day=DAY,
        )
    )
    assert "<svg" in document_html and "DejaVu Sans" not in document_html
    fonts = pdf_fonts(rendered.content, tmp_path)
    assert fonts and all(name.startswith("Liberation-Serif") for name, _emb in fonts), fonts
    assert all(embedded == "yes" for _name, embedded in fonts)
    text = squash(pdf_text(rendered.content, tmp_path, layout=False))
    assert "Đảng viên theo mức xếp loại năm 2021" in text  # the chart's own title, as text
