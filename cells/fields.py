"""Model fields of the cells app, and the shape of a unit code (forms and services both
check it)."""

import re

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .vietnamese import collation_key


class VietnameseSortKeyField(models.CharField):
    """A derived, indexed key that makes ORDER BY follow Vietnamese collation.

    Kept in step with its source field on every save and bulk insert (the same approach as
    NetBox's NaturalOrderingField), because neither SQLite nor a default PostgreSQL collation
    sorts by given name or ranks tones after letters.
    """

    def __init__(self, *args, source: str = "", whole_text: bool = False, **kwargs):
        self.source = source
        self.whole_text = whole_text
        kwargs.setdefault("max_length", 600)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_collation", None)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.whole_text:
            kwargs["whole_text"] = True
        for key in ("max_length", "editable", "blank", "db_collation"):
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = collation_key(
            getattr(model_instance, self.source) or "", person_name=not self.whole_text
        )
        setattr(model_instance, self.attname, value)
        return value


# A unit code: groups of capital letters and digits joined by single hyphens (BG-AH-C01). The
# code is typed into file names, document numbers and URLs of reports: nothing else fits.
ORGANIZATION_CODE_RE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
organization_code_validator = RegexValidator(
    ORGANIZATION_CODE_RE,
    _(
        "A unit code is capital letters without accents and digits, in groups joined by "
        "single hyphens, e.g. BG-AH-C01."
    ),
    code="code_pattern",
)
