"""Write side of the 2025– regime facts (DOMAIN §4.3): each use case checks permission,
writes and records its audit row inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.audit import audit_record
from cells.models import Member, Organization
from cells.permissions import can_decide_rating
from cells.vietnamese import nfc

from . import rules
from .choices import FormCategory, ScoreStage
from .facts import organization_tasks, tasks_by_member
from .models import (
    MemberCategory,
    MemberRating,
    OrganizationRating,
    PeerGroup,
    QuotaCeilingDecision,
    RatingRound,
    ScoreSheet,
)
from .permissions import can_decide_round, can_enter_cell_proposal
from .regime_selectors import (
    AUDIENCE_COLLECTIVE,
    member_category_for,
    member_cell_at_year_end,
    points_items_for,
)
from .round_checks import acting_user, require_entry
from .rules.points import PASS_WORDS, SCORING_PASS_FAIL
from .selectors import scheme_for


@transaction.atomic
def membercategory_set(
    *, actor, member: Member, year: int, category: str, note: str = ""
) -> MemberCategory:
    """Record which form (2A, 2B, 2C) `member` uses for `year`: the committee's decision.

    The suggestion of the moment is stored beside it, so a recorded category that differs
    from what the posts suggest stays visible. Who may enter ratings for the member's cell
    may record it.
    """
    if category not in FormCategory.values:
        raise ValidationError(
            _("“%(value)s” is not a form category (2A, 2B or 2C).") % {"value": category}
        )
    cell = member_cell_at_year_end(member=member, year=year)
    if cell is None:
        raise ValidationError(
            _("%(member)s is not a member of any cell at the end of %(year)s.")
            % {"member": member, "year": year}
        )
    require_entry(actor, cell)
    view = member_category_for(member=member, year=year)
    before = view.category
    row = MemberCategory.objects.select_for_update().filter(member=member, year=year).first()
    values = {
        "category": category,
        "suggested": view.suggestion.category or "",
        "note": nfc(note or "").strip()[:255],
        "recorded_by": acting_user(actor),
    }
    if row is None:
        row = MemberCategory.objects.create(member=member, year=year, **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
    if before != category:
        audit_record(
            actor=actor,
            action="membercategory_set",
            instance=row,
            organization=cell,
            changes={"category": [before, category], "year": year},
            comment=values["note"],
        )
    return row


@transaction.atomic
def quotaceiling_decide(
    *,
    actor,
    organization: Organization,
    year: int,
    percent: int,
    reason: str,
    group: PeerGroup | None = None,
) -> QuotaCeilingDecision:
    """The competent level allows up to 25% HTXSNV for the subjects `organization` manages
    (an organization with outstanding results): reasoned, recorded with who and when, audited.

    The competent level is the one deciding `organization`'s rating (its parent) or above.
    """
    deciding = Organization.objects.get_parent(organization)
    if deciding is None or (actor is not None and not can_decide_rating(actor, deciding)):
        raise PermissionDenied(
            _("Only the level deciding %(organization)s may raise its quota ceiling.")
            % {"organization": organization}
        )
    reason = nfc(reason or "").strip()
    problems = rules.ceiling_problems(
        ratio=Fraction(percent, 100), reason=reason, base_ratio=scheme_for(year).quota_ratio
    )
    if problems:
        raise ValidationError(problems)
    decision, created = QuotaCeilingDecision.objects.update_or_create(
        organization=organization,
        year=year,
        group=group,
        defaults={
            "percent": percent,
            "reason": reason,
            "deciding_organization": deciding,
            "decided_by": actor if getattr(actor, "is_authenticated", False) else None,
            "decided_at": timezone.now(),
        },
    )
    audit_record(
        actor=actor,
        action="quotaceiling_decide",
        instance=decision,
        organization=organization,
        changes={"percent": [None, percent], "year": year, "group": group.code if group else None},
        comment=reason,
    )
    return decision


@dataclass
class RegimeRow:
    """The points parts of one member's rating row (2025–)."""

    member_id: int
    general: Decimal | None = None
    tasks: Decimal | None = None
    tasks_reason: str = ""


def _sheet_problems(*, general, tasks, total, suggested, reason: str) -> list[str]:
    return [
        message
        for _code, message in rules.parts_problems(
            general=general, tasks=tasks, total=total, suggested=suggested, reason=reason
        )
    ]


def _save_sheet(
    *, actor, stage: str, general, tasks, suggested, reason: str, items=None, **owner
) -> ScoreSheet:
    sheet, _created = ScoreSheet.objects.update_or_create(
        stage=stage,
        **owner,
        defaults={
            "general": general,
            "tasks": tasks,
            "tasks_suggested": suggested,
            "tasks_reason": reason,
            "items": items or {},
            "updated_by": acting_user(actor),
        },
    )
    return sheet


