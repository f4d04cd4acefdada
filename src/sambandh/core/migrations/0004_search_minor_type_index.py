from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from sambandh.core.search import create_minor_type_index

    create_minor_type_index(schema_editor)


def backwards(apps: Any, schema_editor: Any) -> None:
    from sambandh.core.search import drop_minor_type_index

    drop_minor_type_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_sales_object_types_exchange_rates")]
    operations = [migrations.RunPython(forwards, backwards)]
