"""The unit workflow (DOMAIN §4.2): which state changes are allowed, and who may reopen."""

from __future__ import annotations

from .common import violation
from .constants import (
    STATE_DECIDED,
    STATE_DRAFT,
    STATE_LABELS,
    STATE_PUBLISHED,
    STATE_RETURNED,
    STATE_SUBMITTED,
    SubjectId,
)
from .data import Violation

# A returned unit is edited and re-submitted (or taken back to draft by its secretary).
_TRANSITIONS = frozenset(
    {
        (STATE_DRAFT, STATE_SUBMITTED),
        (STATE_SUBMITTED, STATE_RETURNED),
        (STATE_SUBMITTED, STATE_DECIDED),
        (STATE_RETURNED, STATE_SUBMITTED),
        (STATE_RETURNED, STATE_DRAFT),
        (STATE_DECIDED, STATE_PUBLISHED),
    }
)
# A decided rating is locked; only the deciding level reopens it (DOMAIN §4.2), also once
# published: a published result found wrong must be correctable, through an audited reopening.
_REOPEN = frozenset({(STATE_DECIDED, STATE_DRAFT), (STATE_PUBLISHED, STATE_DRAFT)})


class TransitionError(Exception):
    """Raised by `require_transition`; carries the violation for the caller's message."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


def check_transition(
    from_state: str,
    to_state: str,
    *,
    by_deciding_level: bool = False,
    subject_id: SubjectId | None = None,
) -> Violation | None:
    """None when a unit's rating may move `from_state` → `to_state`, else the violation.

    draft → submitted → returned | decided → published; returned → submitted | draft;
    decided | published → draft is the audited reopening, for the deciding level only.
    Codes: W1 unknown state, W2 transition not allowed, W3 reopening by another level.
    """
    for state in (from_state, to_state):
        if state not in STATE_LABELS:
            return violation("W1", subject_id, f"Trạng thái không hợp lệ: «{state}»")
    if (from_state, to_state) in _REOPEN:
        if by_deciding_level:
            return None
        why = "Kết quả đã quyết định chỉ được mở lại bởi cấp ủy đã quyết định"
        return violation("W3", subject_id, f"{why} (Quy định 124-QĐ/TW, Điều 13)")
    if (from_state, to_state) in _TRANSITIONS:
        return None
    frm, to = STATE_LABELS[from_state], STATE_LABELS[to_state]
    return violation("W2", subject_id, f"Không thể chuyển từ «{frm}» sang «{to}»")


def require_transition(
    from_state: str,
    to_state: str,
    *,
    by_deciding_level: bool = False,
    subject_id: SubjectId | None = None,
) -> None:
    """`check_transition` for services: raise `TransitionError` instead of returning it."""
    violation = check_transition(
        from_state, to_state, by_deciding_level=by_deciding_level, subject_id=subject_id
    )
    if violation is not None:
        raise TransitionError(violation)
