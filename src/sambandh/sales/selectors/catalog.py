"""Reads of products, price books, quotes and orders, scoped by ``visible()``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.db.models import Case, Count, IntegerField, Max, Q, Sum, Value, When
from django.db.models.lookups import IsNull
from django.utils.translation import gettext as _

from sambandh.contacts.models import Account, Contact
from sambandh.core import money
from sambandh.core.errors import NotFound, ValidationError
from sambandh.core.models import Action, User
from sambandh.core.pagination import Page, SortKey, paginate
from sambandh.core.permissions import get_visible, visible
from sambandh.sales.models import (
    Deal,
    Order,
    OrderLine,
    OrderStatus,
    PriceBook,
    PriceBookEntry,
    Product,
    Quote,
    QuoteLine,
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
PRODUCT_SORT = SortKey("name", ("name_en", "id"))
ORDER_SORT = SortKey("ordered_on", ("ordered_on", "id"))
QUOTE_SORT = SortKey("created", ("created_at", "id"))
HISTORY_SHOWN = 10


def _limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": [_("Enter a number from 1 to 200.")]})
    return limit


def _bool(value: str | None, name: str) -> bool | None:
    if value in (None, ""):
        return None
    if value in {"true", "1", "yes"}:
        return True
    if value in {"false", "0", "no"}:
        return False
    raise ValidationError({name: [_("Enter yes or no.")]})


# ---------------------------------------------------------------- products


def product_list(
    *,
    actor: User,
    q: str | None = None,
    active: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Product]:
    """Products by name; ``q`` matches SKU or either name; ``active`` is true/false."""
    qs = visible(actor, Product)
    is_active = _bool(active, "active")
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    if q:
        text = q.strip()[:200]
        qs = qs.filter(
            Q(sku__icontains=text) | Q(name_en__icontains=text) | Q(name_hi__icontains=text)
        )
    return paginate(qs, sort=PRODUCT_SORT, descending=False, cursor=cursor, limit=_limit(limit))


def product_get(*, actor: User, pk: Any, action: str = Action.READ) -> Product:
    return get_visible(actor, Product, pk, action)


def product_choices(*, actor: User) -> list[Product]:
    """Active products for a line's product picker (bounded)."""
    return list(visible(actor, Product).filter(is_active=True).order_by("name_en", "id")[:500])


# ---------------------------------------------------------------- price books


def price_book_list(*, actor: User) -> list[PriceBook]:
    return list(visible(actor, PriceBook).order_by("name", "id")[:500])


def price_book_get(*, actor: User, pk: Any, action: str = Action.READ) -> PriceBook:
    return get_visible(actor, PriceBook, pk, action)


def price_book_entries(*, actor: User, price_book: PriceBook) -> list[PriceBookEntry]:
    """The prices of a price book (the book itself was fetched through ``price_book_get``)."""
    return list(
        PriceBookEntry.objects.filter(price_book=price_book)
        .select_related("product")
        .order_by("product__name_en", "product_id", "currency")[:5000]
    )


# ---------------------------------------------------------------- quotes


def deal_get(*, actor: User, pk: Any) -> Deal:
    return get_visible(actor, Deal, pk)


def quote_list_for_deal(*, actor: User, deal: Deal) -> list[Quote]:
    """A deal's quotes, newest first (bounded: a deal has a handful)."""
    return list(
        visible(actor, Quote)
        .filter(deal=deal)
        .prefetch_related(
            models.Prefetch("lines", queryset=QuoteLine.objects.select_related("product"))
        )
        .order_by("-number", "-revision", "-id")[:200]
    )


def quote_get(*, actor: User, pk: Any, action: str = Action.READ) -> Quote:
    return get_visible(actor, Quote, pk, action)


