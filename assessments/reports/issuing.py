"""Issuing a report as an official document (issue, then sign: Quy định 379-QĐ/TW).

A report centre job renders a draft. Issuing is the staff action taken once the results the
report shows are decided: documents.services.document_issue gives the number (once), and
the `render` callback here builds the document for that number, freezes its snapshot (the
numbers it prints), and `issued_rendering` renders the PDF/A-3 with the Excel twin and the
data manifest embedded and room for the two signatures. Forms and other documents issue
through the same service with their own callback, calling `issued_rendering` on their HTML.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.models import Organization
from documents import services as document_services
from documents.choices import SignatureRole
from documents.manifest import MANIFEST_NAME
from documents.models import IssuedDocument
from documents.signing import FieldBox

from ..models import ReportJob
from . import context, services, xlsx

Kind = ReportJob.Kind
ISSUABLE_KINDS = tuple(context.DOCUMENT_TYPES)
SIGNATURE_ANCHOR = "sig-space"
# Parts of a body that are not content of the document (drawn from the rest, or constant).
_NOT_CONTENT = frozenset({"scheme", "chart_svg", "charts", "statistics"})
# Steps of an issue as its job shows them: data, print page, PDF/A, signature fields + register.
ISSUE_STEPS = 4


def _plain(value):
    """JSON-ready copy of a body value (dataclasses, lists, tuples, dicts, Decimals, dates)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _NOT_CONTENT
        }
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def document_snapshot(document: context.ReportDocument) -> dict:
    """The frozen content of an issued report: its header and every number it prints."""
    header = document.header
    return {
        "kind": document.kind,
        "organization": document.organization.code,
        "year": document.year,
        "header": {
            "superior": header.superior,
            "issuer": header.issuer,
            "number": header.number,
            "date": header.day.isoformat(),
            "type": header.doc_type,
            "summary": header.summary,
            "on_behalf": header.on_behalf,
            "signer": header.signer_name,
            "recipients": list(header.recipients),
        },
        "as_of": document.footer.as_of.isoformat() if document.footer.as_of else "",
        "tables": [
            {
                "title": view.table.title,
                "columns": [c.label for c in view.columns],
                "rows": view.rows,
                "total": view.total,
            }
            for view in document.tables
        ],
        "body": _plain(document.body),
    }


def check_issuable(kind: str) -> None:
    if kind not in ISSUABLE_KINDS:
        raise ValidationError(_("This report is not an official document: it takes no number."))


def _check_decided(document: context.ReportDocument) -> None:
    if document.header.undecided:
        raise ValidationError(
            _(
                "The results this report shows are not all decided yet: it can be issued once "
                "the competent committee has decided them. Make a draft in the meantime."
            ),
            code="undecided",
        )


def _field_boxes(anchor) -> dict[str, FieldBox]:
    """The two signature boxes over the signer's blank space: the organization's (its seal)
    on the left half, the signer's on the right, as on paper."""
    if anchor is None:
        return {}
    left, bottom, right, top = anchor.box
    middle = (left + right) / 2
    return {
        SignatureRole.ORGANIZATION: FieldBox(page=anchor.page, box=(left, bottom, middle - 2, top)),
        SignatureRole.SIGNER: FieldBox(page=anchor.page, box=(middle + 2, bottom, right, top)),
    }


def issued_rendering(
    *,
    stamp: document_services.Stamp,
    html: str,
    what: str,
    title: str,
    scope: str,
    organization: Organization,
    year: int,
    as_of: datetime.datetime | None,
    snapshot: dict,
    filename_stem: str,
    xlsx: bytes = b"",
) -> document_services.Rendering:
    """The files of an issued document from its print HTML (already carrying `stamp.number`):
    PDF/A-3 with the Excel twin (when given) and the manifest embedded, and the signature
    fields placed over the element with id "sig-space" (templates' _signature.html).

    The one way any document kind (reports here; forms, Mẫu 03…) turns its HTML into an
    issued file, inside the `render` callback it gives documents.services.document_issue.
    """
    # WeasyPrint takes seconds to load: only where a PDF is made (a worker), not at import
    # (the worker imports this module through its tasks, the web through its views).
    from . import pdf

    manifest = stamp.manifest(
        what=what,
        title=title,
        scope=scope,
        organization=organization,
        year=year,
        as_of=as_of,
        snapshot=snapshot,
    )
    attachments = []
    if xlsx:
        attachments.append(
            pdf.EmbeddedFile(
                name=f"{filename_stem}.xlsx",
                content=xlsx,
                description="Bảng số liệu Excel của văn bản",
            )
        )
    attachments.append(
        pdf.EmbeddedFile(
            name=MANIFEST_NAME,
            content=manifest.to_bytes(),
            description="Bảng kê dữ liệu: văn bản, phạm vi, thời điểm số liệu, mã kiểm tra",
        )
    )
    content, anchors = pdf.render_pdfa(html, attachments=attachments, anchors=(SIGNATURE_ANCHOR,))
    return document_services.Rendering(
        pdf=content,
        snapshot=snapshot,
        title=title,
        scope=scope,
        filename_stem=f"{filename_stem}-{stamp.serial:02d}",
        xlsx=xlsx,
        as_of=as_of,
        field_boxes=_field_boxes(anchors.get(SIGNATURE_ANCHOR)),
    )


def report_issue(
    *,
    actor,
    kind: str,
    organization: Organization,
    year: int,
    day: datetime.date | None = None,
    supersedes: IssuedDocument | None = None,
    reason: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> IssuedDocument:
    """Issue a report of a unit and year: numbered once, frozen, PDF/A-3 ready to sign.

    Refused (ValidationError) when the kind takes no number or its results are undecided.
    `progress(done, ISSUE_STEPS)` is told each step (the issue job shows it); the last step,
    the signature fields and the register row, ends when this returns.
    """
    check_issuable(kind)
    step = progress or (lambda done, total: None)
    step(0, ISSUE_STEPS)
    day = day or timezone.localdate()
    exported_by = (actor.get_full_name() or actor.get_username()) if actor else "partybuild"
    names = context.naming_of(organization, day)

    def render(stamp: document_services.Stamp) -> document_services.Rendering:
        document = context.build_document(
            kind=kind,
            organization=organization,
            year=year,
            number=stamp.number,
            exported_by=exported_by,
            day=stamp.issued_on,
        )
        _check_decided(document)
        step(1, ISSUE_STEPS)
        html = services.report_html(document)
        step(2, ISSUE_STEPS)
        rendering = issued_rendering(
            stamp=stamp,
            html=html,
            what=kind,
            title=f"{document.header.doc_type} {document.header.summary}",
            scope=document.footer.scope,
            organization=organization,
            year=year,
            as_of=document.footer.as_of,
            snapshot=document_snapshot(document),
            filename_stem=document.filename_stem,
            xlsx=xlsx.document_xlsx(document),
        )
        step(3, ISSUE_STEPS)
        return rendering

    return document_services.document_issue(
        actor=actor,
        organization=organization,
        year=year,
        kind=kind,
        kind_label=Kind(kind).label,
        document_type=context.DOCUMENT_TYPES[kind],
        suffix=names.suffix,
        render=render,
        issued_on=day,
        supersedes=supersedes,
        supersede_reason=reason,
    )
