"""The outbox dispatcher and the delivery workers.

1. ``outbox_dispatch`` takes undispatched outbox events in id order and, in one transaction,
   fans each out into durable work rows (a ``Delivery`` per subscribed webhook endpoint; other
   consumers register in ``CONSUMERS``) and marks the events dispatched. Running it twice over
   an event creates nothing twice (a unique constraint per event and endpoint).
2. ``deliveries_run`` leases due deliveries (pending and due, or delivering with a lease that
   ran out because its worker died: the reaper is part of the claim), sends them, and records
   each outcome only while its lease holds. A failure is retried with exponential backoff and
   jitter until the retry window closes; then the delivery is a dead letter and its endpoint
   is disabled and its owner told.

At-least-once: a worker killed after the receiver got a message but before it recorded the
answer sends it again after the lease, with the same ``webhook-id``, which receivers drop.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sambandh.automation import outbound
from sambandh.automation.leases import lease
from sambandh.automation.models import Delivery, DeliveryAttempt, DeliveryState, WebhookEndpoint
from sambandh.automation.signing import headers_for
from sambandh.core.models import OutboxEvent

DISPATCH_BATCH = 500
CLAIM_BATCH = 100
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600

Consumer = Callable[[Sequence[OutboxEvent]], None]


def _endpoint_consumer(events: Sequence[OutboxEvent]) -> None:
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
    if not endpoints:
        return
    rows = []
    for event in events:
        body: str | None = None
        for endpoint in endpoints:
            if not subscribed(endpoint, event.name, event.payload):
                continue
            if body is None:
                body = message_body(event)
            rows.append(
                Delivery(
                    endpoint=endpoint,
                    event_id=event.pk,
                    event_name=event.name,
                    msg_id=f"msg_{event.pk}_{endpoint.pk}",
                    body=body,
                    next_attempt_at=timezone.now(),
                )
            )
    Delivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


# Later capabilities (workflows, notifications) add their own fan-out here.
CONSUMERS: list[Consumer] = [_endpoint_consumer]


def subscribed(endpoint: WebhookEndpoint, name: str, payload: dict[str, object]) -> bool:
    """Does ``endpoint`` take the event ``name`` with ``payload``?"""
    if not any(
        pattern == "*"
        or pattern == name
        or (pattern.endswith(".*") and name.startswith(pattern[:-1]))
        for pattern in endpoint.event_types
    ):
        return False
    for key, wanted in (endpoint.filters or {}).items():
        value = payload.get(key)
        options = wanted if isinstance(wanted, list) else [wanted]
        if str(value) not in {str(option) for option in options}:
            return False
    return True


def message_body(event: OutboxEvent) -> str:
    """The JSON body of an event's webhook message (Standard Webhooks' type/timestamp/data)."""
    data = {"object_type": event.object_type, "object_id": event.object_id, **event.payload}
    return json.dumps(
        {
            "type": event.name,
            "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
            "event_id": event.pk,
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def outbox_dispatch(*, limit: int = DISPATCH_BATCH) -> int:
    """Fan out up to ``limit`` undispatched events; returns how many were dispatched."""
    with transaction.atomic():
        events = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .order_by("id")[:limit]
        )
        if not events:
            return 0
        for consumer in CONSUMERS:
            consumer(events)
        OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            dispatched_at=timezone.now()
        )
    return len(events)


def backoff_seconds(attempts: int) -> float:
    """The wait after the ``attempts``-th failure: 30 s doubling to a 6 h cap, ±20 % jitter."""
    base = min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return float(base * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not a secret


@dataclass
class Claimed:
    delivery: Delivery
    token: str


def deliveries_claim(*, limit: int = CLAIM_BATCH, now: dt.datetime | None = None) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries of active endpoints for this worker."""
    now = now or timezone.now()
    token, ids = lease(
        Delivery,
        waiting=Q(state=DeliveryState.PENDING, next_attempt_at__lte=now),
        working_state=DeliveryState.DELIVERING,
        now=now,
        limit=limit,
        order=("next_attempt_at", "id"),
        also=Q(endpoint__is_active=True),
    )
    if not ids:
        return []
    Delivery.objects.filter(pk__in=ids, first_attempt_at__isnull=True).update(first_attempt_at=now)
    claimed = Delivery.objects.select_related("endpoint").filter(pk__in=ids, lease_token=token)
    return [Claimed(d, token) for d in claimed.order_by("next_attempt_at", "id")]


def _send(claimed: Claimed, allowed: list[outbound.IPNetwork]) -> outbound.Outcome:
    """One signed request; no database access (it runs in sender threads)."""
    delivery = claimed.delivery
    body = delivery.body.encode()
    timestamp = int(timezone.now().timestamp())
    headers = headers_for(delivery.endpoint.secret, delivery.msg_id, timestamp, body)
    outcome = outbound.post(delivery.endpoint.url, body, headers, allowed)
    return outcome


def delivery_record(claimed: Claimed, outcome: outbound.Outcome) -> bool:
    """Write the attempt and the delivery's next state; False if the lease was lost."""
    return deliveries_record([(claimed, outcome)]) == 1


