"""Who decided each organization rating and when (HD 43 §3: a chi bộ trực thuộc is decided by
its đảng ủy cơ sở in a step of its own).

Existing data: every organization rating of a decided or published round was decided with
that round, by the round's decider, so it takes the round's `decided_at`/`decided_by` (or
the round's last change when a decision predates `decided_at`). Ratings of rounds still open
stay undecided: under the 2025– scheme their chi bộ trực thuộc now wait for the đảng ủy cơ sở.
No round changes state. Reversing drops the two columns.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BACKFILL = """
UPDATE assessments_organizationrating AS o
   SET decided_at = COALESCE(r.decided_at, r.updated_at), decided_by_id = r.decided_by_id
  FROM assessments_ratinground AS r
 WHERE o.round_id = r.id AND r.state IN ('decided', 'published') AND o.decided_at IS NULL
"""


def backfill(apps, schema_editor):
    # Plain SQL works on PostgreSQL and on the demo's SQLite (UPDATE … FROM, SQLite ≥ 3.33).
    schema_editor.execute(BACKFILL)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0013_task_not_done_remedied"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="organizationrating",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="decided at"),
        ),
        migrations.AddField(
            model_name="organizationrating",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
