"""Template tags for the purchase-history panel on contact and company pages."""

from __future__ import annotations

from typing import Any

from django import template

from sambandh.contacts.models import Account, Contact
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import has_grant
from sambandh.sales.selectors.catalog import PurchaseHistory
from sambandh.sales.selectors.catalog import purchase_history as _history

register = template.Library()


@register.simple_tag(takes_context=True)
def purchase_history(context: dict[str, Any], obj: Any) -> PurchaseHistory | None:
    """The panel's data (two queries), or None when the viewer may not read orders."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not isinstance(obj, Contact | Account):
        return None
    if not has_grant(user, ObjectType.ORDER, Action.READ):
        return None
    return _history(actor=user, obj=obj)
