from __future__ import annotations

import pytest

from sambandh.core.audit import audit_verify
from sambandh.core.models import AuditEntry, CustomFieldDefinition, Team
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_admin_team_create_is_audited(admin_client):
    response = admin_client.post("/admin/core/team/add/", {"name": "East"})
    assert response.status_code == 302
    team = Team.objects.get(name="East")
    entry = AuditEntry.objects.get(object_type="team", object_id=str(team.pk))
    assert entry.action == "create"
    assert entry.changes == {"name": [None, "East"]}
    assert audit_verify().ok


def test_admin_custom_field_form_runs_service_validation(admin_client):
    response = admin_client.post(
        "/admin/core/customfielddefinition/add/",
        {
            "object_type": "contact",
            "key": "Bad Key",
            "label_en": "Tier",
            "field_type": "choice",
            "choices": "[]",
            "position": 0,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert CustomFieldDefinition.objects.count() == 0
    assert not AuditEntry.objects.filter(object_type="custom_field").exists()


def test_admin_user_password_change_is_audited_without_the_password(admin_client, owner):
    response = admin_client.post(
        f"/admin/core/user/{owner.pk}/password/",
        {
            "password1": "brand-new-secret-99",
            "password2": "brand-new-secret-99",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("brand-new-secret-99")
    assert "brand-new-secret-99" not in str(
        list(AuditEntry.objects.values_list("changes", flat=True))
    )


def test_admin_is_closed_to_non_administrators(client, manager):
    client.force_login(manager)
    response = client.get("/admin/core/team/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_audit_trail_cannot_be_edited_in_admin(admin_client, owner):
    make_contact(owner)
    entry = AuditEntry.objects.get()
    response = admin_client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
