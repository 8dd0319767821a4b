"""Names follow the level (DOMAIN §7): the issuer line, the number's suffix, the "T/M …" of
the signature block and the recipients — one case per level, no database."""

import pytest

from cells.choices import OrganizationType as T
from documents.naming import Unit, committee_name, naming_for

PROVINCE = Unit(T.PROVINCE, "Đảng bộ tỉnh Bình Giang")
CITY = Unit(T.CENTRAL_CITY, "Đảng bộ thành phố Hà Nội")
DISTRICT = Unit(T.DISTRICT, "Đảng bộ huyện Phú An")
COMMUNE = Unit(T.COMMUNE, "Đảng bộ xã An Hòa", "ĐU")
WARD = Unit(T.WARD, "Đảng bộ phường Bến Thành")


@pytest.mark.parametrize(
    ("unit", "superior", "issuer", "superior_line", "suffix", "on_behalf"),
    [
        (PROVINCE, None, "TỈNH ỦY BÌNH GIANG", "", "TU", "T/M BAN THƯỜNG VỤ"),
        (CITY, None, "THÀNH ỦY HÀ NỘI", "", "TU", "T/M BAN THƯỜNG VỤ"),
        (
            DISTRICT,
            PROVINCE,
            "HUYỆN ỦY PHÚ AN",
            "ĐẢNG BỘ TỈNH BÌNH GIANG",
            "HU",
            "T/M BAN THƯỜNG VỤ",
        ),
        (COMMUNE, PROVINCE, "ĐẢNG ỦY XÃ AN HÒA", "ĐẢNG BỘ TỈNH BÌNH GIANG", "ĐU", "T/M ĐẢNG ỦY"),
        (WARD, CITY, "ĐẢNG ỦY PHƯỜNG BẾN THÀNH", "ĐẢNG BỘ THÀNH PHỐ HÀ NỘI", "ĐU", "T/M ĐẢNG ỦY"),
        (
            Unit(T.GRASSROOTS_CELL, "Chi bộ ấp 1"),
            COMMUNE,
            "CHI BỘ ẤP 1",
            "ĐẢNG BỘ XÃ AN HÒA",
            "CB",
            "T/M CHI BỘ",
        ),
        (
            Unit(T.CELL, "Chi bộ Trường THCS An Hòa", has_cell_committee=True),
            COMMUNE,
            "CHI BỘ TRƯỜNG THCS AN HÒA",
            "ĐẢNG BỘ XÃ AN HÒA",
            "CB",
            "T/M CHI ỦY",
        ),
    ],
)
def test_naming_follows_the_level(unit, superior, issuer, superior_line, suffix, on_behalf):
    """Each level writes its own committee's name over its own suffix and signs for it."""
    names = naming_for(unit, superior=superior)
    assert (names.issuer, names.superior, names.suffix, names.on_behalf) == (
        issuer,
        superior_line,
        suffix,
        on_behalf,
    )
    assert "CẤP ỦY" not in names.on_behalf


def test_province_report_does_not_go_to_cells():
    """A province report goes to the Central Organization Commission and the committees under
    it, never to "các chi bộ trực thuộc"."""
    recipients = naming_for(PROVINCE, superior=None).recipients
    assert "- Ban Tổ chức Trung ương (để báo cáo)," in recipients
    assert "- Các đảng ủy trực thuộc," in recipients
    assert not any("chi bộ" in line for line in recipients)
    assert recipients[-1] == "- Lưu Văn phòng Tỉnh ủy Bình Giang."


def test_commune_and_cell_recipients():
    """A commune reports to the provincial standing committee; a cell to its đảng ủy."""
    commune = naming_for(COMMUNE, superior=PROVINCE).recipients
    assert commune[0] == "- Ban Thường vụ Tỉnh ủy Bình Giang (để báo cáo),"
    cell = naming_for(Unit(T.CELL, "Chi bộ ấp 2"), superior=COMMUNE).recipients
    assert cell == ("- Đảng ủy xã An Hòa (để báo cáo),", "- Lưu chi bộ.")


def test_recorded_abbreviation_wins_and_odd_names_are_kept():
    """An abbreviation recorded on the unit is its own data; a name without a level word is
    printed as it is."""
    unit = Unit(T.GRASSROOTS_COMMITTEE, "Đảng bộ Công ty Điện lực", "ĐU")
    assert naming_for(unit, superior=PROVINCE).issuer == "ĐẢNG ỦY CÔNG TY ĐIỆN LỰC"
    assert committee_name(type=T.COMMUNE, name="Xã An Hòa") == "Xã An Hòa"
    assert naming_for(Unit(T.PROVINCE, "Đảng bộ tỉnh X", "TU"), superior=None).suffix == "TU"
