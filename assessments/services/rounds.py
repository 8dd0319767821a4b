"""The rating workflow, the round's moves: submit, return, decide, publish, reopen."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cells.vietnamese import nfc

from .. import rerating, rules, schemes
from ..choices import EDITABLE_STATES, RoundState
from ..deciders import subunit_steps
from ..facts import organizations_facts_for
from ..models import MemberRating, OrganizationRating, RatingRound, RoundSnapshot
from ..peer_groups import organization_quota_violations_for
from ..review_services import round_snapshot_take
from ..round_checks import (
    RoundLockedError,
    acting_user,
    check_round_version,
    lock_round,
    require_deadline,
    require_entry,
    save_round,
)
from ..selectors import (
    build_grid,
    deciding_organization_for,
    period_end,
    year_setting,
)
from .base import (
    _audit,
    _raise_blocking,
    _require_decider,
    _require_text,
    _transition,
)


@transaction.atomic
def round_submit(
    *,
    actor,
    round: RatingRound,  # noqa: A002
    round_version: int,
) -> RatingRound:
    """Send the proposals to the deciding level: every member must have a level or a reason
    and no rule may be broken."""
    require_entry(actor, round.organization)
    locked = lock_round(round)
    check_round_version(locked, round_version)
    _transition(locked, RoundState.SUBMITTED)
    setting = year_setting(locked.year)
    require_deadline(locked, setting)
    grid = build_grid(round=locked, include_missing=True, setting=setting, setting_loaded=True)
    _raise_blocking(grid.violations)
    before = locked.state
    locked.state = RoundState.SUBMITTED
    locked.submitted_at, locked.submitted_by = timezone.now(), acting_user(actor)
    save_round(locked, ["state", "submitted_at", "submitted_by"])
    _audit(actor, "round_submit", locked, {"state": [before, locked.state]})
    return locked


@transaction.atomic
def round_return(*, actor, round: RatingRound, comment: str) -> RatingRound:  # noqa: A002
    """The deciding level sends the proposals back for correction, saying why."""
    _require_decider(actor, round)
    comment = _require_text(comment, _("A reason is required to return the rating."))
    locked = lock_round(round)
    _transition(locked, RoundState.RETURNED)
    before = locked.state
    locked.state, locked.return_comment = RoundState.RETURNED, comment
    save_round(locked, ["state", "return_comment"])
    round_snapshot_take(locked=locked, kind=RoundSnapshot.Kind.RETURN, taken_by=acting_user(actor))
    _audit(actor, "round_return", locked, {"state": [before, locked.state]}, comment=comment)
    return locked


def _organization_rating_violations(
    locked: RatingRound, scheme: schemes.RatingScheme, *, organization_ids=None
) -> list[rules.Violation]:
    """O1–O6 for every organization rating of the round, or of `organization_ids` only (a
    fixed number of queries)."""
    found = []
    end = period_end(locked.year)
    ratings = locked.organization_ratings.select_related("organization")
    if organization_ids is not None:
        ratings = ratings.filter(organization_id__in=organization_ids)
    ratings = list(ratings)
    facts_by_id = organizations_facts_for(
        organizations=[r.organization for r in ratings],
        year=locked.year,
        points={r.organization_id: r.points for r in ratings},
    )
    for rating in ratings:
        facts = facts_by_id[rating.organization_id]
        found.extend(
            rules.check_organization_rating(
                scheme,
                facts,
                level=rating.proposed_level or None,
                not_rated_reason=rating.not_rated_reason or None,
                not_rated_note=rating.not_rated_note,
                period_end=end,
            )
        )
    # The quota applies to collectives too (2025–): counted per deciding level.
    found.extend(
        organization_quota_violations_for(
            organizations=[(r.organization, r.proposed_level or None) for r in ratings],
            year=locked.year,
            scheme=scheme,
        )
    )
    return found


@dataclass(frozen=True)
class DecisionReference:
    """The decision a past year's results were decided by (its number and date)."""

    number: str
    date: datetime.date


