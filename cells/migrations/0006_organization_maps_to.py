import django.db.models.deletion
from django.db import migrations, models

# `Organization.maps_to`: where a unit's rows count on today's tree, so mapping past years onto
# today's units is one join in SQL instead of loading the whole tree into Python
# (assessments.indicators.scope). The same rule as `Scope._resolve`: the final successor (the
# successor chain followed through dissolved units, at most 6 links) of the unit's deepest
# dissolved ancestor-or-self that has a successor.
#
# Kept by a statement-level trigger whatever changed the tree (services, imports, the admin, a
# treebeard move): the units whose path, dissolution or successor changed, or that were added,
# are recomputed with their subtrees and the subtrees of every unit whose successor chain passes
# through them. Not seen: writes with session_replication_role = replica (the generator, which
# calls `pb_org_maps_refresh(NULL)` itself). PostgreSQL only.
STEPLEN = 4  # treebeard's MP_Node.steplen (cells.Organization keeps the default)

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION pb_org_maps_refresh(roots text[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH RECURSIVE chain(start_id, target_id, steps) AS (
        SELECT id, successor_id, 1 FROM cells_organization
        WHERE dissolved_on IS NOT NULL AND successor_id IS NOT NULL
        UNION ALL
        SELECT c.start_id, t.successor_id, c.steps + 1
        FROM chain c JOIN cells_organization t ON t.id = c.target_id
        WHERE t.dissolved_on IS NOT NULL AND t.successor_id IS NOT NULL AND c.steps < 6
    ),
    final AS (
        SELECT DISTINCT ON (start_id) start_id, target_id FROM chain
        ORDER BY start_id, steps DESC
    ),
    units AS (
        SELECT id, path, depth FROM cells_organization
        WHERE roots IS NULL OR EXISTS (SELECT 1 FROM unnest(roots) r WHERE starts_with(path, r))
    ),
    mapped AS (
        SELECT DISTINCT ON (u.id) u.id, f.target_id
        FROM units u
        CROSS JOIN LATERAL generate_series(1, u.depth) AS k(d)
        JOIN cells_organization a ON a.path = substring(u.path, 1, {STEPLEN} * k.d)
        JOIN final f ON f.start_id = a.id
        ORDER BY u.id, k.d DESC
    )
    UPDATE cells_organization o SET maps_to_id = m.target_id
    FROM units u LEFT JOIN mapped m ON m.id = u.id
    WHERE o.id = u.id AND o.maps_to_id IS DISTINCT FROM m.target_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

CREATE OR REPLACE FUNCTION pb_org_maps_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text[];
BEGIN
    IF pg_trigger_depth() > 1 THEN
        RETURN NULL;  -- the refresh's own update of maps_to
    END IF;
    IF TG_OP = 'INSERT' THEN
        changed := ARRAY(SELECT path FROM new_rows);
    ELSE
        changed := ARRAY(
            SELECT n.path FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE n.path IS DISTINCT FROM o.path
               OR n.dissolved_on IS DISTINCT FROM o.dissolved_on
               OR n.successor_id IS DISTINCT FROM o.successor_id);
    END IF;
    IF cardinality(changed) = 0 THEN
        RETURN NULL;  -- treebeard's numchild updates, names, codes: nothing to map
    END IF;
    changed := changed || ARRAY(
        WITH RECURSIVE pred(id, steps) AS (
            SELECT p.id, 1 FROM cells_organization p
            JOIN cells_organization c ON p.successor_id = c.id
            WHERE c.path = ANY(changed)
            UNION
            SELECT p.id, pred.steps + 1 FROM cells_organization p
            JOIN pred ON p.successor_id = pred.id
            WHERE pred.steps < 6
        )
        SELECT o.path FROM cells_organization o JOIN pred ON pred.id = o.id);
    PERFORM pb_org_maps_refresh(changed);
    RETURN NULL;
END $$;

CREATE TRIGGER pb_org_maps_ins AFTER INSERT ON cells_organization
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pb_org_maps_changed();
CREATE TRIGGER pb_org_maps_upd AFTER UPDATE ON cells_organization
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pb_org_maps_changed();
"""


def create_and_fill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    schema_editor.execute("SELECT pb_org_maps_refresh(NULL)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ("ins", "upd"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS pb_org_maps_{name} ON cells_organization")
    schema_editor.execute("DROP FUNCTION IF EXISTS pb_org_maps_changed()")
    schema_editor.execute("DROP FUNCTION IF EXISTS pb_org_maps_refresh(text[])")


class Migration(migrations.Migration):
    dependencies = [
        ("cells", "0005_national_root"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="maps_to",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="cells.organization",
            ),
        ),
        migrations.AddIndex(
            model_name="organization",
            index=models.Index(
                condition=models.Q(("successor__isnull", False)),
                fields=["dissolved_on"],
                name="org_dissolved_with_successor",
            ),
        ),
        migrations.RunPython(create_and_fill, drop),
    ]
