"""`manage.py trustroot_load FILE [--name NAME]`: trust a root CA certificate (PEM or DER).

Signatures on uploaded originals must chain to an active trust root (e.g. the Ban Cơ yếu's
root CA). Exit 0 when loaded, 1 when the file is not a certificate.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from documents import services


class Command(BaseCommand):
    help = "Load a trusted root CA certificate for signature verification."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--name", default="")

    def handle(self, *args, **options):
        try:
            content = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        try:
            root = services.trustroot_load(actor=None, name=options["name"], content=content)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=1) from exc
        self.stdout.write(f"{root.name} · {root.subject} · SHA-256 {root.fingerprint_sha256}")
