"""The outbox dispatcher and delivery workers, against a real HTTP receiver on loopback."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sambandh.automation.delivery import (
    backoff_seconds,
    deliveries_claim,
    deliveries_run,
    delivery_record,
    next_wake_in,
    outbox_dispatch,
    pump,
)
from sambandh.automation.models import (
    AllowedNetwork,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    WebhookEndpoint,
)
from sambandh.automation.outbound import Outcome
from sambandh.automation.services import endpoint_create
from sambandh.automation.tasks import outbox_pump_task
from sambandh.contacts.services import contact_create
from sambandh.core.events import event_emit
from sambandh.core.models import AuditEntry, OutboxEvent, User
from tests.automation.receiver import Receiver


def _emit(name: str, **payload: Any) -> OutboxEvent:
    return event_emit(name=name, actor=None, object_type="contact", object_id=7, payload=payload)


def test_a_contact_created_through_its_service_reaches_a_subscribed_endpoint_signed(
    admin: User, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    contact = contact_create(actor=admin, data={"first_name": "Meera", "last_name": "Iyer"})
    assert pump() == {"dispatched": 1, "sent": 1, "runs": 0, "emails": 0}
    [request] = receiver.requests
    # A third-party verifier (the standardwebhooks package) accepts the signature.
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload["type"] == "contact.created"
    assert payload["data"]["object_id"] == str(contact.pk)
    assert request.headers["webhook-id"] == f"msg_{payload['event_id']}_{endpoint.pk}"
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("succeeded", 1, 200)
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.number, attempt.response_status, attempt.response_body) == (1, 200, "ok")
    assert "webhook-signature" not in attempt.request_headers


def test_a_tampered_body_or_another_secret_fails_verification(
    endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    _emit("contact.updated")
    pump()
    [request] = receiver.requests
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(request.body + b" ", request.headers)
    other = endpoint_create(
        actor=endpoint.owner, data={"url": receiver.url, "event_types": ["x.y"]}
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(other.secret).verify(request.body, request.headers)


def test_only_subscribed_event_types_and_matching_filters_make_deliveries(
    admin: User, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    filtered = endpoint_create(
        actor=admin,
        data={"url": receiver.url, "event_types": ["*"], "filters": {"stage": ["won", "lost"]}},
    )
    _emit("deal.won", stage="won")  # both
    _emit("deal.lost", stage="lost")  # only the filtered "*" one
    _emit("deal.updated", stage="open")  # neither
    _emit("contact.deleted")  # only "contact.*"
    assert outbox_dispatch() == 4
    made = sorted(Delivery.objects.values_list("event_name", "endpoint_id"))
    assert made == [
        ("contact.deleted", endpoint.pk),
        ("deal.lost", filtered.pk),
        ("deal.won", endpoint.pk),
        ("deal.won", filtered.pk),
    ]
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 0


def test_dispatching_an_event_again_makes_no_second_delivery(endpoint: WebhookEndpoint) -> None:
    event = _emit("contact.created")
    outbox_dispatch()
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None)  # a worker died late
    assert outbox_dispatch() == 1
    assert Delivery.objects.count() == 1


def test_a_failed_delivery_waits_with_backoff_then_succeeds_with_the_same_id(
    endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    receiver.statuses = [500]
    _emit("contact.created")
    outbox_dispatch()
    before = timezone.now()
    assert deliveries_run() == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 500)
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 24 <= wait <= 37  # 30 s ± 20 % jitter
    assert deliveries_run() == 0  # not due yet
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert deliveries_run() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("succeeded", 2)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert ids == [delivery.msg_id, delivery.msg_id]
    assert list(delivery.attempt_log.order_by("number").values_list("response_status")) == [
        (500,),
        (200,),
    ]


def test_backoff_doubles_from_30_seconds_to_a_6_hour_cap_with_jitter() -> None:
    for attempts, base in [(1, 30), (2, 60), (3, 120), (10, 15360), (11, 21600), (30, 21600)]:
        waits = [backoff_seconds(attempts) for _ in range(50)]
        assert all(base * 0.8 <= w <= base * 1.2 for w in waits), attempts
        assert len(set(waits)) > 1  # jitter spreads retries of one outage


def test_after_the_retry_window_the_delivery_is_dead_and_the_endpoint_turned_off(
    endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    receiver.statuses = [503, 503]
    _emit("contact.created")
    _emit("contact.updated")
    outbox_dispatch()
    first, second = Delivery.objects.order_by("id")
    three_days_ago = timezone.now() - dt.timedelta(days=3)
    Delivery.objects.filter(pk=first.pk).update(first_attempt_at=three_days_ago)
    Delivery.objects.filter(pk=second.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(hours=1)
    )
    assert deliveries_run() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    endpoint.refresh_from_db()
    assert first.state == DeliveryState.DEAD
    # The endpoint is off, its waiting delivery set aside with it, and the change audited.
    assert (endpoint.is_active, endpoint.disabled_reason) == (False, "failing")
    assert second.state == DeliveryState.DEAD
    assert AuditEntry.objects.filter(action="webhook.disabled", object_id=str(endpoint.pk)).exists()
    # New events no longer fan out to it.
    _emit("contact.deleted")
    outbox_dispatch()
    assert Delivery.objects.count() == 2


def test_a_lease_that_ran_out_is_taken_again_and_the_late_worker_records_nothing(
    endpoint: WebhookEndpoint, receiver: Receiver, settings: Any
) -> None:
    _emit("contact.created")
    outbox_dispatch()
    [dead_worker] = deliveries_claim()  # this worker dies before sending
    assert deliveries_claim() == []  # leased: nobody else takes it
    later = timezone.now() + dt.timedelta(seconds=settings.SAMBANDH_DELIVERY_LEASE_SECONDS + 1)
    [again] = deliveries_claim(now=later)
    assert again.delivery.pk == dead_worker.delivery.pk
    assert again.delivery.attempts == 2
    # The first worker wakes up and tries to record: its lease is gone, nothing changes.
    assert delivery_record(dead_worker, Outcome(status=200)) is False
    assert Delivery.objects.get().state == DeliveryState.DELIVERING
    assert delivery_record(again, Outcome(status=200)) is True
    assert Delivery.objects.get().state == DeliveryState.SUCCEEDED


def test_a_turned_off_endpoint_gets_nothing_until_it_is_on_again(
    endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    _emit("contact.created")
    outbox_dispatch()
    WebhookEndpoint.objects.update(is_active=False)
    assert deliveries_run() == 0
    assert next_wake_in() is None
    WebhookEndpoint.objects.update(is_active=True)
    assert next_wake_in() == 0.0
    assert deliveries_run() == 1


def test_loopback_is_refused_unless_an_administrator_allows_it(
    admin: User, endpoint: WebhookEndpoint, receiver: Receiver, settings: Any
) -> None:
    settings.SAMBANDH_WEBHOOK_ALLOWED_NETWORKS = []
    _emit("contact.created")
    outbox_dispatch()
    deliveries_run()
    delivery = Delivery.objects.get()
    assert receiver.requests == []
    assert delivery.state == DeliveryState.PENDING
    assert "127.0.0.1 is a private or local address" in delivery.last_error
    AllowedNetwork.objects.create(network="127.0.0.0/8")
    Delivery.objects.update(next_attempt_at=timezone.now())
    deliveries_run()
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "192.168.0.10", "169.254.169.254", "[::1]", "0.0.0.0", "[::ffff:127.0.0.1]"],  # noqa: S104 - refused, not bound
)
def test_private_link_local_and_mapped_addresses_are_refused(
    endpoint: WebhookEndpoint, settings: Any, address: str
) -> None:
    settings.SAMBANDH_WEBHOOK_ALLOWED_NETWORKS = []
    WebhookEndpoint.objects.update(url=f"http://{address}:9/x")
    _emit("contact.created")
    outbox_dispatch()
    deliveries_run()
    delivery = Delivery.objects.get()
    assert "private or local address" in delivery.last_error
    assert delivery.last_status is None


def test_a_slow_endpoint_times_out_and_is_retried(
    endpoint: WebhookEndpoint, receiver: Receiver, settings: Any
) -> None:
    settings.SAMBANDH_WEBHOOK_READ_TIMEOUT = 0.2
    receiver.delay_seconds = 1.0
    _emit("contact.created")
    outbox_dispatch()
    deliveries_run()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.PENDING
    assert delivery.last_error == "The endpoint did not answer in time."


def test_only_the_first_4_kb_of_an_answer_is_kept(
    endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    receiver.answer_body = b"x" * 100_000
    _emit("contact.created")
    outbox_dispatch()
    deliveries_run()
    attempt = DeliveryAttempt.objects.get()
    assert attempt.response_body == "x" * 4096
    assert Delivery.objects.get().state == DeliveryState.SUCCEEDED


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    receiver.statuses = [302]
    _emit("contact.created")
    outbox_dispatch()
    deliveries_run()
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().state == DeliveryState.PENDING


def test_the_pump_task_dispatches_and_delivers(
    endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    for _ in range(3):
        _emit("contact.created")
    assert outbox_pump_task.call_local() == {"dispatched": 3, "sent": 3, "runs": 0, "emails": 0}
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert sorted(b["event_id"] for b in bodies) == sorted(
        OutboxEvent.objects.values_list("pk", flat=True)
    )


@pytest.mark.parametrize("url", ["http://[abc/x", "ftp://example.com/", "http://u:p@example.com/"])
def test_a_malformed_or_unsafe_url_is_refused_when_saved(admin: User, url: str) -> None:
    from sambandh.core.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        endpoint_create(actor=admin, data={"url": url, "event_types": ["*"]})
    assert "url" in caught.value.fields
    assert WebhookEndpoint.objects.count() == 0
