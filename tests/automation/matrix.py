"""The webhooks share of the permission matrix (see ``tests/matrix.py``).

Webhooks carry the CRM's data elsewhere: only administrators see or touch them, every other
role gets a 403 on every route, whatever the record, and nothing changes."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sambandh.automation import services
from sambandh.automation.models import AllowedNetwork, Delivery, DeliveryState, WebhookEndpoint
from tests.matrix import MatrixPart, Targets


def admin_only(status: int) -> str:
    return f"{status} 403 403 403 403 403"


POST_ONLY = "405 405 405 405 405 405"

API_MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/webhooks"): admin_only(200),
    ("POST", "/api/v1/webhooks"): admin_only(201),
    ("GET", "/api/v1/webhooks/{id}"): admin_only(200),
    ("PATCH", "/api/v1/webhooks/{id}"): admin_only(200),
    ("DELETE", "/api/v1/webhooks/{id}"): admin_only(204),
    ("POST", "/api/v1/webhooks/{id}/rotate-secret"): admin_only(200),
    ("POST", "/api/v1/webhooks/{id}/test"): admin_only(201),
    ("GET", "/api/v1/webhooks/{id}/deliveries"): admin_only(200),
    ("GET", "/api/v1/webhook-deliveries"): admin_only(200),
    ("GET", "/api/v1/webhook-deliveries/{id}"): admin_only(200),
    ("POST", "/api/v1/webhook-deliveries/{id}/retry"): admin_only(200),
    ("POST", "/api/v1/webhook-deliveries/{id}/replay"): admin_only(201),
    ("GET", "/api/v1/webhook-networks"): admin_only(200),
    ("POST", "/api/v1/webhook-networks"): admin_only(201),
    ("DELETE", "/api/v1/webhook-networks/{id}"): admin_only(204),
}

TARGET_URL = "https://matrix.example.com/hook"


def _make_targets(t: Targets) -> None:
    webhook = services.endpoint_create(
        actor=t.admin, data={"url": TARGET_URL, "event_types": ["deal.won"]}
    )
    dead = services.endpoint_send_test(actor=t.admin, endpoint=webhook)
    Delivery.objects.filter(pk=dead.pk).update(state=DeliveryState.DEAD)
    t.objects["webhook"] = webhook
    t.objects["dead_delivery"] = dead
    t.objects["allowed_network"] = services.allowed_network_add(
        actor=t.admin, network="10.9.0.0/16"
    )


def _api_body(method: str, path: str, t: Targets, actor: Any) -> dict[str, Any] | None:
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/webhooks"): {"url": TARGET_URL, "event_types": ["contact.*"]},
        ("PATCH", "/api/v1/webhooks/{id}"): {"version": t.webhook.version, "description": "New"},
        ("POST", "/api/v1/webhook-networks"): {"network": "10.20.0.0/16"},
    }
    return bodies.get((method, path))


VIEWS = {
    "automation:webhook_list": (None, admin_only(200)),
    "automation:webhook_create": (None, admin_only(200)),
    "automation:webhook_detail": ("webhook", admin_only(200)),
    "automation:webhook_edit": ("webhook", admin_only(200)),
    "automation:webhook_delete": ("webhook", admin_only(200)),
    "automation:webhook_rotate": ("webhook", admin_only(200)),
    "automation:webhook_test": ("webhook", POST_ONLY),
    "automation:webhook_toggle": ("webhook", POST_ONLY),
    "automation:delivery_detail": ("dead_delivery", admin_only(200)),
    "automation:delivery_retry": ("dead_delivery", POST_ONLY),
    "automation:delivery_replay": ("dead_delivery", POST_ONLY),
    "automation:dead_letters": (None, admin_only(200)),
    "automation:networks": (None, admin_only(200)),
    "automation:network_delete": ("allowed_network", POST_ONLY),
}


def html_views(pk: int = 1) -> list[tuple[str, str]]:
    return [
        (name, reverse(name, args=[pk]) if target else reverse(name))
        for name, (target, _statuses) in VIEWS.items()
    ]


HTML_GET_MATRIX = {name: statuses for name, (_target, statuses) in VIEWS.items()}
# Every write an administrator makes is audited and answered with a redirect.
HTML_POST_MATRIX = {
    name: admin_only(302)
    for name in VIEWS
    if name not in {"automation:webhook_list", "automation:webhook_detail"}
    and name not in {"automation:delivery_detail", "automation:dead_letters"}
}


def _html_url(name: str, path: str, t: Targets) -> str:
    target = VIEWS[name][0]
    if target is None:
        return path
    return reverse(name, args=[getattr(t, target).pk])


def _html_form(name: str, t: Targets) -> dict[str, Any]:
    if name in {"automation:webhook_create", "automation:webhook_edit"}:
        return {
            "url": TARGET_URL,
            "description": "Changed by the matrix",
            "event_types": "deal.won, contact.*",
            "filters": "stage = won",
            "is_active": "on",
            "version": str(t.webhook.version),
        }
    if name == "automation:webhook_toggle":
        return {"is_active": "0", "version": str(t.webhook.version)}
    if name == "automation:networks":
        return {"network": "10.30.0.0/16", "note": "Office"}
    return {"go": "1"}


PART = MatrixPart(
    name="automation",
    api=API_MATRIX,
    api_ids=[
        ("/api/v1/webhooks/", "webhook"),
        ("/api/v1/webhook-deliveries/", "dead_delivery"),
        ("/api/v1/webhook-networks/", "allowed_network"),
    ],
    api_body=_api_body,
    html_get=HTML_GET_MATRIX,
    html_post=HTML_POST_MATRIX,
    html_views=html_views,
    html_url=_html_url,
    html_form=_html_form,
    make_targets=_make_targets,
    state_models=[WebhookEndpoint, Delivery, AllowedNetwork],
)
