"""Finding 8 of #19: reviewers and administrators must enrol a second factor (README,
Quy định 379-QĐ/TW): during a grace period they are reminded, after it they reach nothing but
the enrolment page; an administrator's reset for a lost phone starts a new grace period."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp

from cells import accounts
from cells.choices import Role
from tests import factories

PASSWORD = "mat-khau-thu-nghiem"
LONG_AGO = timezone.now() - datetime.timedelta(days=60)


@pytest.fixture
def policy(settings):
    settings.SECOND_FACTOR_GRACE_DAYS = 14
    settings.SECOND_FACTOR_REQUIRED_FROM = (LONG_AGO - datetime.timedelta(days=1)).date()
    return settings


def _old_account(organization, role, username):
    user = factories.user_with_role(organization, role, username=username)
    type(user).objects.filter(pk=user.pk).update(date_joined=LONG_AGO)
    user.refresh_from_db()
    return user


def _login(client, username, password=PASSWORD):
    assert (
        client.post(reverse("login"), {"username": username, "password": password}).status_code
        == 302
    )


def test_reviewer_past_grace_must_enrol(client, province, policy):
    """A reviewer without a device, past the grace period: every page leads to the enrolment
    page (htmx too); enrolling opens the app."""
    _old_account(province.district, Role.REVIEWER, "duyet")
    _login(client, "duyet")
    tree = reverse("cells:organization_tree")
    response = client.get(tree)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:totp_enrol"))
    htmx = client.get(tree, headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith(reverse("accounts:totp_enrol"))
    page = client.get(reverse("accounts:totp_enrol"))
    assert page.status_code == 200
    assert "bắt buộc" in page.content.decode()

    device = page.context["view"].device
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    client.post(reverse("accounts:totp_enrol"), {"token": f"{token:06d}"})
    assert client.get(tree).status_code == 200


def test_administrator_within_grace_is_reminded(client, province, policy):
    """Within the grace period the administrator works, with a reminder naming the day."""
    admin = factories.user_with_role(province.province, Role.ADMIN, username="qt")
    _login(client, "qt")
    response = client.get(reverse("cells:organization_tree"))
    assert response.status_code == 200
    deadline = (admin.date_joined + datetime.timedelta(days=14)).astimezone().date()
    assert "Bật xác thực hai bước trước ngày " + deadline.strftime("%d/%m/%Y") in (
        response.content.decode()
    )


def test_secretary_is_never_asked(client, province, policy):
    """A cell secretary (no deciding or administering role) is never asked for a device."""
    _old_account(province.other_cell, Role.SECRETARY, "bt")
    _login(client, "bt")
    response = client.get(reverse("cells:organization_tree"))
    assert response.status_code == 200
    assert "xác thực hai bước trước ngày" not in response.content.decode()


def test_administrator_reset_starts_a_new_grace(client, province, policy):
    """A reviewer lost their phone: the administrator resets the password and the second
    factor; the reviewer logs in with the new password and works, with a new grace period."""
    admin = factories.user_with_role(province.province, Role.ADMIN, username="qt")
    reviewer = _old_account(province.district, Role.REVIEWER, "duyet")
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=reviewer, name="app", confirmed=True)
    accounts.user_password_set(
        actor=admin, user=reviewer, password="Mat-khau-moi-2026!", reset_second_factor=True
    )
    _login(client, "duyet", "Mat-khau-moi-2026!")
    assert client.get(reverse("cells:organization_tree")).status_code == 200
