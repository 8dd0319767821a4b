"""`manage.py import_template KIND [--year YYYY] [--out FILE] [--format xlsx|csv]`.

The empty template of an interchange file (DOMAIN.md §8), the same file the import page offers:
Vietnamese headings, drop-down lists of the exact labels, a frozen header row and a sheet
explaining each column. KIND: organizations, members, events or ratings. Exit 2 on wrong usage.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assessments.schemes import FIRST_YEAR
from cells.imports.templates import TEMPLATES, template_spec, template_workbook
from cells.jobs import importjob_template


class Command(BaseCommand):
    help = "Write the empty XLSX (or CSV) template of one kind of interchange file."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="organizations, members, events or ratings")
        parser.add_argument("--year", type=int, help="for ratings: the year whose labels to offer")
        parser.add_argument("--out", help="file to write (default: the template's own name)")
        parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")

    def handle(self, *args, kind, year, out, format, **options):
        if kind not in TEMPLATES:
            raise CommandError(
                _("Unknown kind “%(kind)s”; choose one of: %(kinds)s.")
                % {"kind": kind, "kinds": ", ".join(TEMPLATES)},
                returncode=2,
            )
        if year is not None and year < FIRST_YEAR:
            raise CommandError(
                _("--year must be a year from %(first)s, not “%(value)s”.")
                % {"first": FIRST_YEAR, "value": year},
                returncode=2,
            )
        spec = template_spec(kind, year=year)
        if format == "csv":
            if kind not in {"organizations", "members", "events"}:
                raise CommandError(_("Only the XLSX template exists for this kind."), returncode=2)
            filename, _type, content = importjob_template(kind=kind, file_format="csv")
        else:
            filename, content = spec.filename, template_workbook(spec)
        path = Path(out or filename)
        path.write_bytes(content)
        self.stdout.write(_("Template written: %(path)s") % {"path": path})
