"""API routes for webhooks: endpoints (with their signing secret), their delivery log, the
dead letters across endpoints, retries and replays, and the private networks outbound
requests may reach. Administrators only: anyone else gets a 403 on every route. Thin:
parse, call a selector or a service, shape the response."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sambandh.automation import selectors, services
from sambandh.automation.models import AllowedNetwork, Delivery, DeliveryAttempt, WebhookEndpoint
from sambandh.core.api import actor_of, body_of
from sambandh.core.idempotency import IDEMPOTENT_ERRORS, idempotent
from sambandh.core.schemas import ERRORS, Id, In, Version

router = Router(tags=["webhooks"])
PageSize = Annotated[int, Field(ge=1, le=200)]
Cursor = Annotated[str, Field(max_length=1000)]
StateName = Literal["pending", "delivering", "succeeded", "dead"]
FilterScalar = str | int | bool
EventName = Annotated[str, Field(max_length=200)]


# ---------------------------------------------------------------- schemas


class WebhookOut(Schema):
    id: int
    version: int
    url: str
    description: str
    event_types: list[str] = Field(
        description="Event names (`deal.won`), prefixes (`deal.*`) or `*`."
    )
    filters: dict[str, Any] = Field(
        description="Payload fields and the value (or any of the values) an event must carry."
    )
    is_active: bool
    disabled_at: dt.datetime | None
    disabled_reason: str = Field(
        description="Why the endpoint was turned off (`failing`: its deliveries failed for good)."
    )
    owner_id: int
    last_delivery_state: StateName | None
    last_delivery_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookSecretOut(WebhookOut):
    secret: str = Field(
        description="The signing secret (`whsec_…`, Standard Webhooks); shown to administrators."
    )


class WebhookPageOut(Schema):
    items: list[WebhookOut]
    next_cursor: str | None


class WebhookIn(In):
    url: str = Field(max_length=2000, description="An http or https address.")
    description: str | None = Field(None, max_length=1000)
    event_types: list[EventName] = Field(
        max_length=200, description="Event names (`deal.won`), prefixes (`deal.*`) or `*`."
    )
    filters: dict[str, FilterScalar | list[FilterScalar]] | None = Field(
        None, description='Equality filters on the payload: `{"stage": ["won", "lost"]}`.'
    )
    is_active: bool | None = None


class WebhookPatchIn(In):
    version: Version
    url: str | None = Field(None, max_length=2000)
    description: str | None = Field(None, max_length=1000)
    event_types: list[EventName] | None = Field(None, max_length=200)
    filters: dict[str, FilterScalar | list[FilterScalar]] | None = None
    is_active: bool | None = Field(
        None, description="Turning an endpoint back on clears why it was turned off."
    )


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_id: int
    event_name: str
    msg_id: str = Field(description="The `webhook-id` header: the same on every retry and replay.")
    replay_of_id: int | None
    state: StateName
    attempts: int
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    first_attempt_at: dt.datetime | None
    completed_at: dt.datetime | None
    last_status: int | None
    last_error: str


class DeliveryPageOut(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


class AttemptOut(Schema):
    number: int
    started_at: dt.datetime
    duration_ms: int
    request_headers: dict[str, str]
    response_status: int | None
    response_headers: dict[str, str]
    response_body: str = Field(description="The first 4 KB of the answer.")
    error: str


class DeliveryDetailOut(DeliveryOut):
    body: str = Field(description="The JSON message as sent.")
    attempt_log: list[AttemptOut]


class NetworkOut(Schema):
    id: int
    network: str
    note: str
    created_at: dt.datetime


class NetworkPageOut(Schema):
    items: list[NetworkOut]
    next_cursor: str | None


class NetworkIn(In):
    network: str = Field(max_length=100, description="A network (`10.0.0.0/8`) or an address.")
    note: str | None = Field(None, max_length=1000)


# ---------------------------------------------------------------- shaping


def webhook_out(endpoint: WebhookEndpoint, *, secret: bool = False) -> dict[str, Any]:
    out = {
        "id": endpoint.pk,
        "version": endpoint.version,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types or []),
        "filters": dict(endpoint.filters or {}),
        "is_active": endpoint.is_active,
        "disabled_at": endpoint.disabled_at,
        "disabled_reason": endpoint.disabled_reason,
        "owner_id": endpoint.owner_id,
        "last_delivery_state": getattr(endpoint, "last_delivery_state", None),
        "last_delivery_at": getattr(endpoint, "last_delivery_at", None),
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }
    if secret:
        out["secret"] = endpoint.secret
    return out


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "endpoint_id": delivery.endpoint_id,
        "event_id": delivery.event_id,
        "event_name": delivery.event_name,
        "msg_id": delivery.msg_id,
        "replay_of_id": delivery.replay_of_id,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "created_at": delivery.created_at,
        "first_attempt_at": delivery.first_attempt_at,
        "completed_at": delivery.completed_at,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
    }


def attempt_out(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "started_at": attempt.started_at,
        "duration_ms": attempt.duration_ms,
        "request_headers": {str(k): str(v) for k, v in (attempt.request_headers or {}).items()},
        "response_status": attempt.response_status,
        "response_headers": {str(k): str(v) for k, v in (attempt.response_headers or {}).items()},
        "response_body": attempt.response_body,
        "error": attempt.error,
    }


def network_out(allowed: AllowedNetwork) -> dict[str, Any]:
    return {
        "id": allowed.pk,
        "network": allowed.network,
        "note": allowed.note,
        "created_at": allowed.created_at,
    }


def _webhook(request: HttpRequest, pk: int, *, secret: bool = False) -> dict[str, Any]:
    return webhook_out(selectors.webhook_get(actor=actor_of(request), pk=pk), secret=secret)


# ---------------------------------------------------------------- endpoints


class PageQuery(Schema):
    cursor: Cursor | None = None
    limit: PageSize = 50


@router.get(
    "/webhooks",
    response={200: WebhookPageOut, **ERRORS},
    summary="List webhooks",
    description="Every webhook endpoint, oldest first, without its secret.",
)
def webhooks_list(request: HttpRequest, q: Query[PageQuery]) -> dict[str, Any]:
    page = selectors.webhook_list(actor=actor_of(request), cursor=q.cursor, limit=q.limit)
    return {"items": [webhook_out(e) for e in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/webhooks",
    response={201: WebhookSecretOut, **IDEMPOTENT_ERRORS},
    summary="Create a webhook",
    description=(
        "Subscribe an address to events. The answer carries the signing secret with which "
        "every message is signed (Standard Webhooks: `webhook-id`, `webhook-timestamp`, "
        "`webhook-signature`)."
    ),
)
@idempotent
def webhooks_create(request: HttpRequest, payload: WebhookIn) -> Status[dict[str, Any]]:
    endpoint = services.endpoint_create(actor=actor_of(request), data=body_of(payload))
    return Status(201, _webhook(request, endpoint.pk, secret=True))


@router.get("/webhooks/{id}", response={200: WebhookSecretOut, **ERRORS}, summary="One webhook")
def webhooks_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return _webhook(request, id, secret=True)


@router.patch("/webhooks/{id}", response={200: WebhookOut, **ERRORS}, summary="Change a webhook")
def webhooks_patch(request: HttpRequest, id: Id, payload: WebhookPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    endpoint = selectors.webhook_get(actor=actor, pk=id)
    services.endpoint_update(
        actor=actor, endpoint=endpoint, data=body_of(payload), version=payload.version
    )
    return _webhook(request, id)


@router.delete(
    "/webhooks/{id}",
    response={204: None, **ERRORS},
    summary="Delete a webhook",
    description="The endpoint goes with its delivery log.",
)
def webhooks_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    services.endpoint_delete(actor=actor, endpoint=selectors.webhook_get(actor=actor, pk=id))
    return Status(204, None)


@router.post(
    "/webhooks/{id}/rotate-secret",
    response={200: WebhookSecretOut, **ERRORS},
    summary="Rotate a webhook's signing secret",
    description="A new secret signs every message from now on; the old one stops at once.",
)
def webhooks_rotate_secret(request: HttpRequest, id: Id) -> dict[str, Any]:
    actor = actor_of(request)
    services.endpoint_rotate_secret(actor=actor, endpoint=selectors.webhook_get(actor=actor, pk=id))
    return _webhook(request, id, secret=True)


@router.post(
    "/webhooks/{id}/test",
    response={201: DeliveryOut, **ERRORS},
    summary="Send a test message",
    description="Queues a `webhook.test` message to this endpoint alone, as a real delivery.",
)
def webhooks_test(request: HttpRequest, id: Id) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    endpoint = selectors.webhook_get(actor=actor, pk=id)
    delivery = services.endpoint_send_test(actor=actor, endpoint=endpoint)
    return Status(201, delivery_out(delivery))


# ---------------------------------------------------------------- deliveries


class DeliveryQuery(PageQuery):
    state: StateName | None = None


class AllDeliveriesQuery(DeliveryQuery):
    endpoint_id: Id | None = None


@router.get(
    "/webhooks/{id}/deliveries",
    response={200: DeliveryPageOut, **ERRORS},
    summary="A webhook's delivery log",
    description="Its deliveries, newest first; `state` filters them.",
)
def webhook_deliveries(request: HttpRequest, id: Id, q: Query[DeliveryQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    endpoint = selectors.webhook_get(actor=actor, pk=id)
    page = selectors.delivery_list(
        actor=actor, endpoint=endpoint, state=q.state, cursor=q.cursor, limit=q.limit
    )
    return {"items": [delivery_out(d) for d in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/webhook-deliveries",
    response={200: DeliveryPageOut, **ERRORS},
    summary="Deliveries across webhooks",
    description=(
        "Deliveries of every endpoint, newest first. `state=dead` is the dead-letter list: "
        "messages that failed for the whole retry window (retry them one by one)."
    ),
)
def deliveries_list(request: HttpRequest, q: Query[AllDeliveriesQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    endpoint = (
        selectors.webhook_get(actor=actor, pk=q.endpoint_id) if q.endpoint_id is not None else None
    )
    page = selectors.delivery_list(
        actor=actor, endpoint=endpoint, state=q.state, cursor=q.cursor, limit=q.limit
    )
    return {"items": [delivery_out(d) for d in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/webhook-deliveries/{id}",
    response={200: DeliveryDetailOut, **ERRORS},
    summary="One delivery",
    description="The message as sent and every attempt: request headers (without the "
    "signature), response status, headers and body, duration, error.",
)
def deliveries_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    actor = actor_of(request)
    delivery = selectors.delivery_get(actor=actor, pk=id)
    attempts = selectors.delivery_attempts(actor=actor, delivery=delivery)
    return {
        **delivery_out(delivery),
        "body": delivery.body,
        "attempt_log": [attempt_out(a) for a in attempts],
    }


@router.post(
    "/webhook-deliveries/{id}/retry",
    response={200: DeliveryOut, **ERRORS},
    summary="Retry a dead letter",
    description=(
        "Sends a delivery that failed for good again now, with a fresh retry window, and "
        "turns its endpoint back on. Any other delivery is a 400."
    ),
)
def deliveries_retry(request: HttpRequest, id: Id) -> dict[str, Any]:
    actor = actor_of(request)
    delivery = services.delivery_retry(
        actor=actor, delivery=selectors.delivery_get(actor=actor, pk=id)
    )
    return delivery_out(delivery)


@router.post(
    "/webhook-deliveries/{id}/replay",
    response={201: DeliveryOut, **ERRORS},
    summary="Replay a delivery",
    description="Sends the message again as a new delivery with the same `webhook-id`.",
)
def deliveries_replay(request: HttpRequest, id: Id) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    replay = services.delivery_replay(
        actor=actor, delivery=selectors.delivery_get(actor=actor, pk=id)
    )
    return Status(201, delivery_out(replay))


# ---------------------------------------------------------------- allowed networks


@router.get(
    "/webhook-networks",
    response={200: NetworkPageOut, **ERRORS},
    summary="List allowed networks",
    description="Private or loopback networks webhook requests may reach anyway.",
)
def networks_list(request: HttpRequest, q: Query[PageQuery]) -> dict[str, Any]:
    page = selectors.network_list(actor=actor_of(request), cursor=q.cursor, limit=q.limit)
    return {"items": [network_out(n) for n in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/webhook-networks",
    response={201: NetworkOut, **ERRORS},
    summary="Allow a network",
    description="Lets webhook requests reach a private or loopback network (`10.0.0.0/8`).",
)
def networks_add(request: HttpRequest, payload: NetworkIn) -> Status[dict[str, Any]]:
    allowed = services.allowed_network_add(
        actor=actor_of(request), network=payload.network, note=payload.note or ""
    )
    return Status(201, network_out(allowed))


@router.delete(
    "/webhook-networks/{id}", response={204: None, **ERRORS}, summary="Remove an allowed network"
)
def networks_remove(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    services.allowed_network_remove(actor=actor, allowed=selectors.network_get(actor=actor, pk=id))
    return Status(204, None)
