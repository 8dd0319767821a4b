"""The daily cleanup of generated and uploaded files, with the import files still in use
(partybuild.housekeeping deletes by age and imports no app; this module knows the jobs)."""

from partybuild import housekeeping

from .choices import ImportJobStatus
from .jobs import ACTIVE_STATUSES
from .models import ImportJob


def import_files_in_use() -> set[str]:
    """Storage names of the files of import jobs that may still be read."""
    statuses = [*ACTIVE_STATUSES, ImportJobStatus.READY]
    return set(ImportJob.objects.filter(status__in=statuses).values_list("file", flat=True))


def generated_files_delete_expired(**options) -> housekeeping.CleanupResult:
    """Delete expired report files and abandoned uploads, never an import file in use (the
    options are those of partybuild.housekeeping.generated_files_delete_expired)."""
    return housekeeping.generated_files_delete_expired(in_use=import_files_in_use(), **options)
