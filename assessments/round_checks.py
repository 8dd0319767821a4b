"""The refusals of the rating workflow and the checks every writer of a round shares.

assessments.services (the grid, the transitions) and assessments.inputs (tasks, meetings, the
civil-servant level) both write data a round is judged on, so both take the round lock, check
the same permission, state and deadline, and bump the same version: a locked round or a stale
page reads the same whichever screen hit it. The error classes are re-exported by services,
where views and tests catch them.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.models import Organization

from . import rules
from .choices import EDITABLE_STATES, RoundState
from .models import RatingRound, RatingYear
from .permissions import can_enter_ratings
from .selectors import entry_deadline_passed, rating_home_for


# === Refusals ==================================================================================
class RatingError(Exception):
    """A rating action refused; `message` is the Vietnamese sentence to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConcurrentEditError(RatingError):
    """Someone else changed the round (or the row) since the caller loaded it.

    `member_ids` names the member rows found stale (empty when the round itself was)."""

    member_ids: list[int] = []  # noqa: RUF012 - replaced per instance, never mutated


class RoundLockedError(RatingError):
    """The round is not in a state that allows the action, or the entry deadline has passed.

    `violations` holds the workflow rule (W1/W2) when a transition was refused.
    """

    def __init__(self, message: str, violations: list[rules.Violation] | None = None) -> None:
        super().__init__(message)
        self.violations = violations or []


class RuleViolationError(RatingError):
    """Rules of DOMAIN §4.1 are broken; nothing was written. `violations` lists the errors."""

    def __init__(self, violations: list[rules.Violation]) -> None:
        self.violations = list(violations)
        super().__init__("\n".join(v.message for v in self.violations))


def conflict_error(changed_at: datetime.datetime | None) -> ConcurrentEditError:
    """The refusal of a write made from a stale page, saying when the data changed."""
    moment = timezone.localtime(changed_at or timezone.now())
    return ConcurrentEditError(
        _("The data was changed by someone else at %(time)s; please reload the page.")
        % {"time": moment.strftime("%H:%M %d/%m/%Y")}
    )


def state_locked_error(locked: RatingRound) -> RoundLockedError:
    """The refusal of a change to a round whose state no longer takes it."""
    return RoundLockedError(
        _(
            "The rating of %(organization)s for %(year)s is “%(state)s” "
            "and can no longer be changed."
        )
        % {
            "organization": locked.organization,
            "year": locked.year,
            "state": RoundState(locked.state).label,
        }
    )


# === Checks ====================================================================================
def acting_user(actor):
    """The user to store as the author (None for a script or an anonymous actor)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def require_grassroots(organization: Organization) -> Organization:
    """The grassroots organization at or above `organization`, whose round rates it (or a
    commune-level committee itself, rated in its own round by the province since 2025)."""
    grassroots = rating_home_for(organization)
    if grassroots is None:
        raise RatingError(
            _("%(organization)s is not inside a grassroots Party organization.")
            % {"organization": organization}
        )
    return grassroots


def require_entry(actor, organization: Organization) -> None:
    """Refuse an `actor` who may not enter ratings for `organization` (None: a script)."""
    if actor is not None and not can_enter_ratings(actor, organization):
        raise PermissionDenied(
            _("You may not enter ratings for %(organization)s.") % {"organization": organization}
        )


def lock_round(round_: RatingRound) -> RatingRound:
    """The round row, locked until the end of the transaction (not the organization row)."""
    return (
        RatingRound.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=round_.pk)
    )


def check_round_version(locked: RatingRound, round_version: int) -> None:
    """Refuse a write made from a page that loaded an older version of the round."""
    if locked.version != round_version:
        raise conflict_error(locked.updated_at)


def require_deadline(locked: RatingRound, setting: RatingYear | None) -> None:
    """Refuse a change by the unit after the year's entry deadline."""
    if entry_deadline_passed(round=locked, setting=setting):
        raise RoundLockedError(
            _(
                "The entry deadline (%(date)s) has passed; "
                "only the deciding level can reopen the rating."
            )
            % {"date": f"{setting.entry_deadline:%d/%m/%Y}"}
        )


def require_open_for_entry(locked: RatingRound, setting: RatingYear | None) -> None:
    """Refuse a change by the unit once the round was sent, decided, or is past its deadline."""
    if locked.state not in EDITABLE_STATES:
        raise state_locked_error(locked)
    require_deadline(locked, setting)


def save_round(locked: RatingRound, fields: list[str]) -> None:
    """Save `fields` of the locked round and bump its version.

    Every write to what a round is judged on bumps it (even with no field of its own), so a
    grid loaded before the change is refused as stale instead of overwriting it.
    """
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])
