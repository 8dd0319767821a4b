"""The audit trail: writing rows (services call `audit_record` inside their own transaction)
and reading them (the administrators' search, the history tab of a record).

Who acted is the service's `actor`. Where from, and on whose behalf, belong to the web
request, not to the service's signature: `AuditContextMiddleware` (cells.security) opens an
`audit_context` around each request and `audit_record` fills both in from it, so every
service that already audits records them without a change. A service may still pass them
explicitly (a Celery task replaying a request, say), which wins over the context.
"""

import copy
import datetime
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .models import AuditEntry, Member, MemberEvent, Organization
from .permissions import role_paths

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


# --- reading ---------------------------------------------------------------------------------

# The words shown for an action; an action not listed shows as stored.
ACTION_LABELS = {
    "organization_create": _("Unit added"),
    "organization_update": _("Unit changed"),
    "member_create": _("Member added"),
    "member_update": _("Member record changed"),
    "member_transfer": _("Member transferred"),
    "member_event_create": _("Event recorded"),
    "import_organizations": _("Units imported"),
    "import_members": _("Members imported"),
    "import_events": _("Events imported"),
    "import.upload": _("Import file uploaded"),
    "import.confirm": _("Import confirmed"),
    "import.retry": _("Import retried"),
    "import.foreign_match": _("Import touched records of another unit (refused)"),
    "round_create": _("Rating opened"),
    "rating_save": _("Levels saved"),
    "round_submit": _("Rating sent for review"),
    "round_return": _("Rating returned"),
    "round_decide": _("Rating decided"),
    "round_publish": _("Rating published"),
    "round_reopen": _("Rating reopened"),
    "organization_rating_save": _("Unit levels saved"),
    "rating_year_update": _("Rating year settings changed"),
    "indicator_target_save": _("Indicator target saved"),
    "export": _("Data exported"),
    "login": _("Logged in"),
    "logout": _("Logged out"),
    "login_failed": _("Login with a wrong password"),
    "lockout": _("Account locked"),
    "request_denied": _("Action refused"),
    "password_change": _("Password changed"),
    "password_reset": _("Password reset by an administrator"),
    "totp_enable": _("Two-step verification turned on"),
    "on_behalf_start": _("Started entering on behalf of a secretary"),
    "on_behalf_stop": _("Stopped entering on behalf of a secretary"),
    "civil_servant_rating_set": _("Civil-servant rating recorded"),
    "assignedtask_create": _("Task assigned"),
    "assignedtask_update": _("Task changed"),
    "assignedtask_delete": _("Task removed"),
    "cellmeeting_create": _("Cell meeting recorded"),
    "cellmeeting_update": _("Cell meeting changed"),
    "cellmeeting_delete": _("Cell meeting removed"),
    "round_entry_closed": _("Entry closed at the deadline"),
    "round_entry_reminder": _("Deadline reminder sent"),
    "report.request": _("Report requested"),
    "report.request_batch": _("Reports requested for all units"),
    "report.download": _("Report downloaded"),
    "report.retry": _("Report retried"),
}

# Rows about access rather than data: logins, lockouts, refused requests (#19).
ACCESS_ACTIONS = frozenset({"login", "logout", "login_failed", "lockout", "request_denied"})

# Object types the search offers (label_lower → label).
OBJECT_TYPES = {
    "cells.organization": _("unit"),
    "cells.member": _("member"),
    "cells.memberevent": _("member event"),
    "cells.importjob": _("import job"),
    "assessments.ratinground": _("rating"),
    "auth.user": _("user account"),
}

MASKED_FIELDS = frozenset({"citizen_id"})
AUDIT_ROLES = frozenset({Role.ADMIN})


def _admin_paths(user) -> list[str] | None:
    """Root paths of the subtrees whose audit the user may read; None for everything."""
    if getattr(user, "is_superuser", False):
        return None
    return sorted({path for path, role in role_paths(user) if role in AUDIT_ROLES})


def can_view_audit(user) -> bool:
    """Administrators (of some unit) and superusers search the audit trail."""
    if not getattr(user, "is_authenticated", False):
        return False
    return _admin_paths(user) is None or bool(_admin_paths(user))


def auditentries_visible_to(*, user) -> QuerySet[AuditEntry]:
    """The rows an administrator may read: those of units in their subtrees (all for a
    superuser). Rows with no unit (system settings) are a superuser's only."""
    qs = AuditEntry.objects.select_related("actor", "on_behalf_of", "organization")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    paths = _admin_paths(user)
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    q = Q()
    for path in paths:
        q |= Q(organization__path__startswith=path)
    return qs.filter(q)


