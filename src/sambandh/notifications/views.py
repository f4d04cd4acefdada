"""The notifications page, marking read (one or all), and the daily digest preference.
Thin: parse, call a selector or a service, render. Every form works without JavaScript;
htmx swaps the changed item (and the bell) in place."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sambandh.core.errors import ValidationError
from sambandh.core.models import User
from sambandh.notifications import selectors, services
from sambandh.notifications.services import DIGEST_HOURS
from sambandh.web.http import (
    HtmxRequest,
    actor_of,
    fragment_or_page,
    page_view,
    wants_fragment,
)

PAGE = 50


def _local_path(request: HtmxRequest, target: str) -> str | None:
    """``target`` if it is a path of this site (never "//elsewhere")."""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _list_context(request: HtmxRequest, actor: User) -> dict[str, Any]:
    unread = request.GET.get("unread") == "1"
    cursor = request.GET.get("cursor") or None
    page = selectors.notification_list(actor=actor, unread=unread, cursor=cursor, limit=PAGE)
    next_url = None
    if page.next_cursor:
        query = request.GET.copy()
        query["cursor"] = page.next_cursor
        next_url = f"{reverse('notifications:list')}?{query.urlencode()}"
    return {
        "page": page,
        "unread": unread,
        "next_url": next_url,
        # "Mark all as read" covers what the first page shows, not what arrives meanwhile.
        "up_to": page.items[0].pk if page.items and cursor is None else "",
    }


@require_http_methods(["GET"])
@page_view
def notification_list(request: HtmxRequest) -> HttpResponse:
    """The signed-in user's notifications, newest first, unread ones marked; "More" loads
    the next page (keyset). ``?unread=1`` shows only the unread ones."""
    actor = actor_of(request)
    context = _list_context(request, actor)
    template = (
        "notifications/list.html#rows" if wants_fragment(request) else "notifications/list.html"
    )
    return fragment_or_page(request, render(request, template, context))


@page_view
@require_http_methods(["POST"])
def notification_read(request: HtmxRequest, pk: int) -> HttpResponse:
    """Mark one notification read. With ``go``, then follow its link (clicking an item);
    htmx gets the item back, read, and the bell's new count."""
    actor = actor_of(request)
    notification = selectors.notification_get(actor=actor, pk=pk)
    services.notification_mark_read(actor=actor, notification=notification)
    if request.POST.get("go"):
        target = _local_path(request, notification.link)
        if target:
            return redirect(target)
    if wants_fragment(request):
        html = render_to_string("notifications/_marked.html", {"n": notification}, request=request)
        return HttpResponse(html)
    target = _local_path(request, request.POST.get("next", ""))
    return redirect(target or reverse("notifications:list"))


@page_view
@require_http_methods(["POST"])
def notification_read_all(request: HtmxRequest) -> HttpResponse:
    """Mark all of the user's notifications read (up to the newest the page showed)."""
    actor = actor_of(request)
    raw = request.POST.get("up_to", "").strip()
    up_to = int(raw) if raw.isdigit() and len(raw) < 19 else None
    services.notifications_mark_all_read(actor=actor, up_to_id=up_to)
    if wants_fragment(request):
        context = _list_context(request, actor)
        return render(request, "notifications/_all_read.html", context)
    messages.success(request, _("All notifications are marked as read."))
    target = _local_path(request, request.POST.get("next", ""))
    return redirect(target or reverse("notifications:list"))


# ---------------------------------------------------------------- digest preference


def preferences_context(user: Any, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the digest form shows: saved values (or the ones just posted) and the hours."""
    if values is None:
        preference = services.notification_preference_get(user=user)
        values = {
            "digest_enabled": preference.digest_enabled,
            "digest_hour": preference.digest_hour,
        }
    return {
        "values": values,
        "hours": [(h, f"{h:02d}:00") for h in DIGEST_HOURS],
        "time_zone": getattr(user, "time_zone", ""),
    }


@require_http_methods(["GET", "POST"])
@page_view
def notification_preferences(request: HtmxRequest) -> HttpResponse:
    """The daily email digest: on or off, and at which hour of the user's day."""
    actor = actor_of(request)
    errors: dict[str, list[str]] = {}
    values = None
    status = 200
    if request.method == "POST":
        data = {
            "digest_enabled": request.POST.get("digest_enabled") in {"on", "1", "true"},
            "digest_hour": request.POST.get("digest_hour", ""),
        }
        try:
            services.notification_preference_update(actor=actor, user=actor, data=data)
        except ValidationError as exc:
            errors, status = exc.fields, exc.status
            values = data
        else:
            messages.success(request, _("Your email digest settings were saved."))
            target = _local_path(request, request.POST.get("next", ""))
            return redirect(target or reverse("notifications:preferences"))
    context = {
        **preferences_context(actor, values),
        "errors": errors,
        "next": request.POST.get("next", "") if request.method == "POST" else "",
    }
    return render(request, "notifications/preferences.html", context, status=status)
