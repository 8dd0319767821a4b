"""What happens around a year's entry deadline, run daily by Celery beat (assessments.tasks).

Entry itself is refused after the deadline by the services (`entry_deadline_passed`), so
nothing here changes a round's state: "locking" a round would make the deciding level's
review and reopening paths depend on a background job having run. Instead:

- `rounds_entry_close` records, once per round, that the deadline passed while the unit
  had not submitted (an audit row the review screen and reports can show), and
- `rating_entry_remind` emails the secretaries of units that have not submitted, a
  configurable number of days before the deadline, at most once per unit and reminder day.

Both are idempotent: beat may run a job twice (restart, two beats by mistake) and the audit
rows they write are how they know what was already done.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cells.audit import audit_record
from cells.choices import Role
from cells.models import AuditEntry, Organization, RoleAssignment

from .choices import EDITABLE_STATES
from .models import RatingRound, RatingYear
from .selectors import entry_deadline_passed, period_end

logger = logging.getLogger(__name__)

ENTRY_CLOSED_ACTION = "round_entry_closed"
REMINDER_ACTION = "round_entry_reminder"
DEFAULT_REMINDER_DAYS = (7, 3, 1)


@dataclass
class ReminderResult:
    """What one reminder run did: units emailed, units with no secretary email, failures."""

    sent: list[str] = field(default_factory=list)
    no_recipient: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped_disabled: bool = False


def units_not_submitted(*, year: int) -> list[tuple[Organization, RatingRound | None]]:
    """The grassroots organizations expected to submit for `year` that have not: no round
    yet, or a round still in draft or returned. Sorted the Vietnamese way; two queries."""
    orgs = list(
        Organization.objects.existing_on(period_end(year))
        .filter(is_grassroots=True)
        .order_by("name_sort_key", "path")
    )
    rounds = {
        r.organization_id: r for r in RatingRound.objects.filter(organization__in=orgs, year=year)
    }
    return [
        (org, rounds.get(org.pk))
        for org in orgs
        if org.pk not in rounds or rounds[org.pk].state in EDITABLE_STATES
    ]


def secretary_emails(
    *, organizations: Iterable[Organization], on: datetime.date
) -> dict[int, list[str]]:
    """{organization id: e-mail addresses} of the active users holding the secretary role
    on each unit itself on `on` (a role above the unit is a reviewer's, not the unit's)."""
    rows = (
        RoleAssignment.objects.filter(
            Q(start__isnull=True) | Q(start__lte=on),
            Q(end__isnull=True) | Q(end__gte=on),
            organization__in=list(organizations),
            role=Role.SECRETARY,
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("organization_id", "user__email")
        .order_by("organization_id", "user__email")
    )
    emails: dict[int, list[str]] = defaultdict(list)
    for organization_id, email in rows:
        if email not in emails[organization_id]:
            emails[organization_id].append(email)
    return dict(emails)


def _reminder_message(
    *, organization: Organization, year: int, deadline: datetime.date, days: int, to: list[str]
) -> EmailMessage:
    subject = _("Reminder: the %(year)s rating of %(organization)s is due on %(date)s") % {
        "year": year,
        "organization": organization.name,
        "date": f"{deadline:%d/%m/%Y}",
    }
    body = _(
        "The rating of %(organization)s for %(year)s has not been submitted yet.\n"
        "Entry closes after %(date)s (%(days)s days from now). After that day proposals can "
        "only be changed if the deciding level reopens them.\n\n"
        "This message was sent automatically by partybuild."
    ) % {
        "organization": organization.name,
        "year": year,
        "date": f"{deadline:%d/%m/%Y}",
        "days": days,
    }
    site_url = getattr(settings, "SITE_URL", "")
    if site_url:
        body += "\n" + site_url
    return EmailMessage(subject=subject, body=body, to=to)


def rating_entry_remind(
    *,
    today: datetime.date | None = None,
    days_before: Iterable[int] | None = None,
    enabled: bool | None = None,
) -> ReminderResult:
    """Email the secretaries of the units that have not submitted, N days before a year's
    entry deadline (N in RATING_REMINDER_DAYS, 7, 3 and 1 by default).

    Off unless RATING_REMINDERS_ENABLED: a closed network often has no mail server, and a
    failing SMTP call each morning helps nobody. Each unit gets one message per reminder
    day, recorded as an audit row so that a second run the same day sends nothing.
    """
    result = ReminderResult()
    if enabled is None:
        enabled = getattr(settings, "RATING_REMINDERS_ENABLED", False)
    if not enabled:
        result.skipped_disabled = True
        return result
    day = today or timezone.localdate()
    wanted = sorted(
        {int(d) for d in (days_before or getattr(settings, "RATING_REMINDER_DAYS", None) or ())}
        or set(DEFAULT_REMINDER_DAYS)
    )
    deadlines = {day + datetime.timedelta(days=d): d for d in wanted}
    years = RatingYear.objects.filter(entry_deadline__in=list(deadlines)).order_by("year")
    connection = None
    with translation.override(settings.LANGUAGE_CODE):
        for setting in years:
            days = deadlines[setting.entry_deadline]
            pending = units_not_submitted(year=setting.year)
            done = set(
                AuditEntry.objects.filter(
                    action=REMINDER_ACTION,
                    organization__in=[org for org, _round in pending],
                    changes__year=setting.year,
                    changes__deadline=setting.entry_deadline.isoformat(),
                    changes__days_before=days,
                ).values_list("organization_id", flat=True)
            )
            emails = secretary_emails(organizations=[org for org, _r in pending], on=day)
            for org, round_ in pending:
                if org.pk in done:
                    continue
                to = emails.get(org.pk)
                if not to:
                    result.no_recipient.append(org.code)
                    continue
                message = _reminder_message(
                    organization=org,
                    year=setting.year,
                    deadline=setting.entry_deadline,
                    days=days,
                    to=to,
                )
                connection = connection or get_connection()
                message.connection = connection
                try:
                    message.send(fail_silently=False)
                except Exception:
                    # One bad address or a mail server hiccup must not stop the other units.
                    logger.exception("Reminder to %s (%s) failed", org.code, ", ".join(to))
                    result.failed.append(org.code)
                    continue
                audit_record(
                    actor=None,
                    action=REMINDER_ACTION,
                    instance=round_,
                    organization=org,
                    changes={
                        "year": setting.year,
                        "deadline": setting.entry_deadline.isoformat(),
                        "days_before": days,
                        "to": to,
                    },
                )
                result.sent.append(org.code)
    if connection is not None:
        connection.close()
    return result


@transaction.atomic
def rounds_entry_close(*, today: datetime.date | None = None) -> list[RatingRound]:
    """Record, once per round, that a year's entry deadline passed before the unit submitted.

    The round's state is left as it is: the services already refuse entry after the
    deadline, and the deciding level can still return, decide or reopen it. The audit row
    (action `round_entry_closed`, no actor: a system action) dates the closure for the
    review screen and reports. A round reopened after the deadline is open again and is
    not recorded.
    """
    day = today or timezone.localdate()
    closed: list[RatingRound] = []
    for setting in RatingYear.objects.filter(entry_deadline__lt=day).order_by("year"):
        rounds = list(
            RatingRound.objects.filter(year=setting.year, state__in=EDITABLE_STATES)
            .select_related("organization")
            .order_by("pk")
        )
        already = set(
            AuditEntry.objects.filter(
                action=ENTRY_CLOSED_ACTION,
                object_type=RatingRound._meta.label_lower,
                object_id__in=[str(r.pk) for r in rounds],
            ).values_list("object_id", flat=True)
        )
        for round_ in rounds:
            if str(round_.pk) in already:
                continue
            if not entry_deadline_passed(round=round_, setting=setting, today=day):
                continue
            audit_record(
                actor=None,
                action=ENTRY_CLOSED_ACTION,
                instance=round_,
                organization=round_.organization,
                changes={
                    "year": setting.year,
                    "deadline": setting.entry_deadline.isoformat(),
                    "state": round_.state,
                },
            )
            closed.append(round_)
    if closed:
        logger.info("Entry closed for %d round(s) past their deadline", len(closed))
    return closed
