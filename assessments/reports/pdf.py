"""HTML → PDF with WeasyPrint: the only module of the project that imports it.

Member records are sensitive and the servers sit on a closed network (DOMAIN §9), so the
renderer fetches nothing but our own static files: `StaticOnlyFetcher` answers URLs under the
report base URL's STATIC_URL from the static finders (the Be Vietnam Pro font, the print
stylesheet) and `data:` URLs; `file://`, `http(s)://` and everything else is refused.
"""

from __future__ import annotations

import gc
import io
import logging
import mimetypes
import re
import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from weasyprint import CSS, HTML, UA_STYLESHEET, Attachment
from weasyprint.css.counters import CounterStyle
from weasyprint.html import UA
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)
# WeasyPrint logs every rendering step at INFO; a worker's log needs its warnings only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# A host that never resolves: relative URLs in the report resolve against it, and the fetcher
# serves that host's /static/ tree from disk. Nothing is ever requested over the network.
BASE_HOST = "report.invalid"
BASE_URL = f"https://{BASE_HOST}/"


class FetchRefused(ValueError):
    """A URL the report may not load (WeasyPrint logs it and leaves the resource out)."""


class StaticOnlyFetcher(URLFetcher):
    """Serves our static files and `data:` URLs; refuses files elsewhere and the network."""

    def __init__(self):
        super().__init__(allowed_protocols=("https", "data"), allow_redirects=False)
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = self.static_path(url)
        if path is None:
            self.refused.append(url)
            logger.warning("Report renderer refused to fetch %s", url[:200])
            raise FetchRefused(f"Refused: {url[:200]}")
        self.fetched.append(url)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".woff":
            mime = "font/woff"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    @staticmethod
    def static_path(url: str) -> Path | None:
        """The file a static URL names, or None when the URL is not one of our static files."""
        parts = urlsplit(url)
        prefix = "/" + settings.STATIC_URL.strip("/") + "/"
        if parts.scheme != "https" or parts.netloc != BASE_HOST:
            return None
        if not parts.path.startswith(prefix) or parts.query:
            return None
        relative = unquote(parts.path[len(prefix) :])
        if not relative or ".." in Path(relative).parts or relative.startswith("/"):
            return None
        try:
            found = finders.find(relative)
        except SuspiciousFileOperation:
            return None
        if not found:
            return None
        path = Path(found).resolve()
        return path if path.is_file() else None


# WeasyPrint's user-agent stylesheet gives every element a ::marker and five footnote and note
# pseudo-elements (`::marker { … }`, `::footnote-call { … }`, …): six computed styles for each
# element, most of the style step of a 1,700-row list (docs/benchmarks.md, session 10).
# Reports have no footnotes or notes (no `float: footnote`), and only <li> is a list item: the
# same sheet with the marker rule on <li> and the footnote and note rules left out.
_MARKER_RULE = re.compile(r"^::marker \{", re.M)
_NOTE_RULES = re.compile(r"^::(?:footnote|note)-[a-z]+ \{[^}]*\}\n", re.M)


def _report_ua_text(ua: str) -> str | None:
    """`ua` with the pseudo-element rules scoped, or None when the sheet is not the one these
    rules were written against (another WeasyPrint: its own sheet is used as it is)."""
    ua, markers = _MARKER_RULE.subn("li::marker {", ua)
    ua, notes = _NOTE_RULES.subn("", ua)
    return ua if (markers, notes) == (1, 5) else None


_REPORT_UA_TEXT = _report_ua_text(UA)
# Parsed with a counter-style registry of its own: the rendering takes its counter styles
# from WeasyPrint's (HTML._ua_counter_style), which already holds this sheet's.
REPORT_UA_STYLESHEET = (
    CSS(string=_REPORT_UA_TEXT, counter_style=CounterStyle()) if _REPORT_UA_TEXT else UA_STYLESHEET
)


class ReportHTML(HTML):
    """WeasyPrint's HTML with the report user-agent stylesheet (the forms' sheet unchanged)."""

    def _ua_stylesheets(self, forms=False):
        sheets = super()._ua_stylesheets(forms=forms)
        return [REPORT_UA_STYLESHEET if sheet is UA_STYLESHEET else sheet for sheet in sheets]


class _CollectedAfter:
    """The cyclic garbage collector held off while WeasyPrint renders, and run once after on
    what the render allocated.

    A render builds the document's tree (elements, styles, boxes, layouts) and keeps it until
    the PDF is written; every full collection during the render walks all of it again and
    frees almost nothing: the 1,700-row proposals list went through 10 of them and left
    741,100 objects in cycles for after, a 400-row list spent 40 % of its CPU in them
    (docs/benchmarks.md, session 10). Held off, the render's objects stay in the youngest
    generation, and one collection of that generation frees the tree's cycles (the render's
    garbage, no more) without walking the objects the process held before. Counted, so that
    renders in two threads at once never leave the collector off."""

    def __init__(self):
        self._lock = threading.Lock()
        self._renders = 0
        self._was_enabled = True

    @contextmanager
    def __call__(self):
        with self._lock:
            if self._renders == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._renders += 1
        try:
            yield
        finally:
            with self._lock:
                self._renders -= 1
                last = self._renders == 0
                if last and self._was_enabled:
                    gc.enable()
            if last:
                gc.collect(0)


collected_after = _CollectedAfter()


def _html(html: str) -> ReportHTML:
    # Text normalised to NFC: decomposed Vietnamese (from macOS or old files) would otherwise
    # draw tone marks apart from their letters.
    html = unicodedata.normalize("NFC", html)
    return ReportHTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher())


def render_pdf(html: str) -> bytes:
    """The PDF of a report page."""
    with collected_after():
        return _html(html).write_pdf()


@dataclass(frozen=True)
class EmbeddedFile:
    """A file carried inside a PDF/A-3 (the Excel twin, the data manifest)."""

    name: str
    content: bytes
    description: str
    relationship: str = "Data"  # PDF/A-3 AFRelationship: the data the document presents


@dataclass(frozen=True)
class Anchor:
    """Where an element with an id landed: page index and its rectangle in PDF points
    (origin bottom-left, as PDF rectangles are given)."""

    page: int
    box: tuple[float, float, float, float]  # left, bottom, right, top


# CSS pixels → PDF points.
_PX = 0.75


def render_pdfa(
    html: str, *, attachments: list[EmbeddedFile], anchors: tuple[str, ...] = ()
) -> tuple[bytes, dict[str, Anchor]]:
    """A PDF/A-3b of a report page with `attachments` embedded, and where the elements named
    in `anchors` (ids) landed, so the caller can place signature fields over them."""
    with collected_after():
        return _render_pdfa(html, attachments=attachments, anchors=anchors)


def _render_pdfa(
    html: str, *, attachments: list[EmbeddedFile], anchors: tuple[str, ...]
) -> tuple[bytes, dict[str, Anchor]]:
    document = _html(html).render(pdf_variant="pdf/a-3b")
    found: dict[str, Anchor] = {}
    for index, page in enumerate(document.pages):
        for name in anchors:
            if name in page.anchors and name not in found:
                x1, y1, x2, y2 = page.anchors[name]
                found[name] = Anchor(
                    page=index,
                    box=(x1 * _PX, (page.height - y2) * _PX, x2 * _PX, (page.height - y1) * _PX),
                )
    files = [
        Attachment(
            file_obj=io.BytesIO(f.content),
            name=f.name,
            description=f.description,
            relationship=f.relationship,
        )
        for f in attachments
    ]
    return document.write_pdf(pdf_variant="pdf/a-3b", attachments=files), found
