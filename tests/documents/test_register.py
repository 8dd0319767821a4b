"""The register (sổ văn bản): every issued document the user may see, in pages of 50 (Django's
paginator), searchable by type, number, scope, state and date, the search kept across pages."""

import datetime
import re

import pytest
from django.urls import reverse

from documents import selectors
from documents.models import IssuedDocument

DAY = datetime.date(2025, 1, 1)


def row(organization, serial, *, kind="results", label="Báo cáo kết quả", state="issued"):
    document_type = "BC" if kind == "results" else "DS"
    return IssuedDocument(
        organization=organization,
        year=2025 if serial % 2 else 2024,
        kind=kind,
        kind_label=label,
        document_type=document_type,
        counter_year=2025,
        serial=serial,
        number=f"Số {serial:02d}-{document_type}/ĐU",
        title=f"{label} {serial}",
        issued_on=DAY + datetime.timedelta(days=serial),
        scope=f"{organization.name} ({organization.code}), 2025",
        state=state,
        snapshot={},
        snapshot_sha256="0" * 64,
        pdf=f"documents/{organization.code}-{serial}.pdf",
        pdf_sha256="0" * 64,
        filename_stem=f"d-{serial}",
    )


@pytest.fixture
def register(province):
    """55 reports of the old commune (one signed, one superseded), 3 lists of its cell, and
    2 documents of the other province that the staff must never see."""
    rows = [row(province.old_commune, n) for n in range(1, 56)]
    rows[9].state = "signed"
    rows[10].state = "superseded"
    rows += [
        row(province.old_cell, n, kind="proposals", label="Danh sách đề nghị") for n in (1, 2, 3)
    ]
    rows += [row(province.foreign_cell, n) for n in (1, 2)]
    IssuedDocument.objects.bulk_create(rows)


def numbers(page: str) -> list[str]:
    table = page.split('id="register-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r">(Số \d+-(?:BC|DS)/ĐU)</a>", table)


@pytest.mark.usefixtures("register")
def test_register_pages_of_50_with_every_document(client, staff):
    """58 documents in scope: page 1 shows the 50 newest with "1–50 of 58", page 2 the 8
    left; nothing of the other province on any page; a page past the end shows the last."""
    client.force_login(staff)
    url = reverse("documents:issueddocument_list")
    first = client.get(url).content.decode()
    assert len(numbers(first)) == 50
    assert "Văn bản 1–50 trên tổng số 58" in first and "Trang 1 / 2" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert len(numbers(second)) == 8 and "Văn bản 51–58 trên tổng số 58" in second
    assert set(numbers(first)).isdisjoint(numbers(second))
    assert numbers(first)[:4] == ["Số 03-DS/ĐU", "Số 02-DS/ĐU", "Số 01-DS/ĐU", "Số 55-BC/ĐU"]
    every = numbers(first) + numbers(second)
    assert every.count("Số 01-BC/ĐU") == 1  # the other province's 01 is never listed
    assert numbers(client.get(url, {"page": 99}).content.decode()) == numbers(second)


@pytest.mark.usefixtures("register")
def test_register_search_by_type_number_scope_state_and_date(client, staff, province):
    """Each filter narrows the list, they combine, and the pages keep the search."""
    client.force_login(staff)
    url = reverse("documents:issueddocument_list")

    def found(**query):
        return numbers(client.get(url, query).content.decode())

    assert sorted(found(kind="proposals")) == ["Số 01-DS/ĐU", "Số 02-DS/ĐU", "Số 03-DS/ĐU"]
    assert found(number="05-BC") == ["Số 05-BC/ĐU"]
    assert len(found(scope=province.old_cell.code)) == 3
    assert found(state="signed") == ["Số 10-BC/ĐU"] and found(state="superseded") == ["Số 11-BC/ĐU"]
    assert found(issued_from="2025-01-03", issued_to="2025-01-04", kind="results") == [
        "Số 03-BC/ĐU",
        "Số 02-BC/ĐU",
    ]
    assert found(year=2024, kind="proposals") == ["Số 02-DS/ĐU"]
    assert found(q="Danh sách đề nghị 3") == ["Số 03-DS/ĐU"]
    # 55 results over two pages: the second page's link keeps kind=results.
    page = client.get(url, {"kind": "results"}).content.decode()
    assert "kind=results&amp;page=2" in page
    assert len(numbers(client.get(url, {"kind": "results", "page": 2}).content.decode())) == 5
    bad = client.get(url, {"issued_from": "2025-02-01", "issued_to": "2025-01-01"})
    assert "Ngày kết thúc trước ngày bắt đầu." in bad.content.decode()


def test_register_type_filter_offers_the_kinds_in_scope(province, staff, register):
    """The type filter lists the kinds of the documents the user may see, with their labels."""
    assert selectors.document_kinds_visible_to(user=staff) == [
        ("results", "Báo cáo kết quả"),
        ("proposals", "Danh sách đề nghị"),
    ]