def _require_steps_decided(locked: RatingRound) -> None:
    """HD 43 §3: the tier above decides the grassroots organization once its đảng ủy has
    decided every chi bộ trực thuộc (it does not decide them itself)."""
    pending = [s for s in subunit_steps(locked) if not s.decided]
    if pending:
        raise RoundLockedError(
            ngettext(
                "%(body)s has not yet decided %(count)d subordinate cell: %(names)s.",
                "%(body)s has not yet decided %(count)d subordinate cells: %(names)s.",
                len(pending),
            )
            % {
                "body": pending[0].decider.label,
                "count": len(pending),
                "names": ", ".join(s.organization.name for s in pending[:5])
                + ("…" if len(pending) > 5 else ""),
            }
        )


def _decide(
    actor, round_: RatingRound, quota_exception: str, decision: DecisionReference | None = None
) -> RatingRound:
    _require_decider(actor, round_)
    locked = lock_round(round_)
    # A decision recorded from history was taken long ago: no submission step in between,
    # and the cells' own decisions are recorded with it.
    if decision is None or locked.state not in EDITABLE_STATES:
        _transition(locked, RoundState.DECIDED)
    if decision is None:
        _require_steps_decided(locked)
    justification = nfc(quota_exception or "").strip() or locked.quota_exception
    setting = year_setting(locked.year)
    grid = build_grid(
        round=locked,
        include_missing=True,
        quota_exception=justification,
        setting=setting,
        setting_loaded=True,
    )
    violations = grid.violations + _organization_rating_violations(locked, grid.scheme)
    _raise_blocking(violations)

    now, user = timezone.now(), acting_user(actor)
    changes: dict[str, list] = {"state": [locked.state, RoundState.DECIDED]}
    stale = ~Q(decided_level=F("proposed_level"))
    member_ratings = MemberRating.objects.filter(stale, round=locked)
    for mid, before, after in member_ratings.values_list(
        "member_id", "decided_level", "proposed_level"
    ):
        changes[f"member {mid} decided_level"] = [before, after]
    member_ratings.update(
        decided_level=F("proposed_level"), version=F("version") + 1, updated_by=user, updated_at=now
    )
    org_ratings = OrganizationRating.objects.filter(stale, round=locked)
    for oid, before, after in org_ratings.values_list(
        "organization_id", "decided_level", "proposed_level"
    ):
        changes[f"organization {oid} decided_level"] = [before, after]
    org_ratings.update(decided_level=F("proposed_level"), version=F("version") + 1, updated_at=now)
    # Who decided each organization: this decision, for every rating not decided in a step.
    OrganizationRating.objects.filter(round=locked, decided_at__isnull=True).update(
        decided_at=now, decided_by=user
    )
    if justification != locked.quota_exception:
        changes["quota_exception"] = [locked.quota_exception, justification]
    locked.state = RoundState.DECIDED
    locked.decided_at, locked.decided_by = now, user
    locked.quota_exception = justification
    fields = ["state", "decided_at", "decided_by", "quota_exception"]
    if decision is not None:
        changes["decision"] = [
            [locked.decision_number, str(locked.decision_date or "")],
            [decision.number, str(decision.date)],
        ]
        locked.decision_number, locked.decision_date = decision.number, decision.date
        fields += ["decision_number", "decision_date"]
    save_round(locked, fields)
    rerating.reopening_close(
        locked=locked, user=user, now=now, issuer=deciding_organization_for(locked)
    )
    round_snapshot_take(locked=locked, kind=RoundSnapshot.Kind.DECIDE, taken_by=user)
    action = "round_decide" if decision is None else "round_decide_recorded"
    _audit(actor, action, locked, changes, comment=justification)
    return locked


@transaction.atomic
def round_decide(
    *,
    actor,
    round: RatingRound,  # noqa: A002
    quota_exception: str = "",
) -> RatingRound:
    """The directly superior committee decides: the proposals become the decided levels.

    The rules are checked again under the lock (the facts may have changed since the
    submission); a justified `quota_exception` turns an exceeded quota into a warning and is
    kept for the reports.
    """
    return _decide(actor, round, quota_exception)


