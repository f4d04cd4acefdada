"""How the webhook form becomes the ``data`` the service takes, and back. Validation stays in
the service; only the shape of the filters (one ``field = value`` per line) is read here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sambandh.automation.models import WebhookEndpoint

INPUTS = ("url", "description", "event_types", "filters", "is_active")
MAX_FILTER_LINES = 50
# Shown under the events input: the names the CRM emits most (any name, prefix.* or * works).
EVENT_EXAMPLES = (
    "contact.*",
    "contact.created",
    "account.*",
    "deal.*",
    "deal.won",
    "deal.lost",
    "deal.stage_changed",
    "activity.*",
    "quote.*",
    "order.*",
    "lead.qualified",
    "webhook.disabled",
    "*",
)
LABELS = {
    "url": gettext_lazy("URL"),
    "description": gettext_lazy("Description"),
    "event_types": gettext_lazy("Events"),
    "filters": gettext_lazy("Filters"),
    "is_active": gettext_lazy("Active"),
}


def values_of(endpoint: WebhookEndpoint | None) -> dict[str, str]:
    """What the form's inputs show for ``endpoint`` (a new one: its defaults)."""
    if endpoint is None:
        return {"url": "", "description": "", "event_types": "", "filters": "", "is_active": "on"}
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": ", ".join(endpoint.event_types or []),
        "filters": filters_text(endpoint.filters or {}),
        "is_active": "on" if endpoint.is_active else "",
        "version": str(endpoint.version),
    }


def filters_text(filters: Mapping[str, Any]) -> str:
    lines = []
    for key, wanted in filters.items():
        options = wanted if isinstance(wanted, list) else [wanted]
        lines.append(f"{key} = {', '.join(str(o) for o in options)}")
    return "\n".join(lines)


def posted(post: QueryDict) -> dict[str, str]:
    """The inputs as typed, to show them again after an error."""
    values = {name: post.get(name, "") for name in INPUTS}
    values["is_active"] = "on" if post.get("is_active") else ""
    values["version"] = post.get("version", "")
    return values


def _filters(text: str, errors: dict[str, list[str]]) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_FILTER_LINES:
        errors.setdefault("filters", []).append(
            _("Write at most %(n)d filters.") % {"n": MAX_FILTER_LINES}
        )
        return {}
    for line in lines:
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            errors.setdefault("filters", []).append(
                _("“%(line)s”: write each filter as field = value, one a line.") % {"line": line}
            )
            continue
        options = [o.strip() for o in value.split(",") if o.strip()]
        filters[key] = options[0] if len(options) == 1 else options
    return filters


def parse(post: QueryDict) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The service's ``data`` from the posted form, and the errors of what it cannot read."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {
        "url": post.get("url", ""),
        "description": post.get("description", ""),
        "event_types": post.get("event_types", ""),
        "filters": _filters(post.get("filters", ""), errors),
        "is_active": bool(post.get("is_active")),
    }
    return data, errors


def version_of(post: QueryDict) -> int:
    """The version the form was made from; a missing or garbled one never matches (409)."""
    try:
        return int(post.get("version", ""))
    except ValueError:
        return -1


def field_errors(fields: Mapping[str, list[str]], message: str) -> dict[str, list[str]]:
    """A service's field errors keyed by the form's inputs; others go to the top (``""``)."""
    errors: dict[str, list[str]] = {}
    for key, messages in fields.items():
        errors.setdefault(key if key in INPUTS else "", []).extend(messages)
    if not errors:
        errors[""] = [message]
    return errors
