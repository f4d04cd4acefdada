# Exact duplicate finding (sambandh.dedup.exact) groups contacts by lower(email); this index
# serves that GROUP BY, its keyset pages and the likely-duplicate lookup by email.

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("contacts", "0004_territory_and_lead_score"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                django.db.models.functions.text.Lower("email"), name="contact_email_lower_idx"
            ),
        ),
    ]
