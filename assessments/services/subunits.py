"""The đảng ủy cơ sở's step (Hướng dẫn 43-HD/BTCTW §3): it decides its chi bộ trực thuộc.

Under a scheme that `decides_by_organization` (2025–) the sub-units of a đảng bộ cơ sở whose
decider (`rules.decider_for`) is its đảng ủy are decided here, each with its members' ratings,
while the round is still with the grassroots organization or already sent up; the tier
above then decides the grassroots organization itself (`rounds.round_decide`), once every
step is decided. A decided step locks its rows for entry until its decider reopens it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.models import Organization
from cells.vietnamese import nfc

from .. import rerating
from ..choices import DECIDED_STATES
from ..deciders import SubunitStep, decider_of, step_cell_ids, subunit_steps
from ..models import MemberRating, OrganizationRating, RatingRound
from ..permissions import can_decide_as
from ..round_checks import RatingError, RoundLockedError, acting_user, lock_round, save_round
from ..selectors import build_grid, year_setting
from .base import _audit, _raise_blocking, _require_text
from .rounds import _organization_rating_violations


def _require_open(locked: RatingRound) -> None:
    """A step is taken or reopened before the tier above decides the round."""
    if locked.state in DECIDED_STATES:
        raise RoundLockedError(
            _(
                "The rating of %(organization)s for %(year)s is already decided by the tier "
                "above; it must reopen it first."
            )
            % {"organization": locked.organization, "year": locked.year}
        )


def _steps_named(actor, locked: RatingRound, organizations) -> list[SubunitStep]:
    """The steps of `organizations`, each one the actor's to take (refused otherwise)."""
    steps = {s.organization.pk: s for s in subunit_steps(locked)}
    chosen = []
    for organization in organizations:
        step = steps.get(organization.pk)
        if step is None:
            raise RatingError(
                _("%(organization)s is not decided in a step of its own in this round.")
                % {"organization": organization}
            )
        if actor is not None and not can_decide_as(actor, step.decider):
            raise PermissionDenied(
                _("Only %(body)s decides %(organization)s.")
                % {"body": step.decider.label, "organization": organization}
            )
        chosen.append(step)
    if not chosen:
        raise RatingError(_("Select at least one subordinate cell."))
    return chosen


@transaction.atomic
def subunits_decide(
    *,
    actor,
    round: RatingRound,  # noqa: A002
    organizations: list[Organization],
    quota_exception: str = "",
) -> RatingRound:
    """The đảng ủy cơ sở decides the chi bộ trực thuộc `organizations`, all or nothing: each
    one's proposed level becomes its decided level, and its members' too.

    The rules are run over the whole grassroots organization under the round lock (the quota
    is counted there); what blocks is a broken rule of these cells' members or ratings, or an
    exceeded quota (a justified `quota_exception` is recorded on the round, as the round's
    decision does).
    """
    locked = lock_round(round)
    _require_open(locked)
    steps = _steps_named(actor, locked, organizations)
    for step in steps:
        if step.decided:
            raise RatingError(
                _("%(organization)s was already decided on %(day)s.")
                % {
                    "organization": step.organization,
                    "day": f"{timezone.localtime(step.rating.decided_at):%d/%m/%Y %H:%M}",
                }
            )
        if not step.proposed:
            raise RatingError(
                _("%(organization)s has no proposed level yet (nor a reason it is not rated).")
                % {"organization": step.organization}
            )
    justification = nfc(quota_exception or "").strip() or locked.quota_exception
    grid = build_grid(
        round=locked,
        include_missing=True,
        quota_exception=justification,
        setting=year_setting(locked.year),
        setting_loaded=True,
    )
    ids = {s.organization.pk for s in steps}
    member_ids = {row.member.pk for row in grid.rows if row.member.cell_id in ids}
    _raise_blocking(
        [v for v in grid.violations if v.subject_id in member_ids or v.code == "Q1"]
        + _organization_rating_violations(locked, grid.scheme, organization_ids=ids)
    )

    now, user = timezone.now(), acting_user(actor)
    changes: dict[str, list] = {"organizations decided": [None, sorted(ids)]}
    stale = ~Q(decided_level=F("proposed_level"))
    member_ratings = MemberRating.objects.filter(stale, round=locked, cell_id__in=ids)
    for mid, before, after in member_ratings.values_list(
        "member_id", "decided_level", "proposed_level"
    ):
        changes[f"member {mid} decided_level"] = [before, after]
    member_ratings.update(
        decided_level=F("proposed_level"), version=F("version") + 1, updated_by=user, updated_at=now
    )
    for step in steps:
        changes[f"organization {step.organization.pk} decided_level"] = [
            step.rating.decided_level,
            step.rating.proposed_level,
        ]
    OrganizationRating.objects.filter(round=locked, organization_id__in=ids).update(
        decided_level=F("proposed_level"),
        decided_at=now,
        decided_by=user,
        version=F("version") + 1,
        updated_at=now,
    )
    fields = []
    if justification != locked.quota_exception:
        changes["quota_exception"] = [locked.quota_exception, justification]
        locked.quota_exception = justification
        fields.append("quota_exception")
    save_round(locked, fields)
    for step in steps:  # a cell decided again after its reopening: its Mẫu 03 can be issued
        rerating.reopening_close(
            locked=locked,
            user=user,
            now=now,
            issuer=step.decider.organization,
            organization=step.organization,
        )
    _audit(actor, "subunit_decide", locked, changes, comment=justification)
    return locked


