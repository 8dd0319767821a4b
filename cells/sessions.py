"""What the session records about a login (keys and clocks) and what it still owes: the
session lifetime and the second factor. The middlewares that act on it are in cells.security."""

import time

from django.conf import settings
from django_otp import user_has_device

ON_BEHALF_SESSION_KEY = "partybuild_on_behalf_of"
LOGIN_AT_SESSION_KEY = "partybuild_login_at"
ACTIVITY_SESSION_KEY = "partybuild_last_activity"
OTP_REQUIRED_SESSION_KEY = "partybuild_otp_required"
# The last day this session's user may work without enrolling a second factor (ISO date).
SECOND_FACTOR_DEADLINE_SESSION_KEY = "partybuild_second_factor_deadline"
# The last-activity time is written at most this often: a session write per request would
# cost every page a database write.
ACTIVITY_WRITE_SECONDS = 60


def owes_second_factor(user, session=None) -> bool:
    """Logged in with a password, has a confirmed device, not yet verified this session."""
    if not getattr(user, "is_authenticated", False):
        return False
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return False
    if session is not None and session.get(OTP_REQUIRED_SESSION_KEY) is False:
        return False
    return user_has_device(user, confirmed=True)


def session_expired(session, *, now: float | None = None) -> bool:
    """Idle longer than SESSION_IDLE_TIMEOUT, or open longer than SESSION_ABSOLUTE_TIMEOUT."""
    now = time.time() if now is None else now
    last = session.get(ACTIVITY_SESSION_KEY)
    started = session.get(LOGIN_AT_SESSION_KEY)
    return (last is not None and now - last > settings.SESSION_IDLE_TIMEOUT) or (
        started is not None and now - started > settings.SESSION_ABSOLUTE_TIMEOUT
    )
