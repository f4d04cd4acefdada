"""Users, teams, me, organisation, custom fields, tags and notes over the API."""

from __future__ import annotations

import pytest

from sambandh.contacts.models import Note, Tag
from sambandh.core.models import CustomFieldDefinition, OrganisationSettings, Team, User
from tests.api.conftest import ApiClient
from tests.api.routes import api_operations
from tests.factories import make_account, make_contact, make_note

pytestmark = pytest.mark.django_db


def test_me_shows_and_changes_my_language(as_owner: ApiClient, owner: User) -> None:
    me = as_owner.get("/me").json()
    assert (me["username"], me["language"], me["version"]) == ("owner", "en", 1)
    response = as_owner.patch("/me", {"language": "hi", "time_zone": "Asia/Kolkata", "version": 1})
    assert response.status_code == 200
    owner.refresh_from_db()
    assert (owner.language, owner.version) == ("hi", 2)


def test_me_cannot_change_my_own_role(as_owner: ApiClient, owner: User) -> None:
    response = as_owner.patch("/me", {"role_id": 1, "version": 1})
    assert response.status_code == 400
    assert response.json()["fields"] == {"role_id": ["Unknown field."]}
    role_id = owner.role_id
    owner.refresh_from_db()
    assert owner.role_id == role_id


def test_users_list_never_shows_passwords_and_hides_roles_from_non_admins(
    as_owner: ApiClient, as_admin: ApiClient, owner: User, outsider: User
) -> None:
    listed = {u["username"]: u for u in as_owner.get("/users").json()}
    assert "password" not in listed["owner"]
    assert listed["outsider"]["role_id"] is None
    assert listed["outsider"]["team_ids"] is None
    assert listed["owner"]["role"] == "Sales rep"
    admin_view = {u["username"]: u for u in as_admin.get("/users").json()}
    assert admin_view["outsider"]["role"] == "Sales rep"
    assert admin_view["outsider"]["team_ids"] == list(outsider.teams.values_list("id", flat=True))


def test_only_admins_create_users(as_owner: ApiClient, as_admin: ApiClient) -> None:
    denied = as_owner.post("/users", {"username": "newbie"})
    assert denied.status_code == 403
    assert not User.objects.filter(username="newbie").exists()
    created = as_admin.post("/users", {"username": "newbie", "language": "hi"})
    assert created.status_code == 201
    assert User.objects.get(username="newbie").language == "hi"


def test_admin_changes_a_users_teams(as_admin: ApiClient, outsider: User, north: Team) -> None:
    response = as_admin.patch(f"/users/{outsider.pk}", {"team_ids": [north.pk], "version": 1})
    assert response.status_code == 200
    assert response.json()["team_ids"] == [north.pk]


def test_a_sales_rep_cannot_change_another_user(as_owner: ApiClient, outsider: User) -> None:
    response = as_owner.patch(f"/users/{outsider.pk}", {"first_name": "X", "version": 1})
    assert response.status_code == 403
    outsider.refresh_from_db()
    assert outsider.first_name == ""


def test_teams_are_admin_only_writes(as_owner: ApiClient, as_admin: ApiClient) -> None:
    assert as_owner.post("/teams", {"name": "East"}).status_code == 403
    created = as_admin.post("/teams", {"name": "East"})
    assert created.status_code == 201
    team_id = created.json()["id"]
    assert as_owner.patch(f"/teams/{team_id}", {"name": "West"}).status_code == 403
    assert as_admin.patch(f"/teams/{team_id}", {"name": "West"}).json()["name"] == "West"
    assert as_owner.delete(f"/teams/{team_id}").status_code == 403
    assert as_admin.delete(f"/teams/{team_id}").status_code == 204
    assert not Team.objects.filter(pk=team_id).exists()


def test_organisation_is_readable_by_all_and_changed_by_admins(
    as_owner: ApiClient, as_admin: ApiClient
) -> None:
    assert as_owner.get("/organisation").json()["base_currency"] == "INR"
    denied = as_owner.patch("/organisation", {"name": "Hacked", "version": 1})
    assert denied.status_code == 403
    assert OrganisationSettings.get().name == "Sambandh"
    changed = as_admin.patch("/organisation", {"name": "Mehta & Sons", "version": 1})
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["version"]) == ("Mehta & Sons", 2)


