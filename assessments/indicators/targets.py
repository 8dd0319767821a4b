"""Writing indicator targets: reports staff (or administrators) of the node or above; a
target split into unit targets (cascade); a unit's explanation (giải trình) of its number."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction

from assessments.models import IndicatorTarget, TargetExplanation
from assessments.rules import split_target
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


EXPLAIN_ROLES = frozenset({Role.REPORTS, Role.ADMIN, Role.SECRETARY})


def can_explain(user, organization) -> bool:
    """Who may write a unit's explanation of its numbers: its reports staff, administrators
    and its secretary."""
    return bool(roles_on(user, organization) & EXPLAIN_ROLES)


@transaction.atomic
def target_explanation_save(*, actor, organization, indicator, year: int, text: str):
    """Write (or clear, with empty text) the unit's explanation of one indicator in a year,
    read by its upper level beside the number (audited)."""
    if not can_explain(actor, organization):
        raise PermissionDenied
    text = " ".join(text.split())[:500]
    existing = TargetExplanation.objects.filter(
        indicator=indicator, organization=organization, year=year
    ).first()
    before = existing.text if existing else ""
    if not text:
        if existing:
            existing.delete()
        found = None
    else:
        found, _created = TargetExplanation.objects.update_or_create(
            indicator=indicator,
            organization=organization,
            year=year,
            defaults={"text": text, "written_by": actor},
        )
    audit_record(
        actor=actor,
        action="target_explanation_save",
        instance=found or organization,
        organization=organization,
        changes={"explanation": [before, text], "indicator": indicator.code, "year": year},
    )
    return found


@transaction.atomic
def indicator_target_cascade(*, actor, target, children, weights: list[int]) -> list:
    """Split a target into one target per child unit, recorded as split from it (audited).

    A rate is the same for every part (each unit aims at the province's 90%); a count is
    split in proportion to `weights` (the units' members), the parts adding up to the whole.
    A child's existing target for the same year is replaced.
    """
    if not can_edit_targets(actor, target.organization):
        raise PermissionDenied
    is_rate = target.indicator.unit == target.indicator.Unit.PERCENT
    values = (
        [target.target_value] * len(children)
        if is_rate
        else [Decimal(v) for v in split_target(int(target.target_value), weights)]
    )
    made = []
    for child, value in zip(children, values, strict=True):
        part, _created = IndicatorTarget.objects.update_or_create(
            indicator=target.indicator,
            organization=child,
            target_year=target.target_year,
            defaults={
                "baseline_year": target.baseline_year,
                "baseline_value": target.baseline_value if is_rate else None,
                "target_value": value,
                "note": target.note,
                "cascaded_from": target,
            },
        )
        made.append(part)
    audit_record(
        actor=actor,
        action="indicator_target_cascade",
        instance=target,
        organization=target.organization,
        changes={"children": len(made), "target_value": str(target.target_value)},
    )
    return made
