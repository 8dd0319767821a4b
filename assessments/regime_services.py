"""Write side of the 2025– regime facts (DOMAIN §4.3): each use case checks permission,
writes and records its audit row inline.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cells.audit import audit_record
from cells.models import Member
from cells.vietnamese import nfc

from .choices import FormCategory
from .models import MemberCategory
from .regime_selectors import member_category_for, member_cell_at_year_end
from .round_checks import acting_user, require_entry


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
