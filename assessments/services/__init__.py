"""The rating workflow: entry, submission, return, decision, publication, reopening (DOMAIN §4.2).

Every service is atomic and follows the same order: check the permission, lock the round row
(select_for_update) so concurrent writers of one grassroots organization serialize before
anything is counted, compare the version the caller loaded, ask the pure rules, write, bump the
round's version and record an audit row against the round (cells.audit, never a signal).

The package: `base` (the inputs and the helpers every service shares), `entry` (opening a
round, saving member and organization ratings), `rounds` (submit, return, decide, publish,
reopen) and `subunits` (the đảng ủy cơ sở deciding its chi bộ trực thuộc, HD 43 §3). Every
name, and the refusals of round_checks, is importable from `assessments.services` as before.
"""

# The refusals are part of this package's interface (views catch services.RatingError and its
# kinds), so they are re-exported here.
from ..round_checks import (
    ConcurrentEditError,
    RatingError,
    RoundLockedError,
    RuleViolationError,
)
from .base import (
    CellProposal,
    RowInput,
    SheetInput,
)
from .entry import (
    member_ratings_save,
    organization_rating_save,
    round_get_or_create,
)
from .rounds import (
    DecisionReference,
    round_decide,
    round_decide_recorded,
    round_publish,
    round_reopen,
    round_return,
    round_submit,
    rounds_decide,
)
from .subunits import (
    subunit_reopen,
    subunits_decide,
)

__all__ = [
    "ConcurrentEditError",
    "RatingError",
    "RoundLockedError",
    "RuleViolationError",
    "CellProposal",
    "SheetInput",
    "DecisionReference",
    "RowInput",
    "member_ratings_save",
    "organization_rating_save",
    "round_decide",
    "round_decide_recorded",
    "round_get_or_create",
    "round_publish",
    "round_reopen",
    "round_return",
    "round_submit",
    "rounds_decide",
    "subunit_reopen",
    "subunits_decide",
]
