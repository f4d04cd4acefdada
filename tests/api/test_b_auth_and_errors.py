"""Authentication (tokens, sessions, CSRF) and the JSON error contract of /api/v1/."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from django.test import Client
from django.utils import translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext

from sambandh.contacts.models import Account, Contact
from sambandh.core.models import ApiToken, AuditEntry, User
from sambandh.core.services import custom_field_create
from tests.api.conftest import BASE, ApiClient, client_for
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def hindi(message: str) -> str:
    """The Hindi translation of an English message; fails if there is none."""
    with translation.override("hi"):
        translated = gettext(message)
    assert translated != message, f"no Hindi translation for {message!r}"
    return translated


def csrf_client(user: User | None = None) -> tuple[Client, str]:
    """A browser-like client that enforces CSRF, signed in as ``user``, with a CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    secret = get_random_string(32)
    client.cookies["csrftoken"] = secret
    return client, secret


# ---------------------------------------------------------------- tokens


def test_a_new_token_shows_its_secret_once_and_stores_only_its_hash(owner):
    response = client_for(owner).post("/tokens", {"name": "Laptop"})
    assert response.status_code == 201
    created = response.json()
    raw = created["token"]
    assert raw.startswith("sbk_")
    assert created["name"] == "Laptop"
    assert created["prefix"] == raw[:10]
    assert created["revoked_at"] is None
    stored = ApiToken.objects.get(pk=created["id"])
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.name, stored.prefix, stored.key_hash}


def test_the_token_list_never_shows_a_secret(owner):
    api = client_for(owner)
    raw = api.post("/tokens", {"name": "Laptop"}).json()["token"]
    listed = api.get("/tokens").json()
    assert sorted(t["name"] for t in listed) == ["Laptop", "owner test token"]
    assert all("token" not in t for t in listed)
    assert raw not in json.dumps(listed)


def test_a_new_token_authenticates_as_its_owner(owner):
    raw = client_for(owner).post("/tokens", {"name": "Laptop"}).json()["token"]
    response = ApiClient(raw).get("/me")
    assert response.status_code == 200
    assert response.json()["username"] == "owner"


def test_a_revoked_token_is_refused_with_401(owner):
    api = client_for(owner)
    created = api.post("/tokens", {"name": "Laptop"}).json()
    assert ApiClient(created["token"]).get("/me").status_code == 200
    response = api.delete(f"/tokens/{created['id']}")
    assert response.status_code == 204
    assert response.content == b""
    refused = ApiClient(created["token"]).get("/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "not_authenticated"
    assert ApiToken.objects.get(pk=created["id"]).revoked_at is not None


def test_a_user_cannot_revoke_someone_elses_token(owner, outsider):
    created = client_for(owner).post("/tokens", {"name": "Laptop"}).json()
    response = client_for(outsider).delete(f"/tokens/{created['id']}")
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=created["id"]).revoked_at is None
    assert ApiClient(created["token"]).get("/me").status_code == 200


def test_an_administrator_may_revoke_anybodys_token(owner, admin):
    created = client_for(owner).post("/tokens", {"name": "Laptop"}).json()
    assert client_for(admin).delete(f"/tokens/{created['id']}").status_code == 204
    assert ApiClient(created["token"]).get("/me").status_code == 401


def test_a_deactivated_users_token_is_refused(owner):
    api = client_for(owner)
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    assert api.get("/me").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer sbk_not-a-real-token",
        "Bearer ",
        "Token sbk_x",
        "Basic b3duZXI6cGFzcw==",
        "Bearer " + "x" * 500,
    ],
)
def test_a_bad_authorization_header_is_401_json(owner, header):
    response = Client().get(f"{BASE}/contacts", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_request_without_credentials_is_401_json(db):
    response = ApiClient(None).get("/contacts")
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Sign in or send a valid API token.",
        "fields": {},
    }


