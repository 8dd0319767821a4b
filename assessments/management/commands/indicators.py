"""Print every Resolution 22 indicator of a node and year (the dashboard's own code path).

    python manage.py indicators --org CODE --year YYYY [--format json] [--mapped] [--proposals]

Exit code 0 on success, 2 on wrong usage (unknown organization).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from assessments import dashboard
from cells.models import Organization


class Command(BaseCommand):
    help = "Print every Resolution 22 indicator for a node and a year."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization code")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--mapped", action="store_true", help="map onto today's units")
        parser.add_argument("--proposals", action="store_true", help="include undecided ratings")

    def handle(self, *args, **options):
        node = Organization.objects.filter(code=options["org"]).first()
        if node is None:
            raise CommandError(f"Unknown organization code {options['org']!r}", returncode=2)
        rows = dashboard.indicator_report(
            user=None,
            node=node,
            year=options["year"],
            mapped=options["mapped"],
            include_proposals=options["proposals"],
        )
        if options["format"] == "json":
            payload = {"org": node.code, "year": options["year"], "indicators": rows}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{node.code} · {node.name} · {options['year']}")
        for row in rows:
            value = "–" if row["value"] is None else row["value"]
            parts = f" ({row['numerator']}/{row['denominator']})" if row["denominator"] else ""
            target = f"  [mục tiêu {row['target']}]" if row["target"] else ""
            self.stdout.write(f"{row['code']:<24} {value:>10}{parts}  {row['name']}{target}")
