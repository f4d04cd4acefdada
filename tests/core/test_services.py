from __future__ import annotations

import pytest

from sambandh.core import services
from sambandh.core.errors import Conflict, PermissionDenied, ValidationError
from sambandh.core.models import (
    ApiToken,
    AuditEntry,
    CustomFieldDefinition,
    OrganisationSettings,
    Team,
    User,
)

pytestmark = pytest.mark.django_db


def test_custom_field_definition_validates_key_type_and_choices(admin):
    with pytest.raises(ValidationError) as info:
        services.custom_field_create(
            actor=admin,
            data={"object_type": "deal", "key": "Bad Key", "label_en": "", "field_type": "choice"},
        )
    assert set(info.value.fields) == {"object_type", "key", "label_en", "choices"}
    assert CustomFieldDefinition.objects.count() == 0


def test_custom_field_key_and_type_are_fixed_after_creation(admin):
    definition = services.custom_field_create(
        actor=admin,
        data={"object_type": "contact", "key": "tier", "label_en": "Tier", "field_type": "text"},
    )
    with pytest.raises(ValidationError) as info:
        services.custom_field_update(
            actor=admin, definition=definition, data={"field_type": "number"}, version=1
        )
    assert list(info.value.fields) == ["field_type"]
    updated = services.custom_field_update(
        actor=admin, definition=definition, data={"label_hi": "श्रेणी"}, version=1
    )
    assert updated.label_hi == "श्रेणी"
    assert updated.version == 2
    with pytest.raises(Conflict):
        services.custom_field_update(
            actor=admin, definition=definition, data={"label_hi": "x"}, version=1
        )


def test_only_admins_define_custom_fields(manager):
    with pytest.raises(PermissionDenied):
        services.custom_field_create(
            actor=manager,
            data={"object_type": "contact", "key": "tier", "label_en": "T", "field_type": "text"},
        )
    assert CustomFieldDefinition.objects.count() == 0


def test_team_names_are_unique_regardless_of_case(admin):
    services.team_create(actor=admin, name="West")
    with pytest.raises(ValidationError):
        services.team_create(actor=admin, name="west")
    assert Team.objects.filter(name__iexact="west").count() == 1


def test_user_create_checks_password_strength_and_audits_without_password(admin, north):
    with pytest.raises(ValidationError) as info:
        services.user_create(actor=admin, data={"username": "neha", "password": "123"})
    assert "password" in info.value.fields
    user = services.user_create(
        actor=admin,
        data={"username": "neha", "password": "a-much-longer-secret-42", "team_ids": [north.pk]},
    )
    assert user.check_password("a-much-longer-secret-42")
    entry = AuditEntry.objects.get(action="create", object_type="user", object_id=str(user.pk))
    assert "password" not in entry.changes
    assert entry.changes["team_ids"] == [None, [north.pk]]


def test_users_change_only_their_own_preferences(owner, teammate):
    services.user_update(
        actor=owner,
        user=owner,
        data={"language": "hi", "time_zone": "Asia/Kathmandu"},
        version=None,
    )
    owner.refresh_from_db()
    assert (owner.language, owner.time_zone) == ("hi", "Asia/Kathmandu")
    with pytest.raises(PermissionDenied):
        services.user_update(actor=owner, user=owner, data={"role_id": None}, version=None)
    with pytest.raises(PermissionDenied):
        services.user_update(actor=owner, user=teammate, data={"language": "hi"}, version=None)
    teammate.refresh_from_db()
    assert teammate.language == "en"
    assert owner.role is not None


def test_bad_time_zone_is_rejected(owner):
    with pytest.raises(ValidationError) as info:
        services.user_update(
            actor=owner, user=owner, data={"time_zone": "India/Delhi"}, version=None
        )
    assert list(info.value.fields) == ["time_zone"]


def test_api_token_is_shown_once_and_stored_hashed(owner):
    token, raw = services.api_token_create(actor=owner, name="laptop")
    assert raw.startswith("sbk_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == services.hash_token(raw)
    assert services.api_token_authenticate(raw) == owner
    services.api_token_revoke(actor=owner, token=token)
    assert services.api_token_authenticate(raw) is None
    assert services.api_token_authenticate("sbk_wrong") is None


def test_someone_elses_token_cannot_be_revoked(owner, teammate):
    token, raw = services.api_token_create(actor=owner, name="laptop")
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(actor=teammate, token=token)
    assert services.api_token_authenticate(raw) == owner


def test_inactive_users_tokens_stop_working(owner):
    _token, raw = services.api_token_create(actor=owner, name="laptop")
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert services.api_token_authenticate(raw) is None


def test_organisation_settings_validate_currency_and_need_admin(admin, manager):
    org = OrganisationSettings.get()
    with pytest.raises(ValidationError) as info:
        services.organisation_update(
            actor=admin, data={"base_currency": "XYZ"}, version=org.version
        )
    assert list(info.value.fields) == ["base_currency"]
    with pytest.raises(PermissionDenied):
        services.organisation_update(actor=manager, data={"name": "X"}, version=org.version)
    services.organisation_update(actor=admin, data={"base_currency": "usd"}, version=org.version)
    assert OrganisationSettings.get().base_currency == "USD"


def test_failed_login_is_audited_with_the_name_only():
    services.login_failed(username="mallory")
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.actor_label == "mallory"
    assert entry.changes == {}
