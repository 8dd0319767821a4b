# Tree edits one at a time. A write to `cells_organization` fires `pb_org_maps_changed`
# (cells 0006), whose refresh updates the rows of every unit whose successor chain passes
# through the changed ones — rows the writer did not name. Two edits at once (a dissolved
# unit moved while its successor moves, or two moves touching each other's subtrees in
# opposite orders) could then lock each other's rows in opposite orders and one of them died
# in a deadlock. A statement-level trigger takes one transaction-level advisory lock before
# any row of the tree is written, so tree edits queue instead; `cells.services` takes the same
# lock before it reads a unit FOR UPDATE. Tree edits are rare (an administrator, an import),
# so the queue costs nothing a user sees. PostgreSQL only.

from django.db import migrations

LOCK_KEY = 2025_0701  # cells.services.TREE_LOCK_KEY: the two-level local government, 1/7/2025

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION pb_org_tree_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    RETURN NULL;
END $$;

CREATE TRIGGER pb_org_tree_lock BEFORE INSERT OR UPDATE OR DELETE ON cells_organization
    FOR EACH STATEMENT EXECUTE FUNCTION pb_org_tree_lock();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS pb_org_tree_lock ON cells_organization")
    schema_editor.execute("DROP FUNCTION IF EXISTS pb_org_tree_lock()")


class Migration(migrations.Migration):
    dependencies = [
        ("cells", "0008_organization_maps_across"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
