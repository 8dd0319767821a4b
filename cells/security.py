"""Access hardening that is not about one screen: the lockout backend, the second-factor gate,
the session clocks started at login, and the request's audit context. (Who may see a CCCD is
cells.permissions; what a session records, cells.sessions; the navbar's menu,
cells.context_processors.)

- `LockoutBackend`: django-axes' lockout, for logins coming from a request.
- `SecondFactorMiddleware`: a user with a confirmed TOTP device reaches nothing but the
  verification page (and logout) until this session passed it.
- `AuditContextMiddleware`: opens `cells.audit.audit_context` around the request, so every
  audit row knows the client address and, during "on behalf of" entry, the cell secretary.
"""

import datetime
import time
from urllib.parse import urlencode

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import user_has_device

from .accounts import account_organization, on_behalf_candidates
from .audit import audit_context, audit_record
from .models import AuditEntry
from .permissions import SECOND_FACTOR_ROLES, active_assignments, can_use_second_factor
from .sessions import (
    ACTIVITY_SESSION_KEY,
    ACTIVITY_WRITE_SECONDS,
    LOGIN_AT_SESSION_KEY,
    ON_BEHALF_SESSION_KEY,
    OTP_REQUIRED_SESSION_KEY,
    SECOND_FACTOR_DEADLINE_SESSION_KEY,
    owes_second_factor,
    session_expired,
)

# Views a user who still owes the second factor may reach.
SECOND_FACTOR_EXEMPT = frozenset({"accounts:totp_verify", "logout", "login", "set_language"})


