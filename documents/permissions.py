"""Who may issue and upload documents of an organization (pure predicates over roles)."""

from cells.choices import Role
from cells.models import Organization
from cells.permissions import roles_on

# Committee staff who prepare official documents; reviewers read them.
ISSUING_ROLES = frozenset({Role.REPORTS, Role.SECRETARY, Role.ADMIN})


def can_issue_document(user, organization: Organization) -> bool:
    return bool(roles_on(user, organization) & ISSUING_ROLES)
