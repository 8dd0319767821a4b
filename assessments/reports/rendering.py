"""Rendering a report (the worker and the `render_report` command both call it) and the
document-number register it draws from."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from cells.models import Organization

from ..models import DocumentNumber, ReportJob
from . import context, xlsx
from .formatting import nfc

logger = logging.getLogger(__name__)

Kind = ReportJob.Kind
Format = ReportJob.Format
STEPS = 4  # data, HTML, file, saved
CONTENT_TYPES = {
    Format.PDF: "application/pdf",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.ZIP: "application/zip",
}


# --- document numbers ------------------------------------------------------------------------
@transaction.atomic
def document_number_next(*, organization: Organization, year: int, document_type: str) -> str:
    """Hand out the next number of a document type, e.g. "Số 12-BC/ĐU".

    Numbers restart at 01 for each type in each committee term (Hướng dẫn 36-HD/VPTW); a unit
    with no term recorded numbers per calendar year. The counter row is locked, so two
    workers rendering at once never get the same number.
    """
    term = context.term_for(organization, year)
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
        pass  # created by a concurrent call: lock it below
    counter = DocumentNumber.objects.select_for_update().get(**key)
    number = counter.next_number
    counter.next_number = number + 1
    counter.save(update_fields=["next_number", "updated_at"])
    abbreviation = context.document_abbreviation(organization)
    return f"Số {number:02d}-{document_type}/{abbreviation}"


# --- rendering -------------------------------------------------------------------------------
@dataclass
class RenderedReport:
    content: bytes
    filename: str
    content_type: str
    number: str
    as_of: datetime.datetime | None


def report_html(document: context.ReportDocument) -> str:
    """The print page of a report (NFC: the PDF renderer and the tests read the same text)."""
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(document.template_name, {"doc": document})
    return nfc(html)


def report_render(
    *,
    kind: str,
    organization: Organization,
    year: int,
    fmt: str = Format.PDF,
    exported_by: str,
    number: str | None = None,
    day: datetime.date | None = None,
    include_proposals: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RenderedReport:
    """Render one report to bytes: the single code path of the worker and the command.

    A numbered kind takes the next document number unless one is given (a retried job keeps
    the number it was first given).
    """
    step = progress or (lambda done, total: None)
    if kind not in Kind.values:
        raise context.ReportError(f"Unknown report kind {kind!r}")
    if fmt not in (Format.PDF, Format.XLSX):
        raise context.ReportError(f"Unknown format {fmt!r}")
    document_type = context.DOCUMENT_TYPES.get(kind)
    step(0, STEPS)
    document = context.build_document(
        kind=kind,
        organization=organization,
        year=year,
        number="",
        exported_by=exported_by,
        day=day,
        include_proposals=include_proposals,
    )
    if document_type and number is None:
        number = document_number_next(
            organization=organization, year=year, document_type=document_type
        )
    document.header.number = number or ""
    step(1, STEPS)
    if fmt == Format.XLSX:
        content = _xlsx(document)
    else:
        html = report_html(document)
        step(2, STEPS)
        # Imported here on purpose: WeasyPrint takes seconds to load, and only the worker that
        # renders a PDF needs it (not every web process).
        from . import pdf

        content = pdf.render_pdf(html)
    step(3, STEPS)
    return RenderedReport(
        content=content,
        filename=f"{document.filename_stem}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
        number=number or "",
        as_of=document.footer.as_of,
    )


def _xlsx(document: context.ReportDocument) -> bytes:
    return xlsx.document_xlsx(document)
