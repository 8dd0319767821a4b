"""Write side of the review at scale: the snapshot a return or a decision leaves behind.

Called by the workflow services inside their own transaction, with the round row locked,
so the snapshot holds exactly the values the reviewer returned or decided.
"""

from django.utils import timezone

from .models import RatingRound, RoundSnapshot
from .review import current_values


def round_snapshot_take(*, locked: RatingRound, kind: str, taken_by) -> RoundSnapshot:
    """Record every member's (level, points, reason) of the locked round as of now.

    After a decision the proposed level equals the decided one, so the proposed values are
    what both a return and a decision leave behind.
    """
    values = {str(mid): list(value) for mid, value in current_values(locked).items()}
    return RoundSnapshot.objects.create(
        round=locked, kind=kind, taken_at=timezone.now(), taken_by=taken_by, values=values
    )