@transaction.atomic
def round_decide_recorded(
    *,
    actor,
    round: RatingRound,  # noqa: A002
    decision: DecisionReference,
    quota_exception: str = "",
) -> RatingRound:
    """Record a past year's results as decided by `decision` (the decided-history import).

    Every rule of the year's scheme is checked as in `round_decide`; a `quota_exception` the
    real decision granted is recorded with it. The round goes straight from its proposals to
    decided (there was no submission in the app), and counts as official at once.
    """
    return _decide(actor, round, quota_exception, decision)


@transaction.atomic
def rounds_decide(*, actor, rounds: list[RatingRound]) -> list[RatingRound]:
    """Decide several rounds at once, all or nothing (the review screen's bulk action).

    Locks are taken in primary-key order so two bulk decisions cannot deadlock.
    """
    decided = {r.pk: _decide(actor, r, "") for r in sorted(rounds, key=lambda r: r.pk)}
    return [decided[r.pk] for r in rounds]


@transaction.atomic
def round_publish(*, actor, round: RatingRound) -> RatingRound:  # noqa: A002
    """Announce the decided results (DOMAIN §4.2 step 6)."""
    _require_decider(actor, round)
    locked = lock_round(round)
    _transition(locked, RoundState.PUBLISHED)
    before = locked.state
    locked.state, locked.published_at = RoundState.PUBLISHED, timezone.now()
    save_round(locked, ["state", "published_at"])
    _audit(actor, "round_publish", locked, {"state": [before, locked.state]})
    return locked


@transaction.atomic
def round_reopen(*, actor, round: RatingRound, reason: str) -> RatingRound:  # noqa: A002
    """The deciding level reopens a decided or published rating for correction (audited).

    The decided levels are withdrawn (statistics count decided levels only) and the unit may
    edit again, even after the entry deadline.
    """
    _require_decider(actor, round)
    reason = _require_text(reason, _("A reason is required to reopen the rating."))
    locked = lock_round(round)
    _transition(locked, RoundState.DRAFT, by_deciding_level=True)
    now, user = timezone.now(), acting_user(actor)
    changes: dict[str, list] = {"state": [locked.state, RoundState.DRAFT]}
    # What the đảng ủy cơ sở decided in its steps stays decided: it is its to reopen.
    kept = {s.organization.pk for s in subunit_steps(locked) if s.decided}
    member_ratings = (
        MemberRating.objects.filter(round=locked)
        .exclude(decided_level="")
        .exclude(cell_id__in=kept)
    )
    withdrawn_members = dict(member_ratings.values_list("member_id", "decided_level"))
    for mid, before in withdrawn_members.items():
        changes[f"member {mid} decided_level"] = [before, ""]
    member_ratings.update(
        decided_level="", version=F("version") + 1, updated_by=user, updated_at=now
    )
    org_ratings = OrganizationRating.objects.filter(round=locked).exclude(organization_id__in=kept)
    withdrawn_orgs = dict(
        org_ratings.exclude(decided_level="").values_list("organization_id", "decided_level")
    )
    for oid, before in withdrawn_orgs.items():
        changes[f"organization {oid} decided_level"] = [before, ""]
    org_ratings.filter(Q(decided_at__isnull=False) | ~Q(decided_level="")).update(
        decided_level="", decided_at=None, decided_by=None, version=F("version") + 1, updated_at=now
    )
    # Kept for Mẫu 03: what was annulled, why, and (at the next decision) what changed.
    rerating.reopening_open(
        locked=locked,
        reason=reason,
        withdrawn_members=withdrawn_members,
        withdrawn_organizations=withdrawn_orgs,
        kept_cells=kept,
        user=user,
        now=now,
    )
    locked.state = RoundState.DRAFT
    locked.reopened_at, locked.reopened_by, locked.reopen_reason = now, user, reason
    locked.decided_at = locked.decided_by = locked.published_at = None
    save_round(
        locked,
        ["state", "reopened_at", "reopened_by", "reopen_reason", "decided_at", "decided_by"]
        + ["published_at"],
    )
    _audit(actor, "round_reopen", locked, changes, comment=reason)
    return locked
