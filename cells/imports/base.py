"""The import contract shared by every kind of interchange file (DOMAIN.md §8).

An import reads a table, validates every row against the database and the rest of the file,
and only then writes, inside one transaction: any error, even one raised by a service half-way
through, leaves the database as it was. A kind of file is an `Importer` subclass registered
under an `ImportKind` value; `run_import` drives all of them the same way.
"""

import abc
import datetime
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO, ClassVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..choices import label_to_value
from ..models import Organization
from .files import ImportFileError, Table, read_table

ProgressCallback = Callable[[int, int], None]

PROGRESS_EVERY = 100
# dd/mm/yyyy, also typed with "-" or "." as Excel and people write it (never yyyy-mm-dd).
_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")
_YES = {"có", "co", "x"}
_NO = {"không", "khong", ""}


@dataclass(frozen=True)
class RowError:
    """One problem in a file: spreadsheet row (header = 1; 0 = the file as a whole), column."""

    row: int
    column: str
    message: str
    # The record number a user may confirm to lift this error (the typo guard), else "".
    confirm: str = ""


@dataclass
class ImportResult:
    kind: str
    total_rows: int
    created: int
    updated: int
    errors: list[RowError]
    dry_run: bool
    # All the errors found; `errors` keeps the first IMPORT_MAX_ERRORS of them (by row).
    error_count: int = 0
    # The preview of updates: per changed record, each field as old → new (cells.imports.updates).
    changes: list[dict] = field(default_factory=list)
    # Told, not refused: columns the file carries that this kind does not read (stt, ho_ten…).
    notices: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def keep_first_errors(self, errors: list[RowError]) -> None:
        """Keep the first errors by row (a million-row file must not fill the job's row)."""
        self.error_count = len(errors)
        self.errors = errors[: settings.IMPORT_MAX_ERRORS]


class ImportRefused(Exception):
    """Services refused rows during the write phase: abort (and roll back) the import."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class Progress:
    """Reports (done, total) every PROGRESS_EVERY steps; total counts validation plus writing."""

    def __init__(self, callback: ProgressCallback | None, *, rows: int):
        self.callback = callback
        self.total = 2 * rows
        self.done = 0

    def step(self) -> None:
        self.done += 1
        if self.callback is not None and self.done % PROGRESS_EVERY == 0:
            self.callback(self.done, self.total)

    def finish(self) -> None:
        if self.callback is not None:
            self.callback(self.total, self.total)


class Row:
    """One data row under validation. Getters record an error and return None on bad input."""

    def __init__(self, number: int, values: dict[str, str], errors: list[RowError]):
        self.number = number
        self.values = values
        self._errors = errors
        self.failed: set[str] = set()

    def has(self, column: str) -> bool:
        return column in self.values

    def error(self, column: str, message: str, *, confirm: str = "") -> None:
        self.failed.add(column)
        self._errors.append(RowError(self.number, column, message, confirm))

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.values.get(column, "")
        if required and not value:
            self.error(column, _("This value is required."))
        elif max_length is not None and len(value) > max_length:
            self.error(
                column, _("At most %(limit)s characters are allowed.") % {"limit": max_length}
            )
            return ""
        return value

    def pattern(self, column: str, regex: re.Pattern, message: str, **kwargs) -> str:
        value = self.text(column, **kwargs)
        if value and not regex.fullmatch(value):
            self.error(column, message)
            return ""
        return value

    def date(
        self, column: str, *, required: bool = False, not_future: bool = False
    ) -> datetime.date | None:
        value = self.text(column, required=required)
        if not value:
            return None
        match = _DATE.match(value)
        try:
            day = datetime.date(int(match[4]), int(match[3]), int(match[1])) if match else None
        except ValueError:
            day = None
        if day is None:
            self.error(
                column, _("“%(value)s” is not a date in the form dd/mm/yyyy.") % {"value": value}
            )
            return None
        if not_future and day > timezone.localdate():
            self.error(column, _("This date cannot be in the future."))
            return None
        return day

    def choice(
        self, column: str, choices: type[models.TextChoices], *, required: bool = False
    ) -> str:
        value = self.text(column, required=required)
        if not value:
            return ""
        stored = label_to_value(choices, value)
        if stored is None:
            labels = ", ".join(str(label) for label in choices.labels)
            self.error(
                column,
                _("“%(value)s” is not one of: %(labels)s.") % {"value": value, "labels": labels},
            )
            return ""
        return stored

    def flag(self, column: str) -> bool:
        value = self.text(column).casefold()
        if value in _YES:
            return True
        if value not in _NO:
            self.error(column, _("Write “có” or “không”, not “%(value)s”.") % {"value": value})
        return False


def unknown_organization(code: str) -> str:
    return _("Unknown organization code “%(code)s”.") % {"code": code}


def duplicate_in_file(value: str, row: int) -> str:
    return _("“%(value)s” already appears on row %(row)s.") % {"value": value, "row": row}


def outside_scope(code: str, organization: Organization) -> str:
    return _("“%(code)s” is not part of %(organization)s (%(scope)s).") % {
        "code": code,
        "organization": organization.name,
        "scope": organization.code,
    }


def registered_elsewhere(value: str, organization: Organization | None) -> str:
    """A value held by a record out of the importer's scope: said without naming the record
    or its unit, which would make the import a lookup of other units' data (#19)."""
    return _(
        "%(value)s is already registered in another unit, outside %(organization)s. "
        "The upper-level Party committee can help sort it out."
    ) % {"value": value, "organization": organization.code if organization else ""}


