from cells.imports import ImportKind

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Import members (dang_vien) into the cells under --org (CSV or XLSX; all or nothing)."
    kind = ImportKind.MEMBERS
