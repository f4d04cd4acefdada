"""Money: conversion to the organisation's base currency at the rate of a date, and display
in the user's locale (Indian grouping for hi and en-IN).

Conversion rule (one rule for every total, board and forecast):

* ``ExchangeRate.rate`` is how many base-currency units one unit of ``currency`` was worth.
* An amount dated ``on`` converts at the rate with the latest ``rate_on <= on``. A date after
  the newest rate uses the newest rate (future close dates are forecast at today's rate).
* The base currency converts to itself (rate 1) and needs no row.
* A date before the first rate of its currency has **no rate**: the Python path raises
  :class:`MissingRate` (a ``ValidationError`` with code ``missing_rate`` whose message the UI
  shows); the SQL path yields NULL, which ``Sum`` skips, so aggregates also count the rows
  that could not be converted (see :func:`base_amount`) and show them as "no rate".
* Results are ``Decimal`` rounded ROUND_HALF_UP to 2 places. A total is summed unrounded in
  the database and rounded once, at the end (:func:`round_money`).
"""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import babel.numbers
from django.db import models
from django.db.models.functions import Cast
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sambandh.core.context import request_cache
from sambandh.core.errors import ValidationError
from sambandh.core.models import ExchangeRate, OrganisationSettings

CENT = Decimal("0.01")
_RATES_KEY = "money.rates"
_BASE_KEY = "money.base_currency"


class MissingRate(ValidationError):
    """No exchange rate for ``currency`` on or before ``on``."""

    code = "missing_rate"

    def __init__(self, currency: str, on: dt.date) -> None:
        self.currency = currency
        self.on = on
        super().__init__(
            {
                "currency": [
                    _("No exchange rate for %(currency)s on or before %(date)s.")
                    % {"currency": currency, "date": on.isoformat()}
                ]
            },
            _("No exchange rate for %(currency)s on or before %(date)s.")
            % {"currency": currency, "date": on.isoformat()},
        )


def cents(value: Decimal) -> Decimal:
    """A Decimal rounded to cents, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_money(value: Decimal | int | float | None) -> Decimal | None:
    """Round to cents, half up (floats from SQLite aggregates go through ``str`` first)."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def base_currency() -> str:
    """The organisation's base currency, read once per request."""
    cache = request_cache()
    if cache is not None and _BASE_KEY in cache:
        return str(cache[_BASE_KEY])
    code = OrganisationSettings.get().base_currency
    if cache is not None:
        cache[_BASE_KEY] = code
    return code


def forget_rates() -> None:
    """Drop this request's cached rates and base currency (after a rate or the base changes)."""
    cache = request_cache()
    if cache is not None:
        cache.pop(_RATES_KEY, None)
        cache.pop(_BASE_KEY, None)


class RateTable:
    """All rates of each currency asked for, loaded once (one query per currency).

    Use one directly to convert many amounts outside a request; inside a request
    :func:`to_base` shares one table per request.
    """

    def __init__(self, base: str | None = None) -> None:
        self.base = base or base_currency()
        self._dates: dict[str, list[dt.date]] = {}
        self._rates: dict[str, list[Decimal]] = {}

    def _load(self, currency: str) -> None:
        rows = list(
            ExchangeRate.objects.filter(currency=currency)
            .order_by("rate_on")
            .values_list("rate_on", "rate")
        )
        self._dates[currency] = [r[0] for r in rows]
        self._rates[currency] = [r[1] for r in rows]

    def rate(self, currency: str, on: dt.date) -> Decimal | None:
        """Base units per one ``currency`` on ``on``; None when there is no rate yet."""
        currency = currency.upper()
        if currency == self.base:
            return Decimal(1)
        if currency not in self._dates:
            self._load(currency)
        index = bisect.bisect_right(self._dates[currency], on)
        return self._rates[currency][index - 1] if index else None

    def to_base(self, amount: Decimal, currency: str, on: dt.date) -> Decimal:
        rate = self.rate(currency, on)
        if rate is None:
            raise MissingRate(currency.upper(), on)
        return cents(Decimal(amount) * rate)


def _table() -> RateTable | None:
    cache = request_cache()
    if cache is None:
        return None
    table = cache.get(_RATES_KEY)
    if table is None:
        table = cache[_RATES_KEY] = RateTable()
    return table  # type: ignore[no-any-return]


def rate_on(currency: str, on: dt.date) -> Decimal | None:
    """The rate that converts ``currency`` on ``on`` (1 for the base); None if there is none."""
    table = _table()
    if table is not None:
        return table.rate(currency, on)
    currency = currency.upper()
    if currency == base_currency():
        return Decimal(1)
    return (
        ExchangeRate.objects.filter(currency=currency, rate_on__lte=on)
        .order_by("-rate_on")
        .values_list("rate", flat=True)
        .first()
    )


def to_base(amount: Decimal, currency: str, on: dt.date) -> Decimal:
    """``amount`` of ``currency`` in the base currency at the rate of ``on``.

    Raises :class:`MissingRate` when ``currency`` has no rate on or before ``on``.
    Inside a request the rates are read once per currency (a per-request table).
    """
    rate = rate_on(currency, on)
    if rate is None:
        raise MissingRate(currency.upper(), on)
    return cents(Decimal(amount) * rate)


