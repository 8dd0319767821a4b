"""Reports: the kinds, formats and states of a job, and rendering a draft (`report_render`)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from cells.models import Organization

from ...models import ReportJob
from .. import context, xlsx
from ..formatting import nfc

Kind = ReportJob.Kind
Format = ReportJob.Format
State = ReportJob.State
QUEUED = frozenset({State.PENDING})
RUNNING = frozenset({State.RUNNING})
ACTIVE = QUEUED | RUNNING
# Kinds offered for a province batch: one report per commune-level unit.
BATCH_KINDS = (Kind.RESULTS, Kind.SUMMARY)
STEPS = 4  # data, HTML, file, saved
CONTENT_TYPES = {
    Format.PDF: "application/pdf",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.ZIP: "application/zip",
}


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


@dataclass(frozen=True)
class Piece:
    """One piece of a document cut between cells (the template reads it as `piece`)."""

    index: int
    count: int
    groups: list

    @property
    def first(self) -> bool:
        return self.index == 0

    @property
    def last(self) -> bool:
        return self.index == self.count - 1


def report_pieces_html(document: context.ReportDocument, runs: list[range]) -> list[str]:
    """The print pages of the pieces of a document cut into `runs` of its cell groups
    (pieces.cut): the same document, data and footer in every piece, no page numbers."""
    groups = document.body.groups
    pages = []
    with translation.override(settings.LANGUAGE_CODE):
        for index, run in enumerate(runs):
            piece = Piece(index=index, count=len(runs), groups=[groups[i] for i in run])
            html = render_to_string(document.template_name, {"doc": document, "piece": piece})
            pages.append(nfc(html))
    return pages


def page_numbers_pdf(*, pages: int, landscape: bool = False) -> bytes:
    """`pages` blank pages carrying only the print stylesheet's page numbers ("Trang x/y",
    and the number at the top from page 2), to stamp over a document joined from pieces."""
    from .. import pdf  # WeasyPrint only where a PDF is made

    html = render_to_string(
        "assessments/reports/_page_numbers.html", {"pages": range(pages), "landscape": landscape}
    )
    return pdf.render_pdf(html)


def report_render(
    *,
    kind: str,
    organization: Organization,
    year: int,
    fmt: str = Format.PDF,
    exported_by: str,
    day: datetime.date | None = None,
    include_proposals: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RenderedReport:
    """Render one report to bytes: the single code path of the worker and the command.

    The result is a draft: "DỰ THẢO" on its face and no number, however often it is made
    (numbers are given by issuing only).
    """
    step = progress or (lambda done, total: None)
    if kind not in Kind.values:
        raise context.ReportError(f"Unknown report kind {kind!r}")
    if fmt not in (Format.PDF, Format.XLSX):
        raise context.ReportError(f"Unknown format {fmt!r}")
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
    step(1, STEPS)
    if fmt == Format.XLSX:
        content = _xlsx(document)
    else:
        html = report_html(document)
        step(2, STEPS)
        # Imported here on purpose: WeasyPrint takes seconds to load, and only the worker that
        # renders a PDF needs it (not every web process).
        from .. import pdf

        content = pdf.render_pdf(html)
    step(3, STEPS)
    return RenderedReport(
        content=content,
        filename=f"{document.filename_stem}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
        number="",
        as_of=document.footer.as_of,
    )


def _xlsx(document: context.ReportDocument) -> bytes:
    return xlsx.document_xlsx(document)
