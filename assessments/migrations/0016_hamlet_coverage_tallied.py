# Hamlet coverage (`ru.*`) moves into the tallies: four columns, and a trigger on the residential
# units marking the units whose coverage a statement may change. A unit counts under its
# commune (its cell when it has none), and whether a cell is joint depends on its other units,
# so a change marks the changed units' communes and cells and the communes of every unit
# sharing their cells. Existing tally rows read 0 until rebuilt, but the counting code's
# fingerprint changes with this release, so the dashboard counts live until the nightly
# `tallies_rebuild_if_stale` (or `manage.py indicator_tallies rebuild`) has run.

from django.db import migrations, models

DIRTY = "assessments_indicatortallydirty"
UNIT = "cells_residentialunit"

# The units a set of rows (`new_rows` or `old_rows`) may change the coverage of.
MARK_ROWS = """
        INSERT INTO {dirty} (organization_id)
        SELECT commune_id FROM {rows} WHERE commune_id IS NOT NULL
        UNION SELECT cell_id FROM {rows} WHERE cell_id IS NOT NULL
        UNION SELECT x.commune_id FROM {unit} x
              WHERE x.cell_id IN (SELECT cell_id FROM {rows}) AND x.commune_id IS NOT NULL;"""

MARK_FUNCTION = f"""
CREATE OR REPLACE FUNCTION pb_tally_mark_residential_unit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN{MARK_ROWS.format(dirty=DIRTY, unit=UNIT, rows="new_rows")}
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN{MARK_ROWS.format(dirty=DIRTY, unit=UNIT, rows="old_rows")}
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER pb_tally_ins AFTER INSERT ON {UNIT}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pb_tally_mark_residential_unit();
CREATE TRIGGER pb_tally_upd AFTER UPDATE ON {UNIT}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pb_tally_mark_residential_unit();
CREATE TRIGGER pb_tally_del AFTER DELETE ON {UNIT}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pb_tally_mark_residential_unit();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(MARK_FUNCTION)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for trigger in ("pb_tally_ins", "pb_tally_upd", "pb_tally_del"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {UNIT}")
    schema_editor.execute("DROP FUNCTION IF EXISTS pb_tally_mark_residential_unit()")


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0015_reopening_of_a_cell"),
        ("cells", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="indicatortally", name=name, field=models.IntegerField(default=0)
        )
        for name in ("ru_total", "ru_independent", "ru_joint", "ru_no_cell")
    ] + [migrations.RunPython(create_trigger, drop_trigger)]
