from cells.imports import ImportKind

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Import member events (su_kien) under --org (CSV or XLSX; all or nothing)."
    kind = ImportKind.EVENTS
