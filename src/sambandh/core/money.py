"""Money and number display in the user's locale (Indian grouping for hi and en-IN)."""

from __future__ import annotations

from decimal import Decimal

import babel.numbers
from django.utils.translation import get_language


def babel_locale(language: str | None = None) -> str:
    """India is the home market: English users see en_IN grouping, Hindi users hi_IN."""
    lang = (language or get_language() or "en").lower()
    if lang.startswith("hi"):
        return "hi_IN"
    if lang in {"en-us", "en_us"}:
        return "en_US"
    return "en_IN"


def format_money(amount: Decimal | None, currency: str, language: str | None = None) -> str:
    if amount is None:
        return ""
    return str(
        babel.numbers.format_currency(amount, currency or "INR", locale=babel_locale(language))
    )


def format_number(value: Decimal | int | float | None, language: str | None = None) -> str:
    if value is None:
        return ""
    return str(babel.numbers.format_decimal(value, locale=babel_locale(language)))
