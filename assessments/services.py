"""The rating workflow: entry, submission, return, decision, publication, reopening (DOMAIN §4.2).

Every service is atomic and follows the same order: check the permission, lock the round row
(select_for_update) so concurrent writers of one grassroots organization serialize before
anything is counted, compare the version the caller loaded, ask the pure rules, write, bump the
round's version and record an audit row against the round (cells.audit, never a signal).
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.audit import audit_record
from cells.models import Membership, Organization
from cells.vietnamese import nfc

from . import rerating, rules, schemes
from .choices import DECIDED_STATES, EDITABLE_STATES, RoundState
from .facts import organization_facts_for, organizations_facts_for
from .models import MemberRating, OrganizationRating, RatingRound, RoundSnapshot
from .peer_groups import organization_quota_violations_for
from .permissions import can_decide_round, can_enter_cell_proposal, can_enter_ratings
from .review_services import round_snapshot_take

# The refusals are part of this module's interface (views catch services.RatingError and its
# kinds), so they are re-exported here, ConcurrentEditError explicitly as no service names it.
from .round_checks import ConcurrentEditError as ConcurrentEditError
from .round_checks import (
    RatingError,
    RoundLockedError,
    RuleViolationError,
    acting_user,
    check_round_version,
    conflict_error,
    lock_round,
    require_deadline,
    require_entry,
    require_grassroots,
    require_open_for_entry,
    save_round,
    state_locked_error,
)
from .selectors import build_grid, deciding_organization_for, period_end, round_scheme, year_setting

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
    # The peer group code (2025–; the ratings file's `nhom`); None keeps the stored one.
    group: str | None = None


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


# === Rounds ====================================================================================
@transaction.atomic
def round_get_or_create(*, actor, organization: Organization, year: int) -> RatingRound:
    """The round of `organization`'s grassroots unit for `year`, opened in draft if new.

    Accepts a cell too (its grassroots organization is used): screens start from either. The
    round records the scheme in force so later rule changes never re-rate a past year.
    """
    grassroots = require_grassroots(organization)
    if actor is not None and not (
        can_enter_ratings(actor, grassroots)
        or (organization.is_cell and can_enter_cell_proposal(actor, organization))
        or can_decide_round(actor, RatingRound(organization=grassroots, year=year))
    ):
        raise PermissionDenied(
            _("You may not enter ratings for %(organization)s.") % {"organization": grassroots}
        )
    try:
        scheme = schemes.scheme_for_year(year)
    except ValueError as exc:
        raise RatingError(str(exc)) from exc
    round_, created = RatingRound.objects.get_or_create(
        organization=grassroots, year=year, defaults={"scheme_code": scheme.code}
    )
    if created:
        _audit(
            actor,
            "round_create",
            round_,
            {"state": [None, round_.state], "scheme_code": [None, round_.scheme_code]},
        )
    return round_


def _clean_cell(proposal: CellProposal | None, scheme) -> CellProposal | None:
    if proposal is None:
        return None
    level = (proposal.level or "").strip()
    if level and not scheme.is_member_level(level):
        raise RatingError(_("Choose a level from the list."))
    for votes in (proposal.votes_for, proposal.votes_total):
        if votes is not None and not 0 <= votes <= 999:
            raise RatingError(_("Votes must be a whole number from 0 to 999."))
    if (
        proposal.votes_for is not None
        and proposal.votes_total is not None
        and proposal.votes_for > proposal.votes_total
    ):
        raise RatingError(_("Votes for cannot be more than the members voting."))
    return dataclasses.replace(proposal, level=level)


def _normalized(row: RowInput) -> RowInput:
    level = (row.level or "").strip()
    return dataclasses.replace(
        row,
        level=level,
        not_rated_reason="" if level else (row.not_rated_reason or "").strip(),
        not_rated_note="" if level else nfc(row.not_rated_note or "").strip(),
        note=nfc(row.note or "").strip(),
        points=_clean_points(row.points),
    )


def _rows_in_round(locked: RatingRound, member_ids: list[int]) -> dict[int, tuple]:
    """(cell on the period end, saved rating of this round) of each given member who belongs
    to the round's organization on the period end (two queries)."""
    end = period_end(locked.year)
    cells = dict(
        Membership.objects.filter(
            Q(end__isnull=True) | Q(end__gte=end),
            start__lte=end,
            member_id__in=member_ids,
            organization__path__startswith=locked.organization.path,
        )
        .order_by("member_id", "start")
        .values_list("member_id", "organization_id")
    )
    saved = {
        r.member_id: r
        for r in MemberRating.objects.filter(round=locked, member_id__in=list(cells)).order_by()
    }
    return {mid: (cell_id, saved.get(mid)) for mid, cell_id in cells.items()}


