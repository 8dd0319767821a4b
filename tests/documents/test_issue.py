"""Issue, then sign (issue #18): a number given once, a frozen snapshot, PDF/A-3 with the
Excel twin and the data manifest embedded, empty signature fields; drafts say DỰ THẢO."""

import datetime
import io
import json
import subprocess
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from pypdf import PdfReader

from assessments.reports import issuing, services
from documents import services as document_services
from documents import signing
from documents.choices import SIGNATURE_FIELDS, DocumentState
from documents.manifest import MANIFEST_NAME, Manifest, snapshot_checksum
from documents.models import DocumentNumber, IssuedDocument
from tests.assessments.conftest import open_round

DAY = datetime.date(2021, 12, 15)


def text_of(content: bytes, tmp_path) -> str:
    """pdftotext -raw: the default mode drops rotated text, so it could not see a DỰ THẢO
    watermark drawn across the page (and an absence check would always pass)."""
    path = tmp_path / "d.pdf"
    path.write_bytes(content)
    out = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return " ".join(out.split())


XMP_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def assert_pdfa3(pdf: bytes, tmp_path) -> dict[str, bytes]:
    """The checks of PDF/A-3b that can be read back without veraPDF (not installable here:
    it is Java, from Maven). Returns the embedded files by name.

    - PDF 1.7, not encrypted, no JavaScript;
    - XMP metadata that parses, with pdfaid:part 3 and pdfaid:conformance B, and the
      document information entries it duplicates (title, author, producer) equal in both;
    - an sRGB output intent (GTS_PDFA1) with an ICC profile of 3 components;
    - every font embedded (pdffonts);
    - every embedded file associated with the document (catalog /AF) with an
      AFRelationship, a MIME subtype and its size and dates, and each /AF entry one of the
      embedded files (WeasyPrint 70 lists each twice: harmless, checked as a set).
    """
    import xml.etree.ElementTree as ET

    assert pdf.startswith(b"%PDF-1.7")
    reader = PdfReader(io.BytesIO(pdf))
    assert "/Encrypt" not in reader.trailer
    root = reader.trailer["/Root"]
    assert "/JavaScript" not in root.get("/Names", {}) and "/OpenAction" not in root
    xmp = root["/Metadata"].get_object()
    assert xmp["/Subtype"] == "/XML"
    tree = ET.fromstring(xmp.get_data().decode().split("?>", 1)[1].rsplit("<?xpacket", 1)[0])
    values = {}
    for description in tree.iter(f"{{{XMP_NS['rdf']}}}Description"):
        for key, value in description.attrib.items():
            values[key] = value
    assert values[f"{{{XMP_NS['pdfaid']}}}part"] == "3"
    assert values[f"{{{XMP_NS['pdfaid']}}}conformance"] == "B"
    info = reader.trailer["/Info"].get_object()
    assert values[f"{{{XMP_NS['pdf']}}}Producer"] == info["/Producer"]
    if "/Title" in info:
        titles = [li.text for li in tree.iter(f"{{{XMP_NS['rdf']}}}li")]
        assert info["/Title"] in titles
    (intent,) = [i.get_object() for i in root["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFA1" and "sRGB" in intent["/OutputConditionIdentifier"]
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3 and profile.get_data()[36:40] == b"acsp"  # an ICC profile
    path = tmp_path / "pdfa.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows)  # every font embedded
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    in_tree = {names[i]: names[i + 1].get_object() for i in range(0, len(names), 2)}
    associated = [spec.get_object() for spec in root["/AF"]]
    assert {s["/UF"] for s in associated} == set(in_tree)
    files = {}
    for name, spec in in_tree.items():
        assert spec["/Type"] == "/Filespec" and spec["/F"] == spec["/UF"] == name
        assert spec["/AFRelationship"] in ("/Data", "/Source", "/Alternative", "/Supplement")
        stream = spec["/EF"]["/F"].get_object()
        assert stream["/Type"] == "/EmbeddedFile" and str(stream["/Subtype"]).count("/") >= 2
        content = stream.get_data()
        assert stream["/Params"]["/Size"] == len(content) and "/ModDate" in stream["/Params"]
        files[name] = content
    return files


def issue(organization, staff, **kwargs):
    kwargs.setdefault("day", DAY)
    return issuing.report_issue(
        actor=staff, kind="results", organization=organization, year=2021, **kwargs
    )


def test_issue_results_is_pdfa3_with_twin_manifest_and_signature_fields(
    province, rated, staff, tmp_path
):
    """The issued report is a PDF/A-3B (XMP pdfaid 3/B, sRGB output intent), embeds the Excel
    twin and the manifest (AFRelationship Data) whose checksum is the snapshot's, has the two
    empty signature fields, embeds its serif font, and prints the number without DỰ THẢO."""
    document = issue(province.old_commune, staff)
    pdf = document.pdf.open("rb").read()
    reader = PdfReader(io.BytesIO(pdf))
    files = assert_pdfa3(pdf, tmp_path)
    assert files == signing.embedded_files(pdf)
    assert set(files) == {MANIFEST_NAME, "results-BG-PA-AH-2021.xlsx"}
    manifest = Manifest.from_bytes(files[MANIFEST_NAME])
    assert manifest.number == "Số 01-BC/ĐU" == document.number
    assert manifest.snapshot_sha256 == document.snapshot_sha256
    assert manifest.snapshot_sha256 == snapshot_checksum(document.snapshot)
    assert manifest.scope.startswith("Đảng bộ xã An Hòa (BG-PA-AH), 2021")
    assert files["results-BG-PA-AH-2021.xlsx"][:2] == b"PK"
    relationships = {
        str(spec.get_object()["/AFRelationship"]) for spec in reader.trailer["/Root"]["/AF"]
    }
    assert relationships == {"/Data"}
    assert signing.signature_field_names(pdf) == sorted(SIGNATURE_FIELDS.values())
    # The rendered PDF/A revision is untouched: the fields came as an incremental update.
    assert pdf.count(b"%%EOF") == 2
    text = text_of(pdf, tmp_path)
    assert "Số 01-BC/ĐU" in text and "DỰ THẢO" not in text
    assert "ĐẢNG BỘ HUYỆN PHÚ AN" in text and "ĐẢNG ỦY XÃ AN HÒA" in text
    path = tmp_path / "f.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    lines = fonts.splitlines()[2:]
    assert any("Liberation-Serif " in line for line in lines)
    assert all(line.split()[-5] == "yes" for line in lines)  # every font embedded (PDF/A)
    assert document.state == DocumentState.ISSUED and document.xlsx


def test_issue_snapshot_holds_the_printed_numbers(province, rated, staff):
    """The snapshot carries the statistics rows as printed (frozen with the document)."""
    document = issue(province.old_commune, staff)
    members = document.snapshot["tables"][0]
    assert members["columns"][0] == "Đơn vị"
    row = next(r for r in members["rows"] if r[0] == "Chi bộ ấp 1")
    assert row[1] == "10"  # ten members in cell 1
    assert document.snapshot["header"]["number"] == "Số 01-BC/ĐU"
    assert json.dumps(document.snapshot)  # plain JSON


def test_draft_says_du_thao_and_takes_no_number(province, rated, tmp_path):
    """A report centre render is a draft: DỰ THẢO, no number, however often it is made."""
    for _ in range(2):
        rendered = services.report_render(
            kind="results",
            organization=province.old_commune,
            year=2021,
            exported_by="X",
            day=DAY,
        )
        text = text_of(rendered.content, tmp_path)
        assert "DỰ THẢO" in text and "Số 01-" not in text
        assert rendered.number == ""
    assert not DocumentNumber.objects.exists()


def test_issue_refused_over_undecided_results_and_draft_says_so(province, staff, tmp_path):
    """Results not decided yet cannot be issued (no number taken); their draft says so."""
    from tests.assessments.conftest import make_members, save_levels

    round_ = open_round(province.old_commune, 2021)
    members = make_members(province.old_cell, 3)
    save_levels(round_, {m: "good" for m in members})
    from tests.assessments.conftest import submit

    submit(round_)
    with pytest.raises(ValidationError) as refused:
        issue(province.old_commune, staff)
    assert refused.value.code == "undecided"
    assert not IssuedDocument.objects.exists()
    counter = DocumentNumber.objects.filter(organization=province.old_commune).first()
    assert counter is None or counter.next_number == 1
    draft = services.report_render(
        kind="results", organization=province.old_commune, year=2021, exported_by="X", day=DAY
    )
    assert "chưa phải kết quả chính thức" in text_of(draft.content, tmp_path)


def test_reissue_supersedes_and_links(province, rated, staff):
    """A replacement takes the next number, links to the one it replaces, marks it."""
    first = issue(province.old_commune, staff)
    with pytest.raises(ValidationError):
        issue(province.old_commune, staff, supersedes=first, reason="  ")
    second = issue(province.old_commune, staff, supersedes=first, reason="Quyết định số 5")
    first.refresh_from_db()
    assert second.number == "Số 02-BC/ĐU" and second.supersedes == first
    assert first.state == DocumentState.SUPERSEDED and first.superseded_by == second


def test_issue_requires_an_issuing_role(province, rated, district_reviewer):
    """A reviewer reads documents but does not issue them for the unit."""
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        issue(province.old_commune, district_reviewer)


def tiny_render(organization):
    """A minimal renderer for numbering tests: a one-line PDF/A carrying its manifest."""
    from assessments.reports import pdf

    def render(stamp):
        snapshot = {"n": stamp.serial}
        manifest = stamp.manifest(
            what="results",
            title="t",
            scope="s",
            organization=organization,
            year=2021,
            as_of=None,
            snapshot=snapshot,
        )
        content, _ = pdf.render_pdfa(
            "<p>x</p>", attachments=[pdf.EmbeddedFile(MANIFEST_NAME, manifest.to_bytes(), "m")]
        )
        return document_services.Rendering(
            pdf=content, snapshot=snapshot, title="t", scope="s", filename_stem="t"
        )

    return render


def test_numbers_restart_per_type_and_term(province):
    """Numbers run 01, 02… per document type and restart with a new committee term; a unit
    without a recorded term is numbered per year."""
    from cells.models import Term

    def take(organization, year, document_type, suffix="ĐU"):
        return document_services.document_issue(
            actor=None,
            organization=organization,
            year=year,
            kind="results",
            kind_label="Báo cáo",
            document_type=document_type,
            suffix=suffix,
            render=tiny_render(organization),
            check_permission=False,
        ).number

    commune = province.old_commune
    Term.objects.create(organization=commune, start_year=2020, end_year=2025)
    assert take(commune, 2021, "BC") == "Số 01-BC/ĐU"
    assert take(commune, 2022, "BC") == "Số 02-BC/ĐU"
    assert take(commune, 2022, "DS") == "Số 01-DS/ĐU"
    Term.objects.create(organization=commune, start_year=2026, end_year=2030)
    assert take(commune, 2026, "BC") == "Số 01-BC/ĐU"
    cell = province.foreign_cell
    assert take(cell, 2021, "BC", "CB") == "Số 01-BC/CB"
    assert take(cell, 2022, "BC", "CB") == "Số 01-BC/CB"


@pytest.mark.django_db(transaction=True)
def test_numbers_never_reused_nor_skipped_under_concurrent_issues(province):
    """Two issues at once on two connections get 01 and 02; a failed render gives its number
    back, so the next issue takes it (never skipped)."""
    commune = province.old_commune
    barrier = threading.Barrier(2)
    numbers, errors = [], []

    render = tiny_render(commune)

    def worker():
        try:
            barrier.wait(timeout=10)
            doc = document_services.document_issue(
                actor=None,
                organization=commune,
                year=2021,
                kind="results",
                kind_label="Báo cáo",
                document_type="BC",
                suffix="ĐU",
                render=render,
                check_permission=False,
            )
            numbers.append(doc.number)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(numbers) == ["Số 01-BC/ĐU", "Số 02-BC/ĐU"]

    def broken(stamp):
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        document_services.document_issue(
            actor=None,
            organization=commune,
            year=2021,
            kind="results",
            kind_label="Báo cáo",
            document_type="BC",
            suffix="ĐU",
            render=broken,
            check_permission=False,
        )
    third = document_services.document_issue(
        actor=None,
        organization=commune,
        year=2021,
        kind="results",
        kind_label="Báo cáo",
        document_type="BC",
        suffix="ĐU",
        render=render,
        check_permission=False,
    )
    assert third.number == "Số 03-BC/ĐU"
