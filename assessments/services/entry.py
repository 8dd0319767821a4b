"""The rating workflow, entry: open a round, save member ratings and organization ratings."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.models import Member, Membership, Organization
from cells.vietnamese import nfc

from .. import regime_services, rules, schemes
from ..choices import DECIDED_STATES
from ..facts import organization_facts_for
from ..models import MemberRating, OrganizationRating, RatingRound
from ..permissions import can_decide_round, can_enter_cell_proposal, can_enter_ratings
from ..round_checks import (
    RatingError,
    acting_user,
    check_round_version,
    conflict_error,
    lock_round,
    require_entry,
    require_grassroots,
    require_open_for_entry,
    save_round,
    state_locked_error,
)
from ..selectors import (
    build_grid,
    period_end,
    round_scheme,
    year_setting,
)
from .base import (
    _CELL_FIELDS,
    _MEMBER_FIELDS,
    CellProposal,
    RowInput,
    _audit,
    _clean_points,
    _plain,
    _raise_blocking,
    _require_decider,
)
from .subunits import require_cells_undecided


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
    if any(row.appraise or row.group is not None or row.category for row in rows):
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
    require_cells_undecided(locked, {in_round[mid][0] for mid in proposed})
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
    regime = [row for row in proposed.values() if row.category is not None or row.sheet]
    if not changes and not regime:
        return locked
    MemberRating.objects.bulk_create(created)
    MemberRating.objects.bulk_update(
        updated,
        fields=[*_MEMBER_FIELDS, *_CELL_FIELDS, "group", "version", "updated_by", "updated_at"],
    )
    if regime:
        saved = {r.member_id: r for r in [*created, *updated]}
        _save_regime(actor, locked, regime, in_round, saved)
    save_round(locked, [])
    if changes:
        _audit(actor, "rating_save", locked, changes)
    return locked


def _save_regime(actor, locked: RatingRound, rows: list[RowInput], in_round, saved) -> None:
    """The rows' form categories and score sheets (2025–), in the save's transaction: a
    refusal (a part out of range, a changed task part without its reason) undoes the save."""
    members = Member.objects.in_bulk([row.member_id for row in rows if row.category])
    try:
        for row in rows:
            if row.category:
                regime_services.membercategory_set(
                    actor=actor,
                    member=members[row.member_id],
                    year=locked.year,
                    category=row.category,
                )
            if row.sheet is None:
                continue
            rating = saved.get(row.member_id) or in_round[row.member_id][1]
            if rating is None:
                raise RatingError(_("Choose a level before entering the two parts of the points."))
            rating.round = locked
            regime_services.scoresheet_save(
                actor=actor,
                stage=row.sheet.stage,
                general=row.sheet.general,
                tasks=row.sheet.tasks,
                tasks_reason=row.sheet.tasks_reason,
                member_rating=rating,
            )
    except ValidationError as exc:
        raise RatingError(" ".join(exc.messages)) from exc


def _require_cell_entry(actor, cell_ids: list[int]) -> None:
    """Refuse a cell proposal for a member of a cell the actor may not propose for."""
    if actor is None or not cell_ids:
        return
    for cell in Organization.objects.filter(pk__in=set(cell_ids)).order_by():
        if not can_enter_cell_proposal(actor, cell):
            raise PermissionDenied(
                _("You may not enter the proposals of %(organization)s.") % {"organization": cell}
            )


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
        require_cells_undecided(locked, {organization.pk})
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
