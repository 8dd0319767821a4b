"""The read side of the audit trail: the administrators' search, the history tab of a record,
and the words an audit row is shown in (action labels, field names, masked citizen IDs).
The write side is cells.audit."""

import copy
import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, Member, MemberEvent, Organization
from .permissions import audit_paths, mask_citizen_id

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
    "import_org_events": _("Organization events imported"),
    "import_posts": _("Posts imported"),
    "organizationdiscipline_record": _("Organization discipline recorded"),
    "post_import": _("Post recorded"),
    "membercategory_set": _("Form category recorded"),
    "quotaceiling_decide": _("Quota ceiling raised"),
    "scoresheet_save": _("Score sheet saved"),
    "import.upload": _("Import file uploaded"),
    "import.confirm": _("Import confirmed"),
    "import.retry": _("Import retried"),
    "import.foreign_match": _("Import touched records of another unit (refused)"),
    "round_create": _("Rating opened"),
    "rating_save": _("Levels saved"),
    "cell_proposal_save": _("Cell proposals saved"),
    "round_submit": _("Rating sent for review"),
    "round_return": _("Rating returned"),
    "round_decide": _("Rating decided"),
    "round_publish": _("Rating published"),
    "round_reopen": _("Rating reopened"),
    "subunit_decide": _("Subordinate cells decided by the đảng ủy cơ sở"),
    "subunit_reopen": _("Subordinate cell's decision reopened"),
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
    "quarterly_assessment_save": _("Quarterly self-assessment saved"),
    "dossier_document_record": _("Dossier document recorded"),
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


def auditentries_visible_to(*, user) -> QuerySet[AuditEntry]:
    """The rows an administrator may read: those of units in their subtrees (all for a
    superuser). Rows with no unit (system settings) are a superuser's only."""
    qs = AuditEntry.objects.select_related("actor", "on_behalf_of", "organization")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    paths = audit_paths(user)
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
    # Ids only: the events' default ordering (member name) joined cells_member to sort them.
    event_ids = [str(pk) for pk in events.order_by().values_list("pk", flat=True)]
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
