"""Field helpers shared by the rating models: a level slug column and its check constraint."""

from django.db import models
from django.db.models import Q

from ..choices import LEVEL_VALUES


def level_field(verbose_name, **kwargs):
    return models.CharField(verbose_name, max_length=32, blank=True, **kwargs)


def level_ok(field: str) -> Q:
    return Q(**{field: ""}) | Q(**{f"{field}__in": LEVEL_VALUES})
