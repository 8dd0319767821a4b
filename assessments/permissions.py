"""Who may enter, decide and see a unit's rating. Roles cover their node's whole subtree.

Entry belongs to the grassroots organization (its secretary, or anyone with an editing role
above it); the decision belongs to the directly superior committee, i.e. the grassroots
organization's parent node (DOMAIN §2, §4.2): the district before 2025, the new commune or
the province after.
"""

from cells.models import Organization
from cells.permissions import DECIDING_ROLES, EDITING_ROLES, can_view_organization, roles_on

from .models import RatingRound
from .selectors import deciding_organization_for, grassroots_for


def can_enter_ratings(user, organization: Organization) -> bool:
    """May propose levels for the members and cells of `organization`'s grassroots unit.

    A role on a cell alone is not enough: the proposal is the grassroots committee's.
    """
    grassroots = grassroots_for(organization)
    if grassroots is None:
        return False
    return bool(roles_on(user, grassroots) & EDITING_ROLES)


def can_enter_cell_proposal(user, organization: Organization) -> bool:
    """May enter the cell meeting's proposal (level and votes) for the members of the cell
    `organization`, its meeting log and its members' tasks: the cell's secretary, or the
    committee above it on the cell's behalf (a role covers its subtree; DOMAIN §4.2 step 3)."""
    return bool(roles_on(user, organization) & EDITING_ROLES)


def can_decide_round(user, round: RatingRound) -> bool:  # noqa: A002
    """May return, decide, publish and reopen `round`: a reviewer or administrator of the
    deciding organization (the round's parent node) or of a node above it."""
    deciding = deciding_organization_for(round)
    if deciding is None:
        return False
    return bool(roles_on(user, deciding) & DECIDING_ROLES)


def can_view_round(user, round: RatingRound) -> bool:  # noqa: A002
    return can_view_organization(user, round.organization)
