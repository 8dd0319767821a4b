"""The PDF renderer's own speed measures (reports.pdf, issue #18): WeasyPrint's user-agent
stylesheet with its per-element pseudo-element rules scoped, and the cyclic garbage collector
held off during a render and run once after it. Neither may change what is drawn."""

import gc
import threading

import pytest
from weasyprint import HTML, UA_STYLESHEET

from assessments.reports import context, pdf, services

from .test_reports import pdf_words, rated  # noqa: F401  (fixture)

LISTS = (
    "<html><body><ul><li>Chi bộ ấp 1</li><li>Chi bộ ấp 2<ol><li>Nguyễn Văn An</li>"
    "<li>Trần Thị Bình</li></ol></li></ul><p>Một <q>trích dẫn</q><br>dòng sau</p></body></html>"
)


def weasyprint_own(html: str) -> bytes:
    """The same page through WeasyPrint as it comes: its own stylesheet, the collector on."""
    return HTML(string=html, base_url=pdf.BASE_URL, url_fetcher=pdf.StaticOnlyFetcher()).write_pdf()


def test_report_ua_stylesheet_scopes_the_pseudo_element_rules():
    """The WeasyPrint of requirements.lock has the rules the report sheet scopes (else the
    renderer would fall back to its own sheet): ::marker on <li> only, no footnote or note
    rules, everything else as it is; the renderer uses it."""
    assert pdf.REPORT_UA_STYLESHEET is not UA_STYLESHEET
    text = pdf._REPORT_UA_TEXT
    assert "\nli::marker {" in text and "::footnote" not in text and "::note" not in text
    rest = [line for line in pdf.UA.splitlines() if not line.startswith("::")]
    assert rest == [line for line in text.splitlines() if not line.startswith("li::marker")]
    sheets = pdf.ReportHTML(string="<p>x</p>")._ua_stylesheets()
    assert pdf.REPORT_UA_STYLESHEET in sheets and UA_STYLESHEET not in sheets
    assert pdf._report_ua_text("p { margin: 0 }") is None  # another sheet: left as it is


@pytest.mark.usefixtures("rated")
@pytest.mark.parametrize("kind", ["proposals", "minutes", "results"])
def test_report_renders_as_weasyprint_alone(province, kind, tmp_path):
    """Every word of a report lands where WeasyPrint with its own stylesheet puts it, lists'
    markers, quotes and line breaks included."""
    document = context.build_document(
        kind=kind, organization=province.old_commune, year=2021, number="", exported_by="t"
    )
    for html in (services.report_html(document), LISTS):
        words = pdf_words(pdf.render_pdf(html), tmp_path)
        assert words == pdf_words(weasyprint_own(html), tmp_path)
    markers = [w[0] for w in pdf_words(pdf.render_pdf(LISTS), tmp_path)]
    assert markers[:2] == ["•", "Chi"] and "1." in markers and "“trích" in markers


def test_render_collects_its_garbage_and_restores_the_collector():
    """After a render the collector is on again, the render's cycles are already freed, and a
    collector someone had turned off stays off; renders in two threads at once leave it on."""
    html = "<table>" + "<tr><td>Nguyễn Văn An</td><td>1971</td></tr>" * 300 + "</table>"
    gc.collect()
    pdf.render_pdf(html)
    assert gc.isenabled()
    assert gc.collect() < 1000  # WeasyPrint alone leaves ≈ 39,000 cyclic objects here
    gc.disable()
    try:
        pdf.render_pdf(html)
        assert not gc.isenabled()
    finally:
        gc.enable()
    threads = [threading.Thread(target=pdf.render_pdf, args=(html,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.isenabled()
