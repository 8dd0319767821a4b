from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CellsConfig(AppConfig):
    name = "cells"
    verbose_name = _("Organizations and members")

    def ready(self):
        # Connects the login receiver that starts the session clocks (cells.security).
        from . import security  # noqa: F401
