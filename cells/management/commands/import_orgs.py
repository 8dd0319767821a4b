from cells.imports import ImportKind

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Import organizations (to_chuc; CSV or XLSX; all or nothing)."
    kind = ImportKind.ORGANIZATIONS