class Importer(abc.ABC):
    """One kind of interchange file. Subclasses parse rows in `validate`, then `write`.

    `validate` must not query per row: it prefetches what it compares against in bulk.
    `write` may go through the services row by row, wrapping each call in `self.refusal`.
    """

    kind: ClassVar[str]
    required_columns: ClassVar[tuple[str, ...]]
    optional_columns: ClassVar[tuple[str, ...]] = ()
    needs_organization: ClassVar[bool] = False

    def __init__(self, *, actor, organization: Organization | None, columns: list[str]):
        self.actor = actor
        self.organization = organization
        self.columns = set(columns)
        self.errors: list[RowError] = []
        self.notices: list[RowError] = []  # told, not blocking (a rule's warning)
        # (row, column) of values that matched records out of scope: audited after the run.
        self.foreign_hits: list[tuple[int, str]] = []

    def foreign_hit(self, row: "Row", column: str, value: str) -> None:
        """Refuse a value owned out of scope, without naming the owner, and note the hit."""
        row.error(column, registered_elsewhere(value, self.organization))
        self.foreign_hits.append((row.number, column))

    @abc.abstractmethod
    def validate(self, rows: list[Row], progress: Progress) -> None:
        """Check every row, appending to `self.errors`; plan the writes."""

    @abc.abstractmethod
    def write(self, progress: Progress) -> tuple[int, int]:
        """Write what `validate` planned; return (created, updated)."""

    @contextmanager
    def refusal(self, row: int, column: str) -> Iterator[None]:
        """Turn a service's refusal into this row's error; the caller's transaction rolls back."""
        try:
            yield
        except ValidationError as exc:
            raise ImportRefused([RowError(row, column, " ".join(exc.messages))]) from exc
        except PermissionDenied as exc:
            message = str(exc) or _("You may not change this unit.")
            raise ImportRefused([RowError(row, column, message)]) from exc

    @classmethod
    def header_errors(cls, table: Table) -> list[RowError]:
        errors = [RowError(row, "", message) for row, message in table.problems]
        for column in cls.required_columns:
            if column not in table.columns:
                errors.append(RowError(1, column, _("This required column is missing.")))
        return errors

    @classmethod
    def header_notices(cls, table: Table) -> list[RowError]:
        """Columns this kind does not read: real sheets carry `stt`, `ho_ten`, notes (DOMAIN
        §8). They are ignored, and the user is told which."""
        known = set(cls.required_columns) | set(cls.optional_columns)
        expected = ", ".join((*cls.required_columns, *cls.optional_columns))
        return [
            RowError(
                1,
                column,
                _("Column “%(column)s” is not read and was ignored; this file reads: %(columns)s.")
                % {"column": column, "columns": expected},
            )
            for column in table.columns
            if column not in known
        ]


