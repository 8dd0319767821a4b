"""Long documents in pieces: one piece per cell, rendered in parallel by the workers, joined.

The pre-filled forms (and the meeting minutes) of a commune-level unit are per member (per
cell): 1,700 forms in one WeasyPrint run take a quarter of an hour and ~2 GB, so that run was
refused past REPORT_MAX_FORMS. Here the unit's document is planned as one piece per cell
that holds members on 31/12 of the year; the report centre queues each piece as a part of a
batch job (its progress shown per piece), and when the last piece is done the parts are
joined into one PDF with pypdf — and offered as a zip with one file per cell as well.
"""

from __future__ import annotations

import datetime
import io
import zipfile

from django.db.models import Q
from pypdf import PdfWriter

from cells.choices import CELL_TYPES
from cells.models import Membership, Organization

from ..models import ReportJob

Kind = ReportJob.Kind
# Kinds whose document is a sequence of per-cell sheets: they can be made piece by piece.
PIECE_KINDS = frozenset({Kind.SELF_REVIEW, Kind.MINUTES})


def piece_units(*, organization: Organization, year: int) -> list[Organization]:
    """The cells under `organization` with members on 31/12 of `year`, in Vietnamese order —
    the pieces of its forms. Empty for a cell itself (its document is one piece)."""
    if organization.type in CELL_TYPES:
        return []
    day = datetime.date(year, 12, 31)
    with_members = (
        Membership.objects.filter(
            Q(start__isnull=True) | Q(start__lte=day),
            Q(end__isnull=True) | Q(end__gte=day),
            organization__path__startswith=organization.path,
        )
        .values("organization_id")
        .distinct()
    )
    return list(
        Organization.objects.filter(
            pk__in=with_members, type__in=CELL_TYPES, depth__gt=organization.depth
        ).order_by("name_sort_key", "path")
    )


def join_pdfs(parts: list[bytes]) -> bytes:
    """One PDF of the pieces, in order (pypdf; fonts and pages are copied, not re-rendered)."""
    writer = PdfWriter()
    for content in parts:
        writer.append(io.BytesIO(content))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_files(files: list[tuple[str, bytes]]) -> bytes:
    """A zip of (name, content), stored (PDFs are compressed already)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        used: set[str] = set()
        for name, content in files:
            stem, dot, ext = name.rpartition(".")
            unique, n = name, 1
            while unique in used:
                n += 1
                unique = f"{stem}-{n}{dot}{ext}"
            used.add(unique)
            archive.writestr(unique, content)
    return buffer.getvalue()
