from cells.imports import ImportKind

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Import dated posts (chuc_vu) under --org (CSV or XLSX; all or nothing)."
    kind = ImportKind.POSTS
