"""Sign-ready PDFs and the verification of signed copies (pyHanko, pyhanko-certvalidator).

The server never holds a key (Quy định 379-QĐ/TW, DOMAIN §4.4): it adds *empty* signature
fields to the issued PDF, and when the signed file comes back it checks, in this order, that
the file is a PDF carrying the issued document (the manifest's snapshot checksum, and the
issued bytes untouched as its first revision), that every expected field is signed, that each
signature is intact and covers the whole document (later revisions may only add signatures),
that its signing time falls between the issue and now, and that its certificate chains to a
trust root the administrator configured. The first failure is returned in Vietnamese.
"""

from __future__ import annotations

import datetime
import io
import logging
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata import model as metadata_model
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from .choices import SIGNATURE_FIELDS, SignatureRole
from .manifest import MANIFEST_NAME, Manifest

logger = logging.getLogger(__name__)

ROLE_TEXT = {
    SignatureRole.SIGNER: lambda: gettext_lazy("the signer's signature"),
    SignatureRole.ORGANIZATION: lambda: gettext_lazy("the organization's signature"),
}
# A signer's PC clock may run a little ahead of the server's.
CLOCK_SKEW = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class FieldBox:
    """Where an empty signature field sits: page index and its rectangle in PDF points."""

    page: int
    box: tuple[float, float, float, float]


