"""The XLSX templates of the interchange files (DOMAIN.md §8): Vietnamese headings, drop-down
lists of the exact labels, a frozen header row, a sheet explaining each column — and a filled
template reads back through the importer as it is (a round trip)."""

import datetime
import io
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from cells.choices import Role
from cells.imports import ImportKind, run_import
from cells.imports.columns import COLUMNS
from cells.imports.templates import template_spec, template_workbook
from cells.models import Member, MemberEvent, Organization, OrganizationDiscipline, Post
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def vietnamese():
    with translation.override("vi"):
        yield


def _template(kind: str) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(template_workbook(template_spec(kind))))


def _list_values(workbook, formula: str) -> list[str]:
    sheet_name, cells = formula.rsplit("!", 1)
    sheet = workbook[sheet_name.strip("'")]
    return [row[0].value for row in sheet[cells.replace("$", "")]]


def _import(kind: str, content: bytes, *, organization):
    return run_import(
        kind=kind,
        file=io.BytesIO(content),
        filename="mau.xlsx",
        actor=None,
        organization=organization,
        dry_run=False,
    )


def _fill(workbook, rows: list[dict[str, object]]) -> bytes:
    """Write rows under the template's headings (by technical name), as a user would."""
    sheet = workbook["Dữ liệu"]
    index = {
        COLUMNS[n].heading: i
        for n in COLUMNS
        for i, c in enumerate(sheet[1], 1)
        if c.value == COLUMNS[n].heading
    }
    by_name = {
        name: index[COLUMNS[name].heading] for name in COLUMNS if COLUMNS[name].heading in index
    }
    for r, row in enumerate(rows, start=2):
        for name, value in row.items():
            sheet.cell(row=r, column=by_name[name], value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kind", "lists"),
    [
        (ImportKind.ORGANIZATIONS, {"loai": "Chi bộ trực thuộc", "co_so": "có"}),
        (
            ImportKind.MEMBERS,
            {"gioi_tinh": "Nữ", "chuyen_mon": "Đại học", "ly_luan_chinh_tri": "Trung cấp"},
        ),
        (
            ImportKind.EVENTS,
            {"loai": "Miễn công tác và sinh hoạt đảng", "hinh_thuc": "Khiển trách"},
        ),
        (
            ImportKind.ORGANIZATION_EVENTS,
            {"loai": "Kỷ luật", "doi_tuong": "Tập thể cấp ủy", "hinh_thuc": "Giải tán"},
        ),
    ],
)
def test_template_has_headings_lists_frozen_header_and_help(kind, lists):
    """Every importable column under its Vietnamese heading; each labelled column a drop-down
    of the exact labels (a stop on anything else); the header frozen; a help row per column."""
    spec = template_spec(kind)
    workbook = _template(kind)

    assert workbook.sheetnames == ["Dữ liệu", "Danh sách", "Hướng dẫn"]
    assert workbook["Danh sách"].sheet_state == "hidden"
    data = workbook["Dữ liệu"]
    assert data.freeze_panes == "A2"
    headings = [c.value for c in data[1]]
    assert headings == [COLUMNS[name].heading for name in spec.columns]
    validations = {
        headings[next(iter(dv.sqref.ranges)).min_col - 1]: dv
        for dv in data.data_validations.dataValidation
    }
    for name, label in lists.items():
        validation = validations[COLUMNS[name].heading]
        assert (validation.type, validation.errorStyle) == ("list", "stop")
        assert label in _list_values(workbook, validation.formula1)
    helped = {row[1].value: row for row in workbook["Hướng dẫn"].iter_rows() if row[1].value}
    for name in spec.columns:
        assert helped[name][0].value == COLUMNS[name].heading
        assert helped[name][3].value  # how to fill it in
    assert helped[spec.required[0]][2].value == "có"


