"""Finding 7 of #19: with the broker down, asking for a report or an import committed the
job, then the publish failed: a bare 500, and a job stuck at "Đang chờ 0 %" that the
duplicate guard kept handing back. Now the request succeeds with a Vietnamese warning, the
job waits unsent, and the periodic sweep sends it once the broker is back.

The outage is real: the Celery app is pointed at a Redis port where nothing listens."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import tasks as periodic
from assessments.models import ReportJob
from assessments.reports import services as report_services
from cells import jobs as import_jobs
from cells.choices import Role
from cells.models import ImportJob
from partybuild.celery import app as celery_app
from tests import factories

UNREACHABLE = "redis://127.0.0.1:1/0"  # port 1: connection refused at once
WARNING = "bộ phận xử lý nền hiện chưa phản hồi"


def _point_broker(url):
    # Messages are sent through the write URL (which defaults to the broker URL).
    celery_app.conf.broker_write_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    working = celery_app.conf.broker_write_url or celery_app.conf.broker_url
    _point_broker(UNREACHABLE)

    class Outage:
        def end(self):
            _point_broker(working)

    yield Outage()
    _point_broker(working)
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(celery_app.conf.task_default_queue)


@pytest.fixture
def reviewer(province):
    return factories.user_with_role(province.district, Role.REVIEWER, username="duyet")


@pytest.mark.django_db(transaction=True)
def test_report_request_during_outage_is_saved_and_sent_later(
    client, province, reviewer, broker_down
):
    """No 500: the job is saved, the page warns in Vietnamese; asking again returns the same
    job and tries to send it again; once the broker is back the sweep sends it."""
    client.force_login(reviewer)
    data = {
        "kind": "results",
        "organization": province.old_commune.pk,
        "year": "2025",
        "format": "pdf",
    }
    # No test transaction around it: the job commits and its message is sent as in production.
    response = client.post(reverse("assessments:reportjob_create"), data, follow=True)
    assert response.status_code == 200
    assert WARNING in response.content.decode()
    job = ReportJob.objects.get()
    assert (job.state, job.task_id) == (ReportJob.State.PENDING, "")
    assert not report_services.reportjob_is_stale(job)

    # Asking again: the duplicate guard returns the job and sends it again (still down).
    again = client.post(reverse("assessments:reportjob_create"), data, follow=True)
    assert again.status_code == 200 and WARNING in again.content.decode()
    assert ReportJob.objects.count() == 1

    # The sweep while the broker is still down: nothing sent, nothing raised.
    ReportJob.objects.update(queued_at=job.queued_at - report_services.pb_jobs.UNSENT_GRACE * 2)
    assert periodic.jobs_publish_unsent()["reports"] == (0, 1)

    broker_down.end()
    assert periodic.jobs_publish_unsent()["reports"] == (1, 0)
    job.refresh_from_db()
    assert job.task_id  # on its way to a worker


@pytest.mark.django_db(transaction=True)
def test_import_upload_during_outage_is_saved_and_sent_later(client, province, broker_down):
    """An upload during the outage is kept and the user warned; the sweep sends its check."""
    client.force_login(factories.user_with_role(province.new_commune, Role.SECRETARY))
    upload = SimpleUploadedFile(
        "dang_vien.csv",
        "so_ly_lich,ho_ten,gioi_tinh,ma_chi_bo\n100001BG,Nguyễn Văn An,Nam,BG-AH-AH01\n".encode(),
    )
    response = client.post(
        reverse("cells:importjob_create"),
        {"kind": "members", "organization": province.new_commune.pk, "file": upload},
        follow=True,
    )
    assert response.status_code == 200
    assert WARNING in response.content.decode()
    job = ImportJob.objects.get()
    assert job.task_id == "" and not import_jobs.importjob_is_stale(job)
    ImportJob.objects.update(queued_at=job.queued_at - report_services.pb_jobs.UNSENT_GRACE * 2)
    broker_down.end()
    assert periodic.jobs_publish_unsent()["imports"] == (1, 0)
    job.refresh_from_db()
    assert job.task_id