def deliveries_record(results: Sequence[tuple[Claimed, outbound.Outcome]]) -> int:
    """Record a batch of outcomes in one transaction; returns how many leases still held
    (a delivery whose lease ran out keeps its attempt in the log but not its new state)."""
    now = timezone.now()
    window = dt.timedelta(seconds=settings.SAMBANDH_WEBHOOK_RETRY_WINDOW_SECONDS)
    attempts = []
    # Successes share their new state: one UPDATE per (token, status) instead of one each.
    succeeded: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    kept_count = 0
    with transaction.atomic():
        for claimed, outcome in results:
            delivery = claimed.delivery
            attempts.append(
                DeliveryAttempt(
                    delivery_id=delivery.pk,
                    number=delivery.attempts,
                    started_at=now - dt.timedelta(milliseconds=outcome.duration_ms),
                    duration_ms=outcome.duration_ms,
                    request_headers=_shown_headers(delivery),
                    response_status=outcome.status,
                    response_headers=outcome.headers,
                    response_body=outcome.body,
                    error=outcome.error[:300],
                )
            )
            if outcome.ok:
                succeeded[(claimed.token, outcome.status)].append(delivery.pk)
                continue
            first = delivery.first_attempt_at or now
            retry_at = now + dt.timedelta(seconds=backoff_seconds(delivery.attempts))
            dead = retry_at - first > window
            changes: dict[str, object] = (
                {"state": DeliveryState.DEAD, "completed_at": now}
                if dead
                else {"state": DeliveryState.PENDING, "next_attempt_at": retry_at}
            )
            kept = Delivery.objects.filter(
                pk=delivery.pk, lease_token=claimed.token, state=DeliveryState.DELIVERING
            ).update(
                **changes,
                lease_token="",
                lease_until=None,
                last_status=outcome.status,
                last_error=outcome.error[:300],
            )
            kept_count += kept
            if kept and dead:
                from sambandh.automation.services import endpoint_disable_failing

                endpoint_disable_failing(endpoint=delivery.endpoint)
        for (token, status), ids in succeeded.items():
            kept_count += Delivery.objects.filter(
                pk__in=ids, lease_token=token, state=DeliveryState.DELIVERING
            ).update(
                state=DeliveryState.SUCCEEDED,
                completed_at=now,
                lease_token="",
                lease_until=None,
                last_status=status,
                last_error="",
            )
        DeliveryAttempt.objects.bulk_create(attempts)
    return kept_count


def _shown_headers(delivery: Delivery) -> dict[str, str]:
    # The signature is not kept: the log shows what was sent, not a reusable credential.
    return {"content-type": "application/json", "webhook-id": delivery.msg_id}


_pool: ThreadPoolExecutor | None = None


def _senders() -> ThreadPoolExecutor:
    """The process's sender threads, made once (threads, and their HTTP connections, live on)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(
            max_workers=settings.SAMBANDH_WEBHOOK_SENDERS, thread_name_prefix="webhook-sender"
        )
    return _pool


def deliveries_run(*, limit: int = CLAIM_BATCH) -> int:
    """Lease, send and record one batch of due deliveries; returns how many were sent.
    Sender threads only make the HTTP requests; the outcomes are written in one transaction."""
    batch = deliveries_claim(limit=limit)
    if not batch:
        return 0
    allowed = outbound.allowed_networks()
    if settings.SAMBANDH_WEBHOOK_SENDERS <= 1 or len(batch) == 1:
        outcomes = [_send(claimed, allowed) for claimed in batch]
    else:
        outcomes = list(_senders().map(lambda claimed: _send(claimed, allowed), batch))
    deliveries_record(list(zip(batch, outcomes, strict=True)))
    return len(batch)


def pump(*, budget_seconds: float = 20.0) -> dict[str, int]:
    """Dispatch events, run workflow runs and send deliveries until nothing is due or the
    time budget is spent."""
    deadline = timezone.now() + dt.timedelta(seconds=budget_seconds)
    totals = {"dispatched": 0, "sent": 0, "runs": 0, "emails": 0}
    while timezone.now() < deadline:
        from sambandh.automation.mailing import emails_send
        from sambandh.automation.workflows import runs_execute

        dispatched = outbox_dispatch()
        ran = runs_execute()
        sent = deliveries_run()
        emailed = emails_send()
        totals["dispatched"] += dispatched
        totals["sent"] += sent
        totals["runs"] += ran
        totals["emails"] += emailed
        if not dispatched and not sent and not ran and not emailed:
            break
    return totals


def next_wake_in(now: dt.datetime | None = None) -> float | None:
    """Seconds until the earliest delivery becomes due (a retry or a lease running out)."""
    now = now or timezone.now()
    pending = (
        Delivery.objects.filter(state=DeliveryState.PENDING, endpoint__is_active=True)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    leased = (
        Delivery.objects.filter(state=DeliveryState.DELIVERING)
        .order_by("lease_until")
        .values_list("lease_until", flat=True)
        .first()
    )
    from sambandh.automation.models import RunState, WorkflowRun

    running = (
        WorkflowRun.objects.filter(state=RunState.RUNNING)
        .order_by("lease_until")
        .values_list("lease_until", flat=True)
        .first()
    )
    from sambandh.automation.models import EmailState, WorkflowEmail

    email = (
        WorkflowEmail.objects.filter(state__in=[EmailState.PENDING, EmailState.SENDING])
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    moments = [m for m in (pending, leased, running, email) if m is not None]
    if not moments:
        return None
    return max(0.0, (min(moments) - now).total_seconds())
