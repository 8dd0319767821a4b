from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Ratings")

    def ready(self):
        # The ratings template joins the cells templates (the import page and import_template).
        from . import import_templates  # noqa: F401
