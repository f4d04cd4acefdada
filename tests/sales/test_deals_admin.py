"""Pipelines and stages are configured in the audited admin."""

from __future__ import annotations

import pytest

from sambandh.core.audit import audit_verify
from sambandh.core.models import AuditEntry
from sambandh.sales.models import Pipeline, Stage

pytestmark = pytest.mark.django_db


def _form(**stages: dict[str, str]) -> dict[str, str]:
    data = {
        "label_en": "Renewals",
        "label_hi": "नवीनीकरण",
        "position": "1",
        "is_active": "on",
        "stages-TOTAL_FORMS": str(len(stages)),
        "stages-INITIAL_FORMS": "0",
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
    }
    for n, fields in enumerate(stages.values()):
        data.update({f"stages-{n}-{k}": v for k, v in fields.items()})
    return data


def test_admin_creates_a_pipeline_with_stages_and_audits_it(client, admin):
    client.force_login(admin)
    response = client.post(
        "/admin/sales/pipeline/add/",
        _form(
            a={"position": "0", "label_en": "Open", "probability": "30", "rot_days": "10"},
            b={"position": "1", "label_en": "Renewed", "probability": "100", "is_won": "on"},
        ),
    )
    assert response.status_code == 302, response.content[:500]
    pipeline = Pipeline.objects.get(label_en="Renewals")
    assert list(pipeline.stages.values_list("label_en", "probability", "is_won")) == [
        ("Open", 30, False),
        ("Renewed", 100, True),
    ]
    entry = AuditEntry.objects.get(
        object_type="pipeline", object_id=str(pipeline.pk), action="create"
    )
    assert entry.changes["label_en"] == [None, "Renewals"]
    assert audit_verify().ok


def test_admin_refuses_a_pipeline_without_an_open_stage(client, admin):
    client.force_login(admin)
    response = client.post(
        "/admin/sales/pipeline/add/",
        _form(a={"position": "0", "label_en": "Done", "probability": "100", "is_won": "on"}),
    )
    assert response.status_code == 200
    assert "A pipeline needs at least one open stage." in response.content.decode()
    assert not Pipeline.objects.filter(label_en="Renewals").exists()
    assert Stage.objects.filter(label_en="Done").count() == 0


def test_pipeline_admin_is_for_administrators_only(client, manager):
    client.force_login(manager)
    response = client.get("/admin/sales/pipeline/")
    assert response.status_code == 302
