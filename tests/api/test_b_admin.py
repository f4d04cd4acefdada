"""/me, users, teams, custom-field definitions and organisation settings through /api/v1/."""

from __future__ import annotations

import pytest

from sambandh.core.models import CustomFieldDefinition, OrganisationSettings, Role, Team, User
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- /me


def test_me_describes_the_caller_with_their_role_and_teams(owner, north):
    body = client_for(owner).get("/me").json()
    assert body["username"] == "owner"
    assert (body["first_name"], body["last_name"]) == ("Asha", "Rao")
    assert body["role"] == "Sales rep"
    assert body["team_ids"] == [north.pk]
    assert body["is_admin"] is False
    assert "password" not in body


def test_a_user_changes_their_own_language_time_zone_and_name(owner):
    response = client_for(owner).patch(
        "/me", {"version": 1, "language": "hi", "time_zone": "Europe/London", "first_name": "Asha"}
    )
    assert response.status_code == 200
    owner.refresh_from_db()
    assert (owner.language, owner.time_zone, owner.version) == ("hi", "Europe/London", 2)
    assert response.json()["language"] == "hi"


def test_a_user_cannot_change_their_own_role_through_me(owner):
    response = client_for(owner).patch("/me", {"version": 1, "role_id": 1})
    assert response.status_code == 400
    assert response.json()["fields"] == {"role_id": ["Unknown field."]}
    owner.refresh_from_db()
    assert (owner.role.name, owner.version) == ("Sales rep", 1)


