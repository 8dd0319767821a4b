"""The rating workflow's shared pieces: the inputs of a save and the helpers every service uses."""

from __future__ import annotations

from dataclasses import dataclass
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
from ..selectors import (
    deciding_organization_for,
)

_MEMBER_FIELDS = ("proposed_level", "not_rated_reason", "not_rated_note", "note", "points")
_CELL_FIELDS = ("cell_level", "votes_for", "votes_total")


@dataclass
class RowInput:
    """One member line as the grid (or an import) sends it: the full state of the row.

    `level` "" means not rated (then `not_rated_reason` is required); `points` None clears
    them; `version` is the row version the caller loaded, checked when given.
    """

    member_id: int
    level: str = ""
    not_rated_reason: str = ""
    not_rated_note: str = ""
    note: str = ""
    points: Decimal | None = None
    version: int | None = None
    # Which columns the row carries (DOMAIN §4.2): the committee's appraisal (level,
    # reason, points, note) and/or the cell meeting's proposal (None: left as saved).
    appraise: bool = True
    cell: CellProposal | None = None
    # The peer group code (2025–; the ratings file's `nhom`); None keeps the stored one,
    # "" clears it (the member is counted where the rules put them).
    group: str | None = None
    # 2025–: the form category the committee records (2A/2B/2C as FormCategory values; None
    # leaves it) and the 30 + 70 parts of the stage the user owns (None: unchanged).
    category: str | None = None
    sheet: SheetInput | None = None


@dataclass(frozen=True)
class SheetInput:
    """The two parts of one score (30 general + 70 tasks) at one stage, and the reason the
    task part differs from the ledger's suggestion (regime_services.scoresheet_save)."""

    stage: str
    general: Decimal | None = None
    tasks: Decimal | None = None
    tasks_reason: str = ""


@dataclass(frozen=True)
class CellProposal:
    """The cell meeting's column of a member's row: the level it proposes and its vote."""

    level: str = ""
    votes_for: int | None = None
    votes_total: int | None = None


# === Helpers ===================================================================================
def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def _require_decider(actor, round_: RatingRound) -> None:
    if actor is not None and not can_decide_round(actor, round_):
        deciding = deciding_organization_for(round_)
        raise PermissionDenied(
            _("Only the deciding level (%(organization)s) may do this.")
            % {"organization": deciding or "—"}
        )


def _transition(locked: RatingRound, to_state: str, *, by_deciding_level: bool = False) -> None:
    violation = rules.check_transition(
        locked.state,
        to_state,
        by_deciding_level=by_deciding_level,
        subject_id=locked.organization_id,
    )
    if violation is not None:
        raise RoundLockedError(violation.message, violations=[violation])


def _require_text(text: str, message: str) -> str:
    text = nfc(text or "").strip()
    if not text:
        raise RatingError(message)
    return text


def _clean_points(points) -> Decimal | None:
    if points is None or points == "":
        return None
    try:
        value = points if isinstance(points, Decimal) else Decimal(str(points))
    except InvalidOperation:
        value = Decimal(-1)
    if not Decimal(0) <= value <= Decimal(100):
        raise RatingError(_("Points must be between 0 and 100."))
    return value


def _audit(actor, action: str, locked: RatingRound, changes: dict, comment: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        instance=locked,
        organization=locked.organization,
        changes=changes,
        comment=comment,
    )


def _raise_blocking(violations: list[rules.Violation]) -> None:
    blocking = [v for v in violations if v.is_blocking]
    if blocking:
        raise RuleViolationError(blocking)
