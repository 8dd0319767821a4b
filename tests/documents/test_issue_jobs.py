"""Issuing runs in a Celery task with its progress shown (issue #18): the request checks what
it can at once and queues a job; the worker numbers the document once; the page polls."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessments.reports import issue_jobs, issuing
from cells.models import AuditEntry
from documents.models import DocumentNumber, IssuedDocument, IssueJob
from tests.assessments.conftest import make_members, open_round, save_levels, submit

YEAR = 2021


def ask(organization, actor, **kwargs):
    return issue_jobs.issuejob_request(
        actor=actor, kind="results", organization=organization, year=YEAR, **kwargs
    )


def test_issue_is_queued_then_run_by_the_worker_once(
    province, rated, staff, client, django_capture_on_commit_callbacks
):
    """The request queues one task and is audited; asking again while it waits returns the
    same job; the worker issues Số 01 with its progress to the last step; a redelivered
    task finds the job done and issues nothing more; the page shows the number and links
    to the register."""
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job, created = ask(province.old_commune, staff)
    assert created and job.state == "pending" and len(queued) == 1
    assert (job.progress_done, job.progress_total) == (0, issuing.ISSUE_STEPS)
    assert AuditEntry.objects.filter(action="document.issue_request").count() == 1
    again, created = ask(province.old_commune, staff)
    assert not created and again == job
    assert not IssuedDocument.objects.exists()  # nothing issued in the request

    issue_jobs.issuejob_run(job.pk, task_id="t-1")
    job.refresh_from_db()
    assert job.state == "done" and job.error == "" and job.finished_at and job.attempts == 1
    assert (job.progress_done, job.progress_total) == (4, 4)
    assert job.document.number == "Số 01-BC/ĐU" and job.document.pdf
    assert issue_jobs.issuejob_run(job.pk, task_id="t-1") is None  # redelivered: done already
    assert IssuedDocument.objects.count() == 1
    assert DocumentNumber.objects.get(organization=province.old_commune).next_number == 2

    client.force_login(staff)
    page = client.get(reverse("assessments:issuejob_detail", args=[job.pk])).content.decode()
    assert "Đã phát hành văn bản Số 01-BC/ĐU" in page
    assert reverse("documents:issueddocument_detail", args=[job.document.pk]) in page
    partial = client.get(reverse("assessments:issuejob_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in partial  # finished: polling stops


def test_issue_progress_steps_are_reported(province, rated, staff):
    """report_issue tells each step: data, print page, PDF/A; the last (signature fields and
    the register row) ends when it returns."""
    seen = []
    issuing.report_issue(
        actor=staff,
        kind="results",
        organization=province.old_commune,
        year=YEAR,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4)]


def test_issue_view_queues_and_redirects_to_the_progress_page(
    province, rated, staff, client, django_capture_on_commit_callbacks
):
    """The report centre's issue form queues the issue and shows its page while it waits."""
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            reverse("assessments:document_issue"),
            {
                "issue-kind": "results",
                "issue-organization": province.old_commune.pk,
                "issue-year": YEAR,
            },
        )
    job = IssueJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:issuejob_detail", args=[job.pk])
    assert len(queued) == 1 and not IssuedDocument.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert 'role="progressbar"' in page and "hx-trigger" in page
    assert "Đảng bộ xã An Hòa" in page


def test_issue_refused_at_once_for_a_role_or_kind_that_cannot(
    province, rated, staff, district_reviewer
):
    """A reviewer may not issue for the unit, forms take no number, a replacement needs its
    reason: each is refused in the request, before anything is queued."""
    with pytest.raises(PermissionDenied):
        ask(province.old_commune, district_reviewer)
    with pytest.raises(ValidationError):
        issue_jobs.issuejob_request(
            actor=staff, kind="self_review", organization=province.old_commune, year=YEAR
        )
    issue_jobs.issuejob_run(ask(province.old_commune, staff)[0].pk)
    first = IssuedDocument.objects.get()
    with pytest.raises(ValidationError):
        ask(province.old_commune, staff, supersedes=first, reason=" ")
    assert IssueJob.objects.count() == 1


def test_issue_over_undecided_results_fails_with_its_reason_and_takes_no_number(
    province, staff, client
):
    """Whether the results are decided is checked on the data the worker prints: the job
    fails with the Vietnamese reason, the page says no number was taken."""
    round_ = open_round(province.old_commune, YEAR)
    save_levels(round_, {m: "good" for m in make_members(province.old_cell, 3)})
    submit(round_)
    job, _ = ask(province.old_commune, staff)
    issue_jobs.issuejob_run(job.pk, task_id="t")
    job.refresh_from_db()
    assert job.state == "failed" and job.document is None
    assert job.error.startswith("Kết quả trong báo cáo chưa được quyết định hết")
    assert not IssuedDocument.objects.exists()
    counter = DocumentNumber.objects.filter(organization=province.old_commune).first()
    assert counter is None or counter.next_number == 1
    client.force_login(staff)
    page = client.get(reverse("assessments:issuejob_detail", args=[job.pk])).content.decode()
    assert job.error in page and "Chưa lấy số" in page


def test_issue_job_is_its_requesters_only(province, rated, staff, client):
    """Another user's issue job is a 404, like one that does not exist."""
    from cells.choices import Role
    from tests import factories

    job, _ = ask(province.old_commune, staff)
    colleague = factories.user_with_role(province.old_commune, Role.REPORTS, username="khac")
    client.force_login(colleague)
    assert client.get(reverse("assessments:issuejob_detail", args=[job.pk])).status_code == 404


def test_stale_issue_job_is_shown_failed_and_a_new_request_starts_afresh(
    province, rated, staff, settings
):
    """A job whose worker is gone (running past the task time limit) shows as failed; asking
    again makes a new one instead of returning the lost one."""
    job, _ = ask(province.old_commune, staff)
    long_ago = job.queued_at - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    IssueJob.objects.filter(pk=job.pk).update(state="running", started_at=long_ago, task_id="gone")
    job.refresh_from_db()
    assert issue_jobs.issuejob_display_state(job) == "failed"
    fresh, created = ask(province.old_commune, staff)
    assert created and fresh != job
    job.refresh_from_db()
    assert job.state == "failed" and "bị dừng giữa chừng" in job.error
