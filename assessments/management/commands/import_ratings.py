"""`manage.py import_ratings FILE --org CODE --year YYYY [--dry-run]` (DOMAIN.md §8).

Exit codes as the other import commands: 0 imported, 1 the file has errors (nothing written),
2 wrong usage.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assessments.imports import ratings_import
from assessments.schemes import FIRST_YEAR
from cells.management.commands._import_base import format_error
from cells.models import Organization


class Command(BaseCommand):
    help = (
        "Import one year's ratings (xep_loai) under --org as proposals "
        "(CSV or XLSX; all or nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8) or XLSX file")
        # Checked in handle(), not by argparse, so a missing option exits 2 under call_command.
        parser.add_argument("--org", help="code of the organization the file belongs to")
        parser.add_argument("--year", help="the rating year of the file")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and count, write nothing"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("File not found: %(path)s") % {"path": path}, returncode=2)
        code = (options.get("org") or "").strip()
        if not code:
            raise CommandError(_("The --org CODE option is required."), returncode=2)
        organization = Organization.objects.filter(code=code).first()
        if organization is None:
            raise CommandError(
                _("Unknown organization code “%(code)s”.") % {"code": code}, returncode=2
            )
        year = self._year(options.get("year"))
        with path.open("rb") as file:
            result = ratings_import(
                file=file,
                filename=path.name,
                organization=organization,
                year=year,
                actor=None,
                dry_run=options["dry_run"],
            )
        if not result.ok:
            for error in result.errors:
                self.stderr.write(format_error(error))
            self.stderr.write(
                _("The file has %(count)s errors; nothing was written.")
                % {"count": len(result.errors)}
            )
            sys.exit(1)
        counts = {"created": result.created, "updated": result.updated}
        if result.dry_run:
            message = _("Dry run, nothing written: %(created)s new, %(updated)s updated.")
        else:
            message = _("Imported: %(created)s new, %(updated)s updated.")
        self.stdout.write(message % counts)

    @staticmethod
    def _year(text: str | None) -> int:
        text = (text or "").strip()
        if not text:
            raise CommandError(_("The --year YYYY option is required."), returncode=2)
        if len(text) != 4 or not text.isdigit() or int(text) < FIRST_YEAR:
            raise CommandError(
                _("--year must be a year from %(first)s, not “%(value)s”.")
                % {"first": FIRST_YEAR, "value": text},
                returncode=2,
            )
        return int(text)
