"""Finding 3 of #19: behind the proxy, ten failures of any usernames locked every account.
The lockout is by username plus the client's real address, taken from the right-most hop the
proxy appended (django-ipware, as django-axes expects); the audit's address is the same; an
administrator's password reset lifts the lock."""

import os
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from cells import security
from cells.choices import Role
from cells.models import AuditEntry
from tests import factories

PASSWORD = "mat-khau-thu-nghiem"
PROXY = "127.0.0.1"  # nginx on the same machine: every request comes from it


@pytest.fixture
def behind_proxy(settings):
    """The production reading of the proxy headers (DJANGO_ENV=production sets the same)."""
    settings.BEHIND_PROXY = True
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    settings.AXES_IPWARE_PROXY_ORDER = "left-most"
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.IPWARE_STRICT = False
    settings.AXES_FAILURE_LIMIT = 3
    return settings


def _login(client, username, password, *, client_addr, spoofed=""):
    forwarded = f"{spoofed}, {client_addr}" if spoofed else client_addr
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_failures_of_other_names_lock_nobody_else(client, behind_proxy, province):
    """Many wrong passwords for many names from one office lock none of the other accounts,
    administrators included: all reach the app through the same proxy address."""
    factories.user_with_role(province.province, Role.ADMIN, username="quan-tri")
    for n in range(6):
        _login(client, f"khong-co-{n}", "sai", client_addr="203.0.113.7")
        _login(client, "quan-tri", "sai", client_addr="198.51.100.9")
    # quan-tri is locked for the address the failures came from only.
    response = _login(client, "quan-tri", PASSWORD, client_addr="198.51.100.9")
    assert response.status_code == 429
    assert "Tài khoản bị khóa" in response.content.decode()
    client.logout()
    # The same office (203.0.113.7), whose typos were for other names, still gets in.
    response = _login(client, "quan-tri", PASSWORD, client_addr="203.0.113.7")
    assert response.status_code == 302
    assert AccessAttempt.objects.filter(ip_address=PROXY).count() == 0


def test_spoofed_forwarded_for_is_ignored(client, behind_proxy, province):
    """A client cannot choose its address by sending X-Forwarded-For itself: the proxy
    appends the address it saw, and that right-most hop is the one counted."""
    factories.UserFactory(username="nan-nhan")
    for n in range(3):
        _login(client, "nan-nhan", "sai", client_addr="203.0.113.7", spoofed=f"10.9.8.{n}")
    attempts = list(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert attempts == ["203.0.113.7"]
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7"
    )
    assert security.client_ip(request) == "203.0.113.7"


def test_audit_address_is_the_right_most_hop(client, behind_proxy, province):
    """The audit row of a change made through the proxy records the real client address,
    not a spoofed left-most one."""
    user = factories.user_with_role(province.other_cell, Role.SECRETARY, username="bt")
    client.force_login(user)
    client.post(
        reverse("cells:organization_edit", args=[province.other_cell.pk]),
        {"name": "Chi bộ ấp 2 mới", "established_on": "01/01/1995"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.20",
    )
    entry = AuditEntry.objects.get(action="organization_update")
    assert entry.remote_addr == "198.51.100.20"


def test_administrator_reset_lifts_the_lockout(client, behind_proxy, province):
    """The documented unlock: the administrator resets the password (Người dùng → Đặt lại
    mật khẩu) and the user logs in at once with the new one."""
    factories.user_with_role(province.old_commune, Role.ADMIN, username="qt-xa")
    victim = factories.user_with_role(province.other_cell, Role.SECRETARY, username="bi-khoa")
    for n in range(3):
        _login(client, "bi-khoa", "sai", client_addr="203.0.113.7")
        _login(client, f"dong-nghiep-{n}", "sai", client_addr="203.0.113.7")  # same office
    assert _login(client, "bi-khoa", PASSWORD, client_addr="203.0.113.7").status_code == 429

    admin_client = client.__class__()
    admin_client.force_login(factories.UserFactory(username="qt-xa"))
    response = admin_client.post(
        reverse("accounts:user_password_reset", args=[victim.pk]),
        {"new_password1": "Mat-khau-moi-2026!", "new_password2": "Mat-khau-moi-2026!"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert response.status_code == 302
    response = _login(client, "bi-khoa", "Mat-khau-moi-2026!", client_addr="203.0.113.7")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(victim.pk)


def test_production_settings_read_the_proxy_correctly():
    """DJANGO_ENV=production: the client-address package is installed, the lockout is by
    username and address together, and the address is the right-most hop."""
    import ipware  # noqa: F401  (django-axes uses it when installed)

    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "k" * 50,
        "ALLOWED_HOSTS": "dangbo.example.vn",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AXES_LOCKOUT_PARAMETERS, s.AXES_IPWARE_META_PRECEDENCE_ORDER, "
        "s.AXES_IPWARE_PROXY_ORDER, s.AXES_IPWARE_PROXY_COUNT, s.IPWARE_STRICT)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "partybuild.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == (
        "[['username', 'ip_address']] ['HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR'] left-most 0 False"
    )
