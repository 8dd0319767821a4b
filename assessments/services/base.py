"""What every workflow service shares: the decider check, the state transition, the audit row
against the round, and refusing blocking violations."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from cells.audit import audit_record
from cells.vietnamese import nfc

from .. import rules
from ..models import RatingRound
from ..permissions import can_decide_round
from ..round_checks import (
    RatingError,
    RoundLockedError,
    RuleViolationError,
)
from ..selectors import deciding_organization_for


# === Helpers ===================================================================================
def plain(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def require_decider(actor, round_: RatingRound) -> None:
    if actor is not None and not can_decide_round(actor, round_):
        deciding = deciding_organization_for(round_)
        raise PermissionDenied(
            _("Only the deciding level (%(organization)s) may do this.")
            % {"organization": deciding or "—"}
        )


def transition_to(locked: RatingRound, to_state: str, *, by_deciding_level: bool = False) -> None:
    violation = rules.check_transition(
        locked.state,
        to_state,
        by_deciding_level=by_deciding_level,
        subject_id=locked.organization_id,
    )
    if violation is not None:
        raise RoundLockedError(violation.message, violations=[violation])


def require_text(text: str, message: str) -> str:
    text = nfc(text or "").strip()
    if not text:
        raise RatingError(message)
    return text


def clean_points(points) -> Decimal | None:
    if points is None or points == "":
        return None
    try:
        value = points if isinstance(points, Decimal) else Decimal(str(points))
    except InvalidOperation:
        value = Decimal(-1)
    if not Decimal(0) <= value <= Decimal(100):
        raise RatingError(_("Points must be between 0 and 100."))
    return value


def audit_round(actor, action: str, locked: RatingRound, changes: dict, comment: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        instance=locked,
        organization=locked.organization,
        changes=changes,
        comment=comment,
    )


def raise_blocking(violations: list[rules.Violation]) -> None:
    blocking = [v for v in violations if v.is_blocking]
    if blocking:
        raise RuleViolationError(blocking)
