"""Generate several provinces under one national root (a central installation's data set).

    python manage.py generate_country --national VN --provinces 3 \
        --members-per-province 400000 --communes-per-province 170 --years 2016-2026

Province codes default to HG, then HA, HB, …; province i is drawn from `--seed` + i, so the
first is the one `generate_province --code HG` makes with the same seed (see docs/benchmarks.md,
"1.2 million members"). `--jobs` provinces are drawn at once, each in its own process (the
same data whatever the number; a failed run and its cleaning: assessments.demo.generator.country).
"""

import os
import re
import string

from django.core.management.base import BaseCommand, CommandError

from assessments.demo.generator import (
    DEFAULT_SEED,
    CountryGenerationError,
    ProvinceExistsError,
    generate_country,
)

from .generate_province import _years


def _codes(text: str | None, count: int) -> list[str]:
    if text:
        codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    else:
        codes = ["HG", *(f"H{letter}" for letter in string.ascii_uppercase if letter != "G")]
        codes = codes[:count]
    if len(codes) != count:
        raise CommandError(f"Give {count} province codes (got {len(codes)})")
    for code in codes:
        if not re.fullmatch(r"[A-Z]{1,3}", code):
            raise CommandError(f"Province code {code!r}: 1–3 capital letters")
    return codes


class Command(BaseCommand):
    help = "Generate several provinces under a national root in one database, tallies built."

    def add_arguments(self, parser):
        parser.add_argument("--national", default="VN", help="Code of the national root.")
        parser.add_argument("--provinces", type=int, default=3)
        parser.add_argument("--codes", default=None, help="Province codes, comma-separated.")
        parser.add_argument("--members-per-province", type=int, default=400_000)
        parser.add_argument("--communes-per-province", type=int, default=170)
        parser.add_argument("--years", default="2016-2026")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="Provinces drawn at once, in their own processes (default: one per core).",
        )

    def log(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args, **options):
        count = options["provinces"]
        if not 1 <= count <= 34:
            raise CommandError("--provinces: from 1 to 34 (DOMAIN §9)")
        national = options["national"].strip().upper()
        if not re.fullmatch(r"[A-Z]{1,3}", national):
            raise CommandError("--national must be 1–3 capital letters")
        members, communes = options["members_per_province"], options["communes_per_province"]
        if members < 50 * communes:
            raise CommandError("Give at least 50 members per commune-level unit")
        first, last = _years(options["years"])
        codes = _codes(options["codes"], count)
        jobs = options["jobs"] or os.cpu_count() or 1
        if jobs < 1:
            raise CommandError("--jobs: at least 1")
        try:
            result = generate_country(
                national=national,
                codes=codes,
                members=members,
                communes=communes,
                first_year=first,
                last_year=last,
                seed=options["seed"],
                jobs=jobs,
                log=self.log,
            )
        except ProvinceExistsError as exc:
            raise CommandError(f"Already in the database: {exc}") from exc
        except CountryGenerationError as exc:
            raise CommandError(f"A province failed, the run stopped: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{national}: {len(codes)} provinces in {result.seconds:.1f} s "
                f"(tallies {result.tally_seconds:.1f} s)"
            )
        )
        totals: dict[str, int] = {}
        for province in result.provinces:
            self.stdout.write(f"  {province.code}: {province.seconds:.1f} s")
            for table, n in province.counts.items():
                totals[table] = totals.get(table, 0) + n
        for table, n in sorted(totals.items()):
            self.stdout.write(f"  {table:32} {n:>12,}")
