"""Which kind of unit may sit under which (DOMAIN §2): a pure rule of the organization types.

The tree is generic, but its levels are not interchangeable: a chi bộ holds members and no
unit, a đảng bộ bộ phận holds chi bộ only, and a unit never holds one of its own level or
higher (a chi bộ cannot hold a đảng bộ cơ sở, a commune cannot hold a district).

Not checked here: that a chi bộ trực thuộc has a grassroots organization above it (under a
commune that is not itself one, since 2025, it would be rated nowhere); the suite's own
fixtures still place such cells, so that check waits for a sweep of them.
"""

from .choices import CELL_TYPES, COMMUNE_LEVEL_TYPES, PROVINCIAL_TYPES, OrganizationType

T = OrganizationType

DISTRICT_LEVEL_TYPES = frozenset({T.DISTRICT, T.URBAN_DISTRICT, T.TOWN, T.PROVINCIAL_CITY})
GRASSROOTS_TYPES = frozenset({T.GRASSROOTS_COMMITTEE, T.GRASSROOTS_CELL})
# Units that sit inside a grassroots organization, never above one.
INSIDE_GRASSROOTS_TYPES = frozenset({T.SUB_COMMITTEE, T.CELL})

_CHILDREN = {
    T.NATIONAL: PROVINCIAL_TYPES,
    **dict.fromkeys(
        PROVINCIAL_TYPES, DISTRICT_LEVEL_TYPES | COMMUNE_LEVEL_TYPES | GRASSROOTS_TYPES
    ),
    **dict.fromkeys(DISTRICT_LEVEL_TYPES, COMMUNE_LEVEL_TYPES | GRASSROOTS_TYPES),
    # A commune-level committee holds grassroots organizations (since 2025) or, itself a
    # grassroots organization (before 2025), its chi bộ trực thuộc and đảng bộ bộ phận.
    **dict.fromkeys(COMMUNE_LEVEL_TYPES, GRASSROOTS_TYPES | INSIDE_GRASSROOTS_TYPES),
    T.GRASSROOTS_COMMITTEE: INSIDE_GRASSROOTS_TYPES,
    T.SUB_COMMITTEE: frozenset({T.CELL}),
    **dict.fromkeys(CELL_TYPES, frozenset()),
}

HOLDS_NOTHING = "holds_nothing"
LOWER_LEVEL = "lower_level"


def child_type_refusal(*, parent_type: str, child_type: str) -> str:
    """Why a `child_type` unit cannot sit under a `parent_type` one ("" when it can):
    HOLDS_NOTHING (a chi bộ holds no unit) or LOWER_LEVEL (the child is not of a lower
    level)."""
    allowed = _CHILDREN.get(parent_type, frozenset())
    if not allowed:
        return HOLDS_NOTHING
    if child_type not in allowed:
        return LOWER_LEVEL
    return ""
