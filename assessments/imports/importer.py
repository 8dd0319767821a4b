"""Rating imports, the importer: `RatingImporter` (its parts put together) and `ratings_import`."""

from typing import BinaryIO

from django.utils.translation import gettext as _

from cells.imports import ImportResult, Progress, Row, RowError
from cells.imports.base import (
    Importer,
    ProgressCallback,
    duplicate_in_file,
    run_importer,
)
from cells.models import Organization

from .. import rules, selectors
from .checks import RuleChecks
from .parsing import KIND, LEVEL_COLUMN, RowParsing, _Rating
from .writing import RatingWriting


class RatingImporter(RowParsing, RuleChecks, RatingWriting, Importer):
    """The rows of a `xep_loai` file for `year`, under `organization`'s subtree."""

    kind = KIND
    required_columns = ("nam", LEVEL_COLUMN)
    optional_columns = (
        "so_ly_lich",
        "ma",
        "ly_do_khong_xep_loai",
        "diem",
        "diem_chung",
        "diem_nhiem_vu",
        "ly_do_diem_nhiem_vu",
        "doi_tuong",
        "nhom",
    )
    needs_organization = True

    def __init__(self, *, actor, organization: Organization, columns: list[str], year: int):
        super().__init__(actor=actor, organization=organization, columns=columns)
        self.year = year
        self.period_end = rules.default_period_end(year)
        self.scheme = selectors.scheme_for(year)
        self.member_rows: list[_Rating] = []
        self.organization_rows: list[_Rating] = []

    @classmethod
    def header_errors(cls, table) -> list[RowError]:
        errors = super().header_errors(table)
        if not {"so_ly_lich", "ma"} & set(table.columns):
            errors.append(
                RowError(
                    1,
                    "so_ly_lich",
                    _(
                        "The file needs a so_ly_lich column (members) or a ma column "
                        "(organizations)."
                    ),
                )
            )
        return errors

    # --- validation: values ---------------------------------------------------------------
    def validate(self, rows: list[Row], progress: Progress) -> None:
        self._prefetch(rows)
        seen_members: dict[str, int] = {}
        seen_orgs: dict[str, int] = {}
        for row in rows:
            progress.step()
            rating = self._parse(row)
            if rating is None:
                continue
            if rating.member is not None:
                key, seen, column = rating.member.record_number, seen_members, "so_ly_lich"
            else:
                key, seen, column = rating.organization.code, seen_orgs, "ma"
            if key in seen:
                row.error(column, duplicate_in_file(key, seen[key]))
                continue
            seen[key] = row.number
            (self.member_rows if rating.member is not None else self.organization_rows).append(
                rating
            )
        # One pass: the rules run on every row whose values are valid, so a bad value in one
        # row does not hide the rule errors of the others (DOMAIN §8: every error is listed).
        self._check_rounds()
        self._check_member_rules()


def ratings_import(
    *,
    file: BinaryIO,
    filename: str,
    organization: Organization,
    year: int,
    actor=None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Check a whole `xep_loai` file for `year` under `organization`, then save all or nothing.

    `actor` None is the command line (a system action). The ratings are proposals: each
    round keeps its editable state, so the deciding level still reviews and decides them.
    A dry run validates and writes in a transaction that is rolled back.
    """
    return run_importer(
        RatingImporter,
        file=file,
        filename=filename,
        actor=actor,
        organization=organization,
        dry_run=dry_run,
        progress=progress,
        options={"year": year},
    )
