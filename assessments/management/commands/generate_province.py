"""Generate a realistic, province-sized data set for benchmarks (see docs/benchmarks.md).

    python manage.py generate_province --code HG --members 400000 --communes 170 \
        --years 2016-2025 --seed 20251127
"""

import re

from django.core.management.base import BaseCommand, CommandError

from assessments.demo.generator import (
    DEFAULT_SEED,
    ProvinceExistsError,
    generate_province_with_tallies,
)


def _years(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{4})", text.strip())
    if not match or int(match[1]) > int(match[2]) or int(match[1]) < 2008:
        raise CommandError("--years must look like 2016-2025 (from 2008 on)")
    return int(match[1]), int(match[2])


class Command(BaseCommand):
    help = "Generate a province (tree with the 2025 merge, members, ten years of ratings) fast."

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="Province code: 1–3 capital letters.")
        parser.add_argument("--members", type=int, default=400_000)
        parser.add_argument("--communes", type=int, default=170)
        parser.add_argument("--years", default="2016-2025")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--name", default=None, help="Province name (Vietnamese).")

    def log(self, text: str) -> None:
        # Flushed line by line: the progress is read while a long run goes on.
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args, **options):
        code = options["code"].strip().upper()
        if not re.fullmatch(r"[A-Z]{1,3}", code):
            raise CommandError("--code must be 1–3 capital letters (it ends the record numbers)")
        if options["members"] < 50 * options["communes"]:
            raise CommandError("Give at least 50 members per commune-level unit")
        first, last = _years(options["years"])
        try:
            result = generate_province_with_tallies(
                code=code,
                members=options["members"],
                communes=options["communes"],
                first_year=first,
                last_year=last,
                seed=options["seed"],
                province_name=options["name"],
                log=self.log,
            )
        except ProvinceExistsError as exc:
            raise CommandError(f"Province {exc} already exists: use another --code") from exc
        self.stdout.write(self.style.SUCCESS(f"{code}: done in {result.seconds:.1f} s"))
        for table, count in sorted(result.counts.items()):
            self.stdout.write(f"  {table:32} {count:>12,}")
