"""Downloads leave a trace and carry their origin: every export and print sheet writes an
audit row (who, which unit, which file, from where), every Excel workbook carries the
watermark (who, when, which scope) in its printed header and footer, and text that a
spreadsheet program would run as a formula arrives as plain text.

The import template (header row only, no personal data, no unit) is deliberately not audited.
"""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments import indicators, schemes
from assessments.choices import RoundState
from assessments.models import OrganizationRating, RatingRound
from cells.choices import Role
from cells.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

DASHBOARD_YEAR = 2020
GRID_YEAR = 2021
FORMULA = '=HYPERLINK("http://x.invalid","bấm")'


@pytest.fixture
def rated(province):
    """The old commune decided HTTNV for 2020 and renamed like a formula; a province reviewer."""
    indicators.ensure_indicator_catalogue(targets_for=province.province)
    round_ = RatingRound.objects.create(
        organization=province.old_commune,
        year=DASHBOARD_YEAR,
        scheme_code=schemes.scheme_for_year(DASHBOARD_YEAR).code,
        state=RoundState.DECIDED,
    )
    OrganizationRating.objects.create(
        round=round_,
        organization=province.old_commune,
        year=DASHBOARD_YEAR,
        proposed_level=schemes.GOOD,
        decided_level=schemes.GOOD,
    )
    province.district.name = FORMULA
    province.district.save(update_fields=["name"])
    province.old_commune.name = FORMULA
    province.old_commune.save(update_fields=["name"])
    province.reviewer = factories.user_with_role(province.province, Role.REVIEWER)
    return province


def _dashboard_url(name, node, *args):
    return reverse(f"assessments:{name}", args=[node.pk, DASHBOARD_YEAR, *args])


def _workbook(response):
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    return load_workbook(io.BytesIO(response.content))


def _assert_watermarked(book, *, user, scope: str):
    for sheet in book.worksheets:
        for text in (sheet.oddHeader.right.text, sheet.oddFooter.left.text):
            assert user.username in text
            assert scope in text
            assert "phạm vi" in text  # the Vietnamese watermark line


def _only_export_row(*, actor) -> AuditEntry:
    entries = list(AuditEntry.objects.filter(action="export"))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.actor == actor
    assert entry.remote_addr == "127.0.0.1"
    return entry


def test_dashboard_export_audited_watermarked_and_formula_safe(client, rated):
    """The children table download writes one export row for the node (file, rows, year,
    group), carries the reviewer's name and the node and year on every page, and a unit named
    like a formula is written as text."""
    client.force_login(rated.reviewer)
    response = client.get(_dashboard_url("dashboard_export", rated.province) + "?de_xuat=1")
    assert response.status_code == 200
    filename = f"chi-tieu-{rated.province.code}-{DASHBOARD_YEAR}.xlsx"
    assert filename in response["Content-Disposition"]

    book = _workbook(response)
    _assert_watermarked(
        book, user=rated.reviewer, scope=f"{rated.province.name} · {DASHBOARD_YEAR}"
    )
    title = book.active["A1"].value
    assert rated.province.name in title and str(DASHBOARD_YEAR) in title
    names = [row[0].value for row in book.active.iter_rows(min_row=3)]
    assert "'" + FORMULA in names
    assert FORMULA not in names

    entry = _only_export_row(actor=rated.reviewer)
    assert entry.organization == rated.province
    assert entry.changes["export"] == "dashboard_table"
    assert entry.changes["file"] == filename
    assert entry.changes["rows"] == len(names) - 1  # the total row is not a data row
    assert entry.changes["filters"]["year"] == DASHBOARD_YEAR
    assert entry.changes["filters"]["group"] == "organizations"
    assert entry.changes["filters"]["include_proposals"] is True


def test_dashboard_list_export_audited_watermarked_and_formula_safe(client, rated):
    """The list behind 'HTTNV' as Excel writes one export row naming the counter, carries the
    watermark, and the commune named like a formula is written as text."""
    client.force_login(rated.reviewer)
    url = _dashboard_url("dashboard_list", rated.province, "gro.r2")
    response = client.get(url + "?xuat=xlsx")
    assert response.status_code == 200

    book = _workbook(response)
    _assert_watermarked(
        book, user=rated.reviewer, scope=f"{rated.province.name} · {DASHBOARD_YEAR}"
    )
    rows = [[c.value for c in row] for row in book.active.iter_rows(min_row=3)]
    assert ["'" + FORMULA, rated.old_commune.code] in [row[:2] for row in rows]

    entry = _only_export_row(actor=rated.reviewer)
    assert entry.organization == rated.province
    assert entry.changes["export"] == "dashboard_list"
    assert entry.changes["file"] == f"danh-sach-{DASHBOARD_YEAR}.xlsx"
    assert entry.changes["rows"] == len(rows)
    assert entry.changes["filters"]["counter"] == "gro.r2"


def test_dashboard_list_page_is_not_audited(client, rated):
    """Looking at the list on screen is not a download: no export row."""
    client.force_login(rated.reviewer)
    response = client.get(_dashboard_url("dashboard_list", rated.province, "gro.r2"))
    assert rated.old_commune.code in response.content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()


def test_rating_grid_print_audited(client, province):
    """Opening the printable sheet (it lists members by name) writes one export row for the
    unit, with the number of members listed; the formula-like name is shown as plain text."""
    factories.member(province.old_cell, "+cmd|' /C calc'!A0")
    factories.member(province.other_cell, "Lê Văn Sơn")
    secretary = factories.user_with_role(province.old_commune, Role.SECRETARY)
    client.force_login(secretary)
    url = reverse(
        "assessments:rating_grid_print",
        kwargs={"org_pk": province.old_commune.pk, "year": GRID_YEAR},
    )
    html = client.get(url).content.decode()
    assert "Lê Văn Sơn" in html
    assert "+cmd|&#x27; /C calc&#x27;!A0" in html

    entry = _only_export_row(actor=secretary)
    assert entry.organization == province.old_commune
    assert entry.changes["export"] == "rating_grid_print"
    assert entry.changes["rows"] == 2
    assert entry.changes["filters"] == {"year": GRID_YEAR}


def test_rating_grid_print_out_of_scope_not_audited(client, province):
    """A unit of another province is a 404 and leaves no export row."""
    client.force_login(factories.user_with_role(province.old_commune, Role.SECRETARY))
    url = reverse(
        "assessments:rating_grid_print",
        kwargs={"org_pk": province.foreign_cell.pk, "year": GRID_YEAR},
    )
    assert client.get(url).status_code == 404
    assert not AuditEntry.objects.filter(action="export").exists()