def test_template_members_round_trip_through_the_importer(province):
    """A filled members template (labels from its lists, a date cell, a CCCD with its leading
    zero) imports as it is."""
    content = _fill(
        _template(ImportKind.MEMBERS),
        [
            {
                "so_ly_lich": "710001BG",
                "ho_ten": "Huỳnh Thị Bích Loan",
                "gioi_tinh": "Nữ",
                "ma_chi_bo": "BG-AH-AH01",
                "ngay_sinh": datetime.datetime(1982, 7, 19),
                "ngay_vao_dang": "02/09/2008",
                "cccd": "083182004517",
                "chuyen_mon": "Đại học",
                "ly_luan_chinh_tri": "Trung cấp",
            }
        ],
    )

    result = _import(ImportKind.MEMBERS, content, organization=province.province)

    assert result.ok, result.errors
    member = Member.objects.get(record_number="710001BG")
    assert (member.gender, member.birth_date, member.citizen_id) == (
        "female",
        datetime.date(1982, 7, 19),
        "083182004517",
    )
    assert (member.professional_level, member.political_theory) == ("university", "intermediate")


def test_template_organizations_and_events_round_trip(province):
    """The organizations and events templates, filled in, import as they are."""
    orgs = _fill(
        _template(ImportKind.ORGANIZATIONS),
        [
            {
                "ma": "BG-AH-AH09",
                "ten": "Chi bộ ấp Bàu Sen",
                "loai": "Chi bộ cơ sở",
                "ma_cap_tren": "BG-AH",
                "co_so": "có",
                "ngay_thanh_lap": datetime.date(2025, 7, 1),
            }
        ],
    )
    result = _import(ImportKind.ORGANIZATIONS, orgs, organization=None)
    assert result.ok, result.errors
    assert Organization.objects.get(code="BG-AH-AH09").established_on == datetime.date(2025, 7, 1)

    member = factories.member(province.new_cell, "Tạ Văn Hưng", record_number="710002BG")
    events = _fill(
        _template(ImportKind.EVENTS),
        [
            {
                "so_ly_lich": "710002BG",
                "loai": "Kỷ luật",
                "tu_ngay": datetime.datetime(2025, 9, 12),
                "hinh_thuc": "Khiển trách",
                "tu_phat_hien_khac_phuc": "không",
            }
        ],
    )
    result = _import(ImportKind.EVENTS, events, organization=province.province)
    assert result.ok, result.errors
    event = MemberEvent.objects.get(member=member)
    assert (event.kind, event.start, event.discipline_form) == (
        "discipline",
        datetime.date(2025, 9, 12),
        "reprimand",
    )


def test_template_download_is_the_xlsx_workbook(client, province):
    """The import page's template link gives the workbook."""
    client.force_login(factories.user_with_role(province.new_commune, Role.SECRETARY))

    response = client.get(reverse("cells:importjob_template", args=["members"]))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "dang_vien_mau.xlsx" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook["Dữ liệu"]["A1"].value == "Số lý lịch"


def test_template_command_writes_every_kind(tmp_path):
    """`import_template KIND --out FILE` writes the same workbook; the ratings one offers the
    labels of the year's scheme; an unknown kind is wrong usage (exit 2)."""
    for kind in ("organizations", "members", "events", "org_events", "posts"):
        out = tmp_path / f"{kind}.xlsx"
        call_command("import_template", kind, "--out", str(out), stdout=StringIO())
        assert openpyxl.load_workbook(out).sheetnames == ["Dữ liệu", "Danh sách", "Hướng dẫn"]
    out = tmp_path / "xep_loai.xlsx"
    call_command(
        "import_template", "ratings", "--year", "2016", "--out", str(out), stdout=StringIO()
    )
    lists = openpyxl.load_workbook(out)["Danh sách"]
    assert "Đủ tư cách, hoàn thành tốt nhiệm vụ" in [c.value for c in lists["A"]]
    with pytest.raises(CommandError) as excinfo:
        call_command("import_template", "nothing", stdout=StringIO())
    assert excinfo.value.returncode == 2