def test_custom_fields_crud_by_admin(as_admin: ApiClient, as_owner: ApiClient) -> None:
    payload = {
        "object_type": "contact",
        "key": "tier",
        "label_en": "Tier",
        "label_hi": "श्रेणी",
        "field_type": "choice",
        "choices": ["gold", {"value": "silver", "label_en": "Silver"}],
    }
    assert as_owner.post("/custom-fields", payload).status_code == 403
    created = as_admin.post("/custom-fields", payload)
    assert created.status_code == 201
    body = created.json()
    assert [c["value"] for c in body["choices"]] == ["gold", "silver"]
    patched = as_admin.patch(f"/custom-fields/{body['id']}", {"label_en": "Level", "version": 1})
    assert patched.json()["label_en"] == "Level"
    assert [d["key"] for d in as_owner.get("/custom-fields").json()] == ["tier"]
    assert as_admin.delete(f"/custom-fields/{body['id']}").status_code == 204
    assert not CustomFieldDefinition.objects.exists()


def test_a_custom_field_key_cannot_change(as_admin: ApiClient) -> None:
    created = as_admin.post(
        "/custom-fields",
        {"object_type": "contact", "key": "tier", "label_en": "Tier", "field_type": "text"},
    ).json()
    response = as_admin.patch(f"/custom-fields/{created['id']}", {"key": "level", "version": 1})
    assert response.status_code == 400
    assert CustomFieldDefinition.objects.get().key == "tier"


def test_tags_crud(as_admin: ApiClient, as_owner: ApiClient) -> None:
    created = as_owner.post("/tags", {"name": "VIP", "color": "#1D4ED8"})
    assert created.status_code == 201
    assert created.json()["color"] == "#1d4ed8"
    tag_id = created.json()["id"]
    assert as_owner.post("/tags", {"name": "vip"}).status_code == 400
    assert [t["name"] for t in as_owner.get("/tags").json()] == ["VIP"]
    assert as_owner.patch(f"/tags/{tag_id}", {"name": "Gold"}).status_code == 403
    assert as_admin.patch(f"/tags/{tag_id}", {"name": "Gold"}).json()["name"] == "Gold"
    assert as_admin.delete(f"/tags/{tag_id}").status_code == 204
    assert not Tag.objects.exists()


def test_notes_on_contacts_and_companies(as_owner: ApiClient, owner: User) -> None:
    contact = make_contact(owner)
    account = make_account(owner)
    on_contact = as_owner.post(f"/contacts/{contact.pk}/notes", {"body": "Called <b>her</b>"})
    assert on_contact.status_code == 201
    assert on_contact.json()["body"] == "Called <b>her</b>"
    on_account = as_owner.post(f"/accounts/{account.pk}/notes", {"body": "Met the CFO"})
    assert on_account.json()["account_id"] == account.pk
    listed = as_owner.get(f"/contacts/{contact.pk}/notes").json()
    assert [n["body"] for n in listed["items"]] == ["Called <b>her</b>"]
    note_id = on_contact.json()["id"]
    patched = as_owner.patch(f"/notes/{note_id}", {"body": "Called twice", "version": 1})
    assert (patched.json()["body"], patched.json()["version"]) == ("Called twice", 2)
    stale = as_owner.patch(f"/notes/{note_id}", {"body": "Lost", "version": 1})
    assert stale.status_code == 409
    assert as_owner.delete(f"/notes/{note_id}").status_code == 204
    assert list(Note.objects.values_list("body", flat=True)) == ["Met the CFO"]


def test_outsider_cannot_see_or_change_a_note_on_another_teams_contact(
    as_outsider: ApiClient, owner: User
) -> None:
    note = make_note(owner, contact=make_contact(owner), body="private")
    assert as_outsider.get(f"/notes/{note.pk}").status_code == 404
    assert as_outsider.patch(f"/notes/{note.pk}", {"body": "x", "version": 1}).status_code == 404
    assert as_outsider.delete(f"/notes/{note.pk}").status_code == 404
    note.refresh_from_db()
    assert note.body == "private"


def test_api_operations_lists_every_route() -> None:
    operations = api_operations()
    assert ("GET", "/api/v1/contacts") in operations
    assert ("PATCH", "/api/v1/contacts/{id}") in operations
    assert ("DELETE", "/api/v1/tokens/{id}") in operations
    assert ("POST", "/api/v1/deals/{id}/move") in operations
    # No operation twice; that every one is covered is the permission matrix's job.
    assert len(operations) == len(set(operations))