def test_an_unauthenticated_write_over_real_csrf_checks_is_401_and_creates_nothing(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"{BASE}/contacts", data=json.dumps({"first_name": "X"}), content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert Contact.objects.count() == 0


def test_a_write_with_a_bad_token_is_401_even_when_csrf_is_enforced(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"{BASE}/contacts",
        data=json.dumps({"first_name": "X"}),
        content_type="application/json",
        headers={"Authorization": "Bearer sbk_forged"},
    )
    assert response.status_code == 401
    assert Contact.objects.count() == 0


def test_a_token_write_needs_no_csrf_token(owner):
    api = client_for(owner)
    api.client = Client(enforce_csrf_checks=True)
    response = api.post("/contacts", {"first_name": "Ravi"})
    assert response.status_code == 201


# ---------------------------------------------------------------- sessions and CSRF


def test_a_signed_in_session_may_read_without_a_csrf_token(owner):
    client, _secret = csrf_client(owner)
    response = client.get(f"{BASE}/me")
    assert response.status_code == 200
    assert response.json()["username"] == "owner"


def test_a_session_write_without_a_csrf_token_is_refused_and_changes_nothing(owner):
    client, _secret = csrf_client(owner)
    response = client.post(
        f"{BASE}/contacts", data=json.dumps({"first_name": "Ravi"}), content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert Contact.objects.count() == 0


def test_a_session_write_with_a_wrong_csrf_token_is_refused(owner):
    client, _secret = csrf_client(owner)
    response = client.post(
        f"{BASE}/contacts",
        data=json.dumps({"first_name": "Ravi"}),
        content_type="application/json",
        headers={"X-CSRFToken": get_random_string(32)},
    )
    assert response.status_code == 403
    assert Contact.objects.count() == 0


def test_a_session_write_with_the_csrf_token_succeeds(owner):
    client, secret = csrf_client(owner)
    response = client.post(
        f"{BASE}/contacts",
        data=json.dumps({"first_name": "Ravi"}),
        content_type="application/json",
        headers={"X-CSRFToken": secret},
    )
    assert response.status_code == 201
    assert Contact.objects.get().first_name == "Ravi"


def test_a_session_delete_without_a_csrf_token_keeps_the_record(owner):
    contact = make_contact(owner)
    client, _secret = csrf_client(owner)
    response = client.delete(f"{BASE}/contacts/{contact.pk}")
    assert response.status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()


# ---------------------------------------------------------------- the error shape


def test_a_missing_record_is_a_404_in_the_error_shape(owner):
    response = client_for(owner).get("/contacts/999999")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_an_action_without_a_grant_is_403_and_changes_nothing(reader):
    api = client_for(reader)
    before = AuditEntry.objects.count()
    response = api.post("/contacts", {"first_name": "Ravi"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Contact.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_malformed_json_is_a_400(owner):
    response = client_for(owner).post("/contacts", '{"first_name": "Ravi",')
    assert response.status_code == 400
    assert response.json()["code"] in {"malformed_request", "validation_error"}
    assert Contact.objects.count() == 0


def test_a_json_array_instead_of_an_object_is_a_400(owner):
    response = client_for(owner).post("/contacts", "[1, 2]")
    assert response.status_code == 400
    assert Contact.objects.count() == 0


def test_an_oversized_payload_is_a_413_and_creates_nothing(owner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(owner).post("/contacts", {"first_name": "R", "job_title": "x" * 2000})
    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": "The request body is too large.",
        "fields": {},
    }
    assert Contact.objects.count() == 0


def test_an_oversized_patch_is_a_413_and_changes_nothing(owner, settings):
    contact = make_contact(owner, first_name="Ravi")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(owner).patch(
        f"/contacts/{contact.pk}", {"version": 1, "job_title": "x" * 2000}
    )
    assert response.status_code == 413
    contact.refresh_from_db()
    assert (contact.job_title, contact.version) == ("", 1)


def test_an_unknown_body_field_is_a_400_naming_the_field(owner):
    response = client_for(owner).post("/contacts", {"first_name": "Ravi", "password": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "message": "Please correct the errors below.",
        "fields": {"password": ["Unknown field."]},
    }
    assert Contact.objects.count() == 0


def test_a_missing_required_field_is_a_400_not_a_422(owner):
    response = client_for(owner).post("/accounts", {"city": "Pune"})
    assert response.status_code == 400
    assert response.json()["fields"] == {"name": ["This field is required."]}
    assert Account.objects.count() == 0


def test_a_patch_without_a_version_is_a_400(owner):
    contact = make_contact(owner, first_name="Ravi")
    response = client_for(owner).patch(f"/contacts/{contact.pk}", {"first_name": "Meera"})
    assert response.status_code == 400
    assert response.json()["fields"] == {"version": ["This field is required."]}
    contact.refresh_from_db()
    assert contact.first_name == "Ravi"


def test_a_wrongly_typed_value_is_a_400_for_that_field(owner):
    response = client_for(owner).post(
        "/contacts", {"first_name": "Ravi", "do_not_contact": "maybe"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == ["do_not_contact"]
    assert Contact.objects.count() == 0


def test_a_service_validation_error_names_each_field(owner):
    response = client_for(owner).post(
        "/contacts", {"first_name": "Ravi", "email": "not-an-email", "country": "XX"}
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "email": ["Enter a valid email address."],
        "country": ["Enter a two-letter country code such as IN or US."],
    }


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("cursor=garbage!!", "cursor"),
        ("sort=password", "sort"),
        ("password=secret", "password"),
        ("created_at__gte=yesterday", "created_at__gte"),
        ("owner_id=abc", "owner_id"),
        ("city__gte=A", "city__gte"),
        ("cf.nothing=1", "cf.nothing"),
    ],
)
def test_a_bad_list_parameter_is_a_400_naming_it(owner, query, field):
    response = client_for(owner).get(f"/contacts?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == [field]


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "99999999999999999999999"])
def test_an_impossible_id_in_the_path_is_a_client_error(owner, bad_id):
    response = client_for(owner).get(f"/contacts/{bad_id}")
    assert response.status_code in {400, 404}
    assert response.json()["code"] in {"validation_error", "not_found"}


def test_a_nul_character_in_a_query_is_a_400(owner):
    response = client_for(owner).get("/contacts?city=Pu%00ne")
    assert response.status_code == 400


def test_a_nul_character_in_a_body_is_stripped_or_refused_never_a_500(owner):
    response = client_for(owner).post("/contacts", {"first_name": "Ra\u0000vi"})
    assert response.status_code in {201, 400}


# ---------------------------------------------------------------- language


@pytest.fixture
def hindi_owner(owner: User) -> User:
    owner.language = "hi"
    owner.save(update_fields=["language"])
    return owner


def test_service_errors_come_in_hindi_for_a_hindi_user(hindi_owner):
    response = client_for(hindi_owner).post("/contacts", {"first_name": "Ravi", "email": "nope"})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == hindi("Please correct the errors below.")
    assert body["fields"] == {"email": [hindi("Enter a valid email address.")]}


def test_a_wrongly_typed_value_gets_a_hindi_message_for_a_hindi_user(hindi_owner):
    response = client_for(hindi_owner).post(
        "/contacts", {"first_name": "Ravi", "do_not_contact": "maybe"}
    )
    assert response.status_code == 400
    (message,) = response.json()["fields"]["do_not_contact"]
    assert any("\u0900" <= ch <= "\u097f" for ch in message), message


def test_request_shape_errors_come_in_hindi_for_a_hindi_user(hindi_owner):
    response = client_for(hindi_owner).post("/accounts", {"name": "Acme", "colour": "red"})
    assert response.status_code == 400
    assert response.json()["fields"] == {"colour": [hindi("Unknown field.")]}
    missing = client_for(hindi_owner).post("/accounts", {})
    assert missing.json()["fields"] == {"name": [hindi("This field is required.")]}


def test_not_found_comes_in_hindi_for_a_hindi_user(hindi_owner):
    response = client_for(hindi_owner).get("/contacts/999999")
    assert response.json()["message"] == hindi("Not found.")


def test_an_accept_language_header_wins_over_the_users_language(hindi_owner):
    response = client_for(hindi_owner).post(
        "/contacts", {"first_name": "Ravi", "email": "nope"}, **{"Accept-Language": "en"}
    )
    assert response.json()["fields"] == {"email": ["Enter a valid email address."]}


def test_an_accept_language_header_asks_for_hindi_from_an_english_user(owner):
    response = client_for(owner).get("/contacts/999999", **{"Accept-Language": "hi"})
    assert response.json()["message"] == hindi("Not found.")


def test_the_users_language_does_not_leak_into_the_next_request(hindi_owner, outsider):
    client_for(hindi_owner).get("/contacts/999999")
    response = client_for(outsider).get("/contacts/999999")
    assert response.json()["message"] == "Not found."


# ---------------------------------------------------------------- the schema


def test_the_openapi_schema_declares_both_ways_to_authenticate(db):
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    schemes = response.json()["components"]["securitySchemes"]
    assert sorted(s["type"] for s in schemes.values()) == ["apiKey", "http"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


# ---------------------------------------------------------------- hostile input: a 400, never a 500


def forged_cursor(sort: str, values: list[object]) -> str:
    payload = json.dumps({"s": sort, "v": values}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


HUGE = 10**23


@pytest.mark.parametrize(
    "query, field",
    [
        ("owner_id=99999999999999999999", "owner_id"),
        ("id__in=1,99999999999999999999", "id__in"),
        ("created_at__gte=9999-12-31T23:59:59-23:59", "created_at__gte"),
        ("created_at__gte=0001-01-01T00:00:00%2B14:00", "created_at__gte"),
        ("created_at__lte=0001-01-01T00:00:00", None),
        ("cf.score=nan", "cf.score"),
        ("cf.score=-inf", "cf.score"),
        ("cf.score=1e999", "cf.score"),
    ],
)
def test_out_of_range_filters_are_a_400_never_a_500(admin, query, field):
    custom_field_create(
        actor=admin,
        data={
            "object_type": "contact",
            "key": "score",
            "label_en": "Score",
            "field_type": "number",
        },
    )
    make_contact(admin, first_name="Asha", custom={"score": 5})
    response = client_for(admin).get(f"/contacts?{query}")
    if field is None:
        # Year 1 in UTC is still a valid bound: nothing is that old.
        assert (response.status_code, response.json()["items"]) == (200, [])
        return
    assert response.status_code == 400
    assert response.json()["fields"] == {field: ["Enter a valid value."]}


@pytest.mark.parametrize(
    "sort, cursor",
    [
        ("id", ["HUGE"]),
        ("id", ["-HUGE"]),
        ("name", ["a", "b", "HUGE"]),
        ("created_at", [1e308, 1]),
        ("created_at", ["0001-01-01T00:00:00+14:00", 1]),
        ("-created_at", ["2024-01-01T00:00:00+00:00", "HUGE"]),
        ("email", ["a\ud800b", 1]),
        ("email", ["a\u0000b", 1]),
    ],
)
def test_a_forged_list_cursor_is_a_400(owner, sort, cursor):
    values = [HUGE if v == "HUGE" else -HUGE if v == "-HUGE" else v for v in cursor]
    token = forged_cursor(sort.lstrip("-") + ("-" if sort.startswith("-") else ""), values)
    response = client_for(owner).get(f"/contacts?sort={sort}&cursor={token}")
    assert response.status_code == 400
    assert response.json()["fields"] == {"cursor": ["This cursor is not valid for this list."]}


@pytest.mark.parametrize(
    "path, sort, values",
    [
        ("/contacts/{c}/history", "seq-", [HUGE]),
        ("/contacts/{c}/notes", "created-", ["2024-01-01T00:00:00+00:00", HUGE]),
        ("/contacts/{c}/notes", "created-", [1e308, 1]),
        ("/accounts/{a}/notes", "created-", ["0001-01-01T00:00:00+14:00", 1]),
        ("/accounts/{a}/history", "seq-", [-HUGE]),
    ],
)
def test_a_forged_cursor_on_notes_or_history_is_a_400(owner, path, sort, values):
    contact, account = make_contact(owner), make_account(owner)
    url = path.format(c=contact.pk, a=account.pk) + "?cursor=" + forged_cursor(sort, values)
    response = client_for(owner).get(url)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["cursor"]


def test_a_lone_surrogate_in_text_is_dropped_not_a_500(owner):
    response = client_for(owner).post(
        "/contacts", '{"first_name": "A\\ud800B", "tags": ["v\\udfffip"]}'
    )
    assert response.status_code == 201
    assert (response.json()["first_name"], response.json()["tags"]) == ("AB", ["vip"])


@pytest.mark.parametrize(
    "path, raw",
    [
        ("/users", '{"username": "\\ud800"}'),
        ("/tags", '{"name": "\\ud800"}'),
        ("/teams", '{"name": "\\udc00"}'),
        ("/tokens", '{"name": "\\ud800"}'),
    ],
)
def test_a_name_made_only_of_lone_surrogates_is_a_400(admin, path, raw):
    api = client_for(admin)
    before = (User.objects.count(), ApiToken.objects.count(), AuditEntry.objects.count())
    response = api.post(path, raw)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [raw[2:].split('"')[0]]
    assert (User.objects.count(), ApiToken.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize("raw", ['"\\u0000"', '"\\ud800"', '" "'])
def test_an_unprintable_lifecycle_stage_is_a_400(owner, raw):
    response = client_for(owner).post(
        "/contacts", '{"first_name": "Asha", "lifecycle_stage": ' + raw + "}"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"lifecycle_stage": ["Choose a lifecycle stage."]}
    assert Contact.objects.count() == 0


def test_a_revenue_too_big_to_read_back_is_a_400(owner):
    response = client_for(owner).post(
        "/accounts", {"name": "Acme", "annual_revenue": "9999999999999999.99"}
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "annual_revenue": ["Enter a number of at most 999999999999999.99."]
    }
    assert Account.objects.count() == 0
    assert client_for(owner).get("/accounts").status_code == 200


# ---------------------------------------------------------------- the audit trail


def test_an_api_write_is_audited_with_the_callers_request_id(owner):
    response = client_for(owner).post(
        "/contacts", {"first_name": "Asha"}, **{"X-Request-ID": "req-42"}
    )
    assert response["X-Request-ID"] == "req-42"
    entry = AuditEntry.objects.get(action="create", object_type="contact")
    assert (entry.actor_id, entry.request_id, entry.object_id) == (
        owner.pk,
        "req-42",
        str(response.json()["id"]),
    )
