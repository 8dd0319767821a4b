"""User accounts: password change and administrator reset, the TOTP second factor, and
"on behalf of" entry. Services write and audit, like every other service of the app.

An administrator manages the accounts of their subtree only: a user every one of whose
role assignments lies inside a subtree the administrator holds the administrator role on.
Someone who also holds a role elsewhere (a province officer with a seat in a commune) is
out of reach, so a commune administrator can never take over a wider account.
"""

import datetime

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .choices import Role
from .models import Organization, RoleAssignment
from .permissions import EDITING_ROLES, active_assignments, can_use_second_factor
from .sessions import ON_BEHALF_SESSION_KEY

TOTP_DEVICE_NAME = "app"


def _subtree_q(paths: list[str], field: str = "organization__path") -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def _active_on(day: datetime.date) -> Q:
    return Q(start__isnull=True) | Q(start__lte=day), Q(end__isnull=True) | Q(end__gte=day)


# --- administrators and the accounts they manage ---------------------------------------------


def admin_organizations(*, user) -> list[Organization]:
    """The nodes on which `user` is an administrator today (their subtrees are theirs)."""
    return [a.organization for a in active_assignments(user) if a.role == Role.ADMIN]


def can_manage_users(user) -> bool:
    return getattr(user, "is_superuser", False) or bool(admin_organizations(user=user))


def users_manageable_by(*, user) -> QuerySet:
    """Accounts an administrator may reset: every role they hold (past or present) lies in
    the administrator's subtrees; never a superuser, never the administrator themself."""
    User = get_user_model()  # noqa: N806
    if getattr(user, "is_superuser", False):
        return User.objects.exclude(pk=user.pk).order_by("username")
    paths = [o.path for o in admin_organizations(user=user)]
    if not paths:
        return User.objects.none()
    inside = RoleAssignment.objects.filter(_subtree_q(paths), user=OuterRef("pk"))
    outside = RoleAssignment.objects.filter(user=OuterRef("pk")).exclude(_subtree_q(paths))
    return (
        User.objects.filter(Exists(inside), ~Exists(outside), is_superuser=False)
        .exclude(pk=user.pk)
        .order_by("username")
    )


def user_get_manageable(*, user, pk):
    """One account `user` may manage; any other is a 404, as if it did not exist."""
    try:
        return users_manageable_by(user=user).get(pk=pk)
    except (get_user_model().DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def account_organization(user) -> Organization | None:
    """The unit an account's audit rows are filed under: its top-most role's node (so the
    administrators of that unit read its logins and refusals)."""
    assignment = (
        RoleAssignment.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__depth", "organization__path")
        .first()
    )
    return assignment.organization if assignment else None


@transaction.atomic
def user_password_set(*, actor, user, password: str, reset_second_factor: bool = False):
    """Set `user`'s password: their own change, or an administrator's reset.

    A reset also lifts a lockout (the user called for help) and may remove the user's TOTP
    devices (a lost phone); the user then logs in with the new password and nothing else.
    Validates the password against AUTH_PASSWORD_VALIDATORS (ValidationError).
    """
    own = actor is not None and actor.pk == user.pk
    if actor is not None and not own:
        user_get_manageable(user=actor, pk=user.pk)
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    changes: dict = {}
    if not own:
        axes_reset(username=user.get_username())
        if reset_second_factor:
            removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
            changes["second_factor_removed"] = bool(removed)
    audit_record(
        actor=actor,
        action="password_change" if own else "password_reset",
        instance=user,
        organization=account_organization(user),
        changes=changes,
    )
    return user


# --- the second factor -----------------------------------------------------------------------


def totp_device_pending(*, user) -> TOTPDevice:
    """The unconfirmed device whose QR code the enrolment page shows (one per user)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, actor, device: TOTPDevice, token: str) -> bool:
    """Turn on the second factor once the user typed a valid code from their app.

    The new device replaces any earlier one (a new phone). Returns False for a wrong code.
    """
    if device.user_id != actor.pk:
        raise PermissionDenied
    if not can_use_second_factor(actor):
        raise PermissionDenied(_("Two-step verification is for reviewers and administrators."))
    if not device.verify_token(token.strip()):
        return False
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(
        actor=actor,
        action="totp_enable",
        instance=actor,
        organization=account_organization(actor),
    )
    return True


def totp_verify(*, user, token: str) -> TOTPDevice | None:
    """The confirmed device that accepts `token`, or None (each device throttles failures)."""
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token.strip()):
            return device
    return None


# --- on behalf of ----------------------------------------------------------------------------


def can_enter_on_behalf(user) -> bool:
    """Staff with an editing role (or a superuser) may enter data for a secretary."""
    if getattr(user, "is_superuser", False):
        return True
    return any(a.role in EDITING_ROLES for a in active_assignments(user))


def on_behalf_candidates(*, user) -> QuerySet:
    """The secretaries `user` may enter data for: other active users holding a secretary role
    today on a unit `user` may edit (commune staff for the cells under the commune)."""
    User = get_user_model()  # noqa: N806
    if not getattr(user, "is_authenticated", False):
        return User.objects.none()
    if getattr(user, "is_superuser", False):
        scope = Q()
    else:
        paths = [a.organization.path for a in active_assignments(user) if a.role in EDITING_ROLES]
        if not paths:
            return User.objects.none()
        scope = _subtree_q(paths)
    secretaries = RoleAssignment.objects.filter(
        scope, *_active_on(timezone.localdate()), role=Role.SECRETARY, user=OuterRef("pk")
    )
    return (
        User.objects.filter(Exists(secretaries), is_active=True)
        .exclude(pk=user.pk)
        .order_by("username")
    )


@transaction.atomic
def on_behalf_start(*, actor, session, other) -> None:
    """Start recording `other` (a secretary) as the person entered for, on every audit row."""
    if not on_behalf_candidates(user=actor).filter(pk=other.pk).exists():
        raise Http404
    session[ON_BEHALF_SESSION_KEY] = other.pk
    audit_record(
        actor=actor,
        action="on_behalf_start",
        instance=other,
        organization=account_organization(other),
        on_behalf_of=other,
    )


def on_behalf_stop(*, actor, session) -> None:
    if session.pop(ON_BEHALF_SESSION_KEY, None) is not None:
        audit_record(actor=actor, action="on_behalf_stop")