@transaction.atomic
def scoresheet_save(
    *,
    actor,
    stage: str,
    general: Decimal | None,
    tasks: Decimal | None,
    tasks_reason: str = "",
    member_rating: MemberRating | None = None,
    organization_rating: OrganizationRating | None = None,
    items: dict | None = None,
) -> ScoreSheet:
    """Save the two parts (30 + 70) of one score at one stage (self-score, cell proposal,
    committee appraisal) of a member's or an organization's rating.

    With `items` ({item key: points, or True/False for "đảm bảo"/"không đảm bảo"}) the score
    is entered item by item against the province's items of the year for the subject
    (regime_selectors.points_items_for): every item must be scored, the parts are their sums
    (`general` and `tasks` are then ignored) and the values are kept on the sheet.

    The 70 part is compared with what the task ledger suggests; a different value needs a
    reason. The committee's appraisal must add up to the rating's points (the total the
    bands read). Who may enter the round's ratings may save it (the deciding level for a
    grassroots organization's own rating).
    """
    if (member_rating is None) == (organization_rating is None):
        raise ValueError("A score sheet belongs to one member rating or one organization rating")
    if stage not in ScoreStage.values:
        raise ValidationError(_("Unknown stage of the score."))
    rating = member_rating or organization_rating
    round_ = rating.round
    if (
        organization_rating is not None
        and organization_rating.organization_id == round_.organization_id
    ):
        if actor is not None and not can_decide_round(actor, round_):
            raise PermissionDenied(_("Only the deciding level scores this organization."))
    elif stage == ScoreStage.CELL and member_rating is not None:
        # The cell's proposal is the cell's (its secretary, or the committee on its behalf).
        cell = member_rating.cell or member_cell_at_year_end(
            member=member_rating.member, year=member_rating.year
        )
        if actor is not None and not (cell and can_enter_cell_proposal(actor, cell)):
            raise PermissionDenied(
                _("You may not enter the proposals of %(organization)s.")
                % {"organization": cell or "—"}
            )
    else:
        require_entry(actor, round_.organization)
    if member_rating is not None:
        summary = tasks_by_member(member_ids=[member_rating.member_id], year=rating.year)
    else:
        summary = organization_tasks(organization_ids=[rating.organization_id], year=rating.year)
    found = summary.get(rating.member_id if member_rating else rating.organization_id)
    suggested = rules.suggest_task_points(found[0].counts if found else None)
    reason = nfc(tasks_reason or "").strip()
    stored_items: dict = {}
    if items is not None:
        general, tasks, stored_items = _parts_from_items(
            items, member_rating=member_rating, organization_rating=organization_rating
        )
    total = rating.points if stage == ScoreStage.COMMITTEE else None
    problems = _sheet_problems(
        general=general, tasks=tasks, total=total, suggested=suggested, reason=reason
    )
    if problems:
        raise ValidationError(problems)
    owner = (
        {"member_rating": member_rating}
        if member_rating is not None
        else {"organization_rating": organization_rating}
    )
    sheet = _save_sheet(
        actor=actor,
        stage=stage,
        general=general,
        tasks=tasks,
        suggested=suggested,
        reason=reason,
        items=stored_items,
        **owner,
    )
    audit_record(
        actor=actor,
        action="scoresheet_save",
        instance=round_,
        organization=round_.organization,
        changes={
            "stage": stage,
            "subject": str(rating),
            "general": str(general),
            "tasks": str(tasks),
            "suggested": str(suggested),
            **({"items": stored_items} if stored_items else {}),
        },
        comment=reason,
    )
    return sheet


def _audience_of(*, member_rating, organization_rating) -> str:
    """Whose items apply: the member's recorded category (its suggestion until one is
    recorded), or the collectives'."""
    if organization_rating is not None:
        return AUDIENCE_COLLECTIVE
    view = member_category_for(member=member_rating.member, year=member_rating.year)
    return view.category or view.suggestion.category or ""


def _parts_from_items(items: dict, *, member_rating, organization_rating):
    """(general, tasks, values to store) of a score entered item by item; refuses with every
    problem at once (an item not scored, a value out of range, an unknown item)."""
    rating = member_rating or organization_rating
    specs = points_items_for(
        organization=rating.round.organization,
        year=rating.year,
        audience=_audience_of(member_rating=member_rating, organization_rating=organization_rating),
    )
    known = {spec.key for spec in specs}
    unknown = sorted(set(items) - known)
    parts, problems = rules.parts_from_items(specs, items)
    if unknown:
        problems.append(_("Unknown criteria items: %(items)s.") % {"items": ", ".join(unknown)})
    if problems:
        raise ValidationError(problems)
    stored = {}
    for spec in specs:
        value = items[spec.key]
        if spec.scoring == SCORING_PASS_FAIL:
            stored[spec.key] = value is True or str(value).strip().casefold() in PASS_WORDS
        else:
            stored[spec.key] = str(Decimal(str(value).replace(",", ".")))
    return parts.general, parts.tasks, stored


@transaction.atomic
def memberratings_regime_record(*, actor, round: RatingRound, rows: list[RegimeRow]) -> None:  # noqa: A002
    """Record the committee's appraisal sheets of saved member ratings (the ratings file's
    `diem_chung`/`diem_nhiem_vu`; the peer group travels with the rating row,
    services.RowInput.group; the category goes through `membercategory_set`). The rules were
    checked on them before (the import validates the whole file first)."""
    require_entry(actor, round.organization)
    ratings = {
        r.member_id: r
        for r in MemberRating.objects.select_for_update()
        .filter(round=round, member_id__in=[row.member_id for row in rows])
        .select_related("member", "round")
    }
    for row in rows:
        rating = ratings[row.member_id]
        if row.general is not None and row.tasks is not None:
            summary = tasks_by_member(member_ids=[rating.member_id], year=rating.year)
            found = summary.get(rating.member_id)
            _save_sheet(
                actor=actor,
                stage=ScoreStage.COMMITTEE,
                general=row.general,
                tasks=row.tasks,
                suggested=rules.suggest_task_points(found[0].counts if found else None),
                reason=nfc(row.tasks_reason or "").strip(),
                member_rating=rating,
            )
