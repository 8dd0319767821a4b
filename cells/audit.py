"""Writing audit rows. Services call `audit_record` inside their own transaction."""

import datetime
from decimal import Decimal

from django.db import models

from .models import AuditEntry


def _plain(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """The concrete field values of `instance` as JSON-ready data (for before/after)."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return {name: _plain(getattr(instance, name)) for name in names}


def diff(before: dict, after: dict) -> dict:
    """Only the fields that changed, as {field: [before, after]}."""
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def audit_record(
    *,
    actor,
    action: str,
    instance: models.Model | None = None,
    organization=None,
    changes: dict | None = None,
    comment: str = "",
    on_behalf_of=None,
    remote_addr: str | None = None,
) -> AuditEntry:
    """Write one audit row. `changes` is {field: [before, after]} or any JSON summary."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        on_behalf_of=on_behalf_of,
        action=action,
        organization=organization,
        object_type=instance._meta.label_lower if instance is not None else "",
        object_id=str(instance.pk) if instance is not None else "",
        object_repr=str(instance)[:255] if instance is not None else "",
        changes=changes or {},
        comment=comment,
        remote_addr=remote_addr,
    )