def quote_detail(*, actor: User, pk: Any) -> Quote:
    """A quote with its deal, account and lines (with products) in three queries."""
    try:
        return (
            visible(actor, Quote)
            .select_related("deal", "deal__account")
            .prefetch_related(
                models.Prefetch("lines", queryset=QuoteLine.objects.select_related("product"))
            )
            .get(pk=pk)
        )
    except (Quote.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


# ---------------------------------------------------------------- orders


def order_queryset(
    *,
    actor: User,
    contact_id: Any = None,
    account_id: Any = None,
    status: str | None = None,
    action: str = Action.READ,
) -> models.QuerySet[Order]:
    """The orders the actor may ``action`` (read, export), by contact, company and status;
    unordered and unpaged. A bad value is a ValidationError."""
    qs = visible(actor, Order, action)
    errors: dict[str, list[str]] = {}
    for name, value in (("contact_id", contact_id), ("account_id", account_id)):
        if value in (None, ""):
            continue
        try:
            number = int(value)
            if not 1 <= number < 2**63:
                raise ValueError
        except (TypeError, ValueError):
            errors[name] = [_("Enter a whole number.")]
            continue
        qs = qs.filter(**{name: number})
    if status:
        if status not in OrderStatus.values:
            errors["status"] = [_("Choose one of the offered values.")]
        qs = qs.filter(status=status)
    if errors:
        raise ValidationError(errors)
    return qs


def order_list(
    *,
    actor: User,
    contact_id: Any = None,
    account_id: Any = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    action: str = Action.READ,
) -> Page[Order]:
    """Orders, newest first; filters by contact, company and status (``order_queryset``)."""
    qs = order_queryset(
        actor=actor, contact_id=contact_id, account_id=account_id, status=status, action=action
    ).prefetch_related(
        models.Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
    )
    return paginate(qs, sort=ORDER_SORT, descending=True, cursor=cursor, limit=_limit(limit))


def order_get(*, actor: User, pk: Any, action: str = Action.READ) -> Order:
    return get_visible(actor, Order, pk, action)


def order_detail(*, actor: User, pk: Any) -> Order:
    try:
        return (
            visible(actor, Order)
            .select_related("contact", "account", "deal")
            .prefetch_related(
                models.Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
            )
            .get(pk=pk)
        )
    except (Order.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


# ---------------------------------------------------------------- purchase history


@dataclass
class CurrencyTotal:
    currency: str
    total: Decimal
    count: int


@dataclass
class PurchaseHistory:
    orders: list[Order]
    count: int
    last_purchase_on: dt.date | None
    per_currency: list[CurrencyTotal] = field(default_factory=list)
    base_currency: str = ""
    base_total: Decimal | None = None  # None: some amount has no rate on its date
    missing_rates: int = 0


def purchase_history(*, actor: User, obj: Contact | Account) -> PurchaseHistory:
    """The orders of a contact or company that ``actor`` may see, with totals.

    Two queries whatever the number of orders: one aggregate (per currency, plus the base
    currency total converted at each order's date) and one for the latest orders. Cancelled
    and refunded orders are listed but not counted.
    """
    key = "contact" if isinstance(obj, Contact) else "account"
    qs = visible(actor, Order).filter(**{key: obj})
    counted = qs.exclude(status__in=[OrderStatus.CANCELLED, OrderStatus.REFUNDED])
    base = money.base_currency() if hasattr(money, "base_currency") else "INR"
    # The money helpers arrive with the exchange-rate work; without them, totals per currency.
    base_amount = getattr(money, "base_amount", None)
    conversion_rate = getattr(money, "conversion_rate", None)
    aggregates: dict[str, Any] = {
        "n": Count("id"),
        "amount": Sum("total"),
        "last": Max("ordered_on"),
    }
    if base_amount is not None and conversion_rate is not None:
        aggregates["base"] = Sum(base_amount("total", "ordered_on"))
        aggregates["unrated"] = Sum(
            Case(
                When(IsNull(conversion_rate("ordered_on"), True), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    rows: list[dict[str, Any]] = list(
        counted.order_by().values("currency").annotate(**aggregates)  # type: ignore[arg-type]
    )
    orders = list(
        qs.select_related("contact", "account").order_by("-ordered_on", "-id")[:HISTORY_SHOWN]
    )
    history = PurchaseHistory(
        orders=orders,
        count=sum(int(r["n"]) for r in rows),
        last_purchase_on=max((r["last"] for r in rows if r["last"]), default=None),
        per_currency=[
            CurrencyTotal(str(r["currency"]), Decimal(r["amount"] or 0), int(r["n"]))
            for r in sorted(rows, key=lambda r: str(r["currency"]))
        ],
        base_currency=base,
    )
    if "base" in aggregates and rows:
        history.missing_rates = sum(int(r["unrated"] or 0) for r in rows)
        if not history.missing_rates:
            total = sum((Decimal(r["base"] or 0) for r in rows), Decimal(0))
            history.base_total = total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return history
