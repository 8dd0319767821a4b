"""The dashboard's per-unit tallies (assessments.indicators.tally).

    python manage.py indicator_tallies rebuild      # after a bulk load, or to repair (then VACUUM)
    python manage.py indicator_tallies status
    python manage.py indicator_tallies check --org CODE --year YYYY [--mapped] [--proposals]

`check` compares the tallies with a live count of the same families for a node and the year
before and after it; exit code 1 when they differ (every difference is listed), 2 on wrong
usage. Tallies exist on PostgreSQL only (the SQLite demo counts live).
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from assessments.indicators import Scope, tally
from cells.models import Organization


class Command(BaseCommand):
    help = "Rebuild, inspect or check the dashboard's per-unit tallies."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "status", "check"])
        parser.add_argument("--org", help="organization code (check)")
        parser.add_argument("--year", type=int, help="year (check)")
        parser.add_argument("--mapped", action="store_true", help="map onto today's units")
        parser.add_argument("--proposals", action="store_true", help="include undecided ratings")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Tallies exist on PostgreSQL only.", returncode=2)
        action = options["action"]
        if action == "rebuild":
            started = time.monotonic()
            rows = tally.tallies_rebuild()
            self.stdout.write(f"{rows:,} rows in {time.monotonic() - started:.1f} s")
            started = time.monotonic()
            statement = tally.tallies_vacuum()
            self.stdout.write(f"{statement}: {time.monotonic() - started:.1f} s")
        elif action == "status":
            for key, value in tally.status().items():
                self.stdout.write(f"{key}: {value}")
        else:
            self._check(options)

    def _check(self, options):
        if not options["org"] or not options["year"]:
            raise CommandError("check needs --org and --year", returncode=2)
        node = Organization.objects.filter(code=options["org"]).first()
        if node is None:
            raise CommandError(f"Unknown organization code {options['org']!r}", returncode=2)
        years = [options["year"] - 1, options["year"]]
        if not tally.covers(years):
            raise CommandError("The tallies do not cover these years (rebuild?).", returncode=2)
        scope = Scope(node=node, mapped=options["mapped"], include_proposals=options["proposals"])
        found = tally.differences(scope, years)
        for year, bucket, counter, tallied, live in found:
            self.stdout.write(
                f"{year} {bucket or '(node)'} {counter}: tally {tallied}, live {live}"
            )
        if found:
            raise CommandError(f"{len(found)} differences", returncode=1)
        self.stdout.write(f"{node.code} {years}: tallies agree with a live count")
