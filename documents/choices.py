"""Stored values of the documents app (stable English slugs, translatable labels)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentState(models.TextChoices):
    """Where an issued document stands in the register (sổ văn bản)."""

    ISSUED = "issued", _("Issued, waiting for signatures")
    SIGNED = "signed", _("Signed (electronic original)")
    SUPERSEDED = "superseded", _("Superseded")


class SignatureRole(models.TextChoices):
    """The two signatures of an electronic original (Quy định 379-QĐ/TW)."""

    SIGNER = "signer", _("Signer")
    ORGANIZATION = "organization", _("Organization")


# The names of the empty signature fields an issued PDF carries, one per role. A signing tool
# (the Ban Cơ yếu's token software) fills them; verification maps them back to the role.
SIGNATURE_FIELDS = {
    SignatureRole.SIGNER: "ChuKyNguoiKy",
    SignatureRole.ORGANIZATION: "ChuKyToChuc",
}
