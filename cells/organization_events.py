"""Dated facts about organizations: their disciplines (DOMAIN §4.1 O3/O4, §8 `su_kien_to_chuc`).

A discipline of the leadership collective (the committee) or of the organization as a whole is
recorded with its form, date and deciding body, like a member's; the rating rules read it.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .audit import audit_record
from .choices import OrganizationDisciplineForm, OrganizationDisciplineTarget
from .models import Organization, OrganizationDiscipline
from .permissions import can_edit_roster
from .vietnamese import nfc


@transaction.atomic
def organizationdiscipline_record(
    *,
    actor,
    organization: Organization,
    target: str,
    form: str,
    decided_on: datetime.date,
    deciding_body: str = "",
    note: str = "",
    audit: bool = True,
) -> tuple[OrganizationDiscipline, bool]:
    """Record (or update, keyed by organization, target and date) a discipline of
    `organization`; returns it and whether it was created. `actor` None: a system action.

    Who may edit the roster at the level above (which decides disciplines) may record it: a
    unit does not record its own discipline.
    """
    above = Organization.objects.get_parent(organization) or organization
    if actor is not None and not can_edit_roster(actor, above):
        raise PermissionDenied(
            _("You may not record disciplines of %(organization)s.")
            % {"organization": organization}
        )
    if target not in OrganizationDisciplineTarget.values:
        raise ValidationError(_("Choose who is disciplined: the committee or the organization."))
    if form not in OrganizationDisciplineForm.values:
        raise ValidationError(_("Choose the form of the discipline."))
    values = {"form": form, "deciding_body": nfc(deciding_body).strip(), "note": nfc(note).strip()}
    row, created = OrganizationDiscipline.objects.select_for_update().get_or_create(
        organization=organization,
        target=target,
        decided_on=decided_on,
        defaults={
            **values,
            "created_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    changes = {}
    if not created:
        changes = {k: [getattr(row, k), v] for k, v in values.items() if getattr(row, k) != v}
        for name, (_before, after) in changes.items():
            setattr(row, name, after)
        if changes:
            row.save(update_fields=list(changes))
    else:
        changes = {"target": [None, target], "decided_on": [None, f"{decided_on:%d/%m/%Y}"]}
        changes |= {k: [None, v] for k, v in values.items() if v}
    if audit and changes:
        audit_record(
            actor=actor,
            action="organizationdiscipline_record",
            instance=row,
            organization=organization,
            changes=changes,
        )
    return row, created
