"""Write side of the 2025– regime facts (DOMAIN §4.3): each use case checks permission,
writes and records its audit row inline.
"""

from __future__ import annotations

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
from .choices import FormCategory
from .models import MemberCategory, PeerGroup, QuotaCeilingDecision
from .regime_selectors import member_category_for, member_cell_at_year_end
from .round_checks import acting_user, require_entry
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
    deciding = organization.get_parent()
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
