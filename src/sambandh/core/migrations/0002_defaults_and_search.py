from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from sambandh.core.roles import ensure_default_roles
    from sambandh.core.search import create_search_tables

    ensure_default_roles(apps.get_model("core", "Role"), apps.get_model("core", "Grant"))
    apps.get_model("core", "OrganisationSettings").objects.get_or_create(pk=1)
    apps.get_model("core", "AuditChainHead").objects.get_or_create(pk=1)
    create_search_tables(schema_editor)


def backwards(apps: Any, schema_editor: Any) -> None:
    from sambandh.core.search import drop_search_tables

    drop_search_tables(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
