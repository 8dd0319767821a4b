"""Bench: a 10,000-row member file (dang_vien.csv format) through cells.imports.run_import.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pb_bench .venv/bin/python bench/member_import.py

The file holds new members spread over the 2025 cells of the generated province (record
numbers with the suffix "BZ", so they never clash). The import validates every row and writes
members, memberships (through the 2025 merge history) and posts in one transaction; it is
rolled back after each run. Floor from the same run: PostgreSQL COPY of the same 10,000
member rows and their memberships, also rolled back.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import random
import statistics

from _common import in_rollback, report, setup_django, timed

setup_django()

from django.db import connection, transaction  # noqa: E402

from assessments.demo.province_data import FAMILY_NAMES, FEMALE_GIVEN, MALE_GIVEN, MALE_MIDDLE  # noqa: E402
from cells.choices import CELL_TYPES  # noqa: E402
from cells.imports import run_import  # noqa: E402
from cells.models import Organization  # noqa: E402
from cells.vietnamese import collation_key  # noqa: E402

COLUMNS = [
    "so_ly_lich",
    "ho_ten",
    "gioi_tinh",
    "ngay_sinh",
    "ma_chi_bo",
    "ngay_vao_dang",
    "ngay_chinh_thuc",
    "so_the_dang_vien",
    "cccd",
    "dan_toc",
    "ton_giao",
    "trinh_do_pho_thong",
    "chuyen_mon",
    "ly_luan_chinh_tri",
    "chuc_vu_dang",
    "chuc_vu_chinh_quyen",
]


def build_rows(province: Organization, count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    cells = list(
        Organization.objects.filter(
            path__startswith=province.path, type__in=CELL_TYPES, dissolved_on=None
        )
        .order_by("code")
        .values_list("code", flat=True)
    )
    families = list(FAMILY_NAMES)
    rows = []
    for n in range(count):
        male = rng.random() < 0.6
        given = rng.choice(MALE_GIVEN if male else FEMALE_GIVEN)
        middle = rng.choice(MALE_MIDDLE) if male else "Thị"
        birth = datetime.date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
        admitted = birth + datetime.timedelta(days=365 * rng.randint(20, 24))
        full = admitted + datetime.timedelta(days=366)
        rows.append(
            {
                "so_ly_lich": f"{900000 + n:06d}BZ",
                "ho_ten": f"{rng.choice(families)} {middle} {given}",
                "gioi_tinh": "Nam" if male else "Nữ",
                "ngay_sinh": f"{birth:%d/%m/%Y}",
                "ma_chi_bo": rng.choice(cells),
                "ngay_vao_dang": f"{admitted:%d/%m/%Y}",
                "ngay_chinh_thuc": f"{full:%d/%m/%Y}",
                "so_the_dang_vien": "",
                "cccd": "",
                "dan_toc": "Kinh",
                "ton_giao": "",
                "trinh_do_pho_thong": "12/12",
                "chuyen_mon": "Đại học" if rng.random() < 0.4 else "",
                "ly_luan_chinh_tri": "Sơ cấp" if rng.random() < 0.5 else "",
                "chuc_vu_dang": "",
                "chuc_vu_chinh_quyen": "",
            }
        )
    return rows


def to_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--province", default=None, help="Code of the generated province.")
    args = parser.parse_args()
    roots = Organization.objects.filter(depth=1)
    province = roots.get(code=args.province) if args.province else roots.order_by("-numchild")[0]
    rows = build_rows(province, args.rows, seed=10_000)
    content = to_csv(rows)
    print(f"{province.code}: {len(rows):,} rows, {len(content) / 1024:.0f} KiB of CSV")

    def run():
        result = run_import(
            kind="members",
            file=io.BytesIO(content),
            filename="dang_vien.csv",
            actor=None,
            organization=province,
            dry_run=False,
        )
        assert result.ok and result.created == len(rows), (result.errors[:3], result.created)

    # Each run takes minutes at 10,000 rows: no unmeasured warm-up run.
    imported = timed(in_rollback(run), repeat=args.repeat, warmup=0)

    codes = dict(
        Organization.objects.filter(code__in={r["ma_chi_bo"] for r in rows}).values_list(
            "code", "id"
        )
    )

    def parse(text: str) -> datetime.date:
        return datetime.datetime.strptime(text, "%d/%m/%Y").date()

    def copy():
        now = datetime.datetime.now(datetime.UTC)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cells_member")
                first = cursor.fetchone()[0] + 1
            raw = connection.connection
            with raw.cursor() as cursor:
                with cursor.copy(
                    "COPY cells_member (id, record_number, full_name, name_sort_key, gender, "
                    "birth_date, birthplace, hometown, ethnicity, religion, occupation, "
                    "general_education, professional_level, political_theory, admitted_on, "
                    "full_member_on, created_at, updated_at) FROM STDIN"
                ) as out:
                    for n, r in enumerate(rows):
                        out.write_row(
                            (
                                first + n,
                                r["so_ly_lich"],
                                r["ho_ten"],
                                collation_key(r["ho_ten"]),
                                "male" if r["gioi_tinh"] == "Nam" else "female",
                                parse(r["ngay_sinh"]),
                                "",
                                "",
                                r["dan_toc"],
                                "",
                                "",
                                "12/12",
                                "",
                                "",
                                parse(r["ngay_vao_dang"]),
                                parse(r["ngay_chinh_thuc"]),
                                now,
                                now,
                            )
                        )
                with cursor.copy(
                    'COPY cells_membership (member_id, organization_id, kind, start, "end") '
                    "FROM STDIN"
                ) as out:
                    for n, r in enumerate(rows):
                        out.write_row(
                            (
                                first + n,
                                codes[r["ma_chi_bo"]],
                                "official",
                                parse(r["ngay_vao_dang"]),
                                None,
                            )
                        )

    floor = timed(in_rollback(copy), repeat=args.repeat, warmup=0)
    report(f"import {len(rows):,} members (run_import)", imported, floor, "COPY of the same rows")
    per_row = statistics.median(imported) / len(rows) * 1000
    print(f"  ≈ {per_row:.2f} ms per row")


if __name__ == "__main__":
    main()
