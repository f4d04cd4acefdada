"""The bell in the header, a notification's words, and the digest form on "My settings"."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import ngettext

from sambandh.core.models import User
from sambandh.notifications.models import Notification

register = template.Library()


def bell_context(user: Any, *, oob: bool = False) -> dict[str, Any]:
    """The bell's link and unread count (one query with a LIMIT; "99+" beyond 99)."""
    from sambandh.notifications.selectors import BELL_MAX, unread_count

    if not isinstance(user, User) or not user.is_authenticated:
        return {"show": False}
    count, more = unread_count(actor=user)
    shown = f"{BELL_MAX}+" if more else str(count)
    label = (
        ngettext("%(n)s unread notification", "%(n)s unread notifications", count) % {"n": shown}
        if count
        else ""
    )
    return {"show": True, "count": count, "shown": shown, "label": label, "oob": oob}


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context: template.Context, oob: bool = False) -> dict[str, Any]:
    """``{% notification_bell %}``: the bell link with the unread count, for the header;
    ``oob=True`` renders it for htmx to swap into the header after a change."""
    request = context.get("request")
    return bell_context(getattr(request, "user", None), oob=oob)


@register.filter
def notification_text(notification: Notification) -> str:
    """The notification's message in the language active now (the reader's)."""
    from sambandh.notifications.rendering import notification_text as render

    return render(notification)


@register.filter
def notification_kind(kind: str) -> str:
    from sambandh.notifications.rendering import kind_label

    return kind_label(kind)


@register.inclusion_tag("notifications/_preferences_form.html", takes_context=True)
def digest_preferences_form(context: template.Context) -> dict[str, Any]:
    """``{% digest_preferences_form %}``: the daily digest's form (it posts to its own view)."""
    from sambandh.notifications.views import preferences_context

    request = context["request"]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path(),
        "errors": {},
        **preferences_context(request.user),
    }
