"""How an organization is named on its documents (DOMAIN §7, Hướng dẫn 36-HD/VPTW).

A provincial committee writes "TỈNH ỦY …" and numbers /TU, a commune-level committee
"ĐẢNG ỦY XÃ …" under "ĐẢNG BỘ TỈNH …" with /ĐU, a cell "CHI BỘ …" under its đảng bộ with /CB;
the signature block ("T/M …") and the recipients ("Nơi nhận") follow the same level. Pure
functions of the organization's type and name (and its ancestors, passed in), tested without
a database.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from cells.choices import COMMUNE_LEVEL_TYPES, PROVINCIAL_TYPES, OrganizationType

T = OrganizationType

# The committee of a đảng bộ at each level, the suffix of its numbers, and the word its
# name starts with (e.g. "Đảng bộ tỉnh Bình Giang" → "Tỉnh ủy Bình Giang", /TU).
_COMMITTEES = {
    T.PROVINCE: ("Tỉnh ủy", "TU", "tỉnh"),
    T.CENTRAL_CITY: ("Thành ủy", "TU", "thành phố"),
    T.PROVINCIAL_CITY: ("Thành ủy", "TU", "thành phố"),
    T.DISTRICT: ("Huyện ủy", "HU", "huyện"),
    T.URBAN_DISTRICT: ("Quận ủy", "QU", "quận"),
    T.TOWN: ("Thị ủy", "TU", "thị xã"),
}
CELL_LIKE = frozenset({T.CELL, T.GRASSROOTS_CELL})
UPPER_LEVELS = frozenset(_COMMITTEES)
TOP_LEVELS = PROVINCIAL_TYPES


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def _strip_prefix(name: str, prefix: str) -> str | None:
    if name.lower().startswith(prefix.lower()):
        return name[len(prefix) :].lstrip()
    return None


def committee_name(*, type: str, name: str) -> str:
    """The issuing body in running text: "Tỉnh ủy Bình Giang", "Đảng ủy xã An Hòa", "Chi bộ
    ấp 1". A unit whose name does not start with its level word keeps its name."""
    name = nfc(name).strip()
    if type in CELL_LIKE:
        return name
    rest = _strip_prefix(name, "Đảng bộ")
    if rest is None:
        return name
    if type in _COMMITTEES:
        committee, _suffix, word = _COMMITTEES[type]
        place = _strip_prefix(rest, word)
        return f"{committee} {place if place is not None else rest}".strip()
    return f"Đảng ủy {rest}".strip()


def number_suffix(*, type: str, abbreviation: str = "") -> str:
    """/TU, /ĐU, /CB… An abbreviation recorded on the unit wins (it is the unit's own data)."""
    if abbreviation:
        return abbreviation
    if type in _COMMITTEES:
        return _COMMITTEES[type][1]
    if type in CELL_LIKE:
        return "CB"
    return "ĐU"


@dataclass(frozen=True)
class Naming:
    """Everything the header, the signature block and the recipients say about the issuer."""

    superior: str  # upper-case line above the issuer ("" for a province)
    issuer: str  # upper-case issuer ("TỈNH ỦY BÌNH GIANG")
    issuer_name: str  # in running text ("Tỉnh ủy Bình Giang")
    suffix: str  # "TU"
    on_behalf: str  # "T/M BAN THƯỜNG VỤ"
    signer_title: str  # "BÍ THƯ"
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class Unit:
    """The few facts of an organization that naming needs (no model, so tests are plain)."""

    type: str
    name: str
    abbreviation: str = ""
    has_cell_committee: bool = False  # a chi bộ with an elected chi ủy


def naming_for(unit: Unit, *, superior: Unit | None) -> Naming:
    """The level-dependent names of `unit`'s documents; `superior` is its parent đảng bộ."""
    issuer_name = committee_name(type=unit.type, name=unit.name)
    superior_line = ""
    if superior is not None and unit.type not in TOP_LEVELS:
        # The superior đảng bộ is named as the đảng bộ ("ĐẢNG BỘ TỈNH …"), not its committee;
        # a provincial committee writes its own name alone.
        superior_line = nfc(superior.name).upper()
    if unit.type in UPPER_LEVELS:
        on_behalf = "T/M BAN THƯỜNG VỤ"
        recipients = (
            "- Ban Tổ chức Trung ương (để báo cáo),"
            if unit.type in (T.PROVINCE, T.CENTRAL_CITY)
            else f"- Ban Thường vụ {committee_name(type=superior.type, name=superior.name)} "
            "(để báo cáo),"
            if superior is not None
            else "- Cấp ủy cấp trên (để báo cáo),",
            "- Các đảng ủy trực thuộc,",
            f"- Lưu Văn phòng {issuer_name}.",
        )
    elif unit.type in CELL_LIKE:
        on_behalf = "T/M CHI ỦY" if unit.has_cell_committee else "T/M CHI BỘ"
        upper = (
            f"- {committee_name(type=superior.type, name=superior.name)} (để báo cáo),"
            if superior is not None
            else "- Cấp ủy cấp trên (để báo cáo),"
        )
        recipients = (upper, "- Lưu chi bộ.")
    else:
        on_behalf = "T/M ĐẢNG ỦY"
        upper = (
            f"- Ban Thường vụ {committee_name(type=superior.type, name=superior.name)} "
            "(để báo cáo),"
            if superior is not None
            else "- Cấp ủy cấp trên (để báo cáo),"
        )
        below = (
            "- Các chi bộ, đảng bộ trực thuộc,"
            if unit.type in COMMUNE_LEVEL_TYPES or unit.type == T.GRASSROOTS_COMMITTEE
            else "- Các chi bộ trực thuộc,"
        )
        recipients = (upper, below, "- Lưu Văn phòng Đảng ủy.")
    return Naming(
        superior=superior_line,
        issuer=issuer_name.upper(),
        issuer_name=issuer_name,
        suffix=number_suffix(type=unit.type, abbreviation=unit.abbreviation),
        on_behalf=on_behalf,
        signer_title="BÍ THƯ",
        recipients=recipients,
    )
