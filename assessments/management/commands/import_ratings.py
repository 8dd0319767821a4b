"""`manage.py import_ratings FILE --org CODE --year YYYY [--dry-run]` (DOMAIN.md §8).

Exit codes as the other import commands: 0 imported, 1 the file has errors (nothing written),
2 wrong usage.
"""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from assessments.imports import ratings_import
from assessments.schemes import FIRST_YEAR
from cells.management.commands._import_base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import one year's ratings (xep_loai) under --org as proposals "
        "(CSV or XLSX; all or nothing)."
    )
    needs_organization = True

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--year", help="the rating year of the file")

    def run_file(self, *, file, filename: str, organization, options):
        return ratings_import(
            file=file,
            filename=filename,
            organization=organization,
            year=self._year(options.get("year")),
            actor=None,
            dry_run=options["dry_run"],
        )

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
