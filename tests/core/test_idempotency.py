"""Idempotency keys on the API's creating POSTs: a retry with the same key gets the first
answer and does nothing; a reused key, a bad key and a key in use are refused."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext
from ninja import Router

from sambandh.api import api
from sambandh.contacts.models import Account, Contact
from sambandh.core.idempotency import (
    PROCESSING_TIMEOUT,
    IdempotencyKeyInProgress,
    IdempotencyKeyReused,
    idempotency_claim,
    idempotency_purge,
    idempotent,
)
from sambandh.core.models import AuditEntry, IdempotencyRecord, IdempotencyState, User
from sambandh.core.schemas import ERRORS
from sambandh.core.services import api_token_create
from sambandh.core.tasks import idempotency_purge_task
from tests.api.conftest import ApiClient, client_for

pytestmark = pytest.mark.django_db

KEY = "3f1c2a9e-0d4b-4c57-9a61-5b7e8f0a1c2d"
ASHA = {"first_name": "Asha", "email": "asha@example.com"}


@pytest.fixture
def as_owner(owner: User) -> ApiClient:
    return client_for(owner)


@pytest.fixture
def as_admin(admin: User) -> ApiClient:
    return client_for(admin)


def _state() -> tuple[int, int, int]:
    return Contact.objects.count(), Account.objects.count(), AuditEntry.objects.count()


def test_a_repeat_with_the_same_key_gets_the_first_answer_and_creates_nothing(
    as_owner: ApiClient,
) -> None:
    first = as_owner.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    assert first.status_code == 201
    after_first = _state()
    again = as_owner.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert _state() == after_first
    assert Contact.objects.get().pk == first.json()["id"]


def test_without_a_key_every_post_runs(as_owner: ApiClient) -> None:
    assert as_owner.post("/contacts", {"first_name": "A"}).status_code == 201
    assert as_owner.post("/contacts", {"first_name": "A"}).status_code == 201
    assert Contact.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 0


def test_the_same_key_with_another_body_is_a_422_and_runs_nothing(as_owner: ApiClient) -> None:
    as_owner.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    before = _state()
    response = as_owner.post("/contacts", {"first_name": "Ravi"}, **{"Idempotency-Key": KEY})
    assert response.status_code == 422
    assert response.json() == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was already used for a different request. "
        "Use a new key for a new request.",
        "fields": {},
    }
    assert _state() == before


def test_the_reused_key_message_comes_in_hindi(as_owner: ApiClient) -> None:
    english = IdempotencyKeyReused().message
    with translation.override("hi"):
        hindi = gettext(english)
    assert hindi != english and "कुंजी" in hindi
    as_owner.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    response = as_owner.post(
        "/contacts", {"first_name": "Ravi"}, **{"Idempotency-Key": KEY, "Accept-Language": "hi"}
    )
    assert response.status_code == 422
    assert response.json()["message"] == hindi


def test_the_same_key_on_another_path_is_a_422(as_owner: ApiClient) -> None:
    as_owner.post("/contacts", {"first_name": "Acme"}, **{"Idempotency-Key": KEY})
    response = as_owner.post("/accounts", {"name": "Acme"}, **{"Idempotency-Key": KEY})
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Account.objects.count() == 0


@pytest.mark.parametrize("key", ["k" * 256, "", "   ", "key\twith\ttabs", "कुंजी"])
def test_a_key_that_is_too_long_or_not_printable_ascii_is_a_400(
    as_owner: ApiClient, key: str
) -> None:
    before = _state()
    response = as_owner.post("/contacts", ASHA, **{"Idempotency-Key": key})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "Idempotency-Key": ["An Idempotency-Key must be 1 to 255 printable ASCII characters."]
    }
    assert _state() == before
    assert IdempotencyRecord.objects.count() == 0


def test_a_key_of_255_characters_is_accepted(as_owner: ApiClient) -> None:
    response = as_owner.post("/contacts", ASHA, **{"Idempotency-Key": "k" * 255})
    assert response.status_code == 201
    assert IdempotencyRecord.objects.get().key == "k" * 255


def test_a_failed_request_releases_its_key_for_the_corrected_one(as_owner: ApiClient) -> None:
    bad = {"first_name": "Asha", "email": "not-an-email"}
    refused = as_owner.post("/contacts", bad, **{"Idempotency-Key": KEY})
    assert refused.status_code == 400
    assert IdempotencyRecord.objects.count() == 0
    fixed = as_owner.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    assert fixed.status_code == 201
    assert Contact.objects.get().email == "asha@example.com"


def test_a_denied_request_keeps_no_answer(reader: User) -> None:
    api_client = client_for(reader)
    response = api_client.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    assert response.status_code == 403
    assert IdempotencyRecord.objects.count() == 0
    assert Contact.objects.count() == 0


def test_a_request_with_a_key_in_progress_is_a_409_and_runs_nothing(
    as_owner: ApiClient, owner: User
) -> None:
    # The row a concurrent request with the same key holds while it runs.
    first = as_owner.post("/contacts", ASHA, **{"Idempotency-Key": "other"})
    record = IdempotencyRecord.objects.get()
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        key=KEY, state=IdempotencyState.PROCESSING, status_code=None, response_body=b""
    )
    before = _state()
    response = as_owner.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"
    assert response.json()["message"] == (
        "A request with this Idempotency-Key is in progress. Try again when it has ended."
    )
    assert _state() == before
    assert first.status_code == 201
    assert IdempotencyRecord.objects.get().state == IdempotencyState.PROCESSING


def test_a_key_whose_request_died_long_ago_can_be_used_again(
    as_owner: ApiClient, owner: User
) -> None:
    started = timezone.now() - PROCESSING_TIMEOUT - timedelta(seconds=1)
    IdempotencyRecord.objects.create(
        user=owner,
        key=KEY,
        method="POST",
        path="/api/v1/contacts",
        request_hash="0" * 64,
        created_at=started,
        expires_at=started + timedelta(hours=24),
    )
    response = as_owner.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    assert response.status_code == 201
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.status_code) == (IdempotencyState.COMPLETED, 201)


def test_an_expired_answer_is_not_replayed(as_owner: ApiClient) -> None:
    as_owner.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = as_owner.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Contact.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 1


def test_keys_belong_to_their_user(as_owner: ApiClient, teammate: User) -> None:
    as_owner.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    other = client_for(teammate).post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other
    assert Contact.objects.count() == 2


def test_the_answer_is_kept_for_24_hours(as_owner: ApiClient) -> None:
    as_owner.post("/contacts", ASHA, **{"Idempotency-Key": KEY})
    record = IdempotencyRecord.objects.get()
    kept_for = record.expires_at - timezone.now()
    assert timedelta(hours=23, minutes=59) < kept_for <= timedelta(hours=24)
    assert (record.method, record.path, len(record.request_hash)) == (
        "POST",
        "/api/v1/contacts",
        64,
    )


def test_a_batch_is_not_applied_twice(as_admin: ApiClient) -> None:
    body = {"records": [{"first_name": "One"}, {"first_name": "Two"}]}
    first = as_admin.post("/contacts/batch", body, **{"Idempotency-Key": KEY})
    audit = AuditEntry.objects.count()
    again = as_admin.post("/contacts/batch", body, **{"Idempotency-Key": KEY})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert Contact.objects.count() == 2
    assert AuditEntry.objects.count() == audit


def test_accounts_create_and_batch_honour_keys(as_admin: ApiClient) -> None:
    as_admin.post("/accounts", {"name": "Acme"}, **{"Idempotency-Key": "a"})
    as_admin.post("/accounts", {"name": "Acme"}, **{"Idempotency-Key": "a"})
    body = {"records": [{"name": "Bharat Ltd"}]}
    as_admin.post("/accounts/batch", body, **{"Idempotency-Key": "b"})
    as_admin.post("/accounts/batch", body, **{"Idempotency-Key": "b"})
    assert sorted(Account.objects.values_list("name", flat=True)) == ["Acme", "Bharat Ltd"]


def test_purge_deletes_only_expired_answers(owner: User) -> None:
    now = timezone.now()
    for key, expires in (("old", now - timedelta(minutes=1)), ("new", now + timedelta(hours=1))):
        IdempotencyRecord.objects.create(
            user=owner,
            key=key,
            method="POST",
            path="/api/v1/contacts",
            request_hash="0" * 64,
            state=IdempotencyState.COMPLETED,
            status_code=201,
            expires_at=expires,
        )
    assert idempotency_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_the_daily_task_purges(owner: User) -> None:
    IdempotencyRecord.objects.create(
        user=owner,
        key="old",
        method="POST",
        path="/api/v1/contacts",
        request_hash="0" * 64,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    assert idempotency_purge_task.call_local() == 1
    assert IdempotencyRecord.objects.count() == 0


def test_the_openapi_schema_documents_the_header_and_the_422() -> None:
    schema = api.get_openapi_schema()
    for path in (
        "/api/v1/contacts",
        "/api/v1/accounts",
        "/api/v1/contacts/batch",
        "/api/v1/accounts/batch",
        "/api/v1/contacts/bulk-jobs",
        "/api/v1/accounts/bulk-jobs",
        "/api/v1/imports",
    ):
        operation = schema["paths"][path]["post"]
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], path
        assert {409, 422} <= {int(status) for status in operation["responses"]}, path
        assert "**Idempotency.**" in operation["description"], path
    listing = schema["paths"]["/api/v1/contacts"]["get"]
    assert "Idempotency-Key" not in [p["name"] for p in listing.get("parameters", [])]


def test_an_idempotent_operation_must_declare_its_statuses() -> None:
    router = Router()
    with pytest.raises(Exception, match="declares 409 and 422"):

        @router.post("/things", response={201: dict, **ERRORS})
        @idempotent
        def things_create(request: Any) -> Any:
            return {}


# ---------------------------------------------------------------- concurrency


# The SQLite test database is in memory with a shared cache, where a writer meets another
# writer's table lock at once ("database table is locked") instead of waiting out the busy
# timeout as on the file database the product runs on; only PostgreSQL shows the real race.
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_of_two_claims_at_once_one_wins_and_the_other_is_refused(owner: User) -> None:
    """The unique constraint decides, whatever the timing: one claim, one 409."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def claim() -> None:
        try:
            barrier.wait(timeout=10)
            idempotency_claim(
                user=owner, key=KEY, method="POST", path="/api/v1/contacts", request_hash="a" * 64
            )
            outcomes.append("claimed")
        except IdempotencyKeyInProgress:
            outcomes.append("in progress")
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["claimed", "in progress"]
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_once_create_the_records_once(admin: User) -> None:
    """Over HTTP: the second request gets a 409 while the first runs, or the first answer."""
    _token, raw = api_token_create(actor=admin, name="race")
    body = {"records": [{"first_name": f"P{i}"} for i in range(50)]}
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def post() -> None:
        try:
            client = ApiClient(raw)
            barrier.wait(timeout=10)
            answers.append(client.post("/contacts/batch", body, **{"Idempotency-Key": KEY}))
        except BaseException as exc:  # noqa: BLE001 - reported below
            answers.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([200, 200], [200, 409])
    assert Contact.objects.count() == 50
    assert AuditEntry.objects.filter(action="create", object_type="contact").count() == 50
