"""The one-column index of ImportChange.job: ``import_change_job_idx`` (job_id, id) serves it.

Dropped by name, as in contacts 0007: Django's AlterField would rebuild the table on SQLite.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "dataio_importchange_job_id_667cd9c3"


class Migration(migrations.Migration):
    dependencies = [
        ("dataio", "0002_export_jobs"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "dataio_importchange" ("job_id")',
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="importchange",
                    name="job",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="changes",
                        to="dataio.importjob",
                    ),
                ),
            ],
        ),
    ]