def test_template_posts_offers_party_posts_and_allows_others():
    """The posts template lists the Party posts of DOMAIN §8 and a few government ones; the
    list is open (a warning, not a stop): any other government post may be typed."""
    workbook = _template(ImportKind.POSTS)
    data = workbook["Dữ liệu"]
    headings = [c.value for c in data[1]]
    assert headings[:4] == [
        COLUMNS[n].heading for n in ("so_ly_lich", "ma_to_chuc", "chuc_vu", "tu_ngay")
    ]
    (validation,) = data.data_validations.dataValidation
    assert headings[next(iter(validation.sqref.ranges)).min_col - 1] == "Chức vụ"
    assert validation.errorStyle == "warning"
    offered = _list_values(workbook, validation.formula1)
    assert offered[:5] == [
        "Bí thư",
        "Phó Bí thư",
        "Ủy viên Ban Thường vụ",
        "Cấp ủy viên",
        "Chi ủy viên",
    ]
    assert "Trưởng thôn" in offered


def test_template_organization_events_and_posts_round_trip(province):
    """The su_kien_to_chuc and chuc_vu templates, filled in with their own list values and
    date cells, import as they are."""
    events = _fill(
        _template(ImportKind.ORGANIZATION_EVENTS),
        [
            {
                "ma": "BG-AH-AH01",
                "loai": "Kỷ luật",
                "doi_tuong": "Tập thể cấp ủy",
                "hinh_thuc": "Khiển trách",
                "tu_ngay": datetime.datetime(2025, 10, 3),
                "co_quan_quyet_dinh": "Ban Thường vụ Đảng ủy xã An Hòa",
            }
        ],
    )
    result = _import(ImportKind.ORGANIZATION_EVENTS, events, organization=province.new_commune)
    assert result.ok, result.errors
    discipline = OrganizationDiscipline.objects.get(organization=province.new_cell)
    assert (discipline.target, discipline.form, discipline.decided_on) == (
        "committee",
        "reprimand",
        datetime.date(2025, 10, 3),
    )
    assert discipline.deciding_body == "Ban Thường vụ Đảng ủy xã An Hòa"

    member = factories.member(province.new_cell, "Lâm Văn Tâm", record_number="710003BG")
    posts = _fill(
        _template(ImportKind.POSTS),
        [
            {
                "so_ly_lich": "710003BG",
                "ma_to_chuc": "BG-AH",
                "chuc_vu": "Cấp ủy viên",
                "tu_ngay": datetime.datetime(2025, 7, 1),
            },
            {
                "so_ly_lich": "710003BG",
                "ma_to_chuc": "BG-AH-AH01",
                "chuc_vu": "Trưởng thôn",
                "tu_ngay": "01/08/2025",
                "den_ngay": datetime.datetime(2025, 12, 31),
            },
        ],
    )
    result = _import(ImportKind.POSTS, posts, organization=province.new_commune)
    assert result.ok, result.errors
    held = {
        (p.organization.code, p.title, p.kind, p.end)
        for p in Post.objects.filter(member=member).select_related("organization")
    }
    assert held == {
        ("BG-AH", "Cấp ủy viên", "party", None),
        ("BG-AH-AH01", "Trưởng thôn", "government", datetime.date(2025, 12, 31)),
    }


@pytest.mark.parametrize(
    ("kind", "filename"),
    [("org_events", "su_kien_to_chuc_mau.xlsx"), ("posts", "chuc_vu_mau.xlsx")],
)
def test_template_download_of_the_new_kinds(client, province, kind, filename):
    """Both downloads were a 404: they now give their workbook (and the CSV header row)."""
    client.force_login(factories.user_with_role(province.new_commune, Role.SECRETARY))

    response = client.get(reverse("cells:importjob_template", args=[kind]))

    assert response.status_code == 200
    assert filename in response["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames[0] == "Dữ liệu"
    csv = client.get(reverse("cells:importjob_template", args=[kind]), {"format": "csv"})
    assert csv.status_code == 200