# --- login -----------------------------------------------------------------------------------


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for logins that come from a request.

    axes refuses an `authenticate()` without a request; those come only from code (the test
    client, a shell), never from a login form, so there is nothing to lock out there.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def second_factor_deadline(user) -> datetime.date | None:
    """The last day a reviewer or administrator without a device may work with a password
    alone (Quy định 379-QĐ/TW asks approvers for a second factor), or None when nothing is
    owed: another role, or a device already enrolled.

    The grace (SECOND_FACTOR_GRACE_DAYS) runs from the latest of: the policy's start
    (SECOND_FACTOR_REQUIRED_FROM), the account's creation, the start of the role, and an
    administrator's removal of the user's device (a lost phone, cells.accounts).
    """
    if not can_use_second_factor(user) or user_has_device(user, confirmed=True):
        return None
    starts = [settings.SECOND_FACTOR_REQUIRED_FROM, timezone.localdate(user.date_joined)]
    starts += [
        a.start for a in active_assignments(user) if a.role in SECOND_FACTOR_ROLES and a.start
    ]
    reset = (
        AuditEntry.objects.filter(
            action="password_reset",
            object_type=user._meta.label_lower,
            object_id=str(user.pk),
            changes__second_factor_removed=True,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if reset is not None:
        starts.append(timezone.localdate(reset))
    return max(starts) + datetime.timedelta(days=settings.SECOND_FACTOR_GRACE_DAYS)


def second_factor_overdue(request) -> bool:
    """Past the grace period and still no device (read from the session: no query for the
    many users who owe nothing)."""
    deadline = request.session.get(SECOND_FACTOR_DEADLINE_SESSION_KEY)
    if not deadline or timezone.localdate().isoformat() <= deadline:
        return False
    if user_has_device(request.user, confirmed=True):
        request.session.pop(SECOND_FACTOR_DEADLINE_SESSION_KEY, None)
        return False
    return True


class SecondFactorMiddleware:
    """Send a user who owes the second factor to the verification page (htmx: HX-Redirect)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.view_name in SECOND_FACTOR_EXEMPT:
            return None
        if not getattr(request.user, "is_authenticated", False):
            return None
        if owes_second_factor(request.user, request.session):
            target = "accounts:totp_verify"
        elif match.view_name != "accounts:totp_enrol" and second_factor_overdue(request):
            target = "accounts:totp_enrol"
        else:
            return None
        url = reverse(target) + "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return redirect(url)


# --- the audit of logins and refusals (#19, finding 6) ---------------------------------------
# Django's login and logout are the actions here, and django-axes' lockout is its own: their
# signals are the one place to hear of them, so these receivers write the audit rows.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _typed_username(value) -> str:
    """The name typed at login, as stored: printable, at most 150 characters."""
    text = str(value or "").replace("\x00", "")
    return text[:150]


def _account_named(username: str):
    return get_user_model().objects.filter(username=username).first() if username else None


@receiver(user_logged_in, dispatch_uid="partybuild_audit_login")
def _audit_login(sender, request, user, **kwargs):
    if request is not None:
        audit_record(
            actor=user, action="login", instance=user, organization=account_organization(user)
        )


@receiver(user_logged_out, dispatch_uid="partybuild_audit_logout")
def _audit_logout(sender, request, user, **kwargs):
    if user is not None and request is not None:
        audit_record(
            actor=user, action="logout", instance=user, organization=account_organization(user)
        )


@receiver(user_login_failed, dispatch_uid="partybuild_audit_login_failed")
def _audit_login_failed(sender, credentials, request=None, **kwargs):
    """A wrong password (or a name that does not exist): the name typed, never the password."""
    if request is None:
        return
    username = _typed_username(credentials.get("username"))
    account = _account_named(username)
    audit_record(
        actor=None,
        action="login_failed",
        instance=account,
        organization=account_organization(account) if account else None,
        changes={"username": username},
    )


@receiver(user_locked_out, dispatch_uid="partybuild_audit_lockout")
def _audit_lockout(sender, request, username, ip_address, **kwargs):
    username = _typed_username(username)
    account = _account_named(username)
    audit_record(
        actor=None,
        action="lockout",
        instance=account,
        organization=account_organization(account) if account else None,
        changes={"username": username},
        remote_addr=ip_address,
    )


def audit_refusal(request, response) -> None:
    """A state-changing request refused with 403 (a secretary reopening, an expired
    reviewer deciding, a failed CSRF check): recorded with the user who tried."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return
    match = getattr(request, "resolver_match", None)
    audit_record(
        actor=user,
        action="request_denied",
        organization=account_organization(user),
        changes={
            "method": request.method,
            "path": request.path[:500],
            "view": match.view_name if match else "",
        },
    )


# --- session lifetime ------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="partybuild_session_start")
def _session_start(sender, request, user, **kwargs):
    """At login: start the session clocks and note whether a second factor is owed, so the
    middleware needs no query for the many users without a device."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[LOGIN_AT_SESSION_KEY] = now
    request.session[ACTIVITY_SESSION_KEY] = now
    request.session[OTP_REQUIRED_SESSION_KEY] = user_has_device(user, confirmed=True)
    deadline = second_factor_deadline(user)
    request.session[SECOND_FACTOR_DEADLINE_SESSION_KEY] = deadline.isoformat() if deadline else None


class SessionTimeoutMiddleware:
    """Log out a session left idle (a shared office computer) or open too long."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            if session_expired(request.session, now=now):
                logout(request)
                messages.info(request, _("Your session ended after a period without activity."))
            else:
                last = request.session.get(ACTIVITY_SESSION_KEY)
                if last is not None and now - last > ACTIVITY_WRITE_SECONDS:
                    request.session[ACTIVITY_SESSION_KEY] = int(now)
        return self.get_response(request)


# --- the request's audit context -------------------------------------------------------------


def client_ip(request) -> str | None:
    """The client address, exactly as the lockout counts it: django-axes' resolution through
    django-ipware and the AXES_IPWARE_* settings (the right-most untrusted hop behind the
    proxy, REMOTE_ADDR without one). One function, so the audit and the lockout agree."""
    return get_client_ip_address(request) or None


def on_behalf_of_for(request):
    """The secretary this session enters data for, if still allowed; else None (and forgotten)."""
    pk = request.session.get(ON_BEHALF_SESSION_KEY)
    if pk is None:
        return None
    other = on_behalf_candidates(user=request.user).filter(pk=pk).first()
    if other is None:
        request.session.pop(ON_BEHALF_SESSION_KEY, None)
    return other


class AuditContextMiddleware:
    """Every audit row written during the request records its address and "on behalf of"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        on_behalf_of = None
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            on_behalf_of = on_behalf_of_for(request)
        request.on_behalf_of = on_behalf_of
        with audit_context(remote_addr=client_ip(request), on_behalf_of=on_behalf_of):
            response = self.get_response(request)
            if response.status_code == 403 and request.method not in SAFE_METHODS:
                audit_refusal(request, response)
            return response
