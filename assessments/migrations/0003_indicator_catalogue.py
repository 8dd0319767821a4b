"""Load the Resolution 22 indicator catalogue (codes, names, formulas, sources).

Indicators are data (DOMAIN §6: targets and sources are configurable), so every installation
starts with the catalogue; reports staff then enter targets. Written with the historical
model so later model changes do not break this migration.
"""

from django.db import migrations


def load_catalogue(apps, schema_editor):
    from assessments.indicators.catalogue import CATALOGUE

    Indicator = apps.get_model("assessments", "Indicator")
    for order, (code, name, group, formula, unit, better, source, headline) in enumerate(
        CATALOGUE, start=1
    ):
        Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "group": group,
                "formula": formula,
                "unit": unit,
                "better": better,
                "source_number": source.number,
                "source_date": source.date,
                "source_issuer": source.issuer,
                "is_headline": headline,
                "sort_order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_indicators")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
