"""HTML → PDF with WeasyPrint: the only module of the project that imports it.

Member records are sensitive and the servers sit on a closed network (DOMAIN §9), so the
renderer fetches nothing but our own static files: `StaticOnlyFetcher` answers URLs under the
report base URL's STATIC_URL from the static finders (the Be Vietnam Pro font, the print
stylesheet) and `data:` URLs; `file://`, `http(s)://` and everything else is refused.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from weasyprint import HTML, Attachment
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


def render_pdf(html: str) -> bytes:
    """The PDF of a report page. Text is normalised to NFC first: decomposed Vietnamese
    (from macOS or old files) would otherwise draw tone marks apart from their letters."""
    html = unicodedata.normalize("NFC", html)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher())
    return document.write_pdf()


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
    html = unicodedata.normalize("NFC", html)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).render(
        pdf_variant="pdf/a-3b"
    )
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
