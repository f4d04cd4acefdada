"""The activity panel on record pages and the reminder badge in the navigation."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sambandh.core.models import User

register = template.Library()


@register.inclusion_tag("activities/_panel.html", takes_context=True)
def activity_panel(context: template.Context, parent: Any) -> dict[str, Any]:
    """``{% activity_panel obj %}``: quick forms and the timeline of a contact, company or deal."""
    from sambandh.activities.views import panel_context

    request = context["request"]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        **panel_context(request.user, parent),
    }


@register.simple_tag(takes_context=True)
def reminder_badge(context: template.Context) -> SafeString | str:
    """The count of due reminders after "My day" (one indexed query); nothing when none."""
    from sambandh.activities.selectors import BADGE_MAX, reminder_count

    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return ""
    count = reminder_count(actor=user)
    if not count:
        return ""
    shown = f"{BADGE_MAX}+" if count > BADGE_MAX else str(count)
    label = ngettext("%(n)s reminder due", "%(n)s reminders due", count) % {"n": shown}
    return format_html(
        '<span class="badge" data-testid="reminder-badge" title="{}" style="margin-left:.35em;'
        'padding:0 .45em;border-radius:1em;background:#b91c1c;color:#fff;font-size:.8em">'
        '<span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}</span></span>',
        label,
        shown,
        label,
    )


@register.filter
def kind_label(kind: str) -> str:
    from sambandh.activities.models import ActivityKind

    try:
        return str(ActivityKind(kind).label)
    except ValueError:
        return kind


@register.filter
def duration(seconds: Any) -> str:
    """Seconds as minutes for people: ``5 min``."""
    if seconds in (None, ""):
        return ""
    minutes = round(int(seconds) / 60)
    return _("%(n)d min") % {"n": minutes}
