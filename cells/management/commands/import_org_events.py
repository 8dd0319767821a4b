from cells.imports import ImportKind

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import organization events (su_kien_to_chuc: disciplines) under --org "
        "(CSV or XLSX; all or nothing)."
    )
    kind = ImportKind.ORGANIZATION_EVENTS
