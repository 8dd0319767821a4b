"""The rating workflow: entry, submission, return, decision, publication, reopening (DOMAIN §4.2).

Every service is atomic and follows the same order: check the permission, lock the round row
(select_for_update) so concurrent writers of one grassroots organization serialize before
anything is counted, compare the version the caller loaded, ask the pure rules, write, bump the
round's version and record an audit row against the round (cells.audit, never a signal).

`entry` saves levels, `rounds` moves the round through its states, `base` holds what both share;
every public name is re-exported here (`from assessments import services; services.X`).
"""

# The refusals are part of this package's interface (views catch services.RatingError and
# its kinds), so they are re-exported here.
from ..round_checks import (
    ConcurrentEditError,
    RatingError,
    RoundLockedError,
    RuleViolationError,
)
from .entry import (
    RowInput,
    member_ratings_save,
    organization_rating_save,
)
from .rounds import (
    round_decide,
    round_get_or_create,
    round_publish,
    round_reopen,
    round_return,
    round_submit,
    rounds_decide,
)

__all__ = [
    "ConcurrentEditError",
    "RatingError",
    "RoundLockedError",
    "RowInput",
    "RuleViolationError",
    "member_ratings_save",
    "organization_rating_save",
    "round_decide",
    "round_get_or_create",
    "round_publish",
    "round_reopen",
    "round_return",
    "round_submit",
    "rounds_decide",
]