IMPORTERS: dict[str, type[Importer]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    """Make a kind of file importable by `run_import` (and so by its command and upload)."""
    IMPORTERS[importer.kind] = importer
    return importer


def run_import(
    *,
    kind: str,
    file: BinaryIO,
    filename: str,
    actor,
    organization: Organization | None,
    dry_run: bool,
    progress: ProgressCallback | None = None,
    options: dict | None = None,
) -> ImportResult:
    """Validate a whole file of a registered kind, then write it all or nothing (`options`:
    the kind's own, e.g. the members' confirmed record numbers)."""
    try:
        importer_class = IMPORTERS[kind]
    except KeyError:
        raise ValueError(f"Unknown import kind {kind!r}") from None
    if importer_class.needs_organization and organization is None:
        raise ValueError(f"A {kind} import is scoped to an organization")
    return run_importer(
        importer_class,
        file=file,
        filename=filename,
        actor=actor,
        organization=organization,
        dry_run=dry_run,
        progress=progress,
        options=options,
    )


def run_importer(
    importer_class: type[Importer],
    *,
    file: BinaryIO,
    filename: str,
    actor,
    organization: Organization | None,
    dry_run: bool,
    progress: ProgressCallback | None = None,
    options: dict | None = None,
) -> ImportResult:
    """Validate a whole file, then write it all or nothing, with one summary audit row.

    `options` go to the importer's constructor and into the audit row (the ratings import's
    year). An unreadable file is reported as a single error on row 0 rather than raised, so
    a background task always gets a result back. A dry run validates and writes inside a
    transaction that is then rolled back: its counts are exactly those of a real run.
    """
    options = options or {}
    kind = importer_class.kind
    result = ImportResult(kind=kind, total_rows=0, created=0, updated=0, errors=[], dry_run=dry_run)
    try:
        table = read_table(file=file, filename=filename)
    except ImportFileError as exc:
        result.keep_first_errors([RowError(0, "", exc.message)])
        return result
    result.total_rows = len(table.rows)
    tracker = Progress(progress, rows=len(table.rows))
    result.keep_first_errors(importer_class.header_errors(table))
    result.notices = importer_class.header_notices(table)
    if result.errors:
        tracker.finish()
        return result
    importer = importer_class(
        actor=actor, organization=organization, columns=table.columns, **options
    )
    rows = [Row(number, values, importer.errors) for number, values in table.rows]
    try:
        with transaction.atomic():
            importer.validate(rows, tracker)
            if not importer.errors:
                result.created, result.updated = importer.write(tracker)
                audit_record(
                    actor=actor,
                    action=f"import_{kind}",
                    organization=organization,
                    changes={
                        **options,
                        "created": result.created,
                        "updated": result.updated,
                        "rows": result.total_rows,
                        "file": filename,
                    },
                )
                if dry_run:
                    transaction.set_rollback(True)
    except ImportRefused as exc:
        importer.errors.extend(exc.errors)
        result.created = result.updated = 0
    if importer.foreign_hits:
        # Outside the run's transaction: a dry run's rollback must not erase the trace.
        audit_record(
            actor=actor,
            action="import.foreign_match",
            organization=organization,
            changes={
                "hits": len(importer.foreign_hits),
                "columns": sorted({column for _row, column in importer.foreign_hits}),
                "rows": [row for row, _column in importer.foreign_hits[:100]],
                "file": filename,
            },
        )
    # Stable by row: within a row the errors keep the order the checks found them.
    result.keep_first_errors(sorted(importer.errors, key=lambda e: e.row))
    result.changes = getattr(importer, "changes", [])
    result.notices += sorted(importer.notices, key=lambda e: e.row)
    tracker.finish()
    return result
