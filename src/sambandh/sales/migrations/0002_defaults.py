"""The default pipeline and price book, and the sales grants of the built-in roles."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from sambandh.core.roles import ensure_default_roles
    from sambandh.sales.defaults import ensure_sales_defaults

    ensure_default_roles(apps.get_model("core", "Role"), apps.get_model("core", "Grant"))
    ensure_sales_defaults(
        apps.get_model("sales", "Pipeline"),
        apps.get_model("sales", "Stage"),
        apps.get_model("sales", "PriceBook"),
    )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial"), ("contacts", "0004_territory_and_lead_score")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
