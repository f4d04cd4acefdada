"""The one-column indexes of foreign keys that a composite (key, id) index already serves.

Each of these keys has a composite index in its model's Meta (``contact_owner_idx`` on
(owner_id, id) and so on) whose first column answers every lookup and delete the one-column
index answered; on SQLite a one-column index even holds the same entries, since every index
ends with the rowid. Dropping them spares every contact and company written one index each.
The indexes are dropped by name (``DROP INDEX``), not by Django's AlterField: on SQLite that
rebuilds the whole table once per field, hours for a table of millions.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# (table, column, the name Django gave the index when it created it)
DROPPED = [
    ("contacts_account", "owner_id", "contacts_account_owner_id_6c281547"),
    ("contacts_account", "team_id", "contacts_account_team_id_eae21c76"),
    ("contacts_account", "territory_id", "contacts_account_territory_id_9553da4c"),
    ("contacts_contact", "account_id", "contacts_contact_account_id_9a5698ce"),
    ("contacts_contact", "lifecycle_stage_id", "contacts_contact_lifecycle_stage_id_9e19f13b"),
    ("contacts_contact", "owner_id", "contacts_contact_owner_id_0103c1ee"),
    ("contacts_contact", "team_id", "contacts_contact_team_id_9064ef69"),
    ("contacts_contact", "territory_id", "contacts_contact_territory_id_68304d05"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0006_external_id"),
        ("core", "0006_api_token_scopes"),
        ("sales", "0002_defaults"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    [f'DROP INDEX IF EXISTS "{name}"' for _table, _column, name in DROPPED],
                    [
                        f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")'
                        for table, column, name in DROPPED
                    ],
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="account",
                    name="owner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
                migrations.AlterField(
                    model_name="account",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="core.team",
                        verbose_name="team",
                    ),
                ),
                migrations.AlterField(
                    model_name="account",
                    name="territory",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="accounts",
                        to="sales.territory",
                        verbose_name="territory",
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="account",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="contacts",
                        to="contacts.account",
                        verbose_name="company",
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="lifecycle_stage",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="contacts.lifecyclestage",
                        verbose_name="lifecycle stage",
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="owner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="core.team",
                        verbose_name="team",
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="territory",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="contacts",
                        to="sales.territory",
                        verbose_name="territory",
                    ),
                ),
            ],
        ),
    ]
