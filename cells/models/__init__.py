"""The organization tree, residential units, members and their dated history (DOMAIN.md §2–3).

Nodes are never deleted: a dissolved district or merged commune keeps its history and a
`successor` link, so any year can be shown on that year's structure or mapped onto today's.
Who belonged to which cell, and in which state, on a given day is derived from the dated
`Membership` and `MemberEvent` rows (see cells.selectors.members_of).

Split by sub-domain (`tree`, `members`, `roles`, `records`) and re-exported here under the one
app label; migration 0002 names `cells.models.import_kind_choices`, kept here.
"""

from .members import (
    CellFollower,
    Member,
    MemberEvent,
    Membership,
    OrganizationDiscipline,
    Post,
)
from .records import (
    AuditEntry,
    ImportJob,
    import_kind_choices,
)
from .roles import (
    RoleAssignment,
)
from .tree import (
    Organization,
    ResidentialUnit,
    Term,
)

__all__ = [
    "AuditEntry",
    "CellFollower",
    "ImportJob",
    "Member",
    "MemberEvent",
    "Membership",
    "Organization",
    "OrganizationDiscipline",
    "Post",
    "ResidentialUnit",
    "RoleAssignment",
    "Term",
    "import_kind_choices",
]
