from cells.imports import ImportKind

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Import members (dang_vien) into the cells under --org (CSV or XLSX; all or nothing)."
    kind = ImportKind.MEMBERS

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--confirm",
            action="append",
            default=[],
            metavar="SO_LY_LICH",
            help="a record number whose row was refused as a probable typo (another member's "
            "name and date of birth) and is the same person after all; may be repeated",
        )

    def import_options(self, options) -> dict | None:
        return {"confirmed": options["confirm"]} if options["confirm"] else None