def auditentry_search(
    *,
    user,
    actor: str = "",
    action: str = "",
    organization: Organization | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    object_type: str = "",
    object_id: str = "",
) -> QuerySet[AuditEntry]:
    """The administrator's search, newest first; `organization` narrows to its subtree."""
    qs = auditentries_visible_to(user=user)
    if actor:
        qs = qs.filter(Q(actor__username__iexact=actor) | Q(on_behalf_of__username__iexact=actor))
    if action:
        qs = qs.filter(action=action)
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    if date_from is not None:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(created_at__date__lte=date_to)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs.order_by("-created_at", "-id")


def organization_audit_history(*, organization: Organization) -> QuerySet[AuditEntry]:
    """The changes to one unit's own record, newest first (the unit page's history tab)."""
    return (
        AuditEntry.objects.filter(
            object_type=Organization._meta.label_lower, object_id=str(organization.pk)
        )
        .select_related("actor", "on_behalf_of")
        .order_by("-created_at", "-id")
    )


def _member_rows(member: Member, events) -> Q:
    event_ids = [str(pk) for pk in events.values_list("pk", flat=True)]
    return Q(object_type=Member._meta.label_lower, object_id=str(member.pk)) | Q(
        object_type=MemberEvent._meta.label_lower, object_id__in=event_ids
    )


def _cut_off_end(until: datetime.date) -> datetime.datetime:
    """The first moment after the cut-off day, in local time."""
    return timezone.make_aware(
        datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min)
    )


def member_audit_history(
    *, member: Member, until: datetime.date | None = None, organizations=None
) -> QuerySet[AuditEntry]:
    """The changes to a member's record and the events recorded for them, newest first.

    With `until` (cells.selectors.member_visible_until) a former unit reads only the rows of
    its own time: those written by that day or filed under one of `organizations` (the
    units it sees), and never the rows of events recorded after the cut-off.
    """
    events = member.events.all()
    if until is not None:
        events = events.filter(start__lte=until)
    rows = AuditEntry.objects.filter(_member_rows(member, events))
    if until is not None:
        rows = rows.filter(
            Q(created_at__lt=_cut_off_end(until)) | Q(organization__in=organizations)
        )
    return rows.select_related("actor", "on_behalf_of").order_by("-created_at", "-id")


MEMBER_FIELD_NAMES = frozenset(f.name for f in Member._meta.concrete_fields)


def member_record_as_of(*, member: Member, until: datetime.date, organizations) -> Member:
    """The member's record as a former unit last knew it: the changes audited after the
    cut-off (and not by that unit) undone on a copy, newest first."""
    later = (
        AuditEntry.objects.filter(
            object_type=Member._meta.label_lower,
            object_id=str(member.pk),
            action="member_update",
            created_at__gte=_cut_off_end(until),
        )
        .exclude(organization__in=organizations)
        .order_by("-created_at", "-id")
    )
    record = copy.copy(member)
    for entry in later:
        for name, value in (entry.changes or {}).items():
            if not (isinstance(value, list) and len(value) == 2):
                continue
            if name not in MEMBER_FIELD_NAMES:
                continue  # a summary key, not a field
            field = Member._meta.get_field(name)
            setattr(record, field.attname, field.to_python(value[0]))
    return record


@dataclass
class HistoryChange:
    field: str
    before: str
    after: str


@dataclass
class HistoryRow:
    """One audit row as the history tab shows it."""

    entry: AuditEntry
    label: str
    changes: list[HistoryChange]


def _field_label(model: type[models.Model] | None, name: str) -> str:
    if model is not None:
        try:
            return str(model._meta.get_field(name.removesuffix("_id")).verbose_name)
        except Exception:  # noqa: BLE001  (a key that is not a field: show it as stored)
            return name
    return name


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)


def history_rows(entries, *, show_citizen_id: bool) -> list[HistoryRow]:
    """Audit rows in words, with the citizen ID masked unless the reader may see it."""
    from .security import mask_citizen_id  # cells.security imports this module

    models_by_type = {
        "cells.organization": Organization,
        "cells.member": Member,
        "cells.memberevent": MemberEvent,
    }
    rows = []
    for entry in entries:
        model = models_by_type.get(entry.object_type)
        changes = []
        if isinstance(entry.changes, dict):
            for name, value in entry.changes.items():
                before, after = (
                    value if isinstance(value, list) and len(value) == 2 else (None, value)
                )
                if name in MASKED_FIELDS and not show_citizen_id:
                    before, after = mask_citizen_id(before), mask_citizen_id(after)
                changes.append(
                    HistoryChange(_field_label(model, name), _shown(before), _shown(after))
                )
        rows.append(
            HistoryRow(
                entry=entry,
                label=str(ACTION_LABELS.get(entry.action, entry.action)),
                changes=changes,
            )
        )
    return rows
