"""The audit trail's write side: services call `audit_record` inside their own transaction
(reading the trail, for the administrators' search and the history tabs, is cells.history).

Who acted is the service's `actor`. Where from, and on whose behalf, belong to the web
request, not to the service's signature: `AuditContextMiddleware` (cells.security) opens an
`audit_context` around each request and `audit_record` fills both in from it, so every
service that already audits records them without a change. A service may still pass them
explicitly (a Celery task replaying a request, say), which wins over the context.
"""

import datetime
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from .models import AuditEntry, Organization

# --- request context -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditContext:
    """What the request knows that the services do not: the client address and, when commune
    staff enter data for a cell's secretary, that secretary (`on_behalf_of`, a user)."""

    remote_addr: str | None = None
    on_behalf_of: object | None = None


_NO_CONTEXT = AuditContext()
_context: ContextVar[AuditContext | None] = ContextVar("partybuild_audit_context", default=None)


@contextmanager
def audit_context(*, remote_addr: str | None = None, on_behalf_of=None):
    """Within the block, every audit row records `remote_addr` and `on_behalf_of`."""
    token = _context.set(AuditContext(remote_addr=remote_addr, on_behalf_of=on_behalf_of))
    try:
        yield
    finally:
        _context.reset(token)


def current_audit_context() -> AuditContext:
    return _context.get() or _NO_CONTEXT


# --- writing ---------------------------------------------------------------------------------


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
    """Write one audit row. `changes` is {field: [before, after]} or any JSON summary.

    `on_behalf_of` and `remote_addr` default to the current request's (see `audit_context`).
    """
    context = current_audit_context()
    if on_behalf_of is None:
        on_behalf_of = context.on_behalf_of
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        on_behalf_of=on_behalf_of if getattr(on_behalf_of, "is_authenticated", False) else None,
        action=action,
        organization=organization,
        object_type=instance._meta.label_lower if instance is not None else "",
        object_id=str(instance.pk) if instance is not None else "",
        object_repr=str(instance)[:255] if instance is not None else "",
        changes=changes or {},
        comment=comment,
        remote_addr=remote_addr or context.remote_addr,
    )


def audit_export(
    *,
    actor,
    what: str,
    organization: Organization | None,
    filename: str = "",
    rows: int | None = None,
    filters: dict | None = None,
) -> AuditEntry:
    """Record that `actor` downloaded data: every export, print sheet and PDF calls this.

    `what` names the export (e.g. "dashboard_table", "report_pdf"); `filters` holds the
    options that chose the rows (year, group…), so the audit shows exactly what left.
    """
    changes: dict = {"export": what}
    if filename:
        changes["file"] = filename
    if rows is not None:
        changes["rows"] = rows
    if filters:
        changes["filters"] = {k: _plain(v) for k, v in filters.items()}
    return audit_record(
        actor=actor,
        action="export",
        organization=organization,
        changes=changes,
        comment=what,
    )