def _check_row_versions(proposed, rows: dict[int, tuple]) -> None:
    """Refuse rows someone else saved since the caller loaded them, naming them all.

    A version of 0 means "there was no rating when I loaded the row": a rating created
    meanwhile is a conflict too. None (an import) is not checked.
    """
    stale = [
        mid
        for mid, row in proposed.items()
        if row.version is not None
        and (rows[mid][1].version if rows[mid][1] is not None else 0) != row.version
    ]
    if stale:
        latest = max(
            (rows[mid][1].updated_at for mid in stale if rows[mid][1] is not None), default=None
        )
        error = conflict_error(latest)
        error.member_ids = stale
        raise error


@transaction.atomic
def member_ratings_save(
    *,
    actor,
    round: RatingRound,  # noqa: A002
    rows: list[RowInput],
    round_version: int | None = None,
    check_rules: bool = False,
) -> RatingRound:
    """Save proposed member levels, all or nothing.

    A draft always saves, whatever the rules say (DOMAIN §4.2: the committee works cell by
    cell and the quota is judged on the whole list): the grid shows the violations and only
    the submission refuses them. `check_rules` (an import, which is a finished proposal)
    runs the rules over the WHOLE grassroots organization with the rows applied, under the
    round lock so two writers cannot both take the last HTXSNV place, and refuses any error.

    Rows are checked by their own versions; `round_version`, when given, also refuses a
    caller who loaded the round before any other change.
    """
    if any(row.appraise for row in rows):
        require_entry(actor, round.organization)
    locked = lock_round(round)
    if round_version is not None:
        check_round_version(locked, round_version)
    setting = year_setting(locked.year)
    require_open_for_entry(locked, setting)
    proposed = {
        row.member_id: dataclasses.replace(
            _normalized(row), cell=_clean_cell(row.cell, locked.scheme)
        )
        for row in rows
    }
    if check_rules:
        grid = build_grid(round=locked, proposed=proposed, setting=setting, setting_loaded=True)
        in_round = {row.member.pk: (row.member.cell_id, row.rating) for row in grid.rows}
    else:
        in_round = _rows_in_round(locked, list(proposed))
    outside = [mid for mid in proposed if mid not in in_round]
    if outside:
        raise RatingError(
            _("Member #%(member)s is not a member of %(organization)s at the end of %(year)s.")
            % {"member": outside[0], "organization": locked.organization, "year": locked.year}
        )
    elsewhere = (
        MemberRating.objects.filter(year=locked.year, member_id__in=list(proposed))
        .exclude(round=locked)
        .select_related("member", "round__organization")
        .order_by()
        .first()
    )
    if elsewhere is not None:
        raise RatingError(
            _("%(member)s is already rated for %(year)s in %(organization)s.")
            % {
                "member": elsewhere.member,
                "year": locked.year,
                "organization": elsewhere.round.organization,
            }
        )
    _require_cell_entry(actor, [in_round[mid][0] for mid, r in proposed.items() if r.cell])
    _check_row_versions(proposed, in_round)
    if check_rules:
        _raise_blocking(grid.violations)

    now, user = timezone.now(), acting_user(actor)
    changes: dict[str, list] = {}
    created, updated = [], []
    for mid, row in proposed.items():
        values = {}
        if row.appraise:
            values.update(
                proposed_level=row.level,
                not_rated_reason=row.not_rated_reason,
                not_rated_note=row.not_rated_note,
                note=row.note,
                points=row.points,
            )
            if row.group is not None:
                values["group"] = row.group
        if row.cell is not None:
            values.update(
                cell_level=row.cell.level,
                votes_for=row.cell.votes_for,
                votes_total=row.cell.votes_total,
            )
        cell_id, rating = in_round[mid]
        if rating is None:
            if not any(v not in ("", None) for v in values.values()):
                continue
            created.append(
                MemberRating(
                    round=locked,
                    member_id=mid,
                    year=locked.year,
                    cell_id=cell_id,
                    updated_by=user,
                    **values,
                )
            )
            for name, value in values.items():
                if value not in ("", None):
                    changes[f"member {mid} {name}"] = [None, _plain(value)]
            continue
        changed = {n: v for n, v in values.items() if getattr(rating, n) != v}
        if not changed:
            continue
        for name, value in changed.items():
            changes[f"member {mid} {name}"] = [_plain(getattr(rating, name)), _plain(value)]
            setattr(rating, name, value)
        rating.version += 1
        rating.updated_by, rating.updated_at = user, now
        updated.append(rating)
    if not changes:
        return locked
    MemberRating.objects.bulk_create(created)
    MemberRating.objects.bulk_update(
        updated,
        fields=[*_MEMBER_FIELDS, *_CELL_FIELDS, "group", "version", "updated_by", "updated_at"],
    )
    save_round(locked, [])
    _audit(actor, "rating_save", locked, changes)
    return locked


def _require_cell_entry(actor, cell_ids: list[int]) -> None:
    """Refuse a cell proposal for a member of a cell the actor may not propose for."""
    if actor is None or not cell_ids:
        return
    for cell in Organization.objects.filter(pk__in=set(cell_ids)).order_by():
        if not can_enter_cell_proposal(actor, cell):
            raise PermissionDenied(
                _("You may not enter the proposals of %(organization)s.") % {"organization": cell}
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
    locked: RatingRound, scheme: schemes.RatingScheme
) -> list[rules.Violation]:
    """O1–O6 for every organization rating of the round (a fixed number of queries)."""
    found = []
    end = period_end(locked.year)
    ratings = list(locked.organization_ratings.select_related("organization"))
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


