"""Interchange-file imports (DOMAIN.md §8): organizations, members, member events,
organization events (disciplines) and dated posts.

Every kind goes through `run_import`: read the table, validate every row, then write it all in
one transaction (or nothing). A new kind is an `Importer` subclass decorated with `register`
whose `kind` is a new `ImportKind` value.
"""

from ..choices import ImportKind
from . import events, members, org_events, organizations, posts  # noqa: F401  (registers the kinds)
from .base import (
    IMPORTERS,
    Importer,
    ImportResult,
    Progress,
    Row,
    RowError,
    register,
    run_import,
)
from .files import ImportFileError, read_rows, read_table

__all__ = [
    "IMPORTERS",
    "ImportFileError",
    "ImportKind",
    "ImportResult",
    "Importer",
    "Progress",
    "Row",
    "RowError",
    "read_rows",
    "read_table",
    "register",
    "run_import",
]
