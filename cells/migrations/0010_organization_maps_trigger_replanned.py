# The mapping trigger (cells 0006) found the units whose path, dissolution or successor changed
# by joining the statement's old and new rows. PL/pgSQL plans that join once per session and
# keeps the plan: the first tree write of a session (often one row: a unit renamed, a parent's
# child count) planned a nested loop over two one-row tables, and a later large statement in
# the same session compared every old row with every new one. The generator's refresh of
# 43,793 units after drawing three provinces took 160 s that way (10.7 s for 14,175 units: it
# grows with the square), where a fresh session needed 2 s. Now:
# - the join is planned for each statement (EXECUTE), with the transition tables' real sizes;
# - the refresh's own UPDATE of maps_to / maps_across is not looked at by the trigger at all
#   (it changes none of the three columns; pg_trigger_depth() only caught it when the refresh
#   ran inside a trigger, not when called directly, as the generator and the service do).
# Same functions otherwise (0008's refresh, 0006's trigger). PostgreSQL only.

from django.db import migrations

STEPLEN = 4  # treebeard's MP_Node.steplen (cells.Organization keeps the default)

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION pb_org_maps_refresh(roots text[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    -- Read by pb_org_maps_changed: the UPDATE below is this function's own.
    PERFORM set_config('pb.maps_refreshing', 'on', true);
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
    ),
    wanted AS (
        SELECT u.id, m.target_id,
            CASE WHEN t.id IS NOT NULL THEN
                (SELECT count(*) FROM generate_series(1, least(u.depth, t.depth)) AS k(d)
                 WHERE substring(u.path, 1, {STEPLEN} * k.d)
                     = substring(t.path, 1, {STEPLEN} * k.d))::smallint
            END AS across
        FROM units u LEFT JOIN mapped m ON m.id = u.id
        LEFT JOIN cells_organization t ON t.id = m.target_id
    )
    UPDATE cells_organization o SET maps_to_id = w.target_id, maps_across = w.across
    FROM wanted w
    WHERE o.id = w.id
      AND (o.maps_to_id IS DISTINCT FROM w.target_id OR o.maps_across IS DISTINCT FROM w.across);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('pb.maps_refreshing', 'off', true);
    RETURN n;
END $$;

CREATE OR REPLACE FUNCTION pb_org_maps_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text[];
BEGIN
    IF pg_trigger_depth() > 1 OR current_setting('pb.maps_refreshing', true) = 'on' THEN
        RETURN NULL;  -- the refresh's own update of maps_to
    END IF;
    IF TG_OP = 'INSERT' THEN
        changed := ARRAY(SELECT path FROM new_rows);
    ELSE
        -- EXECUTE: planned for this statement's rows, not the session's first (see above).
        EXECUTE '
            SELECT ARRAY(
                SELECT n.path FROM new_rows n JOIN old_rows o ON o.id = n.id
                WHERE n.path IS DISTINCT FROM o.path
                   OR n.dissolved_on IS DISTINCT FROM o.dissolved_on
                   OR n.successor_id IS DISTINCT FROM o.successor_id)'
        INTO changed;
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
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    import importlib

    maps_to = importlib.import_module("cells.migrations.0006_organization_maps_to")
    across = importlib.import_module("cells.migrations.0008_organization_maps_across")
    changed = maps_to.FUNCTIONS.split("CREATE OR REPLACE FUNCTION pb_org_maps_changed")[1]
    changed = "CREATE OR REPLACE FUNCTION pb_org_maps_changed" + changed.split("CREATE TRIGGER")[0]
    schema_editor.execute(across.REFRESH + changed)


class Migration(migrations.Migration):
    dependencies = [
        ("cells", "0009_organization_tree_lock"),
    ]

    operations = [
        migrations.RunPython(create, restore),
    ]
