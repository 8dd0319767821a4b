"""Deleting generated and uploaded files that have outlived their use (run daily by beat).

Generated reports (MEDIA_ROOT/reports) can be produced again from the database; uploaded
interchange files (MEDIA_ROOT/imports) are only needed until their import is written or
abandoned. Both hold member data, so keeping them forever is a liability, not a backup.

Files are judged by age (modification time), not through their job rows, so the cleanup
also removes orphans left by a crashed worker. The caller names the files still in use (an
import file whose job is still waiting for its check or for the user's confirmation:
cells.housekeeping), which are never removed, whatever their age. A helper: it imports no app.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

DEFAULT_MAX_AGE_DAYS = {"reports": 7, "imports": 30}


@dataclass
class CleanupResult:
    """Relative paths deleted and kept (still referenced), per directory."""

    deleted: list[str] = field(default_factory=list)
    kept_in_use: list[str] = field(default_factory=list)
    bytes_freed: int = 0


def _max_age_days() -> dict[str, int]:
    return {
        "reports": getattr(settings, "REPORT_FILES_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS["reports"]),
        "imports": getattr(settings, "IMPORT_FILES_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS["imports"]),
    }


def generated_files_delete_expired(
    *,
    in_use: Collection[str] = frozenset(),
    max_age_days: dict[str, int] | None = None,
    now: datetime.datetime | None = None,
) -> CleanupResult:
    """Delete files under MEDIA_ROOT/reports and MEDIA_ROOT/imports older than their
    directory's age limit (REPORT_FILES_MAX_AGE_DAYS, IMPORT_FILES_MAX_AGE_DAYS), then the
    directories left empty. `in_use`: storage names (relative to MEDIA_ROOT) kept anyway.

    Symbolic links are neither followed nor deleted: the media root may be a shared mount,
    and the cleanup must never reach outside it.
    """
    limits = {**_max_age_days(), **(max_age_days or {})}
    moment = (now or timezone.now()).timestamp()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    in_use = set(in_use)
    result = CleanupResult()
    for subdir, days in sorted(limits.items()):
        top = media_root / subdir
        if days is None or days < 0 or not top.is_dir() or top.is_symlink():
            continue
        cutoff = moment - days * 86400
        for dirpath, _dirnames, filenames in os.walk(top, topdown=False, followlinks=False):
            for name in filenames:
                path = Path(dirpath) / name
                relative = path.relative_to(media_root).as_posix()
                try:
                    info = path.lstat()
                except FileNotFoundError:
                    continue
                if path.is_symlink() or info.st_mtime >= cutoff:
                    continue
                if relative in in_use:
                    result.kept_in_use.append(relative)
                    continue
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue  # another web or worker host removed it first
                result.deleted.append(relative)
                result.bytes_freed += info.st_size
            directory = Path(dirpath)
            if directory != top and not any(directory.iterdir()):
                # A file may have arrived meanwhile, or another host removed it.
                with contextlib.suppress(OSError):
                    directory.rmdir()
    if result.deleted:
        logger.info("Deleted %d expired file(s), %d bytes", len(result.deleted), result.bytes_freed)
    return result
