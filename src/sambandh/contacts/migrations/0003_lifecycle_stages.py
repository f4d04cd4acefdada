from __future__ import annotations

from typing import Any

from django.db import migrations

STAGES = [
    ("subscriber", "Subscriber", "सब्सक्राइबर"),
    ("lead", "Lead", "लीड"),
    ("marketing_qualified", "Marketing qualified lead", "विपणन योग्य लीड"),
    ("sales_qualified", "Sales qualified lead", "बिक्री योग्य लीड"),
    ("opportunity", "Opportunity", "अवसर"),
    ("customer", "Customer", "ग्राहक"),
    ("evangelist", "Evangelist", "समर्थक"),
    ("dormant", "Dormant", "निष्क्रिय"),
    ("churned", "Churned", "मंथित"),
    ("reactivated", "Reactivated", "पुनर्सक्रिय"),
]


def forwards(apps: Any, schema_editor: Any) -> None:
    stage = apps.get_model("contacts", "LifecycleStage")
    for position, (key, label_en, label_hi) in enumerate(STAGES):
        stage.objects.update_or_create(
            key=key, defaults={"label_en": label_en, "label_hi": label_hi, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
