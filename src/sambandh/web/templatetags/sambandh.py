"""Template filters for numbers, money and record fields in the active language."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from sambandh.core.money import format_money, format_number

register = template.Library()


@register.filter
def money(amount: Any, currency: str = "INR") -> str:
    """``{{ amount|money:currency }}`` -> ₹1,00,000.00 (Indian grouping for en and hi)."""
    if amount in (None, ""):
        return ""
    try:
        return format_money(Decimal(str(amount)), currency or "INR")
    except (InvalidOperation, ValueError):
        return str(amount)


@register.filter
def number(value: Any) -> str:
    """``{{ n|number }}`` -> 1,00,000."""
    if value in (None, ""):
        return ""
    try:
        return format_number(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """``{{ errors|get_item:field.name }}``: dictionary lookup with a key from a variable."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def change_value(value: Any) -> str:
    """A before/after value from the audit trail as short text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        from django.utils.translation import gettext

        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)
