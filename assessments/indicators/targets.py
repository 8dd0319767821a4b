"""Writing indicator targets: reports staff (or administrators) of the node or above."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from assessments.models import IndicatorTarget
from cells.audit import audit_record
from cells.choices import Role
from cells.permissions import roles_on

TARGET_ROLES = frozenset({Role.REPORTS, Role.ADMIN})


def can_edit_targets(user, organization) -> bool:
    return bool(roles_on(user, organization) & TARGET_ROLES)


@transaction.atomic
def indicator_target_save(*, actor, organization, data: dict) -> IndicatorTarget:
    """Create or replace the node's target of an indicator for a target year (audited)."""
    if not can_edit_targets(actor, organization):
        raise PermissionDenied
    target, _created = IndicatorTarget.objects.update_or_create(
        indicator=data["indicator"],
        organization=organization,
        target_year=data["target_year"],
        defaults={
            "baseline_year": data.get("baseline_year"),
            "baseline_value": data.get("baseline_value"),
            "target_value": data["target_value"],
            "note": data.get("note", ""),
        },
    )
    audit_record(
        actor=actor,
        action="indicator_target_save",
        instance=target,
        organization=organization,
        changes={"target_value": [None, str(target.target_value)]},
    )
    return target
