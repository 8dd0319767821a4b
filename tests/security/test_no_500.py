"""Finding 9 of #19: inputs that gave a 500, pages with member data cached, report jobs
missing from worker_status, no limit on report requests, Django's bare English error pages."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import ReportJob
from assessments.reports import services as report_services
from cells.choices import Role
from tests import factories

PASSWORD = "mat-khau-thu-nghiem"


@pytest.fixture
def secretary(province):
    return factories.user_with_role(province.old_commune, Role.SECRETARY, username="bt-xa")


def test_tree_search_with_nul_is_a_400_page(client, secretary):
    """`?q=%00` is refused as a bad request, on a Vietnamese page, not a 500."""
    client.force_login(secretary)
    response = client.get(reverse("cells:organization_search") + "?q=%00")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Yêu cầu không hợp lệ" in html
    assert 'lang="vi"' in html and "navbar" in html  # the app's own layout


def test_long_username_at_login_is_a_form_error(client):
    """A 256-character user name is refused by the login form, not by the database."""
    response = client.post(reverse("login"), {"username": "a" * 256, "password": "x"})
    assert response.status_code == 200
    assert "tối đa 150" in response.content.decode()


def test_meeting_attendance_out_of_range_is_a_form_error(client, province, secretary):
    """Expected attendance 32768 (past a small integer) is a form error in Vietnamese."""
    client.force_login(secretary)
    url = reverse(
        "assessments:cellmeeting_create", args=[province.other_cell.pk, timezone.now().year]
    )
    response = client.post(
        url,
        {
            "held_on": "05/03/" + str(timezone.now().year),
            "kind": "regular",
            "expected": "32768",
            "attended": "3",
        },
    )
    assert response.status_code in (200, 400)
    assert "nhỏ hơn hoặc bằng" in response.content.decode()


def test_member_pages_are_not_stored_by_caches(client, province, secretary):
    """Pages showing member data say `Cache-Control: no-store` (a shared office computer,
    a proxy cache)."""
    member = factories.member(province.other_cell, "Trần Thị Riêng")
    client.force_login(secretary)
    for url in (
        reverse("cells:member_detail", args=[member.pk]),
        reverse("cells:organization_detail", args=[province.other_cell.pk]),
    ):
        assert "no-store" in client.get(url)["Cache-Control"], url


def test_error_pages_are_vietnamese_in_the_layout(client, secretary, settings):
    """403, 404 and 500 and a CSRF failure show Vietnamese pages in the app's layout."""
    settings.DEBUG = False
    client.force_login(secretary)
    not_found = client.get("/to-chuc/999999/")
    assert not_found.status_code == 404
    assert "Không tìm thấy trang" in not_found.content.decode()
    assert "navbar" in not_found.content.decode()
    forbidden = client.get(reverse("accounts:user_list"))
    assert forbidden.status_code == 403
    assert "Bạn không có quyền" in forbidden.content.decode()

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(secretary)
    refused = csrf_client.post(reverse("accounts:password_change"), {})
    assert refused.status_code == 403
    html = refused.content.decode()
    assert "Phiên làm việc đã hết hạn" in html and "navbar" in html

    from django.template.loader import render_to_string

    server_error = render_to_string("500.html")
    assert "Lỗi hệ thống" in server_error and 'lang="vi"' in server_error


def test_worker_status_reports_stale_report_jobs(province, secretary, settings):
    """A report job left "đang lập" by a lost worker shows in worker_status (and fails it)."""
    job = ReportJob.objects.create(
        kind="results",
        organization=province.old_commune,
        year=2025,
        format="pdf",
        requested_by=secretary,
        state=ReportJob.State.RUNNING,
        started_at=timezone.now() - timezone.timedelta(hours=2),
        queued_at=timezone.now() - timezone.timedelta(hours=2),
    )
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("worker_status", "--json", "--timeout", "0.2", stdout=out)
    report = json.loads(out.getvalue())
    assert [j["id"] for j in report["stale_report_jobs"]] == [job.pk]


def test_report_requests_are_limited_per_user(province, secretary, settings):
    """At most REPORT_MAX_ACTIVE_PER_USER reports on their way per user; the next one is
    refused with a Vietnamese message."""
    settings.REPORT_MAX_ACTIVE_PER_USER = 2
    reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    for year in (2023, 2024):
        report_services.reportjob_request(
            actor=reviewer, kind="results", organization=province.old_commune, year=year, fmt="pdf"
        )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        report_services.reportjob_request(
            actor=reviewer, kind="results", organization=province.old_commune, year=2025, fmt="pdf"
        )
    assert "đang chờ lập" in " ".join(caught.value.messages)
