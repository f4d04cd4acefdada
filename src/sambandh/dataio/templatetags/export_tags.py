"""``{% export_menu "deal" %}``: the Export menu of a list page (deals, orders, activities),
shown to those who may export that kind of record. It posts the list's query string, the
page's selection, to the list's export URL."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import has_grant
from sambandh.dataio.exports.kinds import KINDS

register = template.Library()

EXPORT_URLS: dict[str, str] = {
    ObjectType.DEAL: "sales:deal_export",
    ObjectType.ORDER: "sales:order_export",
    ObjectType.ACTIVITY: "activities:export",
}
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel", "json": "JSON", "vcf": "vCard"}


@register.inclusion_tag("dataio/exports/menu.html", takes_context=True)
def export_menu(context: template.Context, object_type: str) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    if not isinstance(user, User) or not has_grant(user, object_type, Action.EXPORT):
        return {"show": False}
    query = request.GET.copy()
    for name in ("cursor", "format"):
        query.pop(name, None)
    action = reverse(EXPORT_URLS[object_type])
    return {
        "show": True,
        "action": f"{action}?{query.urlencode()}" if query else action,
        "formats": [(fmt, FORMAT_LABELS[fmt]) for fmt in KINDS[object_type].formats],
        "csrf_token": context.get("csrf_token"),
    }
