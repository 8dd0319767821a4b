"""`manage.py import_ratings FILE --org CODE --year YYYY [--dry-run] [--decided …]` (DOMAIN §8).

With --decided the file is a past year's results, decided long ago, imported by the deciding
level as decided (assessments.decided_imports): --decision-number and --decision-date name the
decision (or the file's so_quyet_dinh / ngay_quyet_dinh columns do), --quota-exception records
the exception it granted, --reopen-reason is required when the year is already decided.

Exit codes as the other import commands: 0 imported, 1 the file has errors (nothing written),
2 wrong usage.
"""

import datetime

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from assessments.decided_imports import DecidedImport, decided_ratings_import
from assessments.imports import ratings_import
from assessments.schemes import FIRST_YEAR
from assessments.services import DecisionReference
from cells.management.commands._import_base import ImportCommand
from cells.vietnamese import nfc


class Command(ImportCommand):
    help = (
        "Import one year's ratings (xep_loai) under --org as proposals "
        "(CSV or XLSX; all or nothing)."
    )
    needs_organization = True

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--year", help="the rating year of the file")
        decided = parser.add_argument_group("decided history (--decided)")
        decided.add_argument(
            "--decided", action="store_true", help="import the results as decided long ago"
        )
        decided.add_argument("--decision-number", default="", help="e.g. 125-QĐ/ĐU")
        decided.add_argument("--decision-date", default="", help="dd/mm/yyyy")
        decided.add_argument("--quota-exception", default="", help="the exception it granted")
        decided.add_argument("--reopen-reason", default="", help="to import a decided year again")

    def run_file(self, *, file, filename: str, organization, options):
        if options["decided"]:
            return decided_ratings_import(
                file=file,
                filename=filename,
                organization=organization,
                year=self._year(options.get("year")),
                decided=self._decided(options),
                actor=None,
                dry_run=options["dry_run"],
            )
        return ratings_import(
            file=file,
            filename=filename,
            organization=organization,
            year=self._year(options.get("year")),
            actor=None,
            dry_run=options["dry_run"],
        )

    @staticmethod
    def _decided(options) -> DecidedImport:
        number = nfc(options["decision_number"])
        text = options["decision_date"].strip()
        try:
            day = datetime.datetime.strptime(text, "%d/%m/%Y").date() if text else None
        except ValueError:
            day = None
        if bool(number) != bool(text) or (text and day is None):
            raise CommandError(
                _("Give --decision-number and --decision-date (dd/mm/yyyy) together."),
                returncode=2,
            )
        return DecidedImport(
            decision=DecisionReference(number, day) if number else None,
            quota_exception=nfc(options["quota_exception"]),
            reopen_reason=nfc(options["reopen_reason"]),
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
