"""HTML for webhooks, administrators only: the endpoints (list, create, edit, delete), one
endpoint's page (its secret behind "Show", rotate, test message, turn on or off, the delivery
log), a delivery's page (the body and every attempt, retry and replay), the dead letters
across endpoints and the allowed private networks. Thin: parse, call a selector or a
service, render. Everyone else gets the 403 page from the selectors and services."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sambandh.automation import forms, selectors, services
from sambandh.automation.models import Delivery, DeliveryState, WebhookEndpoint
from sambandh.core.errors import Conflict, ValidationError
from sambandh.core.pagination import Page
from sambandh.web.http import HtmxRequest, actor_of, fragment_or_page, page_view, wants_fragment

LOG_PAGE = 50


def _reason(endpoint: WebhookEndpoint) -> str:
    """Why an endpoint that is off was turned off, in words."""
    if endpoint.is_active:
        return ""
    if endpoint.disabled_reason == "failing":
        return _("its deliveries failed for the whole retry window")
    return endpoint.disabled_reason or _("turned off by an administrator")


def _next_url(request: HttpRequest, page: Page[Any], **params: str) -> str | None:
    if not page.next_cursor:
        return None
    query = {k: v for k, v in params.items() if v}
    query["cursor"] = page.next_cursor
    return f"{request.path}?{urlencode(query)}"


# ---------------------------------------------------------------- endpoints


@page_view
@require_http_methods(["GET"])
def webhook_list(request: HtmxRequest) -> HttpResponse:
    """Every endpoint: URL, events, on or off (and why), the state of its latest delivery."""
    actor = actor_of(request)
    page = selectors.webhook_list(
        actor=actor, cursor=request.GET.get("cursor") or None, limit=LOG_PAGE
    )
    labels = dict(DeliveryState.choices)
    rows = [
        {
            "endpoint": e,
            "reason": _reason(e),
            "last_state": labels.get(getattr(e, "last_delivery_state", None) or "", ""),
        }
        for e in page.items
    ]
    context = {"rows": rows, "next_url": _next_url(request, page)}
    if wants_fragment(request) and request.GET.get("cursor"):
        return fragment_or_page(
            request, render(request, "automation/webhook_list.html#rows", context)
        )
    return fragment_or_page(request, render(request, "automation/webhook_list.html", context))


def _form_page(
    request: HttpRequest,
    endpoint: WebhookEndpoint | None,
    values: dict[str, str],
    errors: dict[str, list[str]],
    status: int = 200,
    conflict: bool = False,
) -> HttpResponse:
    inputs = {
        name: {"name": name, "label": forms.LABELS[name], "errors": errors.get(name, [])}
        for name in forms.INPUTS
    }
    context = {
        "endpoint": endpoint,
        "values": values,
        "inputs": inputs,
        "form_errors": errors.get("", []),
        "conflict": conflict,
        "event_examples": forms.EVENT_EXAMPLES,
    }
    return render(request, "automation/webhook_form.html", context, status=status)


def _save(request: HttpRequest, endpoint: WebhookEndpoint | None) -> HttpResponse:
    actor = actor_of(request)
    values = forms.posted(request.POST)
    data, errors = forms.parse(request.POST)
    if errors:
        return _form_page(request, endpoint, values, errors, status=400)
    try:
        if endpoint is None:
            endpoint = services.endpoint_create(actor=actor, data=data)
            messages.success(request, _("Webhook created. Its signing secret is on this page."))
        else:
            services.endpoint_update(
                actor=actor, endpoint=endpoint, data=data, version=forms.version_of(request.POST)
            )
            messages.success(request, _("Saved."))
    except Conflict as error:
        return _form_page(request, endpoint, values, {"": [error.message]}, 409, conflict=True)
    except ValidationError as error:
        errors = forms.field_errors(error.fields, error.message)
        return _form_page(request, endpoint, values, errors, status=400)
    return redirect("automation:webhook_detail", endpoint.pk)


@page_view
@require_http_methods(["GET", "POST"])
def webhook_create(request: HtmxRequest) -> HttpResponse:
    services.require_admin(actor_of(request))
    if request.method == "POST":
        return _save(request, None)
    return _form_page(request, None, forms.values_of(None), {})


@page_view
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HtmxRequest, pk: int) -> HttpResponse:
    endpoint = selectors.webhook_get(actor=actor_of(request), pk=pk)
    if request.method == "POST":
        return _save(request, endpoint)
    return _form_page(request, endpoint, forms.values_of(endpoint), {})


@page_view
@require_http_methods(["GET", "POST"])
def webhook_delete(request: HtmxRequest, pk: int) -> HttpResponse:
    """Ask first (GET); delete with the delivery log on POST."""
    actor = actor_of(request)
    endpoint = selectors.webhook_get(actor=actor, pk=pk)
    if request.method == "POST":
        services.endpoint_delete(actor=actor, endpoint=endpoint)
        messages.success(request, _("Webhook deleted."))
        return redirect("automation:webhook_list")
    return render(request, "automation/webhook_delete.html", {"endpoint": endpoint})


@page_view
@require_http_methods(["GET"])
def webhook_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    """An endpoint: its settings, its secret behind "Show", its actions and its delivery
    log, newest first ("More": keyset; htmx gets only the rows)."""
    actor = actor_of(request)
    endpoint = selectors.webhook_get(actor=actor, pk=pk)
    state = request.GET.get("state", "")
    errors: list[str] = []
    page: Page[Delivery] = Page(items=[], next_cursor=None)
    try:
        page = selectors.delivery_list(
            actor=actor,
            endpoint=endpoint,
            state=state,
            cursor=request.GET.get("cursor") or None,
            limit=LOG_PAGE,
        )
    except ValidationError as error:
        errors = [m for texts in error.fields.values() for m in texts] or [error.message]
    context = {
        "endpoint": endpoint,
        "reason": _reason(endpoint),
        "page": page,
        "state": state,
        "states": DeliveryState.choices,
        "list_errors": errors,
        "next_url": _next_url(request, page, state=state),
        "filters_text": forms.filters_text(endpoint.filters or {}),
    }
    if wants_fragment(request) and request.GET.get("cursor"):
        return fragment_or_page(
            request, render(request, "automation/webhook_detail.html#rows", context)
        )
    status = 400 if errors else 200
    return fragment_or_page(
        request, render(request, "automation/webhook_detail.html", context, status=status)
    )


@page_view
@require_http_methods(["GET", "POST"])
def webhook_rotate_secret(request: HtmxRequest, pk: int) -> HttpResponse:
    """Ask first (GET): the receiver must learn the new secret, or it refuses what follows."""
    actor = actor_of(request)
    endpoint = selectors.webhook_get(actor=actor, pk=pk)
    if request.method == "POST":
        services.endpoint_rotate_secret(actor=actor, endpoint=endpoint)
        messages.success(
            request,
            _("A new signing secret signs every message from now on. Give it to the receiver."),
        )
        return redirect("automation:webhook_detail", endpoint.pk)
    return render(request, "automation/webhook_rotate.html", {"endpoint": endpoint})


@page_view
@require_http_methods(["POST"])
def webhook_test(request: HtmxRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    endpoint = selectors.webhook_get(actor=actor, pk=pk)
    services.endpoint_send_test(actor=actor, endpoint=endpoint)
    if endpoint.is_active:
        messages.success(request, _("A test message is on its way; see the delivery log."))
    else:
        messages.success(
            request, _("A test message is waiting; it is sent once the webhook is turned on.")
        )
    return redirect("automation:webhook_detail", endpoint.pk)


@page_view
@require_http_methods(["POST"])
def webhook_toggle(request: HtmxRequest, pk: int) -> HttpResponse:
    """Turn an endpoint on or off (``is_active`` = 1 or 0), from the version on the page."""
    actor = actor_of(request)
    endpoint = selectors.webhook_get(actor=actor, pk=pk)
    turn_on = request.POST.get("is_active") == "1"
    services.endpoint_update(
        actor=actor,
        endpoint=endpoint,
        data={"is_active": turn_on},
        version=forms.version_of(request.POST),
    )
    messages.success(request, _("Webhook turned on.") if turn_on else _("Webhook turned off."))
    return redirect("automation:webhook_detail", endpoint.pk)


# ---------------------------------------------------------------- deliveries


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


@page_view
@require_http_methods(["GET"])
def delivery_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    """A delivery: the message as sent and every attempt with what came back."""
    actor = actor_of(request)
    delivery = selectors.delivery_get(actor=actor, pk=pk)
    attempts = selectors.delivery_attempts(actor=actor, delivery=delivery)
    context = {
        "delivery": delivery,
        "endpoint": delivery.endpoint,
        "body": _pretty(delivery.body),
        "attempts": attempts,
        "is_dead": delivery.state == DeliveryState.DEAD,
    }
    return render(request, "automation/delivery_detail.html", context)


def _back(request: HttpRequest, fallback: str) -> str:
    # Only our own pages: the form says where it was posted from.
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


@page_view
@require_http_methods(["POST"])
def delivery_retry(request: HtmxRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    delivery = selectors.delivery_get(actor=actor, pk=pk)
    services.delivery_retry(actor=actor, delivery=delivery)
    messages.success(request, _("The delivery will be sent again now."))
    return redirect(_back(request, reverse("automation:delivery_detail", args=[delivery.pk])))


@page_view
@require_http_methods(["POST"])
def delivery_replay(request: HtmxRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    delivery = selectors.delivery_get(actor=actor, pk=pk)
    replay = services.delivery_replay(actor=actor, delivery=delivery)
    messages.success(request, _("The message will be sent again, with the same webhook-id."))
    return redirect("automation:delivery_detail", replay.pk)


@page_view
@require_http_methods(["GET"])
def dead_letters(request: HtmxRequest) -> HttpResponse:
    """Deliveries that failed for good, across endpoints, newest first, each with Retry."""
    actor = actor_of(request)
    page = selectors.delivery_list(
        actor=actor,
        state=DeliveryState.DEAD,
        cursor=request.GET.get("cursor") or None,
        limit=LOG_PAGE,
    )
    context = {"page": page, "next_url": _next_url(request, page)}
    if wants_fragment(request) and request.GET.get("cursor"):
        return fragment_or_page(
            request, render(request, "automation/dead_letters.html#rows", context)
        )
    return fragment_or_page(request, render(request, "automation/dead_letters.html", context))


# ---------------------------------------------------------------- allowed networks


@page_view
@require_http_methods(["GET", "POST"])
def networks(request: HtmxRequest) -> HttpResponse:
    """The private networks webhook requests may reach, and a form to add one."""
    actor = actor_of(request)
    values = {"network": "", "note": ""}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            services.allowed_network_add(
                actor=actor, network=values["network"], note=values["note"]
            )
        except ValidationError as error:
            errors = {}
            for key, texts in error.fields.items():
                errors.setdefault(key if key in values else "", []).extend(texts)
            status = 400
        else:
            messages.success(request, _("Network allowed."))
            return redirect("automation:networks")
    page = selectors.network_list(actor=actor, cursor=request.GET.get("cursor") or None)
    context = {
        "page": page,
        "next_url": _next_url(request, page),
        "values": values,
        "errors": errors,
        "form_errors": errors.get("", []),
    }
    return render(request, "automation/networks.html", context, status=status)


@page_view
@require_http_methods(["POST"])
def network_delete(request: HtmxRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    allowed = selectors.network_get(actor=actor, pk=pk)
    services.allowed_network_remove(actor=actor, allowed=allowed)
    messages.success(request, _("Network removed."))
    return redirect("automation:networks")
