"""What the import_* commands share: arguments, exit codes and Vietnamese output (DOMAIN §8).

Exit codes: 0 imported, 1 the file has errors (nothing written), 2 wrong usage.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cells.imports import IMPORTERS, ImportResult, RowError, run_import
from cells.models import Organization


def format_error(error: RowError) -> str:
    if error.row == 0:
        return error.message
    if not error.column:
        return _("Row %(row)s: %(message)s") % {"row": error.row, "message": error.message}
    return _("Row %(row)s, column %(column)s: %(message)s") % {
        "row": error.row,
        "column": error.column,
        "message": error.message,
    }


class ImportCommand(BaseCommand):
    """One import command: FILE [--org CODE] [--dry-run]. Subclasses name their `kind`, or
    override `run_file` for an importer outside cells (the ratings import adds --year)."""

    kind: str

    @property
    def needs_organization(self) -> bool:
        return IMPORTERS[self.kind].needs_organization

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8) or XLSX file")
        if self.needs_organization:
            # Checked in handle(), not by argparse, so a missing --org exits 2 under
            # call_command too.
            parser.add_argument("--org", help="code of the organization the file belongs to")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and count, write nothing"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("File not found: %(path)s") % {"path": path}, returncode=2)
        organization = self.organization_from(options) if self.needs_organization else None
        with path.open("rb") as file:
            result = self.run_file(
                file=file, filename=path.name, organization=organization, options=options
            )
        self.report(result)

    @staticmethod
    def organization_from(options) -> Organization:
        code = (options.get("org") or "").strip()
        if not code:
            raise CommandError(_("The --org CODE option is required."), returncode=2)
        organization = Organization.objects.filter(code=code).first()
        if organization is None:
            raise CommandError(
                _("Unknown organization code “%(code)s”.") % {"code": code}, returncode=2
            )
        return organization

    def run_file(self, *, file, filename: str, organization, options) -> ImportResult:
        return run_import(
            kind=self.kind,
            file=file,
            filename=filename,
            actor=None,
            organization=organization,
            dry_run=options["dry_run"],
            options=self.import_options(options),
        )

    def import_options(self, options) -> dict | None:
        """The importer's own options from the command's (the members' --confirm)."""
        return None

    def report(self, result: ImportResult) -> None:
        """Every error on stderr and exit 1, or the counts on stdout (notices on stderr)."""
        for notice in result.notices:
            self.stderr.write(format_error(notice))
        if not result.ok:
            for error in result.errors:
                self.stderr.write(format_error(error))
            count = max(result.error_count, len(result.errors))
            if count > len(result.errors):
                self.stderr.write(
                    _("… and %(more)s more errors (the first %(shown)s are listed).")
                    % {"more": count - len(result.errors), "shown": len(result.errors)}
                )
            confirmable = sorted({e.confirm for e in result.errors if e.confirm})
            if confirmable:
                self.stderr.write(
                    _("If those rows are the same people, run again with: %(options)s")
                    % {"options": " ".join(f"--confirm {r}" for r in confirmable)}
                )
            self.stderr.write(
                _("The file has %(count)s errors; nothing was written.") % {"count": count}
            )
            sys.exit(1)
        for update in result.changes:
            changes = "; ".join(f"{c['field']}: {c['old']} → {c['new']}" for c in update["changes"])
            self.stdout.write(
                _("Row %(row)s, %(record)s %(name)s: %(changes)s") % {**update, "changes": changes}
            )
        counts = {"created": result.created, "updated": result.updated}
        if result.dry_run:
            message = _("Dry run, nothing written: %(created)s new, %(updated)s updated.")
        else:
            message = _("Imported: %(created)s new, %(updated)s updated.")
        self.stdout.write(message % counts)
