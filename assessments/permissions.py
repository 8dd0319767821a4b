"""Who may enter, decide and see a unit's rating. Roles cover their node's whole subtree.

Entry belongs to the grassroots organization (its secretary, or anyone with an editing role
above it). Who decides is `rules.decider_for` (HD 43 §3, through assessments.deciders): the
round — the grassroots organization's own rating — by the directly superior committee (the
district before 2025, the new commune or the province after), and from 2025 each chi bộ trực
thuộc with its members by its đảng ủy cơ sở, in a step of its own.
"""

from cells.models import Organization
from cells.permissions import (
    DECIDING_ROLES,
    EDITING_ROLES,
    can_view_organization,
    role_paths,
    roles_on,
)

from .deciders import DecidingBody
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
    return can_decide_for(user, deciding_organization_for(round))


def can_decide_for(user, deciding: Organization | None) -> bool:
    """May take the decisions of the committee `deciding`: a reviewer or administrator of it
    or of a node above it."""
    if deciding is None:
        return False
    return bool(roles_on(user, deciding) & DECIDING_ROLES)


def can_decide_as(user, decider: DecidingBody | None) -> bool:
    """May take the decisions of `decider` in a sub-unit step: a reviewer or administrator
    of that very organization (a superuser too). A role above it is not enough: the tier
    above decides the grassroots organization, and HD 43 §3 gives its cells to its đảng ủy."""
    if decider is None:
        return False
    if getattr(user, "is_superuser", False):
        return True
    path = decider.organization.path
    return any(p == path and role in DECIDING_ROLES for p, role in role_paths(user))


def can_view_round(user, round: RatingRound) -> bool:  # noqa: A002
    return can_view_organization(user, round.organization)
