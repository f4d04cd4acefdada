"""Writes of the automation app: webhook endpoints, retries and replays of deliveries, and the
networks outbound requests may reach. Webhooks carry the CRM's data to other systems, so
only administrators manage them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.automation import outbound
from sambandh.automation.delivery import message_body
from sambandh.automation.models import (
    AllowedNetwork,
    Delivery,
    DeliveryState,
    WebhookEndpoint,
)
from sambandh.automation.signing import secret_new
from sambandh.core import validation
from sambandh.core.audit import audit_record
from sambandh.core.errors import PermissionDenied, ValidationError
from sambandh.core.events import event_emit, events_written
from sambandh.core.models import OutboxEvent, User
from sambandh.core.permissions import is_admin
from sambandh.core.records import apply_values, collect, lock_for_update, raise_if, save_changed

EVENT_PATTERN = re.compile(r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$")
MAX_EVENT_TYPES = 50
MAX_FILTERS = 10
TEST_EVENT = "webhook.test"


def require_admin(actor: User) -> None:
    if not (actor.is_authenticated and is_admin(actor)):
        raise PermissionDenied()


def _clean_url(value: Any) -> str:
    text = validation.clean_text(value, max_length=2000, required=True)
    try:
        outbound.check_url(text)
    except outbound.UnsafeAddress as exc:
        raise ValueError(str(exc)) from None
    return text


def _clean_event_types(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,]+", value) if part]
    if not isinstance(value, list) or not value:
        raise ValueError(_("Choose at least one event, or * for every event."))
    if len(value) > MAX_EVENT_TYPES:
        raise ValueError(_("Choose at most %(n)d events.") % {"n": MAX_EVENT_TYPES})
    cleaned: list[str] = []
    for item in value:
        name = str(item).strip().lower()
        if not EVENT_PATTERN.match(name) or len(name) > 80:
            raise ValueError(
                _("“%(name)s” is not an event name such as deal.won or deal.*.") % {"name": item}
            )
        if name not in cleaned:
            cleaned.append(name)
    return cleaned


def _clean_filters(value: Any) -> dict[str, Any]:
    if value in (None, "", {}):
        return {}
    if not isinstance(value, dict) or len(value) > MAX_FILTERS:
        raise ValueError(
            _("Filters are up to %(n)d pairs of a payload field and a value.") % {"n": MAX_FILTERS}
        )
    cleaned: dict[str, Any] = {}
    for key, wanted in value.items():
        if not isinstance(key, str) or not re.fullmatch(r"[a-z_][a-z0-9_]{0,63}", key):
            raise ValueError(_("“%(name)s” is not a payload field name.") % {"name": key})
        options = wanted if isinstance(wanted, list) else [wanted]
        if not options or any(not isinstance(o, str | int | bool) for o in options):
            raise ValueError(_("A filter value is text, a number, or a list of them."))
        cleaned[key] = wanted
    return cleaned


def _clean(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    cleaners = {
        "url": _clean_url,
        "description": lambda v: validation.clean_text(v, max_length=200),
        "event_types": _clean_event_types,
        "filters": _clean_filters,
    }
    for name, cleaner in cleaners.items():
        if name in data or (not partial and name in ("url", "event_types")):
            clean[name] = collect(errors, name, cleaner, data.get(name))
    unknown = set(data) - set(cleaners) - {"is_active"}
    for name in sorted(unknown):
        errors.setdefault(name, []).append(_("Unknown field."))
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors.setdefault("is_active", []).append(_("Enter yes or no."))
        else:
            clean["is_active"] = data["is_active"]
    raise_if(errors)
    return clean


def _audit(actor: User | None, action: str, endpoint: WebhookEndpoint, **changes: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="webhook",
        object_id=endpoint.pk,
        object_repr=str(endpoint),
        changes=changes or None,
    )


def endpoint_create(*, actor: User, data: dict[str, Any]) -> WebhookEndpoint:
    """Subscribe a URL to events; its signing secret is made here and shown to administrators."""
    require_admin(actor)
    clean = _clean(data, partial=False)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=clean["url"],
            description=clean.get("description", ""),
            event_types=clean["event_types"],
            filters=clean.get("filters", {}),
            is_active=clean.get("is_active", True),
            secret=secret_new(),
            owner=actor,
        )
        _audit(
            actor,
            "create",
            endpoint,
            url=[None, endpoint.url],
            event_types=[None, endpoint.event_types],
        )
    return endpoint


def endpoint_update(
    *, actor: User, endpoint: WebhookEndpoint, data: dict[str, Any], version: int | None
) -> WebhookEndpoint:
    """Change an endpoint; turning it back on clears the reason it was turned off."""
    require_admin(actor)
    clean = _clean(data, partial=True)
    with transaction.atomic():
        endpoint = lock_for_update(WebhookEndpoint, endpoint.pk, version=version)
        if clean.get("is_active") is True and not endpoint.is_active:
            clean["disabled_at"] = None
            clean["disabled_reason"] = ""
        changes = apply_values(endpoint, clean)
        if changes:
            save_changed(endpoint, changes)
            _audit(actor, "update", endpoint, **changes)
    return endpoint


def endpoint_rotate_secret(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new signing secret; the old one stops signing at once."""
    require_admin(actor)
    with transaction.atomic():
        endpoint = lock_for_update(WebhookEndpoint, endpoint.pk, version=None)
        endpoint.secret = secret_new()
        save_changed(endpoint, {"secret": ["…", "…"]})
        _audit(actor, "update", endpoint, secret=["…", "…"])
    return endpoint


def endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its delivery log."""
    require_admin(actor)
    with transaction.atomic():
        _audit(actor, "delete", endpoint)
        endpoint.delete()


def endpoint_send_test(*, actor: User, endpoint: WebhookEndpoint) -> Delivery:
    """Queue a ``webhook.test`` message to this endpoint alone, as a real delivery."""
    require_admin(actor)
    with transaction.atomic():
        event = event_emit(
            name=TEST_EVENT,
            actor=actor,
            object_type="webhook",
            object_id=endpoint.pk,
            payload={"message": "Sambandh test message"},
        )
        # Delivered here, to this endpoint only: not fanned out to every "*" subscriber.
        OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=timezone.now())
        delivery = Delivery.objects.create(
            endpoint=endpoint,
            event_id=event.pk,
            event_name=TEST_EVENT,
            msg_id=f"msg_{event.pk}_{endpoint.pk}",
            body=message_body(event),
        )
        _audit(actor, "webhook.test", endpoint)
    return delivery


def endpoint_disable_failing(*, endpoint: WebhookEndpoint) -> None:
    """A delivery failed for the whole retry window: turn the endpoint off, set its waiting
    deliveries aside as dead letters and tell its owner. Runs in the worker's transaction."""
    now = timezone.now()
    turned_off = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False,
        disabled_at=now,
        disabled_reason="failing",
        updated_at=now,
    )
    if not turned_off:
        return
    Delivery.objects.filter(endpoint_id=endpoint.pk, state=DeliveryState.PENDING).update(
        state=DeliveryState.DEAD, completed_at=now, last_error="endpoint turned off"
    )
    _audit(None, "webhook.disabled", endpoint, is_active=[True, False])
    event_emit(
        name="webhook.disabled",
        actor=None,
        object_type="webhook",
        object_id=endpoint.pk,
        payload={"id": endpoint.pk, "url": endpoint.url},
    )
    _notify_owner(endpoint)


def _notify_owner(endpoint: WebhookEndpoint) -> None:
    try:
        from sambandh.notifications.services import notify
    except ImportError:  # the notification centre is not installed in this build
        return
    notify(
        recipient=endpoint.owner,
        kind="webhook_disabled",
        params={"webhook": endpoint.description or endpoint.url, "reason": endpoint.url},
        link=f"/automation/webhooks/{endpoint.pk}/",
        object_type="webhook",
        object_id=str(endpoint.pk),
        dedupe_key=f"webhook_disabled:{endpoint.pk}:{endpoint.disabled_at or timezone.now()}",
    )


def delivery_retry(*, actor: User, delivery: Delivery) -> Delivery:
    """Send a dead letter again now, with a fresh retry window; its endpoint is turned back
    on if it was off, since the administrator asks for it to receive."""
    require_admin(actor)
    with transaction.atomic():
        delivery = lock_for_update(Delivery, delivery.pk, version=None)
        if delivery.state != DeliveryState.DEAD:
            raise ValidationError({"": [_("Only a delivery that failed for good can be retried.")]})
        now = timezone.now()
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.PENDING,
            next_attempt_at=now,
            first_attempt_at=None,
            completed_at=None,
        )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, is_active=False).update(
            is_active=True, disabled_at=None, disabled_reason="", updated_at=now
        )
        _audit(actor, "webhook.retry", delivery.endpoint, delivery=[None, delivery.pk])
        events_written()  # wake a worker when this commits
    delivery.refresh_from_db()
    return delivery


def delivery_replay(*, actor: User, delivery: Delivery) -> Delivery:
    """Send any delivery's message again, as a new delivery with the same ``webhook-id``."""
    require_admin(actor)
    with transaction.atomic():
        replay = Delivery.objects.create(
            endpoint_id=delivery.endpoint_id,
            event_id=delivery.event_id,
            event_name=delivery.event_name,
            msg_id=delivery.msg_id,
            body=delivery.body,
            replay_of=delivery,
        )
        _audit(actor, "webhook.replay", delivery.endpoint, delivery=[None, delivery.pk])
        events_written()
    return replay


def allowed_network_add(*, actor: User, network: str, note: str = "") -> AllowedNetwork:
    """Let outbound webhook requests reach a private or loopback network."""
    require_admin(actor)
    errors: dict[str, list[str]] = {}

    def parse(text: Any) -> str:
        try:
            return str(outbound.parse_network(str(text or "")))
        except outbound.UnsafeAddress as exc:
            raise ValueError(str(exc)) from None

    clean = collect(errors, "network", parse, network)
    clean_note = collect(errors, "note", lambda: validation.clean_text(note, max_length=200))
    raise_if(errors)
    with transaction.atomic():
        if AllowedNetwork.objects.filter(network=clean).exists():
            raise ValidationError({"network": [_("This network is allowed already.")]})
        allowed = AllowedNetwork.objects.create(network=clean, note=clean_note)
        audit_record(
            actor=actor,
            action="create",
            object_type="allowed_network",
            object_id=allowed.pk,
            object_repr=clean,
        )
    return allowed


def allowed_network_remove(*, actor: User, allowed: AllowedNetwork) -> None:
    require_admin(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="delete",
            object_type="allowed_network",
            object_id=allowed.pk,
            object_repr=allowed.network,
        )
        allowed.delete()


def deliveries_purge(*, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Forget finished deliveries (and their attempts) older than the log keeps."""
    cutoff = timezone.now() - older_than
    deleted, _per_model = Delivery.objects.filter(
        state__in=[DeliveryState.SUCCEEDED, DeliveryState.DEAD], completed_at__lt=cutoff
    ).delete()
    OutboxEvent.objects.filter(dispatched_at__lt=cutoff).delete()
    return deleted
