"""Writing side of the register: numbers, issue, signed originals, trust roots.

`document_issue` is the one way a document gets a number; any kind of document (the reports
of assessments.reports, the forms and Mẫu 03…) calls it with a `render` callback that builds
the files for the number it is given. The counter row stays locked until the document row is
written, in one transaction: two concurrent issues get consecutive numbers, and a render that
fails rolls its number back, so numbers are never reused nor skipped.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.audit import audit_export, audit_record
from cells.models import Organization, Term

from . import signing
from .choices import DocumentState, SignatureRole
from .manifest import Manifest, sha256, snapshot_checksum
from .models import DocumentNumber, IssuedDocument, SignedOriginal, TrustRoot
from .permissions import can_issue_document

MAX_SIGNED_UPLOAD = 30 * 1024 * 1024


@dataclass(frozen=True)
class Stamp:
    """What the renderer of an issued document is given: its number and its date."""

    number: str  # "Số 03-BC/ĐU"
    serial: int
    issued_on: datetime.date

    def manifest(self, *, what, title, scope, organization, year, as_of, snapshot) -> Manifest:
        """The manifest to embed in the PDF of this issue."""
        return Manifest(
            number=self.number,
            what=what,
            title=title,
            scope=scope,
            organization_code=organization.code,
            year=year,
            issued_on=self.issued_on.isoformat(),
            as_of=as_of.isoformat() if as_of else "",
            snapshot_sha256=snapshot_checksum(snapshot),
        )


@dataclass
class Rendering:
    """The files of one issue, as the renderer made them for its stamp.

    `pdf` is the PDF/A-3 with the Excel twin and the manifest embedded; `field_boxes` says
    where the empty signature fields go (by role), when the renderer knows.
    """

    pdf: bytes
    snapshot: dict
    title: str
    scope: str
    filename_stem: str
    xlsx: bytes = b""
    as_of: datetime.datetime | None = None
    field_boxes: dict[str, signing.FieldBox] = field(default_factory=dict)


def term_for(organization: Organization, year: int) -> Term | None:
    return (
        Term.objects.filter(organization=organization, start_year__lte=year, end_year__gte=year)
        .order_by("-start_year")
        .first()
    )


def _counter_locked(*, organization, term, year, document_type) -> DocumentNumber:
    key = {
        "organization": organization,
        "term": term,
        "year": 0 if term else year,
        "document_type": document_type,
    }
    try:
        with transaction.atomic():
            DocumentNumber.objects.get_or_create(**key)
    except IntegrityError:
        pass  # created by a concurrent issue: lock it below
    return DocumentNumber.objects.select_for_update().get(**key)


def number_text(*, serial: int, document_type: str, suffix: str) -> str:
    """ "Số 12-BC/ĐU" (Hướng dẫn 36-HD/VPTW: two digits at least, hyphen after the number)."""
    return f"Số {serial:02d}-{document_type}/{suffix}"


def issue_check(
    *,
    actor,
    organization: Organization,
    kind: str,
    supersedes: IssuedDocument | None = None,
    reason: str = "",
    check_permission: bool = True,
) -> None:
    """What refuses an issue before anything is rendered: the actor's role, and a replacement
    of another unit's or kind's document, of one already replaced, or without a reason.
    Run when the issue is asked for (so the user is told at once) and again when it runs."""
    if check_permission and not can_issue_document(actor, organization):
        raise PermissionDenied(_("You may not issue documents of this unit."))
    if supersedes is None:
        return
    if supersedes.organization_id != organization.pk or supersedes.kind != kind:
        raise ValidationError(_("A document can only replace one of the same kind and unit."))
    if supersedes.state == DocumentState.SUPERSEDED:
        raise ValidationError(_("That document has already been replaced."))
    if not reason.strip():
        raise ValidationError(
            {"reason": _("Say why the document is replaced (e.g. the re-rating decision).")}
        )


@transaction.atomic
def document_issue(
    *,
    actor,
    organization: Organization,
    year: int,
    kind: str,
    kind_label: str,
    document_type: str,
    suffix: str,
    render: Callable[[Stamp], Rendering],
    issued_on: datetime.date | None = None,
    supersedes: IssuedDocument | None = None,
    supersede_reason: str = "",
    check_permission: bool = True,
) -> IssuedDocument:
    """Issue a document: give it the next number, freeze its snapshot, store its files.

    `render(stamp)` builds the PDF/A for the number given (and its snapshot); this service
    adds the empty signature fields, checks the manifest inside the PDF against the snapshot
    and writes the register row and the audit row. `supersedes` (a re-rating) marks the
    replaced document superseded and links the two; a reason is required.
    """
    if supersedes is not None:
        supersedes = IssuedDocument.objects.select_for_update().get(pk=supersedes.pk)
    issue_check(
        actor=actor,
        organization=organization,
        kind=kind,
        supersedes=supersedes,
        reason=supersede_reason,
        check_permission=check_permission,
    )
    term = term_for(organization, year)
    counter = _counter_locked(
        organization=organization, term=term, year=year, document_type=document_type
    )
    serial = counter.next_number
    stamp = Stamp(
        number=number_text(serial=serial, document_type=document_type, suffix=suffix),
        serial=serial,
        issued_on=issued_on or timezone.localdate(),
    )
    rendering = render(stamp)
    checksum = snapshot_checksum(rendering.snapshot)
    manifest = Manifest.from_bytes(
        signing.embedded_files(rendering.pdf).get(signing.MANIFEST_NAME, b"")
    )
    if manifest.snapshot_sha256 != checksum or manifest.number != stamp.number:
        # A renderer bug, never the user's: the file would not verify once signed.
        raise RuntimeError("The rendered PDF does not carry the manifest of its snapshot.")
    pdf = signing.add_signature_fields(rendering.pdf, rendering.field_boxes)
    document = IssuedDocument(
        organization=organization,
        year=year,
        kind=kind,
        kind_label=str(kind_label),
        document_type=document_type,
        term=term,
        counter_year=0 if term else year,
        serial=serial,
        number=stamp.number,
        title=rendering.title[:500],
        issued_on=stamp.issued_on,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
        scope=rendering.scope[:255],
        data_as_of=rendering.as_of,
        snapshot=rendering.snapshot,
        snapshot_sha256=checksum,
        pdf_sha256=sha256(pdf),
        filename_stem=rendering.filename_stem[:200],
        supersedes=supersedes,
        supersede_reason=supersede_reason.strip(),
    )
    token = secrets.token_hex(16)
    document.pdf.save(f"{token}.pdf", ContentFile(pdf), save=False)
    if rendering.xlsx:
        document.xlsx.save(f"{token}.xlsx", ContentFile(rendering.xlsx), save=False)
    document.save()
    counter.next_number = serial + 1
    counter.save(update_fields=["next_number", "updated_at"])
    if supersedes is not None:
        supersedes.state = DocumentState.SUPERSEDED
        supersedes.save(update_fields=["state"])
        audit_record(
            actor=actor,
            action="document.supersede",
            instance=supersedes,
            organization=organization,
            changes={"superseded_by": document.number, "reason": document.supersede_reason},
        )
    audit_record(
        actor=actor,
        action="document.issue",
        instance=document,
        organization=organization,
        changes={
            "number": document.number,
            "kind": kind,
            "year": year,
            "snapshot_sha256": checksum,
            "pdf_sha256": document.pdf_sha256,
        },
    )
    return document


def document_download(*, actor, document: IssuedDocument, what: str = "pdf") -> None:
    """Record that `actor` took a file of an issued document (member data leaves the system)."""
    audit_export(
        actor=actor,
        what=f"document_{what}",
        organization=document.organization,
        filename=f"{document.filename_stem}.{what}",
        filters={"document": document.pk, "number": document.number},
    )


def trust_roots_active() -> list:
    return [
        signing.load_certificate(root.certificate_pem.encode())
        for root in TrustRoot.objects.filter(is_active=True)
    ]


def signed_original_upload(
    *, actor, document: IssuedDocument, content: bytes, now: datetime.datetime | None = None
) -> SignedOriginal:
    """Verify a signed copy and keep it as the document's electronic original.

    A refused file is not stored; the refusal is audited with its reason and raised as a
    ValidationError whose message says why (in the user's language). Verification runs before
    the transaction, so its audit row is kept and no lock is held while pyHanko works.
    """
    if not can_issue_document(actor, document.organization):
        raise PermissionDenied(_("You may not upload documents of this unit."))
    if len(content) > MAX_SIGNED_UPLOAD:
        raise ValidationError(_("The file is larger than 30 MB."), code="too_large")
    with document.pdf.open("rb") as fh:
        issued_pdf = fh.read()
    result = signing.verify_signed_copy(
        content=content,
        issued_pdf=issued_pdf,
        snapshot_sha256=document.snapshot_sha256,
        number=document.number,
        issued_at=document.issued_at,
        trust_roots=trust_roots_active(),
        now=now,
    )
    if not result.ok:
        _audit_refusal(actor=actor, document=document, result=result, content=content)
        raise ValidationError(result.reason, code=result.code)
    return _original_save(actor=actor, document=document, content=content, result=result)


@transaction.atomic
def _original_save(*, actor, document, content, result) -> SignedOriginal:
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if document.state == DocumentState.SUPERSEDED:
        raise ValidationError(
            _("This document has been replaced: sign the one that replaced it."), code="state"
        )
    signer = result.by_role(SignatureRole.SIGNER)
    org = result.by_role(SignatureRole.ORGANIZATION)
    original = SignedOriginal(
        document=document,
        sha256=sha256(content),
        signer_name=signer.signer if signer else "",
        organization_name=(org.organization or org.signer) if org else "",
        signed_at=max(s.signed_at for s in result.signatures),
        signatures=[s.as_json() for s in result.signatures],
        result=_(
            "Valid: every signature is intact, covers the whole document and chains to a "
            "trusted root."
        ),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    original.file.save(f"{secrets.token_hex(16)}.pdf", ContentFile(content), save=False)
    original.save()
    document.state = DocumentState.SIGNED
    document.save(update_fields=["state"])
    audit_record(
        actor=actor,
        action="document.sign_upload",
        instance=document,
        organization=document.organization,
        changes={
            "sha256": original.sha256,
            "signer": original.signer_name,
            "organization": original.organization_name,
            "signed_at": original.signed_at.isoformat(),
        },
    )
    return original


def _audit_refusal(*, actor, document, result, content) -> None:
    audit_record(
        actor=actor,
        action="document.sign_refused",
        instance=document,
        organization=document.organization,
        changes={"code": result.code, "sha256": hashlib.sha256(content).hexdigest()},
        comment=result.reason[:500],
    )


def trustroot_load(*, actor, name: str, content: bytes) -> TrustRoot:
    """Add (or re-activate) a trusted root certificate from PEM or DER bytes."""
    try:
        cert = signing.load_certificate(content)
    except ValueError as exc:
        raise ValidationError(_("The file is not an X.509 certificate.")) from exc
    fingerprint = hashlib.sha256(cert.dump()).hexdigest()
    from asn1crypto import pem

    root, created = TrustRoot.objects.update_or_create(
        fingerprint_sha256=fingerprint,
        defaults={
            "name": name or cert.subject.human_friendly[:255],
            "certificate_pem": pem.armor("CERTIFICATE", cert.dump()).decode(),
            "subject": cert.subject.human_friendly[:500],
            "not_after": cert["tbs_certificate"]["validity"]["not_after"].native,
            "is_active": True,
        },
    )
    audit_record(
        actor=actor,
        action="document.trustroot_add" if created else "document.trustroot_update",
        instance=root,
        changes={"fingerprint": fingerprint, "subject": root.subject},
    )
    return root


def upload_success_message(document: IssuedDocument) -> str:
    return _("The signed copy of %(number)s was verified and kept as its electronic original.") % {
        "number": document.number
    }