def _decide(
    actor, round_: RatingRound, quota_exception: str, decision: DecisionReference | None = None
) -> RatingRound:
    _require_decider(actor, round_)
    locked = lock_round(round_)
    # A decision recorded from history was taken long ago: no submission step in between.
    if decision is None or locked.state not in EDITABLE_STATES:
        _transition(locked, RoundState.DECIDED)
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
    rerating.reopening_close(locked=locked, user=user, now=now)
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
    member_ratings = MemberRating.objects.filter(round=locked).exclude(decided_level="")
    withdrawn_members = dict(member_ratings.values_list("member_id", "decided_level"))
    for mid, before in withdrawn_members.items():
        changes[f"member {mid} decided_level"] = [before, ""]
    member_ratings.update(
        decided_level="", version=F("version") + 1, updated_by=user, updated_at=now
    )
    org_ratings = OrganizationRating.objects.filter(round=locked).exclude(decided_level="")
    withdrawn_orgs = dict(org_ratings.values_list("organization_id", "decided_level"))
    for oid, before in withdrawn_orgs.items():
        changes[f"organization {oid} decided_level"] = [before, ""]
    org_ratings.update(decided_level="", version=F("version") + 1, updated_at=now)
    # Kept for Mẫu 03: what was annulled, why, and (at the next decision) what changed.
    rerating.reopening_open(
        locked=locked,
        reason=reason,
        withdrawn_members=withdrawn_members,
        withdrawn_organizations=withdrawn_orgs,
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


# === Organization ratings ======================================================================
def _rated_in_round(locked: RatingRound, organization: Organization) -> bool:
    """A sub-unit of the round's grassroots organization that exists on the period end."""
    grassroots, end = locked.organization, period_end(locked.year)
    return (
        organization.path.startswith(grassroots.path)
        and organization.depth > grassroots.depth
        and organization.is_active_on(end)
    )


@transaction.atomic
def organization_rating_save(
    *,
    actor,
    round: RatingRound,  # noqa: A002
    organization: Organization,
    level: str,
    not_rated_reason: str = "",
    not_rated_note: str = "",
    points: Decimal | None = None,
    note: str = "",
    version: int | None = None,
) -> OrganizationRating:
    """Propose the level of a cell (by the grassroots committee, while it may edit) or of the
    grassroots organization itself (by the deciding level, until it decides), after O1–O6.

    The returned rating's `.round` is the locked round with its new version.
    """
    own = organization.pk == round.organization_id
    if own:
        _require_decider(actor, round)
    else:
        require_entry(actor, round.organization)
    locked = lock_round(round)
    setting = year_setting(locked.year)
    if own:
        if locked.state in DECIDED_STATES:
            raise state_locked_error(locked)
    else:
        if not _rated_in_round(locked, organization):
            raise RatingError(
                _("%(organization)s is not rated in this round.") % {"organization": organization}
            )
        require_open_for_entry(locked, setting)
    level = (level or "").strip()
    values = {
        "proposed_level": level,
        "not_rated_reason": "" if level else (not_rated_reason or "").strip(),
        "not_rated_note": "" if level else nfc(not_rated_note or "").strip(),
        "points": _clean_points(points),
        "note": nfc(note or "").strip(),
    }
    facts = organization_facts_for(
        organization=organization, year=locked.year, points=values["points"]
    )
    _raise_blocking(
        rules.check_organization_rating(
            round_scheme(locked, setting),
            facts,
            level=level or None,
            not_rated_reason=values["not_rated_reason"] or None,
            not_rated_note=values["not_rated_note"],
            period_end=period_end(locked.year),
        )
    )
    rating = (
        OrganizationRating.objects.select_for_update()
        .filter(organization=organization, year=locked.year)
        .first()
    )
    if rating is not None and rating.round_id != locked.pk:
        raise RatingError(
            _("%(organization)s is not rated in this round.") % {"organization": organization}
        )
    if version is not None and rating is not None and rating.version != version:
        raise conflict_error(rating.updated_at)
    prefix = f"organization {organization.pk}"
    if rating is None:
        rating = OrganizationRating.objects.create(
            round=locked, organization=organization, year=locked.year, **values
        )
        changes = {
            f"{prefix} {name}": [None, _plain(value)]
            for name, value in values.items()
            if value not in ("", None)
        }
    else:
        changed = {n: v for n, v in values.items() if getattr(rating, n) != v}
        changes = {
            f"{prefix} {n}": [_plain(getattr(rating, n)), _plain(v)] for n, v in changed.items()
        }
        if changed:
            for name, value in changed.items():
                setattr(rating, name, value)
            rating.version += 1
            rating.save(update_fields=[*changed, "version", "updated_at"])
    if changes:
        save_round(locked, [])
        _audit(actor, "organization_rating_save", locked, changes)
    rating.round = locked
    return rating
