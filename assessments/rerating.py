"""Annulling a decided rating and redoing it (Điều 13, 15 of Quy định 366; Mẫu 03).

The workflow services call these inside their own transaction, under the round's lock:
`reopening_open` when the deciding level reopens a decided round (it keeps the decided levels
being withdrawn and the reason), `reopening_close` when the round is decided again (it keeps
the levels that changed). Mẫu 03 is printed from the closed record, so the decision lists
exactly what was redone even if the round is edited again later.
"""

from __future__ import annotations

import datetime

from .models import MemberRating, OrganizationRating, RatingReopening, RatingRound


def reopening_open(
    *,
    locked: RatingRound,
    reason: str,
    withdrawn_members: dict[int, str],
    withdrawn_organizations: dict[int, str],
    user,
    now: datetime.datetime,
) -> RatingReopening:
    """Record a reopening of `locked` (already locked and decided) with what it withdrew."""
    return RatingReopening.objects.create(
        round=locked,
        reason=reason,
        reopened_at=now,
        reopened_by=user,
        withdrawn={
            "members": {str(k): v for k, v in withdrawn_members.items()},
            "organizations": {str(k): v for k, v in withdrawn_organizations.items()},
        },
    )


def reopening_close(*, locked: RatingRound, user, now: datetime.datetime) -> RatingReopening | None:
    """Close the open reopening of `locked` after its new decision: keep every subject whose
    decided level differs from the one withdrawn (a member newly rated counts, "" → level)."""
    reopening = (
        RatingReopening.objects.select_for_update()
        .filter(round=locked, redecided_at__isnull=True)
        .first()
    )
    if reopening is None:
        return None
    before_members = {int(k): v for k, v in reopening.withdrawn.get("members", {}).items()}
    before_orgs = {int(k): v for k, v in reopening.withdrawn.get("organizations", {}).items()}
    changes = []
    members = dict(
        MemberRating.objects.filter(round=locked).values_list("member_id", "decided_level")
    )
    for member_id in sorted(set(members) | set(before_members)):
        old, new = before_members.get(member_id, ""), members.get(member_id, "")
        if old != new:
            changes.append({"subject": "member", "id": member_id, "old": old, "new": new})
    orgs = dict(
        OrganizationRating.objects.filter(round=locked).values_list(
            "organization_id", "decided_level"
        )
    )
    for org_id in sorted(set(orgs) | set(before_orgs)):
        old, new = before_orgs.get(org_id, ""), orgs.get(org_id, "")
        if old != new:
            changes.append({"subject": "organization", "id": org_id, "old": old, "new": new})
    reopening.changes = changes
    reopening.redecided_at, reopening.redecided_by = now, user
    reopening.save(update_fields=["changes", "redecided_at", "redecided_by"])
    return reopening
