"""Settings' LOGGING: WeasyPrint's per-step INFO lines ("Step 2 - Fetching and parsing CSS")
do not flood the worker's and the benchmarks' output; its warnings still come through."""

import logging

from weasyprint import HTML


def test_weasyprint_info_is_quiet_but_warnings_show(caplog):
    with caplog.at_level(logging.INFO):
        HTML(string="<p>Chi bộ ấp 1</p>").write_pdf()
        logging.getLogger("weasyprint").warning("font missing")
    weasy = [r for r in caplog.records if r.name.startswith("weasyprint")]
    assert [r.getMessage() for r in weasy] == ["font missing"]
