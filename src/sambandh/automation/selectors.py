"""Reads of the webhook pages and API: endpoints, their delivery log, dead letters and the
allowed networks. Webhooks are the administrators' business: every read here requires one,
so anyone else gets a 403 whatever the id."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from sambandh.automation.models import (
    AllowedNetwork,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    WebhookEndpoint,
)
from sambandh.automation.services import require_admin
from sambandh.core.errors import NotFound, ValidationError
from sambandh.core.models import User
from sambandh.core.pagination import Page, SortKey, paginate

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_ID = 2**63 - 1
BY_ID = SortKey("id", ("id",))
# The delivery log lists these; the body is read on a delivery's own page only.
LOG_FIELDS = (
    "id",
    "endpoint",
    "event_id",
    "event_name",
    "msg_id",
    "replay_of",
    "state",
    "attempts",
    "next_attempt_at",
    "created_at",
    "first_attempt_at",
    "completed_at",
    "last_status",
    "last_error",
)


def _limit(limit: int | None) -> int:
    return max(1, min(limit or PAGE_SIZE, MAX_PAGE_SIZE))


def _pk(value: Any) -> int:
    """An id from a URL or a body; anything that is no database id is simply not found."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 1 <= pk <= MAX_ID:
        raise NotFound()
    return pk


def _endpoints() -> QuerySet[WebhookEndpoint]:
    last = Delivery.objects.filter(endpoint=OuterRef("pk")).order_by("-id")
    return WebhookEndpoint.objects.annotate(
        last_delivery_state=Subquery(last.values("state")[:1]),
        last_delivery_at=Subquery(last.values("created_at")[:1]),
    )


def webhook_list(
    *, actor: User, cursor: str | None = None, limit: int | None = None
) -> Page[WebhookEndpoint]:
    """Every endpoint, oldest first, each with the state and time of its latest delivery."""
    require_admin(actor)
    return paginate(_endpoints(), sort=BY_ID, descending=False, cursor=cursor, limit=_limit(limit))


def webhook_get(*, actor: User, pk: Any) -> WebhookEndpoint:
    require_admin(actor)
    endpoint = _endpoints().select_related("owner").filter(pk=_pk(pk)).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def clean_state(value: str | None) -> str | None:
    """A delivery state from a query string ("" or None: any state)."""
    if not value:
        return None
    if value not in DeliveryState.values:
        raise ValidationError({"state": [_("Choose one of the offered values.")]})
    return value


def delivery_list(
    *,
    actor: User,
    endpoint: WebhookEndpoint | None = None,
    state: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Delivery]:
    """Deliveries newest first, of one endpoint or of all (``state="dead"``: the dead letters),
    without their bodies."""
    require_admin(actor)
    qs = Delivery.objects.only(*LOG_FIELDS)
    if endpoint is not None:
        qs = qs.filter(endpoint_id=endpoint.pk)
    else:
        qs = qs.select_related("endpoint").only(
            *LOG_FIELDS, "endpoint__url", "endpoint__description"
        )
    state = clean_state(state)
    if state is not None:
        qs = qs.filter(state=state)
    return paginate(qs, sort=BY_ID, descending=True, cursor=cursor, limit=_limit(limit))


def delivery_get(*, actor: User, pk: Any) -> Delivery:
    require_admin(actor)
    delivery = Delivery.objects.select_related("endpoint").filter(pk=_pk(pk)).first()
    if delivery is None:
        raise NotFound()
    return delivery


def delivery_attempts(*, actor: User, delivery: Delivery) -> list[DeliveryAttempt]:
    """What each try of ``delivery`` sent and got back, first try first."""
    require_admin(actor)
    return list(DeliveryAttempt.objects.filter(delivery_id=delivery.pk).order_by("number", "id"))


def network_list(
    *, actor: User, cursor: str | None = None, limit: int | None = None
) -> Page[AllowedNetwork]:
    require_admin(actor)
    return paginate(
        AllowedNetwork.objects.all(),
        sort=BY_ID,
        descending=False,
        cursor=cursor,
        limit=_limit(limit),
    )


def network_get(*, actor: User, pk: Any) -> AllowedNetwork:
    require_admin(actor)
    allowed = AllowedNetwork.objects.filter(pk=_pk(pk)).first()
    if allowed is None:
        raise NotFound()
    return allowed
