"""API tokens with scopes: what a token may do is its user's role AND its scopes, on every
operation, over real HTTP with a bearer token."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from sambandh.contacts.models import Contact
from sambandh.core.models import ApiToken, AuditEntry, User
from sambandh.core.permissions import has_grant
from sambandh.core.services import api_token_create
from sambandh.sales.models import Deal, Pipeline
from tests.api.conftest import ApiClient
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def token_client(user: User, scopes: list[str] | None = None) -> ApiClient:
    _token, raw = api_token_create(actor=user, name="scoped", scopes=scopes)
    return ApiClient(raw)


def deal_body() -> dict[str, Any]:
    pipeline = Pipeline.objects.order_by("id").first()
    assert pipeline is not None
    stage = pipeline.stages.order_by("position").first()
    assert stage is not None
    return {"name": "Tractor order", "pipeline_id": pipeline.pk, "stage_id": stage.pk}


# ---------------------------------------------------------------- narrowing


def test_a_contact_read_token_lists_contacts(owner: User) -> None:
    contact = make_contact(owner, first_name="Meera")
    response = token_client(owner, ["contact:read"]).get("/contacts")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [contact.pk]


def test_a_contact_read_token_may_not_create_a_contact(owner: User) -> None:
    before = Contact.objects.count()
    response = token_client(owner, ["contact:read"]).post(
        "/contacts", {"first_name": "Ravi", "last_name": "Kumar"}
    )
    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "message": "You do not have permission to do this.",
        "fields": {},
    }
    assert Contact.objects.count() == before


def test_a_contact_read_token_may_not_change_or_delete_a_contact(owner: User) -> None:
    contact = make_contact(owner, first_name="Meera")
    client = token_client(owner, ["contact:read"])
    assert (
        client.patch(f"/contacts/{contact.pk}", {"first_name": "X", "version": 1}).status_code
        == 403
    )
    assert client.delete(f"/contacts/{contact.pk}").status_code == 403
    contact.refresh_from_db()
    assert (contact.first_name, contact.version) == ("Meera", 1)


def test_a_deal_write_token_cannot_read_contacts(owner: User) -> None:
    contact = make_contact(owner, first_name="Meera")
    client = token_client(owner, ["deal:write"])
    listing = client.get("/contacts")
    assert listing.status_code == 200
    assert listing.json()["items"] == []
    assert client.get(f"/contacts/{contact.pk}").status_code == 404


def test_a_deal_write_token_creates_and_reads_deals(owner: User) -> None:
    client = token_client(owner, ["deal:write"])
    created = client.post("/deals", deal_body())
    assert created.status_code == 201, created.json()
    deal_id = created.json()["id"]
    assert client.get(f"/deals/{deal_id}").json()["name"] == "Tractor order"
    assert Deal.objects.get(pk=deal_id).owner_id == owner.pk


def test_write_implies_read(owner: User) -> None:
    contact = make_contact(owner, first_name="Meera")
    client = token_client(owner, ["contact:write"])
    assert client.get(f"/contacts/{contact.pk}").json()["first_name"] == "Meera"
    changed = client.patch(f"/contacts/{contact.pk}", {"first_name": "Mira", "version": 1})
    assert changed.status_code == 200
    assert changed.json()["first_name"] == "Mira"


# ---------------------------------------------------------------- never above the role


@pytest.mark.parametrize("scopes", [None, ["*"], ["contact:write"]])
def test_a_token_never_exceeds_its_users_role(reader: User, scopes: list[str] | None) -> None:
    before = Contact.objects.count()
    client = token_client(reader, scopes)
    response = client.post("/contacts", {"first_name": "Ravi", "last_name": "Kumar"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Contact.objects.count() == before


def test_a_read_only_users_write_token_still_reads(reader: User, admin: User) -> None:
    contact = make_contact(admin, first_name="Meera")
    response = token_client(reader, ["contact:write"]).get(f"/contacts/{contact.pk}")
    assert response.status_code == 200
    assert response.json()["first_name"] == "Meera"


def test_an_administrators_narrowed_token_is_not_an_administrator(admin: User) -> None:
    client = token_client(admin, ["contact:read"])
    before = User.objects.count()
    response = client.post("/users", {"username": "newbie", "password": "a-long-test-password"})
    assert response.status_code == 403
    assert User.objects.count() == before
    assert client.post("/contacts", {"first_name": "Ravi"}).status_code == 403
    assert client.get("/contacts").status_code == 200


def test_an_administrators_narrowed_token_reads_only_its_object_types(admin: User) -> None:
    make_contact(admin, first_name="Meera")
    client = token_client(admin, ["deal:read"])
    assert client.get("/contacts").json()["items"] == []
    assert client.get("/deals").status_code == 200


def test_a_narrowed_token_may_not_change_its_users_profile(owner: User) -> None:
    response = token_client(owner, ["contact:read"]).patch(
        "/me", {"language": "hi", "version": owner.version}
    )
    assert response.status_code == 403
    owner.refresh_from_db()
    assert owner.language == "en"


# ---------------------------------------------------------------- full access


def test_a_token_made_without_scopes_has_full_access(owner: User) -> None:
    token, raw = api_token_create(actor=owner, name="old style")
    assert token.scopes == ["*"]
    response = ApiClient(raw).post("/contacts", {"first_name": "Ravi", "last_name": "Kumar"})
    assert response.status_code == 201
    assert Contact.objects.filter(first_name="Ravi").count() == 1


def test_a_token_row_without_scopes_defaults_to_full_access(owner: User) -> None:
    # What the migration gives tokens made before scopes existed.
    token = ApiToken.objects.create(
        user=owner, name="legacy", prefix="sbk_legacy", key_hash="0" * 64
    )
    token.refresh_from_db()
    assert token.scopes == ["*"]


def test_a_narrowed_tokens_request_leaves_nothing_behind(owner: User) -> None:
    """After the request, work for the same user (a task, a command) is not narrowed."""
    assert token_client(owner, ["contact:read"]).get("/contacts").status_code == 200
    assert has_grant(owner, "contact", "create")
    assert has_grant(User.objects.get(pk=owner.pk), "contact", "create")


def test_a_session_is_not_narrowed_by_a_token_of_the_same_user(owner: User) -> None:
    token_client(owner, ["contact:read"]).get("/contacts")
    session = Client(enforce_csrf_checks=True)
    session.force_login(owner)
    secret = get_random_string(32)
    session.cookies["csrftoken"] = secret
    response = session.post(
        "/api/v1/contacts",
        data={"first_name": "Ravi", "last_name": "Kumar"},
        content_type="application/json",
        headers={"X-CSRFToken": secret},
    )
    assert response.status_code == 201
    assert Contact.objects.filter(first_name="Ravi").count() == 1


# ---------------------------------------------------------------- managing tokens


def test_tokens_are_created_with_normalised_scopes_and_listed(owner: User) -> None:
    client = token_client(owner)
    created = client.post(
        "/tokens",
        {"name": "sync", "scopes": ["deal:write", "contact:read", "contact:write", "deal:read"]},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["scopes"] == ["contact:write", "deal:write"]
    assert body["rate_limit"] is None
    listed = {t["name"]: t["scopes"] for t in client.get("/tokens").json()}
    assert listed == {"sync": ["contact:write", "deal:write"], "scoped": ["*"]}


def test_a_star_among_other_scopes_is_full_access(owner: User) -> None:
    created = token_client(owner).post("/tokens", {"name": "all", "scopes": ["contact:read", "*"]})
    assert created.json()["scopes"] == ["*"]


def test_token_creation_records_the_scopes_in_the_audit_trail(owner: User) -> None:
    created = token_client(owner).post(
        "/tokens", {"name": "sync", "scopes": ["contact:read", "deal:write"]}
    )
    entry = AuditEntry.objects.get(action="token.create", object_id=str(created.json()["id"]))
    assert entry.actor_id == owner.pk
    assert entry.changes == {
        "name": [None, "sync"],
        "scopes": [None, ["contact:read", "deal:write"]],
    }


@pytest.mark.parametrize(
    ("scopes", "messages"),
    [
        (
            ["widget:read"],
            ["“widget:read” is not a scope: use * or an object type with :read or :write."],
        ),
        (["contact"], ["“contact” is not a scope: use * or an object type with :read or :write."]),
        (["contact:admin"], ["“contact:admin” is not a scope: the level is read or write."]),
        ([], ["Choose at least one scope, or * for full access."]),
        (
            ["contact:read", "deal:delete", "x"],
            [
                "“deal:delete” is not a scope: the level is read or write.",
                "“x” is not a scope: use * or an object type with :read or :write.",
            ],
        ),
    ],
)
def test_unknown_scopes_are_rejected_and_nothing_is_created(
    owner: User, scopes: list[str], messages: list[str]
) -> None:
    client = token_client(owner)
    before = (ApiToken.objects.count(), AuditEntry.objects.count())
    response = client.post("/tokens", {"name": "bad", "scopes": scopes})
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "message": "Please correct the errors below.",
        "fields": {"scopes": messages},
    }
    assert (ApiToken.objects.count(), AuditEntry.objects.count()) == before


def test_a_scope_that_is_not_text_is_rejected(owner: User) -> None:
    response = token_client(owner).post("/tokens", {"name": "bad", "scopes": [7]})
    assert response.status_code == 400
    assert response.json()["fields"] == {"scopes.0": ["Enter text."]}


def test_unknown_scopes_are_rejected_in_hindi(owner: User) -> None:
    response = token_client(owner).post(
        "/tokens", {"name": "bad", "scopes": ["contact:admin"]}, **{"Accept-Language": "hi"}
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "scopes": ["“contact:admin” मान्य दायरा नहीं है: स्तर read या write होता है।"]
    }


def test_a_narrowed_token_may_not_manage_tokens(owner: User) -> None:
    other, _raw = api_token_create(actor=owner, name="other")
    client = token_client(owner, ["contact:write"])
    before = (ApiToken.objects.count(), AuditEntry.objects.count())
    denied = client.post("/tokens", {"name": "wider", "scopes": ["*"]})
    assert denied.status_code == 403
    assert denied.json()["message"] == (
        "This needs a signed-in session or a token with full access (*)."
    )
    assert client.get("/tokens").status_code == 403
    assert client.delete(f"/tokens/{other.pk}").status_code == 403
    assert (ApiToken.objects.count(), AuditEntry.objects.count()) == before
    other.refresh_from_db()
    assert other.revoked_at is None


def test_the_openapi_schema_describes_scopes() -> None:
    from sambandh.api import api

    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    assert "scopes" in components["TokenIn"]["properties"]
    assert components["TokenOut"]["required"].count("scopes") == 1


def test_a_user_write_token_may_change_its_users_profile(owner: User) -> None:
    response = token_client(owner, ["user:write"]).patch(
        "/me", {"language": "hi", "version": owner.version}
    )
    assert response.status_code == 200
    owner.refresh_from_db()
    assert owner.language == "hi"


def test_an_administrators_team_write_token_manages_teams_only(admin: User) -> None:
    client = token_client(admin, ["team:write"])
    created = client.post("/teams", {"name": "East"})
    assert created.status_code == 201
    assert created.json()["name"] == "East"
    refused = client.patch("/organisation", {"name": "Elsewhere", "version": 1})
    assert refused.status_code == 403
