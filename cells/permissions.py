"""Who may do what on which node. Roles cover the node they are given on and its subtree.

Predicates answer for one organization; the scoped querysets live in cells.selectors. Who may
see a full citizen ID (and how it is masked otherwise), who may read the audit trail and who
is offered the second factor are decided here too.
"""

import datetime

from django.db.models import Q
from django.utils import timezone

from .choices import Role
from .models import Organization, RoleAssignment

# Roles that may change the roster (members, events, cells) of their subtree.
EDITING_ROLES = frozenset({Role.SECRETARY, Role.ADMIN})
# Roles that administer the tree: only they change a unit's structure, from a level above.
STRUCTURE_ROLES = frozenset({Role.ADMIN})
# A unit's place and kind in the tree (#19, finding 2): never its own users' to change.
STRUCTURE_FIELDS = frozenset(
    {"code", "type", "is_grassroots", "dissolved_on", "successor", "successor_id", "parent"}
)
# Roles that decide ratings of the units under them.
DECIDING_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})
# Roles offered the optional second factor (DOMAIN: the people who decide and administer).
SECOND_FACTOR_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})
# Roles that read the audit trail of their subtree.
AUDIT_ROLES = frozenset({Role.ADMIN})


def active_assignments(user, *, on: datetime.date | None = None):
    """The user's role assignments valid on `on` (today by default)."""
    if not getattr(user, "is_authenticated", False):
        return RoleAssignment.objects.none()
    day = on or timezone.localdate()
    return RoleAssignment.objects.filter(
        Q(start__isnull=True) | Q(start__lte=day),
        Q(end__isnull=True) | Q(end__gte=day),
        user=user,
    ).select_related("organization")


def role_paths(user) -> list[tuple[str, str]]:
    """(tree path, role) of the user's active assignments, read once per user object.

    A page asks about many nodes; caching on the request's user object keeps that to one
    query, and a new request gets a fresh user object, so a role change shows at once.
    """
    cache = getattr(user, "_partybuild_role_paths", None)
    if cache is None:
        cache = [(a.organization.path, a.role) for a in active_assignments(user)]
        if getattr(user, "is_authenticated", False):
            user._partybuild_role_paths = cache
    return cache


def roles_on(user, organization: Organization) -> set[str]:
    """Every role the user holds on `organization` through it or one of its ancestors."""
    if getattr(user, "is_superuser", False):
        return set(Role.values)
    return {role for path, role in role_paths(user) if organization.path.startswith(path)}


def can_view_organization(user, organization: Organization) -> bool:
    return bool(roles_on(user, organization))


def can_edit_roster(user, organization: Organization) -> bool:
    """May create and change cells, members and events under `organization`."""
    return bool(roles_on(user, organization) & EDITING_ROLES)


def can_change_structure(user, organization: Organization) -> bool:
    """May change `organization`'s structure (STRUCTURE_FIELDS): an administrator holding the
    role on a unit above it. The role on the node itself is not enough: a commune must not
    turn itself into a province, nor a cell into a grassroots cell."""
    if getattr(user, "is_superuser", False):
        return True
    return any(
        role in STRUCTURE_ROLES and organization.path.startswith(path) and organization.path != path
        for path, role in role_paths(user)
    )


def can_administer(user, organization: Organization) -> bool:
    """Holds an administrator role on `organization` or above (may attach units under it)."""
    return bool(roles_on(user, organization) & STRUCTURE_ROLES)


def can_decide_rating(user, organization: Organization) -> bool:
    return bool(roles_on(user, organization) & DECIDING_ROLES)


def has_any_role(user) -> bool:
    return getattr(user, "is_superuser", False) or bool(role_paths(user))


def can_use_second_factor(user) -> bool:
    """Reviewers and administrators (and superusers) may turn on TOTP."""
    if getattr(user, "is_superuser", False):
        return True
    return any(role in SECOND_FACTOR_ROLES for _path, role in role_paths(user))


def audit_paths(user) -> list[str] | None:
    """Root paths of the subtrees whose audit the user may read; None for everything."""
    if getattr(user, "is_superuser", False):
        return None
    return sorted({path for path, role in role_paths(user) if role in AUDIT_ROLES})


def can_view_audit(user) -> bool:
    """Administrators (of some unit) and superusers search the audit trail."""
    if not getattr(user, "is_authenticated", False):
        return False
    return audit_paths(user) is None or bool(audit_paths(user))


# --- citizen ID ------------------------------------------------------------------------------
def mask_citizen_id(value: str | None) -> str:
    """A CCCD for someone who may not see it: only the last four digits."""
    if not value:
        return ""
    value = str(value)
    return "*" * max(len(value) - 4, 0) + value[-4:]


def can_see_citizen_id(user, cell) -> bool:
    """The full CCCD is for those who keep the member's record: editors of their cell."""
    return cell is not None and can_edit_roster(user, cell)


def citizen_id_for(*, user, member, cell) -> str:
    """The member's CCCD as `user` may see it (masked unless they edit `cell`)."""
    value = member.citizen_id or ""
    return value if can_see_citizen_id(user, cell) else mask_citizen_id(value)
