"""The webhooks API: endpoints with their secret, the delivery log, dead letters, retries and
replays, allowed networks; against the real loopback receiver."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sambandh.api import api
from sambandh.automation.delivery import deliveries_run, pump
from sambandh.automation.models import (
    AllowedNetwork,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    WebhookEndpoint,
)
from sambandh.automation.services import endpoint_create, endpoint_send_test
from sambandh.core.models import AuditEntry, User
from tests.api.conftest import ApiClient, client_for
from tests.automation.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_admin(admin: User) -> ApiClient:
    return client_for(admin)


def _dead(endpoint: WebhookEndpoint, receiver: Receiver) -> Delivery:
    """A test message that failed for the whole retry window, through the real worker."""
    receiver.statuses = [503, 503]
    delivery = endpoint_send_test(actor=endpoint.owner, endpoint=endpoint)
    assert deliveries_run() == 1
    Delivery.objects.filter(pk=delivery.pk).update(
        first_attempt_at=timezone.now() - dt.timedelta(days=3), next_attempt_at=timezone.now()
    )
    assert deliveries_run() == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD
    return delivery


def _state() -> tuple[int, ...]:
    return (
        AuditEntry.objects.count(),
        WebhookEndpoint.objects.count(),
        Delivery.objects.count(),
        AllowedNetwork.objects.count(),
        *WebhookEndpoint.objects.order_by("id").values_list("version", flat=True),
    )


# ---------------------------------------------------------------- endpoints


def test_an_administrator_creates_a_webhook_and_the_answer_carries_its_secret(
    admin: User, as_admin: ApiClient
) -> None:
    response = as_admin.post(
        "/webhooks",
        {
            "url": "https://hooks.example.com/crm",
            "description": "ERP",
            "event_types": ["deal.won", "contact.*"],
            "filters": {"stage": ["won", "lost"]},
        },
    )
    assert response.status_code == 201
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body == {
        "id": endpoint.pk,
        "version": 1,
        "url": "https://hooks.example.com/crm",
        "description": "ERP",
        "event_types": ["deal.won", "contact.*"],
        "filters": {"stage": ["won", "lost"]},
        "is_active": True,
        "disabled_at": None,
        "disabled_reason": "",
        "owner_id": admin.pk,
        "last_delivery_state": None,
        "last_delivery_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "secret": endpoint.secret,
    }
    assert endpoint.secret.startswith("whsec_")


def test_the_list_never_carries_a_secret_and_shows_each_latest_delivery_state(
    admin: User, as_admin: ApiClient, endpoint: WebhookEndpoint
) -> None:
    quiet = endpoint_create(actor=admin, data={"url": "https://q.example.com", "event_types": "*"})
    endpoint_send_test(actor=admin, endpoint=endpoint)
    items = as_admin.get("/webhooks").json()["items"]
    assert [(i["id"], i["last_delivery_state"]) for i in items] == [
        (endpoint.pk, "pending"),
        (quiet.pk, None),
    ]
    assert all("secret" not in i for i in items)
    assert endpoint.secret not in json.dumps(items)


def test_the_list_pages_by_keyset(admin: User, as_admin: ApiClient) -> None:
    made = [
        endpoint_create(actor=admin, data={"url": f"https://h{n}.example.com", "event_types": "*"})
        for n in range(3)
    ]
    first = as_admin.get("/webhooks?limit=2").json()
    second = as_admin.get(f"/webhooks?limit=2&cursor={first['next_cursor']}").json()
    assert [i["id"] for i in first["items"]] == [made[0].pk, made[1].pk]
    assert [i["id"] for i in second["items"]] == [made[2].pk]
    assert second["next_cursor"] is None


def test_one_webhook_carries_its_secret(as_admin: ApiClient, endpoint: WebhookEndpoint) -> None:
    body = as_admin.get(f"/webhooks/{endpoint.pk}").json()
    assert (body["secret"], body["event_types"]) == (endpoint.secret, ["contact.*", "deal.won"])
    assert as_admin.get("/webhooks/999999").status_code == 404


def test_patch_changes_what_is_sent_and_a_stale_version_is_a_409_that_changes_nothing(
    as_admin: ApiClient, endpoint: WebhookEndpoint
) -> None:
    response = as_admin.patch(
        f"/webhooks/{endpoint.pk}",
        {"version": 1, "description": "Billing", "event_types": ["deal.*"]},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["description"], body["event_types"]) == (
        2,
        "Billing",
        ["deal.*"],
    )
    assert body["url"] == endpoint.url
    assert "secret" not in body
    before = _state()
    stale = as_admin.patch(f"/webhooks/{endpoint.pk}", {"version": 1, "description": "Old"})
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert _state() == before
    assert WebhookEndpoint.objects.get().description == "Billing"


def test_turning_a_failing_webhook_back_on_clears_why_it_was_off(
    as_admin: ApiClient, endpoint: WebhookEndpoint
) -> None:
    WebhookEndpoint.objects.update(
        is_active=False, disabled_reason="failing", disabled_at=timezone.now()
    )
    body = as_admin.patch(f"/webhooks/{endpoint.pk}", {"version": 1, "is_active": True}).json()
    assert (body["is_active"], body["disabled_reason"], body["disabled_at"]) == (True, "", None)


def test_delete_removes_the_webhook_with_its_delivery_log(
    admin: User, as_admin: ApiClient, endpoint: WebhookEndpoint
) -> None:
    endpoint_send_test(actor=admin, endpoint=endpoint)
    assert as_admin.delete(f"/webhooks/{endpoint.pk}").status_code == 204
    assert (WebhookEndpoint.objects.count(), Delivery.objects.count()) == (0, 0)
    assert AuditEntry.objects.filter(action="delete", object_type="webhook").count() == 1
    assert as_admin.get(f"/webhooks/{endpoint.pk}").status_code == 404


def test_a_test_message_reaches_the_receiver_signed_after_the_pump(
    as_admin: ApiClient, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    response = as_admin.post(f"/webhooks/{endpoint.pk}/test")
    assert response.status_code == 201
    queued = response.json()
    assert (queued["state"], queued["event_name"], queued["attempts"]) == (
        "pending",
        "webhook.test",
        0,
    )
    assert pump()["sent"] == 1
    [request] = receiver.requests
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload["type"] == "webhook.test"
    assert payload["data"] == {
        "object_type": "webhook",
        "object_id": str(endpoint.pk),
        "message": "Sambandh test message",
    }
    assert request.headers["webhook-id"] == queued["msg_id"]
    assert Delivery.objects.get().state == DeliveryState.SUCCEEDED


def test_rotating_the_secret_changes_the_signature(
    as_admin: ApiClient, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    old = endpoint.secret
    as_admin.post(f"/webhooks/{endpoint.pk}/test")
    pump()
    response = as_admin.post(f"/webhooks/{endpoint.pk}/rotate-secret")
    assert response.status_code == 200
    new = response.json()["secret"]
    assert new != old
    assert new.startswith("whsec_")
    assert response.json()["version"] == 2
    as_admin.post(f"/webhooks/{endpoint.pk}/test")
    pump()
    before, after = receiver.requests
    Webhook(old).verify(before.body, before.headers)
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)
    assert AuditEntry.objects.filter(action="update", object_type="webhook").count() == 1


# ---------------------------------------------------------------- deliveries


def test_the_delivery_log_is_newest_first_by_keyset_and_filters_by_state(
    admin: User, as_admin: ApiClient, endpoint: WebhookEndpoint
) -> None:
    made = [endpoint_send_test(actor=admin, endpoint=endpoint) for _ in range(3)]
    Delivery.objects.filter(pk=made[0].pk).update(state=DeliveryState.SUCCEEDED)
    first = as_admin.get(f"/webhooks/{endpoint.pk}/deliveries?limit=2").json()
    assert [d["id"] for d in first["items"]] == [made[2].pk, made[1].pk]
    second = as_admin.get(
        f"/webhooks/{endpoint.pk}/deliveries?limit=2&cursor={first['next_cursor']}"
    ).json()
    assert ([d["id"] for d in second["items"]], second["next_cursor"]) == ([made[0].pk], None)
    done = as_admin.get(f"/webhooks/{endpoint.pk}/deliveries?state=succeeded").json()
    assert [d["id"] for d in done["items"]] == [made[0].pk]
    bad = as_admin.get(f"/webhooks/{endpoint.pk}/deliveries?state=lost")
    assert bad.status_code == 400
    assert list(bad.json()["fields"]) == ["state"]


def test_a_delivery_shows_the_body_sent_and_every_attempt(
    as_admin: ApiClient, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    receiver.statuses = [500]
    receiver.answer_body = b"<b>down</b>"
    delivery_id = as_admin.post(f"/webhooks/{endpoint.pk}/test").json()["id"]
    deliveries_run()
    body = as_admin.get(f"/webhook-deliveries/{delivery_id}").json()
    delivery = Delivery.objects.get()
    assert body["body"] == delivery.body
    assert (body["state"], body["attempts"], body["last_status"]) == ("pending", 1, 500)
    [attempt] = body["attempt_log"]
    assert attempt["number"] == 1
    assert attempt["request_headers"] == {
        "content-type": "application/json",
        "webhook-id": delivery.msg_id,
    }
    assert (attempt["response_status"], attempt["response_body"], attempt["error"]) == (
        500,
        "<b>down</b>",
        "",
    )
    assert attempt["response_headers"]["content-length"] == "11"


def test_retrying_a_dead_letter_sends_it_again_and_turns_its_webhook_back_on(
    as_admin: ApiClient, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    dead = _dead(endpoint, receiver)
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.disabled_reason) == (False, "failing")
    response = as_admin.post(f"/webhook-deliveries/{dead.pk}/retry")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["state"]) == (dead.pk, "pending")
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.disabled_reason) == (True, "")
    assert pump()["sent"] == 1
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == (DeliveryState.SUCCEEDED, 3)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [dead.msg_id] * 3


def test_retrying_a_delivery_that_is_not_dead_is_a_400_that_changes_nothing(
    admin: User, as_admin: ApiClient, endpoint: WebhookEndpoint
) -> None:
    delivery = endpoint_send_test(actor=admin, endpoint=endpoint)
    before = _state()
    response = as_admin.post(f"/webhook-deliveries/{delivery.pk}/retry")
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "": ["Only a delivery that failed for good can be retried."]
    }
    assert _state() == before


def test_a_replay_is_a_new_delivery_with_the_same_webhook_id(
    as_admin: ApiClient, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    original = as_admin.post(f"/webhooks/{endpoint.pk}/test").json()
    pump()
    response = as_admin.post(f"/webhook-deliveries/{original['id']}/replay")
    assert response.status_code == 201
    replay = response.json()
    assert replay["id"] != original["id"]
    assert (replay["msg_id"], replay["replay_of_id"], replay["state"]) == (
        original["msg_id"],
        original["id"],
        "pending",
    )
    pump()
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == original["msg_id"]
    Webhook(endpoint.secret).verify(second.body, second.headers)


def test_the_dead_letter_list_spans_webhooks_newest_first(
    admin: User, as_admin: ApiClient, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    other = endpoint_create(actor=admin, data={"url": receiver.url, "event_types": ["x.y"]})
    first = _dead(endpoint, receiver)
    second = _dead(other, receiver)
    alive = endpoint_send_test(actor=admin, endpoint=other)
    items = as_admin.get("/webhook-deliveries?state=dead").json()["items"]
    assert [(d["id"], d["endpoint_id"]) for d in items] == [
        (second.pk, other.pk),
        (first.pk, endpoint.pk),
    ]
    everything = as_admin.get(f"/webhook-deliveries?endpoint_id={other.pk}").json()["items"]
    assert [d["id"] for d in everything] == [alive.pk, second.pk]


# ---------------------------------------------------------------- allowed networks


def test_an_administrator_allows_and_removes_a_network(as_admin: ApiClient) -> None:
    response = as_admin.post("/webhook-networks", {"network": "10.1.2.0/24", "note": "VPN"})
    assert response.status_code == 201
    allowed = AllowedNetwork.objects.get()
    assert response.json() == {
        "id": allowed.pk,
        "network": "10.1.2.0/24",
        "note": "VPN",
        "created_at": response.json()["created_at"],
    }
    listed = as_admin.get("/webhook-networks").json()
    assert ([n["network"] for n in listed["items"]], listed["next_cursor"]) == (
        ["10.1.2.0/24"],
        None,
    )
    again = as_admin.post("/webhook-networks", {"network": "10.1.2.0/24"})
    assert again.status_code == 400
    assert again.json()["fields"] == {"network": ["This network is allowed already."]}
    assert as_admin.delete(f"/webhook-networks/{allowed.pk}").status_code == 204
    assert AllowedNetwork.objects.count() == 0
    assert as_admin.delete(f"/webhook-networks/{allowed.pk}").status_code == 404


def test_a_bad_network_is_refused_in_the_callers_language(as_admin: ApiClient) -> None:
    english = as_admin.post("/webhook-networks", {"network": "10.0.0.0/33"})
    assert english.status_code == 400
    assert english.json()["fields"] == {
        "network": ["Enter a network such as 10.0.0.0/8 or 127.0.0.1."]
    }
    hindi = as_admin.post("/webhook-networks", {"network": "ten"}, **{"Accept-Language": "hi"})
    assert hindi.status_code == 400
    assert hindi.json()["fields"] == {"network": ["10.0.0.0/8 या 127.0.0.1 जैसा नेटवर्क दर्ज करें।"]}
    assert AllowedNetwork.objects.count() == 0


# ---------------------------------------------------------------- bad input


BAD_INPUT = [
    ({"url": "ftp://files.example.com/x", "event_types": ["deal.won"]}, "url"),
    ({"url": "https://ok.example.com", "event_types": ["Deal Won!"]}, "event_types"),
    ({"url": "https://ok.example.com", "event_types": ["deal.won"], "secret": "x"}, "secret"),
]


@pytest.mark.parametrize(("body", "field"), BAD_INPUT, ids=["ftp-url", "event-name", "unknown"])
def test_bad_input_is_a_400_with_the_field_named_and_nothing_created(
    as_admin: ApiClient, body: dict[str, Any], field: str
) -> None:
    response = as_admin.post("/webhooks", body)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert WebhookEndpoint.objects.count() == 0


def test_field_errors_come_in_hindi_when_the_caller_asks_for_it(as_admin: ApiClient) -> None:
    hi = {"Accept-Language": "hi"}
    ftp = as_admin.post(
        "/webhooks", {"url": "ftp://files.example.com/x", "event_types": ["deal.won"]}, **hi
    ).json()
    assert ftp["message"] == "कृपया नीचे दी गई त्रुटियाँ ठीक करें।"
    assert ftp["fields"] == {"url": ["http या https पता दर्ज करें।"]}
    event = as_admin.post(
        "/webhooks", {"url": "https://ok.example.com", "event_types": ["Deal Won!"]}, **hi
    ).json()
    assert event["fields"] == {"event_types": ["“Deal Won!” deal.won या deal.* जैसा इवेंट नाम नहीं है।"]}
    unknown = as_admin.post(
        "/webhooks",
        {"url": "https://ok.example.com", "event_types": ["deal.won"], "secret": "x"},
        **hi,
    ).json()
    assert unknown["fields"] == {"secret": ["अज्ञात फ़ील्ड।"]}
    assert WebhookEndpoint.objects.count() == 0


def test_a_patch_with_bad_input_changes_nothing(
    as_admin: ApiClient, endpoint: WebhookEndpoint
) -> None:
    before = _state()
    response = as_admin.patch(
        f"/webhooks/{endpoint.pk}", {"version": 1, "url": "javascript:alert(1)"}
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"url": ["Enter an http or https address."]}
    assert _state() == before


# ---------------------------------------------------------------- who may


def _writes(endpoint: WebhookEndpoint, delivery: Delivery, allowed: AllowedNetwork) -> list[Any]:
    hook = f"/webhooks/{endpoint.pk}"
    return [
        ("post", "/webhooks", {"url": "https://x.example.com", "event_types": ["*"]}),
        ("patch", hook, {"version": 1, "description": "Mine now"}),
        ("delete", hook, None),
        ("post", f"{hook}/rotate-secret", None),
        ("post", f"{hook}/test", None),
        ("post", f"/webhook-deliveries/{delivery.pk}/retry", None),
        ("post", f"/webhook-deliveries/{delivery.pk}/replay", None),
        ("post", "/webhook-networks", {"network": "10.0.0.0/8"}),
        ("delete", f"/webhook-networks/{allowed.pk}", None),
    ]


def _reads(endpoint: WebhookEndpoint, delivery: Delivery, allowed: AllowedNetwork) -> list[str]:
    return [
        "/webhooks",
        f"/webhooks/{endpoint.pk}",
        f"/webhooks/{endpoint.pk}/deliveries",
        "/webhook-deliveries?state=dead",
        f"/webhook-deliveries/{delivery.pk}",
        "/webhook-networks",
    ]


@pytest.mark.parametrize("persona", ["manager", "owner", "agent", "marketer", "reader"])
def test_everyone_but_administrators_gets_403_everywhere_and_nothing_changes(
    request: pytest.FixtureRequest,
    persona: str,
    endpoint: WebhookEndpoint,
    receiver: Receiver,
) -> None:
    user: User = request.getfixturevalue(persona)
    dead = _dead(endpoint, receiver)
    allowed = AllowedNetwork.objects.create(network="10.9.0.0/16")
    client = client_for(user)
    before = _state()
    for method, path, body in _writes(endpoint, dead, allowed):
        args = (path, body) if body is not None else (path,)
        response = getattr(client, method)(*args, **{"Idempotency-Key": "k1"})
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "permission_denied"
    for path in _reads(endpoint, dead, allowed):
        response = client.get(path)
        assert response.status_code == 403, path
        assert endpoint.secret not in response.content.decode()
    assert _state() == before
    dead.refresh_from_db()
    assert dead.state == DeliveryState.DEAD
    assert DeliveryAttempt.objects.count() == 2


def test_a_retry_of_create_with_the_same_idempotency_key_makes_one_webhook(
    as_admin: ApiClient,
) -> None:
    body = {"url": "https://once.example.com", "event_types": ["deal.won"]}
    first = as_admin.post("/webhooks", body, **{"Idempotency-Key": "create-1"})
    again = as_admin.post("/webhooks", body, **{"Idempotency-Key": "create-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.count() == 1


def test_the_schema_documents_idempotency_on_create_only() -> None:
    schema = api.get_openapi_schema()
    create = schema["paths"]["/api/v1/webhooks"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"] if p["in"] == "header"]
    assert 422 in create["responses"]
    listing = schema["paths"]["/api/v1/webhooks"]["get"]
    assert "Idempotency-Key" not in [p["name"] for p in listing.get("parameters", [])]
