"""Token and session authentication, languages of error messages, malformed and huge bodies."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from sambandh.contacts.models import Contact
from sambandh.core.models import ApiToken, User
from tests.api.conftest import BASE, ApiClient, client_for
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_unauthenticated_request_is_a_json_401() -> None:
    response = Client().get(f"{BASE}/contacts")
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Sign in or send a valid API token.",
        "fields": {},
    }


def test_a_made_up_token_is_a_401() -> None:
    assert ApiClient("sbk_not-a-real-token").get("/contacts").status_code == 401


def test_creating_a_token_shows_the_secret_once_and_stores_only_its_hash(
    as_owner: ApiClient, owner: User
) -> None:
    created = as_owner.post("/tokens", {"name": "laptop"})
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("sbk_")
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.name, token.prefix, token.key_hash)
    listed = as_owner.get("/tokens").json()
    assert [t["name"] for t in listed] == ["laptop", "owner test token"]
    assert all("token" not in t for t in listed)
    assert ApiClient(secret).get("/me").json()["username"] == "owner"


def test_a_revoked_token_is_a_401(owner: User) -> None:
    client = client_for(owner)
    created = client.post("/tokens", {"name": "ci"}).json()
    other = ApiClient(created["token"])
    assert other.get("/me").status_code == 200
    assert client.delete(f"/tokens/{created['id']}").status_code == 204
    assert other.get("/me").status_code == 401
    assert ApiToken.objects.get(pk=created["id"]).revoked_at is not None


def test_a_user_cannot_revoke_someone_elses_token(owner: User, outsider: User) -> None:
    token = ApiToken.objects.get(pk=client_for(owner).post("/tokens", {"name": "x"}).json()["id"])
    response = client_for(outsider).delete(f"/tokens/{token.pk}")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_session_auth_needs_the_csrf_token_on_unsafe_methods(owner: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.get(f"{BASE}/contacts").status_code == 200
    refused = client.post(
        f"{BASE}/contacts", data={"first_name": "Mira"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert Contact.objects.count() == 0
    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    accepted = client.post(
        f"{BASE}/contacts",
        data={"first_name": "Mira"},
        content_type="application/json",
        headers={"X-CSRFToken": secret},
    )
    assert accepted.status_code == 201
    assert Contact.objects.get().first_name == "Mira"


def test_validation_messages_come_in_the_token_users_language(owner: User) -> None:
    owner.language = "hi"
    owner.save()
    with translation.override("hi"):
        expected_message = translation.gettext("Please correct the errors below.")
        expected_field = translation.gettext("Enter a valid email address.")
    assert expected_field != "Enter a valid email address."
    response = client_for(owner).post("/contacts", {"first_name": "A", "email": "nope"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "message": expected_message,
        "fields": {"email": [expected_field]},
    }


def test_an_accept_language_header_wins_over_the_users_language(owner: User) -> None:
    owner.language = "hi"
    owner.save()
    response = client_for(owner).post(
        "/contacts", {"first_name": "A", "email": "nope"}, **{"Accept-Language": "en"}
    )
    assert response.json()["fields"] == {"email": ["Enter a valid email address."]}


def test_malformed_json_is_a_400(as_owner: ApiClient) -> None:
    response = as_owner.post("/contacts", "{not json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert Contact.objects.count() == 0


def test_a_body_of_the_wrong_json_type_is_a_400(as_owner: ApiClient) -> None:
    response = as_owner.post("/contacts", "[1, 2, 3]")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_an_oversized_body_is_a_413(as_owner: ApiClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = as_owner.post("/contacts", {"first_name": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert Contact.objects.count() == 0


def test_a_wrongly_typed_field_is_a_400_naming_the_field(as_owner: ApiClient) -> None:
    response = as_owner.post("/contacts", {"first_name": "A", "tags": "vip"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["tags"]


def test_a_non_numeric_id_in_the_path_is_a_400(as_owner: ApiClient, owner: User) -> None:
    make_contact(owner)
    response = as_owner.get("/contacts/abc")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["id"]


def test_openapi_schema_is_served_without_authentication() -> None:
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/contacts" in response.json()["paths"]
