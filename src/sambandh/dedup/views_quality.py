"""HTML pages of dedup: the duplicate review queue and the data-quality page.

The queue shows one keyset page of exact duplicate groups, found over the records the actor
may read (the engine applies the scope), with a link to compare and merge each group. The
data-quality page shows the latest org-wide snapshot to those allowed (``quality`` module).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from sambandh.contacts.models import Account, Contact
from sambandh.core.errors import PermissionDenied, ValidationError
from sambandh.core.models import ObjectType
from sambandh.core.permissions import visible
from sambandh.dedup.exact import exact_groups, exact_rule
from sambandh.dedup.quality import (
    quality_spec,
    quality_types,
    snapshot_latest,
    snapshot_recompute_requested,
)
from sambandh.web.http import HtmxRequest, actor_of, page_view

QUEUE_PAGE = 25

# (object type, rule, label): the tabs of the review queue; the first of a type is its default.
QUEUE_RULES = (
    (ObjectType.CONTACT, "email", gettext_lazy("Contacts by email")),
    (ObjectType.CONTACT, "phone", gettext_lazy("Contacts by phone")),
    (ObjectType.ACCOUNT, "domain", gettext_lazy("Companies by domain")),
    (ObjectType.ACCOUNT, "phone", gettext_lazy("Companies by phone")),
)
# The merge pages (web:contact_merge / web:account_merge) take the ids of one group.
MERGE_PATHS: dict[str, str] = {
    ObjectType.CONTACT: "/contacts/merge/",
    ObjectType.ACCOUNT: "/accounts/merge/",
}


def _queue_choice(params: Any) -> tuple[str, str]:
    object_type = params.get("object") or ObjectType.CONTACT
    if object_type not in MERGE_PATHS:
        raise ValidationError({"object": [_("Choose contacts or companies.")]})
    default = next(rule for ot, rule, _label in QUEUE_RULES if ot == object_type)
    rule = params.get("rule") or default
    exact_rule(object_type, rule)
    return object_type, rule


def _queue_url(object_type: str, rule: str, cursor: str | None = None) -> str:
    query = {"object": object_type, "rule": rule}
    if cursor:
        query["cursor"] = cursor
    return f"{reverse('web:duplicates')}?{urlencode(query)}"


@page_view
@require_GET
def duplicates(request: HtmxRequest) -> HttpResponse:
    """One page of exact duplicate groups of the chosen object and rule."""
    actor = actor_of(request)
    object_type, rule = _queue_choice(request.GET)
    page = exact_groups(
        actor=actor,
        object_type=object_type,
        rule=rule,
        cursor=request.GET.get("cursor") or None,
        limit=QUEUE_PAGE,
    )
    model: type[Contact] | type[Account] = Contact if object_type == ObjectType.CONTACT else Account
    ids = [pk for group in page.items for pk in group.ids]
    records: dict[int, Any] = {
        obj.pk: obj
        for obj in visible(actor, model).filter(pk__in=ids).select_related("owner").order_by()
    }
    groups = []
    for group in page.items:
        members = [records[pk] for pk in group.ids if pk in records]
        ids_text = ",".join(str(obj.pk) for obj in members)
        groups.append(
            {
                "key": group.key,
                "records": members,
                # Plain ids with literal commas: the merge page reads ``ids=1,2,3``.
                "merge_url": f"{MERGE_PATHS[object_type]}?ids={ids_text}",
            }
        )
    tabs = [
        {"label": label, "url": _queue_url(ot, r), "current": (ot, r) == (object_type, rule)}
        for ot, r, label in QUEUE_RULES
    ]
    context = {
        "object_type": object_type,
        "rule": rule,
        "tabs": tabs,
        "groups": groups,
        "is_first_page": not request.GET.get("cursor"),
        "next_url": _queue_url(object_type, rule, page.next_cursor) if page.next_cursor else "",
        "detail_url": f"web:{object_type}_detail",
    }
    return render(request, "dedup/queue.html", context)


def _section(actor: Any, object_type: str) -> dict[str, Any]:
    spec = quality_spec(object_type)
    snapshot = snapshot_latest(actor=actor, object_type=object_type)
    section: dict[str, Any] = {
        "object_type": object_type,
        "title": _("Contacts") if object_type == ObjectType.CONTACT else _("Companies"),
        "snapshot": snapshot,
    }
    if snapshot is None:
        return section
    figures = snapshot.figures
    total = int(figures.get("total") or 0)
    filled = figures.get("filled", {})

    def share(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    section["total"] = total
    section["fields"] = [
        {"label": label, "filled": filled.get(name, 0), "share": share(filled.get(name, 0))}
        for name, label in spec.fields
    ]
    section["invalid_emails"] = figures.get("invalid_emails")
    section["phones_not_e164"] = figures.get("phones_not_e164", 0)
    section["stale"] = figures.get("stale", 0)
    section["stale_days"] = figures.get("stale_days", 365)
    rule_labels = {"email": _("Email"), "phone": _("Phone"), "domain": _("Domain")}
    section["duplicates"] = [
        {"label": rule_labels.get(rule, rule), "url": _queue_url(object_type, rule), **counts}
        for rule, counts in figures.get("duplicates", {}).items()
    ]
    return section


@page_view
@require_http_methods(["GET", "POST"])
def data_quality(request: HtmxRequest) -> HttpResponse:
    """The latest figures per object type; POST ``object`` asks for a recompute."""
    actor = actor_of(request)
    if request.method == "POST":
        object_type = request.POST.get("object", "")
        snapshot_recompute_requested(actor=actor, object_type=object_type)
        messages.success(
            request, _("Recomputing the figures. Reload this page in a minute to see them.")
        )
        return redirect("web:data_quality")
    types = quality_types(actor)
    if not types:
        raise PermissionDenied()
    sections = [_section(actor, object_type) for object_type in types]
    return render(request, "dedup/quality.html", {"sections": sections})
