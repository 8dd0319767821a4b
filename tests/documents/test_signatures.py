"""Upload the signed original, verified (issue #18): pyHanko checks that each signature is
intact and covers the whole document, that the content is the one issued, the signing time
and the chain to the administrator's trust roots; a refusal says why in Vietnamese."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from assessments.reports import issuing
from cells.models import AuditEntry
from documents import services
from documents.choices import SIGNATURE_FIELDS, DocumentState, SignatureRole
from documents.models import SignedOriginal, TrustRoot

from . import ca as test_ca
from .conftest import sign_both

DAY = datetime.date(2021, 12, 15)


@pytest.fixture
def issued(province, rated, staff):
    return issuing.report_issue(
        actor=staff, kind="results", organization=province.old_commune, year=2021, day=DAY
    )


def pdf_of(document) -> bytes:
    with document.pdf.open("rb") as fh:
        return fh.read()


def refused(document, staff, content) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        services.signed_original_upload(actor=staff, document=document, content=content)
    return caught.value


def test_signed_by_test_ca_verifies_and_is_kept(issued, staff, authority, trusted):
    """Both signatures by test-CA certificates: kept as the original with signer,
    organization, time and result; the document becomes signed; audited."""
    signed = sign_both(pdf_of(issued), authority)
    original = services.signed_original_upload(actor=staff, document=issued, content=signed)
    issued.refresh_from_db()
    assert issued.state == DocumentState.SIGNED
    assert original.signer_name == "Nguyễn Văn Bí Thư"
    assert original.organization_name == "Đảng ủy xã An Hòa"
    assert {s["role"] for s in original.signatures} == {"signer", "organization"}
    assert abs(original.signed_at - issued.issued_at) < datetime.timedelta(minutes=5)
    assert original.result.startswith("Hợp lệ")
    assert original.file.open("rb").read() == signed
    assert AuditEntry.objects.filter(action="document.sign_upload").count() == 1


def test_altered_after_signing_is_refused(issued, staff, authority, trusted):
    """A byte changed inside the signed content: the signature no longer matches."""
    signed = bytearray(sign_both(pdf_of(issued), authority))
    at = signed.index(b"/Producer") + 2  # inside the first, signed, revision
    signed[at] = ord("X") if signed[at] != ord("X") else ord("Y")
    error = refused(issued, staff, bytes(signed))
    assert error.code in {"altered", "content_changed"}


def test_content_appended_after_signing_is_refused(issued, staff, authority, trusted):
    """An incremental update after the last signature that changes content: not covered."""
    import io

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    signed = sign_both(pdf_of(issued), authority)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0]
    page_obj = page.get_object()
    page_obj["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page_obj)
    out = io.BytesIO()
    writer.write(out)
    error = refused(issued, staff, out.getvalue())
    assert error.code == "not_whole"
    assert "không bao trùm toàn bộ văn bản" in error.messages[0]


def test_untrusted_key_is_refused(issued, staff, authority, trusted):
    """A signer whose certificate comes from a CA the administrator did not load."""
    rogue_ca = test_ca.make_ca("Rogue CA")
    rogue = test_ca.make_signer(rogue_ca, "Kẻ Mạo Danh")
    content = pdf_of(issued)
    content = test_ca.sign(
        content, field=SIGNATURE_FIELDS[SignatureRole.SIGNER], who=rogue, ca=rogue_ca
    )
    content = test_ca.sign(
        content,
        field=SIGNATURE_FIELDS[SignatureRole.ORGANIZATION],
        who=authority["organization"],
        ca=authority["root"],
    )
    error = refused(issued, staff, content)
    assert error.code == "untrusted"
    assert "chứng thư gốc tin cậy" in error.messages[0]
    entry = AuditEntry.objects.get(action="document.sign_refused")
    assert entry.changes["code"] == "untrusted"
    assert not SignedOriginal.objects.exists()


def test_no_trust_root_configured_refuses(issued, staff, authority):
    """Without any trust root loaded, nothing verifies."""
    assert not TrustRoot.objects.exists()
    assert refused(issued, staff, sign_both(pdf_of(issued), authority)).code == "untrusted"


def test_signed_over_another_documents_content_is_refused(
    province, issued, staff, authority, trusted
):
    """A correctly signed file of another document (here its replacement) uploaded to this
    one: the manifest's checksum is another document's."""
    other = issuing.report_issue(
        actor=staff,
        kind="proposals",
        organization=province.old_commune,
        year=2021,
        day=DAY,
    )
    error = refused(issued, staff, sign_both(pdf_of(other), authority))
    assert error.code == "other_content"
    assert other.number in error.messages[0] and "văn bản khác" in error.messages[0]


def test_one_signature_missing_is_refused(issued, staff, authority, trusted):
    """The signer signed but the organization did not."""
    content = test_ca.sign(
        pdf_of(issued),
        field=SIGNATURE_FIELDS[SignatureRole.SIGNER],
        who=authority["signer"],
        ca=authority["root"],
    )
    error = refused(issued, staff, content)
    assert error.code == "missing" and "chữ ký của tổ chức" in error.messages[0]


def test_unsigned_and_not_pdf_are_refused(issued, staff, trusted):
    assert refused(issued, staff, pdf_of(issued)).code == "unsigned"
    assert refused(issued, staff, b"hello").code == "not_pdf"


def test_signing_time_before_issue_is_refused(issued, staff, authority, trusted):
    """A signature whose signing time precedes the issue of the document (here the register
    says it was issued an hour after the signing) is refused."""
    from documents.models import IssuedDocument

    signed = sign_both(pdf_of(issued), authority)
    later = issued.issued_at + datetime.timedelta(hours=1)
    IssuedDocument.objects.filter(pk=issued.pk).update(issued_at=later)
    issued.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.signed_original_upload(
            actor=staff, document=issued, content=signed, now=later + datetime.timedelta(hours=1)
        )
    assert caught.value.code == "bad_time"
    assert "Thời điểm ký" in caught.value.messages[0]


def test_trustroot_load_command_and_refusal(tmp_path, db, authority):
    """An administrator loads the CA certificate with the command; a non-certificate fails."""
    path = tmp_path / "ca.pem"
    path.write_bytes(authority["root"].pem)
    call_command("trustroot_load", str(path), name="Ban Cơ yếu (thử)")
    root = TrustRoot.objects.get()
    assert root.name == "Ban Cơ yếu (thử)" and root.is_active and "Test Root CA" in root.subject
    bad = tmp_path / "bad.pem"
    bad.write_bytes(b"not a certificate")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("trustroot_load", str(bad))


def test_register_upload_view_shows_reason_and_register(
    province, issued, staff, authority, trusted, client
):
    """Through the UI: a refused upload shows why; a verified one appears in the register;
    another unit's user gets a 404 for the document."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cells.choices import Role
    from tests import factories

    client.force_login(staff)
    url = reverse("documents:signedoriginal_upload", args=[issued.pk])
    bad = client.post(url, {"file": SimpleUploadedFile("x.pdf", pdf_of(issued))})
    assert bad.status_code == 400
    assert "Tệp chưa có chữ ký số nào." in bad.content.decode()
    signed = sign_both(pdf_of(issued), authority)
    ok = client.post(url, {"file": SimpleUploadedFile("x.pdf", signed)})
    assert ok.status_code == 302
    register = client.get(reverse("documents:issueddocument_list"), {"q": "01-BC"})
    page = register.content.decode()
    assert "Số 01-BC/ĐU" in page and "Đã ký (bản gốc điện tử)" in page
    stranger = factories.user_with_role(province.other_province, Role.ADMIN, username="x2")
    client.force_login(stranger)
    detail = reverse("documents:issueddocument_detail", args=[issued.pk])
    assert client.get(detail).status_code == 404
    assert (
        "Số 01-BC/ĐU" not in client.get(reverse("documents:issueddocument_list")).content.decode()
    )
