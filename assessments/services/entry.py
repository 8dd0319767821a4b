"""Entering the levels: a grid's member lines (or an import's) and the organization ratings."""

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.models import Organization
from cells.vietnamese import nfc

from .. import rules
from ..choices import DECIDED_STATES
from ..facts import organization_facts_for
from ..models import MemberRating, OrganizationRating, RatingRound
from ..round_checks import (
    RatingError,
    acting_user,
    check_round_version,
    conflict_error,
    lock_round,
    require_entry,
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
from .base import audit_round, clean_points, plain, raise_blocking, require_decider

_MEMBER_FIELDS = ("proposed_level", "not_rated_reason", "not_rated_note", "note", "points")


@dataclass
class RowInput:
    """One member line as the grid (or an import) sends it: the full state of the row.

    `level` "" means not rated (then `not_rated_reason` is required); `points` None clears
    them; `version` is the row version the caller loaded, checked when given.
    """

    member_id: int
    level: str
    not_rated_reason: str = ""
    not_rated_note: str = ""
    note: str = ""
    points: Decimal | None = None
    version: int | None = None


def _normalized(row: RowInput) -> RowInput:
    level = (row.level or "").strip()
    return dataclasses.replace(
        row,
        level=level,
        not_rated_reason="" if level else (row.not_rated_reason or "").strip(),
        not_rated_note="" if level else nfc(row.not_rated_note or "").strip(),
        note=nfc(row.note or "").strip(),
        points=clean_points(row.points),
    )


@transaction.atomic
def member_ratings_save(
    *,
    actor,
    round: RatingRound,  # noqa: A002
    rows: list[RowInput],
    round_version: int,
) -> RatingRound:
    """Save proposed member levels, all or nothing.

    The round row is locked before the rules count, so two secretaries saving at once cannot
    both take the last HTXSNV place of the quota. The rules run over the WHOLE grassroots
    organization with the rows applied: any error-level violation anywhere refuses the save.
    """
    require_entry(actor, round.organization)
    locked = lock_round(round)
    check_round_version(locked, round_version)
    setting = year_setting(locked.year)
    require_open_for_entry(locked, setting)
    proposed = {row.member_id: _normalized(row) for row in rows}
    grid = build_grid(round=locked, proposed=proposed, setting=setting, setting_loaded=True)
    grid_rows = {row.member.pk: row for row in grid.rows}
    outside = [mid for mid in proposed if mid not in grid_rows]
    if outside:
        raise RatingError(
            _("Member #%(member)s is not a member of %(organization)s at the end of %(year)s.")
            % {"member": outside[0], "organization": locked.organization, "year": locked.year}
        )
    elsewhere = (
        MemberRating.objects.filter(year=locked.year, member_id__in=list(proposed))
        .exclude(round=locked)
        .select_related("member", "round__organization")
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
    for mid, row in proposed.items():
        saved = grid_rows[mid].rating
        if row.version is not None and saved is not None and saved.version != row.version:
            raise conflict_error(saved.updated_at)
    raise_blocking(grid.violations)

    now, user = timezone.now(), acting_user(actor)
    changes: dict[str, list] = {}
    created, updated = [], []
    for mid, row in proposed.items():
        values = {
            "proposed_level": row.level,
            "not_rated_reason": row.not_rated_reason,
            "not_rated_note": row.not_rated_note,
            "note": row.note,
            "points": row.points,
        }
        rating = grid_rows[mid].rating
        if rating is None:
            created.append(
                MemberRating(
                    round=locked,
                    member_id=mid,
                    year=locked.year,
                    cell_id=grid_rows[mid].member.cell_id,
                    updated_by=user,
                    **values,
                )
            )
            for name, value in values.items():
                if value not in ("", None):
                    changes[f"member {mid} {name}"] = [None, plain(value)]
            continue
        changed = {n: v for n, v in values.items() if getattr(rating, n) != v}
        if not changed:
            continue
        for name, value in changed.items():
            changes[f"member {mid} {name}"] = [plain(getattr(rating, name)), plain(value)]
            setattr(rating, name, value)
        rating.version += 1
        rating.updated_by, rating.updated_at = user, now
        updated.append(rating)
    if not changes:
        return locked
    MemberRating.objects.bulk_create(created)
    MemberRating.objects.bulk_update(
        updated, fields=[*_MEMBER_FIELDS, "version", "updated_by", "updated_at"]
    )
    save_round(locked, [])
    audit_round(actor, "rating_save", locked, changes)
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
        require_decider(actor, round)
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
        "points": clean_points(points),
        "note": nfc(note or "").strip(),
    }
    facts = organization_facts_for(
        organization=organization, year=locked.year, points=values["points"]
    )
    raise_blocking(
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
            f"{prefix} {name}": [None, plain(value)]
            for name, value in values.items()
            if value not in ("", None)
        }
    else:
        changed = {n: v for n, v in values.items() if getattr(rating, n) != v}
        changes = {
            f"{prefix} {n}": [plain(getattr(rating, n)), plain(v)] for n, v in changed.items()
        }
        if changed:
            for name, value in changed.items():
                setattr(rating, name, value)
            rating.version += 1
            rating.save(update_fields=[*changed, "version", "updated_at"])
    if changes:
        save_round(locked, [])
        audit_round(actor, "organization_rating_save", locked, changes)
    rating.round = locked
    return rating
