"""Annulling a decided rating and redoing it (Điều 13, 15 of Quy định 366; Mẫu 03).

The workflow services call these inside their own transaction, under the round's lock:
`reopening_open` when the deciding level reopens a decided round (it keeps the decided levels
being withdrawn and the reason), `reopening_close` when the round is decided again (it keeps
the levels that changed). Mẫu 03 is printed from the closed record, so the decision lists
exactly what was redone even if the round is edited again later.

Under HD 43 §3 a đảng ủy cơ sở decides its chi bộ trực thuộc in steps of its own: reopening
one of those decisions is a reopening scoped to that cell (`organization`), closed when the
đảng ủy decides the cell again, and its Mẫu 03 is the đảng ủy's.
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
    organization=None,
    kept_cells=(),
) -> RatingReopening:
    """Record a reopening of `locked` (already locked) with what it withdrew: of the round's
    decision, or of the step of the chi bộ trực thuộc `organization`."""
    withdrawn = {
        "members": {str(k): v for k, v in withdrawn_members.items()},
        "organizations": {str(k): v for k, v in withdrawn_organizations.items()},
    }
    if kept_cells:
        # Cells decided in their đảng ủy's steps, which the round's reopening leaves decided:
        # not part of it (nor of what its new decision changed).
        withdrawn["kept_cells"] = sorted(kept_cells)
    return RatingReopening.objects.create(
        round=locked,
        organization=organization,
        reason=reason,
        reopened_at=now,
        reopened_by=user,
        withdrawn=withdrawn,
    )


def scoped_ratings(reopening: RatingReopening, field: str) -> tuple[dict, dict]:
    """`field` ("decided_level" or "proposed_level") of the members and organizations the
    reopening covers, by id: the whole round, or one cell and its members' ratings."""
    members = MemberRating.objects.filter(round=reopening.round_id)
    orgs = OrganizationRating.objects.filter(round=reopening.round_id)
    if reopening.organization_id is not None:
        members = members.filter(cell_id=reopening.organization_id)
        orgs = orgs.filter(organization_id=reopening.organization_id)
    elif kept := reopening.withdrawn.get("kept_cells"):
        members = members.exclude(cell_id__in=kept)
        orgs = orgs.exclude(organization_id__in=kept)
    return (
        dict(members.values_list("member_id", field)),
        dict(orgs.values_list("organization_id", field)),
    )


def level_changes(reopening: RatingReopening, members: dict, orgs: dict) -> list[dict]:
    """Every subject whose level in `members`/`orgs` differs from the one withdrawn (a
    subject newly rated counts, "" → level)."""
    before_m = {int(k): v for k, v in reopening.withdrawn.get("members", {}).items()}
    before_o = {int(k): v for k, v in reopening.withdrawn.get("organizations", {}).items()}
    changes = []
    for subject, before, now in (("member", before_m, members), ("organization", before_o, orgs)):
        for key in sorted(set(before) | set(now)):
            old, new = before.get(key, ""), now.get(key, "")
            if old != new:
                changes.append({"subject": subject, "id": key, "old": old, "new": new})
    return changes


def reopening_close(
    *, locked: RatingRound, user, now: datetime.datetime, issuer, organization=None
) -> RatingReopening | None:
    """Close the open reopening of `locked` (of the round's decision, or of the cell
    `organization`'s step) after its new decision by the committee `issuer`, keeping the
    levels that changed and that committee (it issues Mẫu 03)."""
    reopening = (
        RatingReopening.objects.select_for_update()
        .filter(round=locked, redecided_at__isnull=True, organization=organization)
        .first()
    )
    if reopening is None:
        return None
    reopening.changes = level_changes(reopening, *scoped_ratings(reopening, "decided_level"))
    reopening.redecided_at, reopening.redecided_by = now, user
    reopening.issuer = issuer
    reopening.save(update_fields=["changes", "redecided_at", "redecided_by", "issuer"])
    return reopening
