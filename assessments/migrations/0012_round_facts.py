import django.db.models.deletion
from django.db import migrations, models

# A fact the rules read about a round's members can change without any rating being written:
# a discipline or a sick leave recorded after the unit submitted, a member moved in or out, a
# post, a corrected record, a unit's discipline. The review summary is valid for one round
# version, and bumping that version would refuse the unit's open grid as stale, so these
# writes bump a counter of their own (`RoundFacts.seq`) for every round not yet decided whose
# unit holds (or held) the member; a summary whose `facts_seq` differs is recomputed.
#
# Statement-level triggers with transition tables (one statement per write, so imports stay
# fast), whatever wrote the rows. PostgreSQL only (the SQLite demo has no triggers: its
# summaries follow the round version only). Not seen: TRUNCATE and writes made with
# session_replication_role = replica (the generator, which writes no summaries).
OPEN_STATES = "('draft', 'submitted', 'returned')"

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION pb_round_facts_touch_members(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO assessments_roundfacts (round_id, seq)
    SELECT id, 1 FROM (
        SELECT DISTINCT r.id
        FROM cells_membership ms
        JOIN cells_organization c ON c.id = ms.organization_id
        JOIN assessments_ratinground r ON r.state IN {OPEN_STATES}
        JOIN cells_organization o ON o.id = r.organization_id
        WHERE ms.member_id = ANY(ids) AND starts_with(c.path, o.path)
    ) touched
    ORDER BY id  -- one lock order for every writer
    ON CONFLICT (round_id) DO UPDATE SET seq = assessments_roundfacts.seq + 1;
$$;

CREATE OR REPLACE FUNCTION pb_round_facts_touch_units(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO assessments_roundfacts (round_id, seq)
    SELECT id, 1 FROM (
        SELECT DISTINCT r.id
        FROM cells_organization d
        JOIN assessments_ratinground r ON r.state IN {OPEN_STATES}
        JOIN cells_organization o ON o.id = r.organization_id
        WHERE d.id = ANY(ids) AND (starts_with(d.path, o.path) OR starts_with(o.path, d.path))
    ) touched
    ORDER BY id
    ON CONFLICT (round_id) DO UPDATE SET seq = assessments_roundfacts.seq + 1;
$$;
"""

# (table, column holding the member or unit id, the function it calls)
TOUCHED = (
    ("cells_memberevent", "member_id", "members"),
    ("cells_membership", "member_id", "members"),
    ("cells_post", "member_id", "members"),
    ("cells_member", "id", "members"),
    ("cells_organizationdiscipline", "organization_id", "units"),
)

TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION pb_round_facts_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pb_round_facts_touch_{kind}(ARRAY(
            SELECT DISTINCT {column} FROM new_rows WHERE {column} IS NOT NULL));
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pb_round_facts_touch_{kind}(ARRAY(
            SELECT DISTINCT {column} FROM old_rows WHERE {column} IS NOT NULL));
    END IF;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER pb_round_facts_ins AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pb_round_facts_{table}();
CREATE TRIGGER pb_round_facts_upd AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pb_round_facts_{table}();
CREATE TRIGGER pb_round_facts_del AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pb_round_facts_{table}();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    for table, column, kind in TOUCHED:
        schema_editor.execute(TRIGGER_FUNCTION.format(table=table, column=column, kind=kind))
        schema_editor.execute(TRIGGERS.format(table=table))


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _column, _kind in TOUCHED:
        for suffix in ("ins", "upd", "del"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS pb_round_facts_{suffix} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS pb_round_facts_{table}()")
    schema_editor.execute("DROP FUNCTION IF EXISTS pb_round_facts_touch_members(bigint[])")
    schema_editor.execute("DROP FUNCTION IF EXISTS pb_round_facts_touch_units(bigint[])")


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0011_dossier_records"),
        ("cells", "0004_import_job_limits_and_preview"),
    ]

    operations = [
        migrations.CreateModel(
            name="RoundFacts",
            fields=[
                (
                    "round",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="facts_stamp",
                        serialize=False,
                        to="assessments.ratinground",
                    ),
                ),
                ("seq", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "round facts stamp",
                "verbose_name_plural": "round facts stamps",
            },
        ),
        migrations.AddField(
            model_name="roundsummary",
            name="facts_seq",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
