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

import time
from urllib.parse import urlencode

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device

from .accounts import on_behalf_candidates
from .audit import audit_context
from .sessions import (
    ACTIVITY_SESSION_KEY,
    ACTIVITY_WRITE_SECONDS,
    LOGIN_AT_SESSION_KEY,
    ON_BEHALF_SESSION_KEY,
    OTP_REQUIRED_SESSION_KEY,
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
        if not owes_second_factor(request.user, request.session):
            return None
        url = reverse("accounts:totp_verify") + "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return redirect(url)


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
    """The client address; X-Forwarded-For only counts behind our own reverse proxy."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


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
            return self.get_response(request)
