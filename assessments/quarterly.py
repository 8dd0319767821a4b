"""Mẫu 05: members' quarterly self-assessments — the service that writes one, the selectors
that list a cell's quarters and a member's year (assessments.rules.quarters adds them up).

Members have no accounts: the cell secretary, or an editor of a unit above the cell, enters
what the member wrote on paper, and the row keeps who entered it. A quarter of a year whose
rating is decided no longer changes (the decision rests on it), and a quarter that has not
begun cannot be assessed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.audit import audit_record
from cells.models import Member, Organization
from cells.permissions import EDITING_ROLES, roles_on
from cells.vietnamese import nfc

from . import schemes
from .choices import RoundState
from .models import QuarterlyAssessment, RatingRound
from .round_checks import RatingError, acting_user, conflict_error
from .rules import quarters as quarter_rules
from .selectors import grassroots_for

_FIELDS = ("points", "level", "results", "shortcomings")
_DECIDED = frozenset({RoundState.DECIDED, RoundState.PUBLISHED})


def can_enter_quarters(user, cell: Organization) -> bool:
    """May enter the members' self-assessments of `cell`: an editor of the cell or above
    (a cell secretary suffices: the assessment is the member's, not the committee's)."""
    return bool(roles_on(user, cell) & EDITING_ROLES)


def quarter_start(year: int, quarter: int) -> datetime.date:
    return datetime.date(year, 3 * quarter - 2, 1)


def _clean_points(points) -> Decimal | None:
    if points in (None, ""):
        return None
    try:
        value = points if isinstance(points, Decimal) else Decimal(str(points).replace(",", "."))
    except InvalidOperation:
        value = Decimal(-1)
    if not Decimal(0) <= value <= Decimal(100) or value != value.quantize(Decimal("0.01")):
        raise ValidationError({"points": _("Points are a number from 0 to 100 (two decimals).")})
    return value


@transaction.atomic
def quarterlyassessment_save(
    *,
    actor,
    member: Member,
    cell: Organization,
    year: int,
    quarter: int,
    points=None,
    level: str = "",
    results: str = "",
    shortcomings: str = "",
    version: int | None = None,
    today: datetime.date | None = None,
) -> QuarterlyAssessment:
    """Write a member's self-assessment of one quarter (Mẫu 05), entered by `actor`.

    `cell` is the member's cell in that year (the caller fetched the member through a scoped
    selector of it). `version` is the row version the form loaded: a changed row is refused
    rather than overwritten.
    """
    if actor is not None and not can_enter_quarters(actor, cell):
        raise PermissionDenied(
            _("You may not enter self-assessments for %(cell)s.") % {"cell": cell}
        )
    if quarter not in quarter_rules.QUARTERS:
        raise ValidationError({"quarter": _("Choose a quarter from 1 to 4.")})
    today = today or timezone.localdate()
    if quarter_start(year, quarter) > today:
        raise ValidationError(
            {
                "quarter": _("Quarter %(quarter)s of %(year)s has not begun yet.")
                % {"quarter": quarter, "year": year}
            }
        )
    grassroots = grassroots_for(cell)
    round_ = (
        RatingRound.objects.select_for_update(of=("self",))
        .filter(organization=grassroots, year=year)
        .first()
        if grassroots
        else None
    )
    if round_ is not None and round_.state in _DECIDED:
        raise RatingError(
            _(
                "The rating of %(year)s is decided: its quarterly self-assessments can no longer "
                "change (the deciding level may reopen it)."
            )
            % {"year": year}
        )
    scheme = schemes.scheme_for_year(year)
    level = (level or "").strip()
    if level and not scheme.is_member_level(level):
        raise ValidationError({"level": _("Choose one of the year's levels.")})
    values = {
        "points": _clean_points(points),
        "level": level,
        "results": nfc(results or "").strip(),
        "shortcomings": nfc(shortcomings or "").strip(),
    }
    if values["points"] is None and not level and not values["results"]:
        raise ValidationError(
            {"points": _("Enter the points, the level or the results of the quarter.")}
        )
    row = (
        QuarterlyAssessment.objects.select_for_update()
        .filter(member=member, year=year, quarter=quarter)
        .first()
    )
    user = acting_user(actor)
    if row is None:
        if version:
            raise conflict_error(None)
        row = QuarterlyAssessment.objects.create(
            member=member, year=year, quarter=quarter, entered_by=user, **values
        )
        changes = {n: [None, str(v)] for n, v in values.items() if v not in ("", None)}
    else:
        if version is not None and row.version != version:
            raise conflict_error(row.updated_at)
        changed = {n: v for n, v in values.items() if getattr(row, n) != v}
        changes = {n: [str(getattr(row, n)), str(v)] for n, v in changed.items()}
        if not changed:
            return row
        for name, value in changed.items():
            setattr(row, name, value)
        row.entered_by = user
        row.version += 1
        row.save(update_fields=[*changed, "entered_by", "version", "updated_at"])
    audit_record(
        actor=actor,
        action="quarterly_assessment_save",
        instance=row,
        organization=cell,
        changes={"member": member.pk, "quarter": quarter, **changes},
    )
    return row


# === Selectors =================================================================================
@dataclass
class MemberQuarters:
    """One member's four quarters of a year and what they add up to."""

    member: Member
    by_quarter: dict[int, QuarterlyAssessment]
    summary: quarter_rules.QuartersSummary

    @property
    def quarters(self) -> list[QuarterlyAssessment | None]:
        return [self.by_quarter.get(q) for q in quarter_rules.QUARTERS]


def quarters_for_members(*, members: list[Member], year: int) -> dict[int, MemberQuarters]:
    """The quarters of `members` (already scoped by the caller) in `year` (one query)."""
    found: dict[int, dict[int, QuarterlyAssessment]] = defaultdict(dict)
    rows = QuarterlyAssessment.objects.filter(
        member_id__in=[m.pk for m in members], year=year
    ).select_related("entered_by")
    for row in rows:
        found[row.member_id][row.quarter] = row
    result = {}
    for member in members:
        by_quarter = found.get(member.pk, {})
        summary = quarter_rules.year_from_quarters({q: r.points for q, r in by_quarter.items()})
        result[member.pk] = MemberQuarters(member=member, by_quarter=by_quarter, summary=summary)
    return result
