"""Long documents in pieces, rendered in parallel by the workers and joined (pikepdf).

- The pre-filled forms (and the meeting minutes) of a commune-level unit are per member (per
  cell): 1,700 forms in one WeasyPrint run take a quarter of an hour and ~2 GB, so that run
  was refused past REPORT_MAX_FORMS. Here the unit's document is planned as one piece per
  cell that holds members on 31/12 of the year; the report centre queues each piece as a
  part of a batch job (its progress shown per piece), and when the last piece is done the
  parts are joined into one PDF — and offered as a zip with one file per cell as well.
- The proposals list of a unit is one document (one header, the cells' lists, the quota
  summary and the signature at the end) numbered "Trang x/y" throughout: the first worker
  builds it once (one moment of the data for every piece), cuts it into a few pieces of
  whole cells, the pieces render in parallel without page numbers, and the join stamps the
  numbers of the whole document on every page (`stamp_page_numbers`).

The join reads the pieces from their files one at a time and writes the result to a file:
the memory it needs is the joined document's objects, never every piece's bytes at once.
"""

from __future__ import annotations

import datetime
import io
import re
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from typing import BinaryIO

import pikepdf
from django.db.models import Q

from cells.choices import CELL_TYPES
from cells.models import Membership, Organization

from ..models import ReportJob

Kind = ReportJob.Kind
# Kinds whose document is a sequence of per-cell sheets: they can be made piece by piece.
PIECE_KINDS = frozenset({Kind.SELF_REVIEW, Kind.MINUTES})
# Kinds that are one document cut into pieces of whole cells, numbered across the pieces.
CUT_KINDS = frozenset({Kind.PROPOSALS})


def is_cut(job: ReportJob) -> bool:
    """A batch that is one document cut in pieces (a part: whose batch is one)."""
    if job.batch_id is not None:
        return is_cut(job.batch)
    return job.is_batch and job.kind in CUT_KINDS and job.format == ReportJob.Format.PDF


def source_name(part_pk: int) -> str:
    """Where a piece of a cut document keeps its print page until it is rendered (under
    reports/, so the generated-files clean-up removes what a failed batch leaves)."""
    return f"reports/pieces/{part_pk}.html"


def is_landscape(pdf: BinaryIO) -> bool:
    """Whether the first page of a PDF is wider than high (the stamped numbers follow it)."""
    with pikepdf.open(pdf) as document:
        box = pikepdf.Rectangle(document.pages[0].mediabox)
    return box.width > box.height


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


def join_pdfs(parts: Iterable[bytes | str | BinaryIO], out: BinaryIO | None = None):
    """One PDF of the pieces, in order; with `out` (a file) written there and the page count
    returned, without, the joined bytes returned.

    Streamed: each piece is opened (pikepdf: qpdf parses it in C++), the objects its pages
    use are renumbered and written straight to `out`, and the piece is closed before the
    next is opened; only the output's byte offsets and page numbers stay in memory. Joining
    40 cells' forms (5,160 pages) in one writer held every piece's objects at once (1.5 GB
    with pypdf, 1.2 GB with pikepdf's own page copy), and pypdf's parsing in Python made the
    join the serial part of the forms (7.3 s for 516 pages; 0.8 s now: docs/benchmarks.md).
    Fonts and content streams are copied as stored, never decoded or re-encoded; a piece's
    outline and named destinations are not carried over (forms and lists have neither that a
    reader navigates by).
    """
    if out is None:
        buffer = io.BytesIO()
        join_pdfs(parts, buffer)
        return buffer.getvalue()
    writer = _StreamingJoin(out)
    for part in parts:
        writer.add(io.BytesIO(part) if isinstance(part, bytes) else part)
    return writer.finish()


# A reference "12 0 R" in qpdf's unparsed text of an object, or a literal string (matched
# whole, so that nothing inside a string is taken for a reference; qpdf escapes a string's
# parentheses, and writes binary strings in hex, where no " R" can occur). The look-behind
# keeps the digits of a name or a real number (/F12, 1.5) from starting a match.
_REFERENCE = re.compile(rb"\((?:[^\\)]|\\.)*\)|(?<![\w.#/+-])(\d+) (\d+) R")