@transaction.atomic
def subunit_reopen(
    *,
    actor,
    round: RatingRound,  # noqa: A002
    organization: Organization,
    reason: str,
) -> RatingRound:
    """The đảng ủy cơ sở reopens its decision on a chi bộ trực thuộc (audited, with reason):
    the decided levels of the cell and its members are withdrawn and its rows can be
    changed again (while the grassroots organization may edit)."""
    reason = _require_text(reason, _("A reason is required to reopen the rating."))
    locked = lock_round(round)
    _require_open(locked)
    (step,) = _steps_named(actor, locked, [organization])
    if not step.decided:
        raise RatingError(
            _("%(organization)s has not been decided yet.") % {"organization": organization}
        )
    now, user = timezone.now(), acting_user(actor)
    changes: dict[str, list] = {
        f"organization {organization.pk} decided_level": [step.rating.decided_level, ""]
    }
    member_ratings = MemberRating.objects.filter(round=locked, cell=organization).exclude(
        decided_level=""
    )
    withdrawn_members = dict(member_ratings.values_list("member_id", "decided_level"))
    for mid, before in withdrawn_members.items():
        changes[f"member {mid} decided_level"] = [before, ""]
    # Kept for the đảng ủy's Mẫu 03: what it annulled, why, and (at its next decision of the
    # cell) what changed.
    rerating.reopening_open(
        locked=locked,
        organization=organization,
        reason=reason,
        withdrawn_members=withdrawn_members,
        withdrawn_organizations=(
            {organization.pk: step.rating.decided_level} if step.rating.decided_level else {}
        ),
        user=user,
        now=now,
    )
    member_ratings.update(
        decided_level="", version=F("version") + 1, updated_by=user, updated_at=now
    )
    OrganizationRating.objects.filter(pk=step.rating.pk).update(
        decided_level="",
        decided_at=None,
        decided_by=None,
        version=F("version") + 1,
        updated_at=now,
    )
    save_round(locked, [])
    _audit(actor, "subunit_reopen", locked, changes, comment=reason)
    return locked


def require_cells_undecided(locked: RatingRound, cell_ids) -> None:
    """Refuse a change to a row of a chi bộ trực thuộc its đảng ủy has decided (the entry
    services call this under the round lock)."""
    decided = step_cell_ids(locked, decided=True) & set(cell_ids)
    if decided:
        cell = Organization.objects.filter(pk__in=decided).order_by("name_sort_key").first()
        raise RoundLockedError(
            _(
                "%(organization)s was decided by %(body)s; it must reopen its decision before "
                "anything of it is changed."
            )
            % {"organization": cell, "body": _decider_label(cell)}
        )


def _decider_label(organization: Organization) -> str:
    decider = decider_of(organization)
    return decider.label if decider else "—"