def to_base_or_none(amount: Decimal, currency: str, on: dt.date) -> Decimal | None:
    """Like :func:`to_base`, but None when there is no rate (show it as "no rate")."""
    try:
        return to_base(amount, currency, on)
    except MissingRate:
        return None


# ------------------------------------------------------------------ SQL (aggregates)

_RATE_FIELD = models.DecimalField(max_digits=18, decimal_places=8)
_MONEY_FIELD = models.DecimalField(max_digits=30, decimal_places=10)


def rate_subquery(date_field: str, currency_field: str = "currency") -> models.Subquery:
    """The rate of each row's currency at its own date, as a correlated subquery.

    NULL when the row's currency has no rate on or before the date. Does not know about the
    base currency: use :func:`conversion_rate` or :func:`base_amount` for that.
    """
    return models.Subquery(
        ExchangeRate.objects.filter(
            currency=models.OuterRef(currency_field), rate_on__lte=models.OuterRef(date_field)
        )
        .order_by("-rate_on")
        .values("rate")[:1],
        output_field=_RATE_FIELD,
    )


def conversion_rate(
    date_field: str, currency_field: str = "currency", base: str | None = None
) -> models.Case:
    """1 for rows already in the base currency, else the rate of their date (or NULL)."""
    base = base or base_currency()
    return models.Case(
        models.When(**{currency_field: base}, then=models.Value(Decimal(1), _RATE_FIELD)),
        default=rate_subquery(date_field, currency_field),
        output_field=_RATE_FIELD,
    )


def base_amount(
    amount: str | models.Expression | models.F,
    date_field: str,
    currency_field: str = "currency",
    base: str | None = None,
) -> models.Expression:
    """An expression for ``amount`` converted to the base currency at each row's date.

    Sum it in the database (``Sum(base_amount("amount", "closed_on"))``) and round the
    total with :func:`round_money`. Rows without a rate give NULL; count them with
    ``Count("pk", filter=Q(...))`` over :func:`conversion_rate` being NULL when it matters.
    """
    value = models.F(amount) if isinstance(amount, str) else amount
    return models.ExpressionWrapper(
        Cast(value, _MONEY_FIELD) * conversion_rate(date_field, currency_field, base),
        output_field=_MONEY_FIELD,
    )


def first_rate_dates() -> dict[str, dt.date]:
    """The date of each currency's first rate (one small query on the rates' index)."""
    return dict(
        ExchangeRate.objects.order_by()
        .values("currency")
        .annotate(first=models.Min("rate_on"))
        .values_list("currency", "first")
    )


def missing_rate_q(
    date_field: str,
    currency_field: str = "currency",
    base: str | None = None,
    first: dict[str, dt.date] | None = None,
) -> models.Q:
    """Rows that :func:`conversion_rate` leaves NULL, as a plain filter (no subquery): not in
    the base currency, and dated before their currency's first rate (or it has none)."""
    base = base or base_currency()
    first = first_rate_dates() if first is None else first
    rated = {c: d for c, d in first.items() if c != base}
    missing = ~models.Q(**{f"{currency_field}__in": sorted(rated)}) if rated else models.Q()
    for currency, day in sorted(rated.items()):
        missing |= models.Q(**{currency_field: currency, f"{date_field}__lt": day})
    return ~models.Q(**{currency_field: base}) & missing


# ------------------------------------------------------------------ display


def babel_locale(language: str | None = None) -> str:
    """India is the home market: English users see en_IN grouping, Hindi users hi_IN."""
    lang = (language or get_language() or "en").lower()
    if lang.startswith("hi"):
        return "hi_IN"
    if lang in {"en-us", "en_us"}:
        return "en_US"
    return "en_IN"


def format_money(amount: Decimal | None, currency: str, language: str | None = None) -> str:
    """``amount`` with its currency's symbol and digits, grouped for the user's locale.

    Currencies without a local symbol show their ISO code, separated by a no-break space
    (``AED 1,250.00``, not ``AED1,250.00``).
    """
    if amount is None:
        return ""
    code = (currency or "INR").upper()
    locale = babel_locale(language)
    text = str(babel.numbers.format_currency(amount, code, locale=locale))
    symbol = str(babel.numbers.get_currency_symbol(code, locale=locale))
    if symbol and symbol[-1].isalpha():
        at = text.find(symbol)
        end = at + len(symbol)
        if at >= 0 and end < len(text) and (text[end].isdigit() or text[end] in "-\u2212"):
            text = text[:end] + "\u00a0" + text[end:]
    return text


def format_number(value: Decimal | int | float | None, language: str | None = None) -> str:
    if value is None:
        return ""
    return str(babel.numbers.format_decimal(value, locale=babel_locale(language)))


__all__ = [
    "cents",
    "MissingRate",
    "RateTable",
    "base_amount",
    "base_currency",
    "conversion_rate",
    "format_money",
    "first_rate_dates",
    "format_number",
    "forget_rates",
    "missing_rate_q",
    "rate_on",
    "rate_subquery",
    "round_money",
    "to_base",
    "to_base_or_none",
]
