"""Finding 6 of #19: logins, logouts, failed logins and lockouts are in the audit (the audit
page says so), and refused state-changing requests are recorded with the user."""

import pytest
from django.urls import reverse

from assessments import services as rating_services
from cells.choices import Role
from cells.models import AuditEntry
from tests import factories

PASSWORD = "mat-khau-thu-nghiem"


@pytest.fixture
def people(province):
    admin = factories.user_with_role(province.province, Role.ADMIN, username="quan-tri")
    secretary = factories.user_with_role(province.other_cell, Role.SECRETARY, username="bt")
    return admin, secretary


def _login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_logout_and_failures_are_audited(client, province, people, settings):
    """A login, a logout, a wrong password, an unknown name and the lockout each leave a row
    with the address; an account's rows are filed under its unit (its administrator sees them)."""
    settings.AXES_FAILURE_LIMIT = 2
    admin, secretary = people
    assert _login(client, "bt").status_code == 302
    client.post(reverse("logout"))
    _login(client, "bt", "sai-1")
    _login(client, "bt", "sai-2")  # the limit: locked
    _login(client, "khong-ai-ca", "sai")
    rows = {e.action: e for e in AuditEntry.objects.order_by("id")}
    assert {"login", "logout", "login_failed", "lockout"} <= set(rows)
    assert rows["login"].actor == secretary and rows["login"].remote_addr == "127.0.0.1"
    assert rows["logout"].actor == secretary
    failed = AuditEntry.objects.filter(action="login_failed").order_by("id")
    assert [e.changes["username"] for e in failed] == ["bt", "bt", "khong-ai-ca"]
    assert failed[0].organization == province.other_cell
    assert failed[2].organization is None  # an unknown name: superusers only
    assert "sai-1" not in str([e.changes for e in failed])  # never the password
    assert rows["lockout"].organization == province.other_cell

    client.force_login(admin)
    page = client.get(reverse("cells:auditentry_list")).content.decode()
    for label in ("Đăng nhập thành công", "Đã đăng xuất", "Đăng nhập sai", "Tài khoản bị khóa"):
        assert label in page, label


def test_refused_post_is_audited_with_the_user(client, province, people):
    """The unit's own secretary who posts a reopening (the reviewers' action) gets 403, and
    the refusal is recorded with the user, the action tried and the address."""
    secretary = factories.user_with_role(province.old_commune, Role.SECRETARY, username="bt-xa")
    cell_round = rating_services.round_get_or_create(
        actor=None, organization=province.old_commune, year=2025
    )
    client.force_login(secretary)
    response = client.post(
        reverse("assessments:review_reopen", args=[cell_round.pk]), {"reason": "thử"}
    )
    assert response.status_code == 403
    entry = AuditEntry.objects.get(action="request_denied")
    assert entry.actor == secretary
    assert entry.changes["view"] == "assessments:review_reopen"
    assert entry.changes["method"] == "POST"
    assert entry.remote_addr == "127.0.0.1"


def test_refused_get_is_not_audited(client, province, people):
    """Reading a page one may not open is not an attempted change: no row (the audit would
    fill with link clicks)."""
    _admin, secretary = people
    client.force_login(secretary)
    assert client.get(reverse("accounts:user_list")).status_code == 403
    assert not AuditEntry.objects.filter(action="request_denied").exists()