def test_a_bad_time_zone_in_me_is_a_400_for_that_field(owner):
    response = client_for(owner).patch("/me", {"version": 1, "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "time_zone": ["Enter a valid time zone such as Asia/Kolkata."]
    }
    owner.refresh_from_db()
    assert owner.time_zone == "Asia/Kolkata"


def test_a_stale_version_on_me_is_a_409(owner):
    api = client_for(owner)
    assert api.patch("/me", {"version": 1, "first_name": "A"}).status_code == 200
    response = api.patch("/me", {"version": 1, "first_name": "B"})
    assert response.status_code == 409
    owner.refresh_from_db()
    assert owner.first_name == "A"


# ---------------------------------------------------------------- users


def test_any_reader_lists_users_without_secrets_or_other_peoples_roles(owner, teammate, admin):
    users = client_for(owner).get("/users").json()
    by_name = {u["username"]: u for u in users}
    assert sorted(by_name) == ["admin", "owner", "teammate"]
    assert all("password" not in u for u in users)
    assert by_name["owner"]["role"] == "Sales rep"
    assert (
        by_name["admin"]["role"],
        by_name["admin"]["role_id"],
        by_name["admin"]["team_ids"],
    ) == (
        None,
        None,
        None,
    )


def test_an_administrator_sees_everybodys_role_and_teams(admin, owner, north):
    users = {u["username"]: u for u in client_for(admin).get("/users").json()}
    assert users["owner"]["role"] == "Sales rep"
    assert users["owner"]["team_ids"] == [north.pk]


def test_an_administrator_creates_a_user_whose_password_is_never_shown(admin, north):
    role = Role.objects.get(name="Sales rep")
    response = client_for(admin).post(
        "/users",
        {
            "username": "neha",
            "email": "Neha@Example.com",
            "password": "correct-horse-battery-9",
            "role_id": role.pk,
            "team_ids": [north.pk],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert "password" not in body
    assert "correct-horse" not in response.content.decode()
    assert (body["username"], body["email"], body["role_id"], body["team_ids"]) == (
        "neha",
        "neha@example.com",
        role.pk,
        [north.pk],
    )
    assert User.objects.get(username="neha").check_password("correct-horse-battery-9")


def test_a_weak_password_is_a_400_and_creates_no_user(admin):
    response = client_for(admin).post("/users", {"username": "neha", "password": "123"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["password"]
    assert not User.objects.filter(username="neha").exists()


def test_a_duplicate_username_is_a_400(admin, owner):
    response = client_for(admin).post("/users", {"username": "OWNER"})
    assert response.status_code == 400
    assert response.json()["fields"] == {"username": ["This user name is taken."]}


def test_a_non_administrator_cannot_create_or_change_users(owner, teammate):
    api = client_for(owner)
    assert api.post("/users", {"username": "neha"}).status_code == 403
    assert not User.objects.filter(username="neha").exists()
    response = api.patch(f"/users/{teammate.pk}", {"version": 1, "first_name": "Hacked"})
    assert response.status_code == 403
    teammate.refresh_from_db()
    assert (teammate.first_name, teammate.version) == ("", 1)


def test_a_user_cannot_promote_themself_through_the_users_endpoint(owner):
    admin_role = Role.objects.get(name="Administrator")
    response = client_for(owner).patch(
        f"/users/{owner.pk}", {"version": 1, "role_id": admin_role.pk}
    )
    assert response.status_code == 403
    owner.refresh_from_db()
    assert owner.role.name == "Sales rep"


def test_an_administrator_deactivates_a_user_and_their_token_stops_working(admin, owner):
    owners_api = client_for(owner)
    response = client_for(admin).patch(f"/users/{owner.pk}", {"version": 1, "is_active": False})
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert owners_api.get("/me").status_code == 401


def test_an_administrator_moves_a_user_between_teams(admin, owner, south):
    response = client_for(admin).patch(f"/users/{owner.pk}", {"version": 1, "team_ids": [south.pk]})
    assert response.status_code == 200
    assert response.json()["team_ids"] == [south.pk]
    assert list(owner.teams.values_list("name", flat=True)) == ["South"]


def test_a_missing_user_is_a_404(admin):
    assert client_for(admin).get("/users/999999").status_code == 404


# ---------------------------------------------------------------- teams


def test_everybody_with_a_grant_lists_teams(reader, north, south):
    teams = client_for(reader).get("/teams").json()
    assert [t["name"] for t in teams] == ["North", "South"]


def test_an_administrator_creates_renames_and_deletes_a_team(admin):
    api = client_for(admin)
    created = api.post("/teams", {"name": "East"})
    assert created.status_code == 201
    team_id = created.json()["id"]
    assert api.get(f"/teams/{team_id}").json()["name"] == "East"
    renamed = api.patch(f"/teams/{team_id}", {"name": "East India"})
    assert renamed.json()["name"] == "East India"
    assert api.delete(f"/teams/{team_id}").status_code == 204
    assert not Team.objects.filter(pk=team_id).exists()


def test_a_duplicate_team_name_is_a_400(admin, north):
    response = client_for(admin).post("/teams", {"name": "north"})
    assert response.status_code == 400
    assert response.json()["fields"] == {"name": ["A team with this name exists already."]}


def test_a_non_administrator_cannot_write_teams(owner, north):
    api = client_for(owner)
    assert api.post("/teams", {"name": "East"}).status_code == 403
    assert api.patch(f"/teams/{north.pk}", {"name": "Mine"}).status_code == 403
    assert api.delete(f"/teams/{north.pk}").status_code == 403
    assert sorted(Team.objects.values_list("name", flat=True)) == ["North"]


# ---------------------------------------------------------------- custom fields


def test_an_administrator_defines_a_custom_field(admin):
    response = client_for(admin).post(
        "/custom-fields",
        {
            "object_type": "contact",
            "key": "tier",
            "label_en": "Tier",
            "label_hi": "श्रेणी",
            "field_type": "choice",
            "choices": [{"value": "gold", "label_en": "Gold", "label_hi": "स्वर्ण"}, "silver"],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["key"], body["field_type"], body["version"], body["is_sensitive"]) == (
        "tier",
        "choice",
        1,
        False,
    )
    assert body["choices"] == [
        {"value": "gold", "label_en": "Gold", "label_hi": "स्वर्ण"},
        {"value": "silver", "label_en": "silver", "label_hi": ""},
    ]


def test_a_custom_field_label_follows_the_users_language(admin, reader):
    client_for(admin).post(
        "/custom-fields",
        {
            "object_type": "contact",
            "key": "tier",
            "label_en": "Tier",
            "label_hi": "श्रेणी",
            "field_type": "text",
        },
    )
    reader.language = "hi"
    reader.save(update_fields=["language"])
    listed = client_for(reader).get("/custom-fields").json()
    assert [(f["key"], f["label"]) for f in listed] == [("tier", "श्रेणी")]


def test_a_custom_field_key_and_type_are_fixed_once_created(admin):
    api = client_for(admin)
    created = api.post(
        "/custom-fields",
        {"object_type": "contact", "key": "tier", "label_en": "Tier", "field_type": "text"},
    ).json()
    response = api.patch(f"/custom-fields/{created['id']}", {"version": 1, "key": "level"})
    assert response.status_code == 400
    assert CustomFieldDefinition.objects.get().key == "tier"
    relabelled = api.patch(f"/custom-fields/{created['id']}", {"version": 1, "label_en": "Level"})
    assert (relabelled.status_code, relabelled.json()["label_en"]) == (200, "Level")
    stale = api.patch(f"/custom-fields/{created['id']}", {"version": 1, "label_en": "Old"})
    assert stale.status_code == 409
    assert api.delete(f"/custom-fields/{created['id']}").status_code == 204
    assert not CustomFieldDefinition.objects.exists()


def test_a_bad_custom_field_key_is_a_400(admin):
    response = client_for(admin).post(
        "/custom-fields",
        {"object_type": "contact", "key": "Bad Key", "label_en": "X", "field_type": "text"},
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["key"]
    assert not CustomFieldDefinition.objects.exists()


def test_a_non_administrator_cannot_define_custom_fields(manager):
    response = client_for(manager).post(
        "/custom-fields",
        {"object_type": "contact", "key": "tier", "label_en": "Tier", "field_type": "text"},
    )
    assert response.status_code == 403
    assert not CustomFieldDefinition.objects.exists()


# ---------------------------------------------------------------- organisation


def test_everybody_reads_the_organisation_settings(reader):
    body = client_for(reader).get("/organisation").json()
    assert body == {
        "name": "Sambandh",
        "base_currency": "INR",
        "default_language": "en",
        "time_zone": "Asia/Kolkata",
        "country": "IN",
        "version": 1,
    }


def test_only_an_administrator_changes_the_organisation(admin, manager):
    refused = client_for(manager).patch("/organisation", {"version": 1, "name": "Hacked"})
    assert refused.status_code == 403
    assert OrganisationSettings.get().name == "Sambandh"
    response = client_for(admin).patch(
        "/organisation", {"version": 1, "name": "Rao Traders", "base_currency": "usd"}
    )
    assert response.status_code == 200
    assert (
        response.json()["name"],
        response.json()["base_currency"],
        response.json()["version"],
    ) == (
        "Rao Traders",
        "USD",
        2,
    )


def test_a_bad_currency_is_a_400_and_a_stale_version_a_409(admin):
    api = client_for(admin)
    bad = api.patch("/organisation", {"version": 1, "base_currency": "XYZ1"})
    assert bad.status_code == 400
    assert list(bad.json()["fields"]) == ["base_currency"]
    assert api.patch("/organisation", {"version": 1, "name": "A"}).status_code == 200
    assert api.patch("/organisation", {"version": 1, "name": "B"}).status_code == 409
    assert OrganisationSettings.get().name == "A"
