"""Server-side SVG charts for the PDF reports: the same numbers as the browser charts.

Plain SVG strings built in Python (WeasyPrint renders them; no chart library at run time).
All text is XML-escaped; numbers are drawn with Vietnamese decimal commas.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 480, 240
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 12, 28, 36
BAR_COLOURS = ("#1f6f43", "#2e86c1", "#f0ad4e", "#c0392b")
LINE_COLOUR = "#c0392b"
# The family of the text in a chart: the web page's face for the dashboard; a document passes
# its own (PRINT_FONT_FAMILY), so a chart in a PDF is set in the document's face.
WEB_FONT_FAMILY = "'Be Vietnam Pro', 'DejaVu Sans', sans-serif"
# The face of the printed documents (templates/assessments/reports/_print.css, Hướng dẫn 36:
# a Times New Roman-like serif; Liberation Serif from Debian fonts-liberation2, installed by
# scripts/system-deps.sh). A test holds the stylesheet and this constant equal.
PRINT_FONT_FAMILY = "'Liberation Serif', 'Times New Roman', 'Tinos', 'DejaVu Serif', serif"


def _font(family: str) -> str:
    value = escape(family, {'"': "&quot;"})
    return f'font-family="{value}"'


def _number(value) -> str:
    if value is None:
        return "–"
    text = f"{Decimal(value):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _frame(title: str, body: list[str], font: str) -> str:
    label = escape(title, {'"': "&quot;"})
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}">'
        f"<title>{escape(title)}</title>"
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="12" font-weight="600" '
        f"{font}>{escape(title)}</text>"
    )
    return head + "".join(body) + "</svg>"


def bar_chart_svg(
    *,
    title: str,
    bars: Sequence[tuple[str, int | Decimal]],
    font_family: str = WEB_FONT_FAMILY,
) -> str:
    """Vertical bars (e.g. counts per level), value printed above each bar."""
    font = _font(font_family)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = max([float(v) for _l, v in bars] + [1.0])
    slot = plot_w / max(len(bars), 1)
    base = MARGIN_TOP + plot_h
    body = [
        f'<line x1="{MARGIN_LEFT}" y1="{base}" x2="{WIDTH - MARGIN_RIGHT}" y2="{base}" '
        'stroke="#666" stroke-width="1"/>'
    ]
    for n, (label, value) in enumerate(bars):
        h = plot_h * float(value) / top
        x = MARGIN_LEFT + n * slot + slot * 0.15
        w = slot * 0.7
        colour = BAR_COLOURS[n % len(BAR_COLOURS)]
        body.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{colour}"/>'
        )
        body.append(
            f'<text x="{x + w / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" '
            f'font-size="11" {font}>{_number(value)}</text>'
        )
        body.append(
            f'<text x="{x + w / 2:.1f}" y="{base + 16:.1f}" text-anchor="middle" '
            f'font-size="11" {font}>{escape(label)}</text>'
        )
    return _frame(title, body, font)


def line_chart_svg(
    *,
    title: str,
    years: Sequence[int],
    values: Sequence[Decimal | float | None],
    unit: str = "",
    font_family: str = WEB_FONT_FAMILY,
) -> str:
    """A year trend line; missing years leave a gap in the line."""
    font = _font(font_family)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    known = [float(v) for v in values if v is not None]
    top = max(known + [0.0]) or 1.0
    if unit == "percent":
        top = max(top, 100.0)
    step = plot_w / max(len(years) - 1, 1)
    base = MARGIN_TOP + plot_h

    def xy(i, v):
        return MARGIN_LEFT + i * step, base - plot_h * float(v) / top

    body = [
        f'<line x1="{MARGIN_LEFT}" y1="{base}" x2="{WIDTH - MARGIN_RIGHT}" y2="{base}" '
        'stroke="#666" stroke-width="1"/>',
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{base}" '
        'stroke="#666" stroke-width="1"/>',
        f'<text x="{MARGIN_LEFT - 4}" y="{MARGIN_TOP + 4}" text-anchor="end" font-size="10" '
        f"{font}>{_number(top)}</text>",
    ]
    segment: list[str] = []
    segments = []
    for i, (year, value) in enumerate(zip(years, values, strict=True)):
        x = MARGIN_LEFT + i * step
        body.append(
            f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" font-size="10" '
            f"{font}>{year}</text>"
        )
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        px, py = xy(i, value)
        segment.append(f"{px:.1f},{py:.1f}")
        body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{LINE_COLOUR}"/>')
        body.append(
            f'<text x="{px:.1f}" y="{py - 6:.1f}" text-anchor="middle" font-size="9" '
            f"{font}>{_number(value)}</text>"
        )
    if segment:
        segments.append(segment)
    for points in segments:
        body.insert(
            3,
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE_COLOUR}" '
            'stroke-width="2"/>',
        )
    return _frame(title, body, font)
