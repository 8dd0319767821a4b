"""The periodic jobs behind Celery beat: deadline reminders, entry closure, file cleanup,
the dashboard tallies."""

import datetime
import os
import time

import pytest
from django.utils import timezone

from assessments import deadlines, schemes
from assessments.indicators import tally
from assessments.models import IndicatorTallyWindow, RatingRound, RatingYear
from assessments.tasks import indicator_tallies_rebuild, indicator_tallies_refresh
from cells.choices import ImportJobStatus, Role
from cells.housekeeping import generated_files_delete_expired
from cells.models import AuditEntry, ImportJob
from partybuild.celery import app
from tests import factories


def _round(organization, year, state):
    return RatingRound.objects.create(
        organization=organization,
        year=year,
        state=state,
        scheme_code=schemes.scheme_for_year(year).code,
    )


@pytest.fixture
def due_in_three_days(province, today):
    """Year 2025 closing in 3 days; BG-AH-AH01 has not started, HG-C01 has submitted."""
    RatingYear.objects.create(year=2025, entry_deadline=today + datetime.timedelta(days=3))
    _round(province.foreign_cell, 2025, "submitted")
    return province


def test_rating_entry_remind_emails_secretaries_of_units_not_submitted(
    due_in_three_days, today, mailoutbox
):
    """Three days before the deadline, the secretary of the unit that has not submitted
    gets one Vietnamese reminder naming the unit and the date; the submitted unit's
    secretary and a reviewer above get nothing; a second run the same day sends nothing."""
    p = due_in_three_days
    secretary = factories.user_with_role(p.new_cell, Role.SECRETARY, email="bt@example.vn")
    factories.user_with_role(p.foreign_cell, Role.SECRETARY, email="hg@example.vn")
    factories.user_with_role(p.province, Role.REVIEWER, email="td@example.vn")

    result = deadlines.rating_entry_remind(today=today, days_before=[3, 7], enabled=True)

    assert result.sent == ["BG-AH-AH01"] and not result.failed
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [secretary.email]
    deadline = f"{today + datetime.timedelta(days=3):%d/%m/%Y}"
    assert "Chi bộ ấp 1 (An Hòa)" in message.subject and deadline in message.subject
    assert "2025" in message.body and "chưa" in message.body  # Vietnamese text
    assert AuditEntry.objects.filter(
        action=deadlines.REMINDER_ACTION, organization=p.new_cell, actor=None
    ).exists()

    again = deadlines.rating_entry_remind(today=today, days_before=[3], enabled=True)
    assert again.sent == [] and len(mailoutbox) == 1


def test_rating_entry_remind_sends_nothing_when_disabled_or_on_other_days(
    due_in_three_days, today, mailoutbox, settings
):
    """Reminders are off unless RATING_REMINDERS_ENABLED, and only go out on the configured
    days before the deadline."""
    factories.user_with_role(due_in_three_days.new_cell, Role.SECRETARY, email="bt@example.vn")
    settings.RATING_REMINDERS_ENABLED = False

    assert deadlines.rating_entry_remind(today=today).skipped_disabled is True
    settings.RATING_REMINDERS_ENABLED = True
    settings.RATING_REMINDER_DAYS = [7, 1]
    assert deadlines.rating_entry_remind(today=today).sent == []
    assert mailoutbox == []


def test_rounds_entry_close_records_open_rounds_once(province, today):
    """The day after the deadline, a round still in draft gets one system audit row
    "round_entry_closed" (its state untouched); a submitted round gets none; a second run
    records nothing new."""
    RatingYear.objects.create(year=2025, entry_deadline=today - datetime.timedelta(days=1))
    draft = _round(province.new_cell, 2025, "draft")
    _round(province.foreign_cell, 2025, "submitted")

    closed = deadlines.rounds_entry_close(today=today)

    assert [r.pk for r in closed] == [draft.pk]
    entry = AuditEntry.objects.get(action=deadlines.ENTRY_CLOSED_ACTION)
    assert (entry.actor, entry.object_id, entry.changes["state"]) == (None, str(draft.pk), "draft")
    draft.refresh_from_db()
    assert draft.state == "draft"
    assert deadlines.rounds_entry_close(today=today) == []


def _file(path, *, days_old: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 10)
    moment = time.time() - days_old * 86400
    os.utime(path, (moment, moment))


def test_generated_files_delete_expired_by_age_keeps_pending_imports(db, settings, tmp_path):
    """Reports older than their limit and old uploads are deleted (and their emptied
    directories); recent files, files outside reports/ and imports/, and the file of an
    import still awaiting confirmation are kept."""
    settings.MEDIA_ROOT = tmp_path
    _file(tmp_path / "reports" / "2025" / "old.pdf", days_old=8)
    _file(tmp_path / "reports" / "new.pdf", days_old=1)
    _file(tmp_path / "imports" / "old.csv", days_old=31)
    _file(tmp_path / "imports" / "pending.csv", days_old=31)
    _file(tmp_path / "other" / "ancient.bin", days_old=999)
    ImportJob.objects.create(
        kind="organizations",
        created_by=factories.UserFactory(),
        file="imports/pending.csv",
        filename="to_chuc.csv",
        status=ImportJobStatus.READY,
        queued_at=timezone.now(),
    )

    result = generated_files_delete_expired(max_age_days={"reports": 7, "imports": 30})

    assert sorted(result.deleted) == ["imports/old.csv", "reports/2025/old.pdf"]
    assert result.kept_in_use == ["imports/pending.csv"]
    assert result.bytes_freed == 20
    remaining = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.*"))
    assert remaining == ["imports/pending.csv", "other/ancient.bin", "reports/new.pdf"]
    assert not (tmp_path / "reports" / "2025").exists()


def test_indicator_tallies_job_builds_once_then_waits_for_the_new_year(province):
    """The nightly job builds the dashboard's tallies on a database that has none, then does
    nothing until the window's year changes (the marks keep the tallies fresh meanwhile)."""
    assert indicator_tallies_rebuild.apply().get() is True
    built = IndicatorTallyWindow.objects.get()
    assert built.last_year == timezone.localdate().year + 1
    assert indicator_tallies_rebuild.apply().get() is False
    assert tally.status()["marked_units"] == 0


def test_indicator_tallies_refresh_job_recomputes_marked_units(province):
    """The minute job recomputes units changed since the last run, so the next reader has
    nothing left to do; with no tallies built it does nothing."""
    factories.member(province.old_cell, "Trần Thị Mai")
    assert indicator_tallies_refresh.apply().get() == 0  # never built: nothing to keep
    tally.tallies_rebuild()
    factories.member(province.old_cell, "Lê Văn Nam")
    assert tally.status()["marked_units"] == 1
    assert indicator_tallies_refresh.apply().get() == 1
    assert tally.status()["marked_units"] == 0


def test_every_scheduled_job_is_a_registered_task():
    """A typo in the beat schedule would send a task no worker knows: each name resolves."""
    app.loader.import_default_modules()
    missing = [e["task"] for e in app.conf.beat_schedule.values() if e["task"] not in app.tasks]
    assert missing == []