class _StreamingJoin:
    """A minimal PDF writer for concatenating pages: objects 1 and 2 are the catalog and the
    page tree, written last; every other object is written as soon as its piece is read."""

    CATALOG, PAGES = 1, 2

    def __init__(self, out: BinaryIO):
        self.out = out
        self.start = out.tell()
        self.offsets: dict[int, int] = {}
        self.kids: list[int] = []
        self.next = 3
        self.out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def add(self, source: str | BinaryIO) -> None:
        with pikepdf.open(source) as piece:
            numbers: dict[tuple[int, int], int] = {}
            pending: list[tuple[int, int]] = []

            def number(objgen: tuple[int, int]) -> int:
                if objgen not in numbers:
                    numbers[objgen] = self.next
                    self.next += 1
                    pending.append(objgen)
                return numbers[objgen]

            def renumbered(text: bytes) -> bytes:
                def one(match: re.Match) -> bytes:
                    if match.group(1) is None:
                        return match.group(0)  # a string, as it is
                    return b"%d 0 R" % number((int(match.group(1)), int(match.group(2))))

                return _REFERENCE.sub(one, text) if b" R" in text else text

            pages = set()
            # qpdf's page list has put what a page inherits from its page tree (size,
            # resources) on the page itself: the piece's tree is not copied.
            for page in piece.pages:
                pages.add(page.obj.objgen)
                self.kids.append(number(page.obj.objgen))
            while pending:
                objgen = pending.pop()
                value = piece.get_object(objgen)
                if objgen in pages:
                    page = pikepdf.Dictionary(value)
                    if "/Parent" in page:
                        del page["/Parent"]
                    body = renumbered(page.unparse())
                    # The join's own page tree as the parent.
                    self._write(numbers[objgen], body[:-2] + b"/Parent %d 0 R >>" % self.PAGES)
                elif isinstance(value, pikepdf.Stream):
                    data = value.read_raw_bytes()  # as stored: compressed data stays compressed
                    head = pikepdf.Dictionary(value.stream_dict)
                    head["/Length"] = len(data)
                    self._write(numbers[objgen], renumbered(head.unparse()), data)
                else:
                    self._write(numbers[objgen], renumbered(value.unparse(resolved=True)))

    def _write(self, num: int, body: bytes, data: bytes | None = None) -> None:
        self.offsets[num] = self.out.tell() - self.start
        self.out.write(b"%d 0 obj\n" % num)
        self.out.write(body)
        if data is not None:
            self.out.write(b"\nstream\n")
            self.out.write(data)
            self.out.write(b"\nendstream")
        self.out.write(b"\nendobj\n")

    def finish(self) -> int:
        kids = b" ".join(b"%d 0 R" % n for n in self.kids)
        self._write(
            self.PAGES, b"<< /Type /Pages /Kids [ %s ] /Count %d >>" % (kids, len(self.kids))
        )
        self._write(self.CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>" % self.PAGES)
        xref = self.out.tell() - self.start
        lines = [b"xref\n0 %d\n" % self.next, b"0000000000 65535 f \n"]
        lines += [b"%010d 00000 n \n" % self.offsets[n] for n in range(1, self.next)]
        self.out.write(b"".join(lines))
        self.out.write(
            b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (self.next, self.CATALOG, xref)
        )
        return len(self.kids)


def cut(sizes: Sequence[int], pieces: int) -> list[range]:
    """Contiguous runs of items (cells, sized by their lines) in about `pieces` runs of about
    equal size, never splitting an item: the pieces of a document cut for parallel work."""
    if not sizes:
        return []
    pieces = max(1, min(pieces, len(sizes)))
    total = sum(sizes)
    runs, start, done = [], 0, 0
    for index, size in enumerate(sizes):
        done += size
        left_items = len(sizes) - index - 1
        left_runs = pieces - len(runs) - 1
        if left_runs and (done >= total * (len(runs) + 1) / pieces or left_items == left_runs):
            runs.append(range(start, index + 1))
            start = index + 1
    runs.append(range(start, len(sizes)))
    return [r for r in runs if len(r)]


def stamp_page_numbers(joined: BinaryIO, overlay: bytes, out: BinaryIO) -> int:
    """Lay the page numbers of the whole document (`overlay`: one page per page of `joined`,
    blank but for the numbers, rendered by WeasyPrint with the document's own @page rules)
    over the joined pieces, so "Trang x/y" runs across them. Returns the page count.

    Each numbers page is placed on its page as a form XObject (qpdf): the pages' own content
    streams are left as they are, not parsed and merged."""
    with pikepdf.open(joined) as document, pikepdf.open(io.BytesIO(overlay)) as numbers:
        if len(numbers.pages) != len(document.pages):
            raise ValueError(f"{len(numbers.pages)} numbered pages for {len(document.pages)} pages")
        for page, stamp in zip(document.pages, numbers.pages, strict=True):
            page.add_overlay(stamp, pikepdf.Rectangle(page.mediabox))
        document.save(out)
        return len(document.pages)


def zip_files(files: Iterable[tuple[str, bytes | BinaryIO]], out: BinaryIO | None = None):
    """A zip of (name, content or open file), stored (PDFs are compressed already). Files
    are copied in chunks; with `out` the zip is written there, else its bytes returned."""
    target = out if out is not None else io.BytesIO()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        used: set[str] = set()
        for name, content in files:
            stem, dot, ext = name.rpartition(".")
            unique, n = name, 1
            while unique in used:
                n += 1
                unique = f"{stem}-{n}{dot}{ext}"
            used.add(unique)
            if isinstance(content, bytes):
                archive.writestr(unique, content)
            else:
                with archive.open(unique, "w") as dest:
                    shutil.copyfileobj(content, dest, 1024 * 1024)
    return None if out is not None else target.getvalue()
