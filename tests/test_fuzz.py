"""Property-based tests (hypothesis): bad input never breaks anything.

Any bytes given to the import parsers yield rows or an ImportFileError (a clear Vietnamese
message), never another exception; any CSV given to `run_import` yields a result, and the
database holds either the whole file or nothing of it; any POST to the main forms yields a
page with errors or a redirect, never a server error.
"""

import io

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cells.choices import Role
from cells.imports import ImportFileError, ImportKind, read_rows, run_import
from cells.models import AuditEntry, Member, MemberEvent, Organization
from tests import factories

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MEMBER_COLUMNS = ["so_ly_lich", "ho_ten", "gioi_tinh", "ngay_sinh", "ma_chi_bo", "cccd"]
EVENT_COLUMNS = ["so_ly_lich", "loai", "tu_ngay", "den_ngay", "hinh_thuc", "ghi_chu"]
ORG_COLUMNS = ["ma", "ten", "loai", "ma_cap_tren", "co_so", "ngay_thanh_lap"]

# Cells that look like the real thing often enough to reach the write phase.
cell_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "Nam",
            "Nữ",
            "BG-PA-AH-C02",
            "HG-C01",
            "01/02/1990",
            "31/02/2020",
            "Kỷ luật",
            "Khiển trách",
            "Chi bộ trực thuộc",
            "BG-PA-AH",
            "có",
            "không",
            "=1+1",
            "000123BG",
        ]
    ),
    st.from_regex(r"\A0[0-9]{5}BG\Z"),
    st.from_regex(r"\A[0-9]{12}\Z"),
)


def _csv(columns, rows) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@FUZZ
@given(data=st.binary(max_size=2000), extension=st.sampled_from(["csv", "xlsx", "txt", ""]))
def test_read_rows_any_bytes_gives_rows_or_file_error(data, extension):
    """read_rows on arbitrary bytes returns rows of text or raises ImportFileError only."""
    try:
        rows = read_rows(file=io.BytesIO(data), filename=f"tep.{extension}")
    except ImportFileError as exc:
        assert exc.message
    else:
        assert all(isinstance(v, str) for row in rows for v in row.values())


@FUZZ
@given(text=st.text(max_size=1500))
def test_read_rows_any_csv_text_gives_rows_or_file_error(text):
    """Any text saved as CSV is read or refused with ImportFileError, never crashes."""
    try:
        read_rows(file=io.BytesIO(text.encode("utf-8")), filename="tep.csv")
    except ImportFileError as exc:
        assert exc.message


def _counts():
    return (Member.objects.count(), MemberEvent.objects.count(), Organization.objects.count())


@pytest.mark.django_db(transaction=False)
@FUZZ
@given(
    kind=st.sampled_from([ImportKind.MEMBERS, ImportKind.EVENTS, ImportKind.ORGANIZATIONS]),
    rows=st.lists(st.lists(cell_text, min_size=0, max_size=7), max_size=6),
    dry_run=st.booleans(),
)
def test_run_import_all_or_nothing(province, kind, rows, dry_run):
    """run_import on random rows returns a result (errors or counts); a dry run writes
    nothing, and a real run writes everything it reports or nothing at all."""
    columns = {
        ImportKind.MEMBERS: MEMBER_COLUMNS,
        ImportKind.EVENTS: EVENT_COLUMNS,
        ImportKind.ORGANIZATIONS: ORG_COLUMNS,
    }[kind]
    before, audits = _counts(), AuditEntry.objects.count()
    result = run_import(
        kind=kind,
        file=io.BytesIO(_csv(columns, rows)),
        filename="tep.csv",
        actor=None,
        organization=province.old_commune if kind != ImportKind.ORGANIZATIONS else None,
        dry_run=dry_run,
    )
    after = _counts()
    if dry_run or not result.ok:
        assert after == before, result.errors
        assert AuditEntry.objects.count() == audits
    else:
        written = sum(a - b for a, b in zip(after, before, strict=True))
        assert written == result.created
    for error in result.errors:
        assert error.message


# --- forms through the test client -----------------------------------------------------------

form_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "01/01/2000",
            "2000-01-01",
            "31/13/2020",
            "male",
            "female",
            "cell",
            "discipline",
            "reprimand",
            "sick_leave",
            "on",
            "-1",
            "9" * 30,
        ]
    ),
)


def _post_data(fields):
    return st.dictionaries(st.sampled_from(fields), form_values, max_size=len(fields))


MEMBER_FIELDS = [
    "record_number",
    "full_name",
    "gender",
    "birth_date",
    "admitted_on",
    "full_member_on",
    "card_number",
    "citizen_id",
    "ethnicity",
    "cell",
]
EVENT_FIELDS = ["kind", "start", "end", "discipline_form", "self_remedied", "deciding_body", "note"]
ORG_FIELDS = [
    "code",
    "name",
    "type",
    "is_grassroots",
    "established_on",
    "dissolved_on",
    "successor",
    "document_abbreviation",
]


@pytest.fixture
def editor(client, province):
    # An administrator of the commune: it edits the roster and adds units (#19).
    user = factories.user_with_role(province.old_commune, Role.ADMIN)
    client.force_login(user)
    return factories.member(province.other_cell, "Trịnh Văn Lâm")


@FUZZ
@given(
    target=st.sampled_from(
        [
            "member_create",
            "member_edit",
            "memberevent_create",
            "organization_create",
            "organization_edit",
        ]
    ),
    data=st.data(),
)
def test_main_forms_never_fail_on_random_post(client, province, editor, target, data):
    """Random POST data to the member, event and unit forms gives the form again (200)
    or a redirect after a save (302): never a server error. A NUL character is refused
    before any view as a bad request (400, partybuild.middleware.RejectNulMiddleware)."""
    fields, args = {
        "member_create": (MEMBER_FIELDS, [province.other_cell.pk]),
        "member_edit": (MEMBER_FIELDS, [editor.pk]),
        "memberevent_create": (EVENT_FIELDS, [editor.pk]),
        "organization_create": (ORG_FIELDS, [province.old_commune.pk]),
        "organization_edit": (ORG_FIELDS, [province.other_cell.pk]),
    }[target]
    payload = data.draw(_post_data(fields))
    response = client.post(reverse(f"cells:{target}", args=args), payload)
    if any("\x00" in str(key) + str(value) for key, value in payload.items()):
        assert response.status_code == 400
        return
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "form" in response.content.decode()