def add_signature_fields(pdf: bytes, boxes: dict[str, FieldBox]) -> bytes:
    """`pdf` with one empty signature field per role, appended as an incremental update so
    the rendered PDF/A revision stays byte for byte what it was."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    _producer_as_in_xmp(writer)
    for role in (SignatureRole.SIGNER, SignatureRole.ORGANIZATION):
        name = SIGNATURE_FIELDS[role]
        where = boxes.get(role)
        spec = (
            SigFieldSpec(name, on_page=where.page, box=where.box)
            if where is not None
            else SigFieldSpec(name, on_page=-1)
        )
        append_signature_field(writer, spec)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _producer_as_in_xmp(writer: IncrementalPdfFileWriter) -> None:
    """Keep the document information and the XMP metadata saying the same producer.

    pyHanko writes its own name as the XMP pdf:Producer of the update but appends it to the
    information dictionary's ("WeasyPrint 70.0; pyHanko …"); PDF/A requires the two equal,
    so the update's /Producer is pyHanko's name alone (checked by tests/documents)."""
    try:
        info_ref = writer.prev.trailer_view.raw_get("/Info")
    except KeyError:
        return  # no information dictionary: the XMP alone says it
    info = info_ref.get_object()
    info["/Producer"] = generic.TextStringObject(metadata_model.VENDOR)
    writer.mark_update(info_ref)


def signature_field_names(pdf: bytes) -> list[str]:
    """The signature fields of a PDF (signed or not), read back with pypdf."""
    reader = PdfReader(io.BytesIO(pdf))
    fields = reader.get_fields() or {}
    return sorted(name for name, f in fields.items() if f.get("/FT") == "/Sig")


def embedded_files(pdf: bytes) -> dict[str, bytes]:
    """The attachments of a PDF by name (the first when a name repeats)."""
    reader = PdfReader(io.BytesIO(pdf))
    return {name: contents[0] for name, contents in reader.attachments.items() if contents}


def load_certificate(pem_or_der: bytes) -> asn1_x509.Certificate:
    """A certificate from PEM or DER; ValueError when it is neither."""
    from asn1crypto import pem

    data = pem_or_der
    if pem.detect(data):
        _type, _headers, data = pem.unarmor(data)
    try:
        cert = asn1_x509.Certificate.load(data)
        cert.native  # noqa: B018  (parse now: a malformed file fails here, not later)
    except Exception as exc:
        raise ValueError("not a certificate") from exc
    return cert


@dataclass
class SignatureFound:
    role: str
    field_name: str
    signer: str
    organization: str
    issuer: str
    signed_at: datetime.datetime

    def as_json(self) -> dict:
        return {
            "role": self.role,
            "field": self.field_name,
            "signer": self.signer,
            "organization": self.organization,
            "issuer": self.issuer,
            "signed_at": self.signed_at.isoformat(),
        }


@dataclass
class Verification:
    ok: bool
    reason: str = ""
    code: str = ""
    signatures: list[SignatureFound] = field(default_factory=list)

    def by_role(self, role: str) -> SignatureFound | None:
        return next((s for s in self.signatures if s.role == role), None)


def _refuse(code: str, reason: str, signatures=None) -> Verification:
    return Verification(ok=False, code=code, reason=reason, signatures=signatures or [])


def _name_of(cert: asn1_x509.Certificate) -> tuple[str, str]:
    subject = cert.subject.native
    return subject.get("common_name", "") or cert.subject.human_friendly, subject.get(
        "organization_name", ""
    )


def verify_signed_copy(
    *,
    content: bytes,
    issued_pdf: bytes,
    snapshot_sha256: str,
    number: str,
    issued_at: datetime.datetime,
    trust_roots: list[asn1_x509.Certificate],
    now: datetime.datetime | None = None,
) -> Verification:
    """Check a signed copy of an issued document; the first failure says why in Vietnamese."""
    now = now or timezone.now()
    if not content.startswith(b"%PDF-"):
        return _refuse("not_pdf", _("The uploaded file is not a PDF."))
    try:
        manifest = Manifest.from_bytes(embedded_files(content)[MANIFEST_NAME])
    except (KeyError, ValueError, PdfReadError, OSError):
        return _refuse(
            "no_manifest",
            _(
                "The file carries no data manifest of an issued document: it is not a copy "
                "issued by this system."
            ),
        )
    if manifest.snapshot_sha256 != snapshot_sha256:
        return _refuse(
            "other_content",
            _(
                "The signed file is the content of another document (%(other)s), not of "
                "%(number)s: the data checksum does not match."
            )
            % {"other": manifest.number or "?", "number": number},
        )
    if not content.startswith(issued_pdf):
        return _refuse(
            "content_changed",
            _(
                "The file's content differs from the issued file: only add signatures to the "
                "downloaded file, do not edit or re-create it."
            ),
        )
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError) as exc:
        logger.info("Unreadable signed copy: %s", exc)
        return _refuse("unreadable", _("The signatures in the PDF cannot be read."))
    if not embedded:
        return _refuse("unsigned", _("The file carries no digital signature."))
    roles = {name: role for role, name in SIGNATURE_FIELDS.items()}
    context = ValidationContext(
        trust_roots=trust_roots,
        allow_fetching=False,
        # A closed network has no revocation service to ask: revocation is checked when the
        # signature carries its own revocation data, never fetched.
        revocation_mode="soft-fail",
        moment=now,
    )
    found: list[SignatureFound] = []
    for sig in embedded:
        label = roles.get(sig.field_name, sig.field_name)
        role_text = (
            ROLE_TEXT[label]()
            if label in ROLE_TEXT
            else (_("the signature in field %(field)s") % {"field": sig.field_name})
        )
        try:
            status = validate_pdf_signature(sig, signer_validation_context=context)
        except (SignatureValidationError, PdfError, ValueError) as exc:
            logger.info("Signature %s could not be validated: %s", sig.field_name, exc)
            return _refuse(
                "invalid",
                _("%(what)s cannot be checked: the signature is damaged.") % {"what": role_text},
                found,
            )
        if not status.intact or not status.valid:
            return _refuse(
                "altered",
                _("The file was altered after signing: %(what)s no longer matches its content.")
                % {"what": role_text},
                found,
            )
        whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
            status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
            and status.modification_level is not None
            and status.modification_level <= ModificationLevel.FORM_FILLING
        )
        if not whole:
            return _refuse(
                "not_whole",
                _(
                    "%(what)s does not cover the whole document: content was added or changed "
                    "after signing."
                )
                % {"what": capfirst(role_text)},
                found,
            )
        signed_at = status.signer_reported_dt
        if status.timestamp_validity is not None:
            signed_at = status.timestamp_validity.timestamp
        if signed_at is None:
            return _refuse(
                "no_time", _("%(what)s has no signing time.") % {"what": capfirst(role_text)}, found
            )
        if signed_at < issued_at - CLOCK_SKEW or signed_at > now + CLOCK_SKEW:
            return _refuse(
                "bad_time",
                _("The signing time (%(at)s) is not between the issue of the document and now.")
                % {"at": timezone.localtime(signed_at).strftime("%H:%M %d/%m/%Y")},
                found,
            )
        if not status.trusted:
            return _refuse(
                "untrusted",
                _(
                    "The certificate of %(what)s does not chain to a trusted root certificate "
                    "configured by the administrator."
                )
                % {"what": role_text},
                found,
            )
        signer, organization = _name_of(status.signing_cert)
        found.append(
            SignatureFound(
                role=label,
                field_name=sig.field_name,
                signer=signer,
                organization=organization,
                issuer=status.signing_cert.issuer.human_friendly,
                signed_at=signed_at,
            )
        )
    missing = [
        role
        for role in (SignatureRole.SIGNER, SignatureRole.ORGANIZATION)
        if not any(s.role == role for s in found)
    ]
    if missing:
        what = _(" and ").join(str(ROLE_TEXT[r]()) for r in missing)
        return _refuse(
            "missing",
            _(
                "An electronic original needs the digital signatures of the signer and of the "
                "organization: %(what)s is missing."
            )
            % {"what": what},
            found,
        )
    return Verification(ok=True, signatures=found)
