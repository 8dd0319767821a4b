"""`manage.py render_report --kind KIND --org CODE --year YYYY --out PATH [--format pdf|xlsx]`

Renders one report synchronously through the same code path as the report centre's worker
(assessments.reports.services.report_render). Exit 0 on success, 1 when the report cannot be
made for that unit and year, 2 on wrong usage (an unknown unit, kind or format).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.models import ReportJob
from assessments.reports import context, services
from cells.models import Organization

# The command's names (DOMAIN §7 numbering 1–5) → stored kinds.
KINDS = {
    "results": ReportJob.Kind.RESULTS,
    "proposals": ReportJob.Kind.PROPOSALS,
    "self-review": ReportJob.Kind.SELF_REVIEW,
    "minutes": ReportJob.Kind.MINUTES,
    "summary": ReportJob.Kind.SUMMARY,
}


class Command(BaseCommand):
    help = "Render one report (PDF or Excel) of a unit and year to a file."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=sorted(KINDS))
        parser.add_argument("--org", required=True, help="code of the unit")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument("--format", default="pdf", choices=["pdf", "xlsx"])
        parser.add_argument(
            "--include-proposals",
            action="store_true",
            help="count proposed levels of rounds not decided yet (a draft report)",
        )

    def handle(self, *args, **options):
        organization = Organization.objects.filter(code=options["org"]).first()
        if organization is None:
            raise CommandError(f"Unknown unit code {options['org']!r}.", returncode=2)
        try:
            rendered = services.report_render(
                kind=KINDS[options["kind"]],
                organization=organization,
                year=options["year"],
                fmt=options["format"],
                exported_by="manage.py render_report",
                include_proposals=options["include_proposals"],
            )
        except context.ReportError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        out = Path(options["out"])
        out.write_bytes(rendered.content)
        number = f" {rendered.number}" if rendered.number else ""
        self.stdout.write(f"{out} ({len(rendered.content):,} bytes){number}")
