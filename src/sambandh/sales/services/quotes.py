"""Quotes: priced offers built from a deal's line items, numbered, versioned and sent.

Statuses move draft -> sent -> accepted | rejected. A sent quote whose ``valid_until`` has
passed is expired: that is evaluated when it is read or acted on (``quote_status``), not by
a periodic task, so it is exact at every moment and needs no worker. A revision is a new
quote with the same number and the next ``revision``; the old one is kept as it was.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.core import validation
from sambandh.core.errors import Conflict, ValidationError
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import require
from sambandh.core.records import (
    apply_values,
    collect,
    jsonable,
    lock_for_update,
    raise_if,
    record_change,
    reject_unknown,
    save_changed,
)
from sambandh.sales.models import (
    Deal,
    DealLineItem,
    PriceBook,
    PriceBookEntry,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from sambandh.sales.services.catalog import (
    MAX_PRICE,
    ZERO,
    clean_id,
    clean_percent,
    create_numbered,
    price_lines,
)

VALID_DAYS = 30
MAX_LINES = 200
MAX_QUANTITY = Decimal("9999999999.99")
CREATE_FIELDS = (
    "currency",
    "price_book_id",
    "valid_until",
    "discount_percent",
    "terms",
    "language",
)
UPDATE_FIELDS = ("valid_until", "discount_percent", "terms", "language")
LINE_FIELDS = (
    "product_id",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_rate",
)


def quote_status(quote: Quote, today: dt.date | None = None) -> str:
    """The status as of ``today``: a sent quote past its ``valid_until`` is expired."""
    today = today or timezone.localdate()
    if (
        quote.status == QuoteStatus.SENT
        and quote.valid_until is not None
        and quote.valid_until < today
    ):
        return QuoteStatus.EXPIRED
    return str(quote.status)


def _price_book(price_book_id: int | None) -> PriceBook | None:
    if price_book_id is not None:
        book = PriceBook.objects.filter(pk=price_book_id, is_active=True).first()
        if book is None:
            raise ValidationError({"price_book_id": [_("Choose an active price book.")]})
        return book
    return PriceBook.objects.filter(is_default=True, is_active=True).order_by("id").first()


def _book_prices(
    book: PriceBook | None, product_ids: set[int], currency: str
) -> dict[int, Decimal]:
    if book is None or not product_ids:
        return {}
    return dict(
        PriceBookEntry.objects.filter(
            price_book=book, product_id__in=product_ids, currency=currency
        ).values_list("product_id", "unit_price")
    )


def _products(ids: set[int]) -> dict[int, Product]:
    return {p.pk: p for p in Product.objects.filter(pk__in=ids)} if ids else {}


def _no_price(product: Product, currency: str) -> str:
    return _("%(sku)s has no price in %(currency)s in this price book.") % {
        "sku": product.sku,
        "currency": currency,
    }


def _lines_from_deal(deal: Deal, currency: str, book: PriceBook | None) -> list[QuoteLine]:
    """The deal's line items as quote lines, priced in ``currency``.

    In the deal's own currency the deal's prices stand; in another one, products take their
    price-book price in that currency, and a line without a product cannot be converted.
    """
    items = list(DealLineItem.objects.filter(deal_id=deal.pk).order_by("position", "id"))
    if not items:
        if currency != deal.currency:
            raise ValidationError(
                {"currency": [_("The deal is priced in %(c)s.") % {"c": deal.currency}]}
            )
        return [QuoteLine(description=deal.name[:300], quantity=1, unit_price=deal.amount)]
    products = _products({i.product_id for i in items if i.product_id is not None})
    prices = _book_prices(book, set(products), currency)
    errors: dict[str, list[str]] = {}
    lines: list[QuoteLine] = []
    for n, item in enumerate(items):
        product = products.get(item.product_id) if item.product_id is not None else None
        unit_price = item.unit_price
        if product is not None and not product.is_active:
            errors[f"lines.{n}.product_id"] = [
                _("%(sku)s is no longer sold; remove it from the deal first.")
                % {"sku": product.sku}
            ]
        if currency != deal.currency:
            if product is None:
                errors[f"lines.{n}.unit_price"] = [
                    _("This line is priced in %(c)s and has no product to price it in %(q)s.")
                    % {"c": deal.currency, "q": currency}
                ]
            elif product.pk not in prices:
                errors[f"lines.{n}.unit_price"] = [_no_price(product, currency)]
            else:
                unit_price = prices[product.pk]
        lines.append(
            QuoteLine(
                product_id=item.product_id,
                description=item.description or (product.name_en if product else ""),
                quantity=item.quantity,
                unit_price=unit_price,
                discount_percent=item.discount_percent,
                tax_rate=item.tax_rate,
                position=n,
            )
        )
    raise_if(errors)
    return lines


def _clean_lines(raw: Any, currency: str, book: PriceBook | None) -> list[QuoteLine]:
    """Quote lines from ``[{"product_id", "description", "quantity", "unit_price",
    "discount_percent", "tax_rate"}]``; errors are filed as ``lines.<n>.<field>``.

    A product line without ``unit_price`` takes its price-book price in the quote's currency
    and, without ``tax_rate``, the product's default rate.
    """
    if not isinstance(raw, list) or len(raw) > MAX_LINES:
        raise ValidationError(
            {"lines": [_("Enter a list of at most %(n)d lines.") % {"n": MAX_LINES}]}
        )
    errors: dict[str, list[str]] = {}
    parsed: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for n, item in enumerate(raw):
        prefix = f"lines.{n}."
        if not isinstance(item, dict):
            errors[f"lines.{n}"] = [_("Enter an object.")]
            continue
        for key in sorted(set(item) - set(LINE_FIELDS)):
            errors[prefix + key] = [_("Unknown field.")]
        cleaners: dict[str, Any] = {
            "product_id": clean_id,
            "description": lambda v: validation.clean_text(v, max_length=300),
            "quantity": lambda v: validation.clean_decimal(
                v, min_value=Decimal("0.01"), max_value=MAX_QUANTITY
            ),
            "unit_price": lambda v: validation.clean_decimal(
                v, min_value=ZERO, max_value=MAX_PRICE
            ),
            "discount_percent": clean_percent,
            "tax_rate": clean_percent,
        }
        values: dict[str, Any] = {}
        for key, cleaner in cleaners.items():
            local: dict[str, list[str]] = {}
            value = collect(local, key, cleaner, item.get(key))
            if local:
                errors[prefix + key] = local[key]
            else:
                values[key] = value
        parsed.append((item, values))
    product_ids = {v["product_id"] for _i, v in parsed if v.get("product_id")}
    products = _products(product_ids)
    prices = _book_prices(book, product_ids, currency)
    lines: list[QuoteLine] = []
    for n, (_item, values) in enumerate(parsed):
        prefix = f"lines.{n}."
        product = products.get(values.get("product_id") or 0)
        if values.get("product_id") and (product is None or not product.is_active):
            errors[prefix + "product_id"] = [_("Choose an active product.")]
            continue
        if (
            product is None
            and not values.get("description")
            and prefix + "product_id" not in errors
        ):
            errors[prefix + "description"] = [_("Choose a product or enter a description.")]
        unit_price = values.get("unit_price")
        if unit_price is None and prefix + "unit_price" not in errors:
            if product is not None and product.pk in prices:
                unit_price = prices[product.pk]
            elif product is not None:
                errors[prefix + "unit_price"] = [_no_price(product, currency)]
            else:
                errors[prefix + "unit_price"] = [_("This field is required.")]
        tax_rate = values.get("tax_rate")
        if tax_rate is None:
            tax_rate = product.tax_rate if product is not None else ZERO
        lines.append(
            QuoteLine(
                product=product,
                description=values.get("description")
                or (product.name_en if product is not None else ""),
                quantity=values.get("quantity") or Decimal(1),
                unit_price=unit_price if unit_price is not None else ZERO,
                discount_percent=values.get("discount_percent") or ZERO,
                tax_rate=tax_rate,
                position=n,
            )
        )
    raise_if(errors)
    return lines


def _line_snapshot(lines: list[QuoteLine]) -> list[dict[str, Any]]:
    return [
        {
            "product_id": line.product_id,
            "description": line.description,
            "quantity": jsonable(Decimal(line.quantity)),
            "unit_price": jsonable(Decimal(line.unit_price)),
            "discount_percent": jsonable(Decimal(line.discount_percent)),
            "tax_rate": jsonable(Decimal(line.tax_rate)),
        }
        for line in lines
    ]


def _price(quote: Quote, lines: list[QuoteLine]) -> dict[str, Any]:
    """Set the lines' totals and the quote's; returns the quote's changed totals."""
    totals = price_lines(lines, Decimal(quote.discount_percent))
    for line, amounts in zip(lines, totals.lines, strict=True):
        line.line_total = amounts.net
    return apply_values(quote, totals.as_values())


def _clean_header(data: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    reject_unknown(data, allowed)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    cleaners: dict[str, Any] = {
        "currency": lambda v: validation.clean_currency(v),
        "price_book_id": clean_id,
        "valid_until": validation.clean_date,
        "discount_percent": clean_percent,
        "terms": lambda v: validation.clean_text(v, max_length=5000),
        "language": lambda v: validation.clean_language(v) or "en",
    }
    for key in allowed:
        if key in data:
            value = collect(errors, key, cleaners[key], data[key])
            if key not in errors:
                values[key] = value
    if values.get("discount_percent") is None:
        values.pop("discount_percent", None)
    raise_if(errors)
    return values


def _require_draft(quote: Quote) -> None:
    if quote.status != QuoteStatus.DRAFT:
        raise ValidationError(
            message=_("Only a draft quote can be changed; revise it instead."),
            code="not_draft",
        )


def _payload(quote: Quote) -> dict[str, Any]:
    return {
        "id": quote.pk,
        "number": quote.number,
        "revision": quote.revision,
        "deal_id": quote.deal_id,
        "status": quote.status,
        "currency": quote.currency,
        "total": jsonable(quote.total),
    }


def quote_create_from_deal(*, actor: User, deal: Deal, data: dict[str, Any]) -> Quote:
    """A draft quote from the deal's line items, numbered ``Q-<year>-<nnnn>``.

    ``currency`` defaults to the deal's; in another currency products are priced from the
    price book (``price_book_id``, else the default one). Inactive products are refused.
    """
    require(actor, ObjectType.QUOTE, Action.CREATE, Quote(deal=deal))
    values = _clean_header(data, CREATE_FIELDS)
    currency = values.pop("currency", None) or deal.currency
    book = _price_book(values.pop("price_book_id", None))
    today = timezone.localdate()
    if values.get("valid_until") is None:
        values["valid_until"] = today + dt.timedelta(days=VALID_DAYS)
    lines = _lines_from_deal(deal, currency, book)
    with transaction.atomic():
        quote = Quote(deal=deal, currency=currency, created_by=actor, **values)
        _price(quote, lines)

        def create(number: str) -> Quote:
            quote.number = number
            quote.save()
            for line in lines:
                line.quote = quote
            QuoteLine.objects.bulk_create(lines)
            return quote

        create_numbered(Quote, f"Q-{today.year}-", 4, create)
        record_change(
            actor=actor,
            action="create",
            object_type=ObjectType.QUOTE,
            obj=quote,
            changes={
                "number": [None, quote.number],
                "deal_id": [None, deal.pk],
                "currency": [None, currency],
                "lines": [None, _line_snapshot(lines)],
                "total": [None, jsonable(quote.total)],
            },
            event="quote.created",
            payload=_payload(quote),
        )
    return quote


def quote_update(*, actor: User, quote: Quote, data: dict[str, Any], version: int | None) -> Quote:
    """Change a draft's validity, overall discount, terms or language; totals follow."""
    require(actor, ObjectType.QUOTE, Action.UPDATE, quote)
    if "currency" in data:
        raise ValidationError(
            {"currency": [_("A quote has one currency; create a new quote for another.")]}
        )
    values = _clean_header(data, UPDATE_FIELDS)
    with transaction.atomic():
        quote = lock_for_update(Quote, quote.pk, version=version)
        _require_draft(quote)
        changes = apply_values(quote, values)
        if "discount_percent" in changes:
            lines = list(quote.lines.all())
            changes.update(_price(quote, lines))
            QuoteLine.objects.bulk_update(lines, ["line_total"])
        if changes:
            save_changed(quote, changes)
            record_change(
                actor=actor,
                action="update",
                object_type=ObjectType.QUOTE,
                obj=quote,
                changes=changes,
                event="quote.updated",
            )
    return quote


def quote_lines_set(*, actor: User, quote: Quote, lines: Any, version: int | None) -> Quote:
    """Replace a draft's lines (in the given order) and recompute its totals."""
    require(actor, ObjectType.QUOTE, Action.UPDATE, quote)
    with transaction.atomic():
        quote = lock_for_update(Quote, quote.pk, version=version)
        _require_draft(quote)
        new_lines = _clean_lines(lines, quote.currency, _price_book(None))
        before = _line_snapshot(list(quote.lines.all()))
        after = _line_snapshot(new_lines)
        if before != after:
            changes: dict[str, Any] = {"lines": [before, after]}
            changes.update(_price(quote, new_lines))
            QuoteLine.objects.filter(quote=quote).delete()
            for line in new_lines:
                line.quote = quote
            QuoteLine.objects.bulk_create(new_lines)
            save_changed(
                quote,
                {k: v for k, v in changes.items() if k != "lines"},
                extra_fields=("subtotal", "discount_total", "tax_total", "total"),
            )
            record_change(
                actor=actor,
                action="update",
                object_type=ObjectType.QUOTE,
                obj=quote,
                changes=changes,
                event="quote.updated",
            )
    return quote


def _transition(*, actor: User, quote: Quote, version: int | None, to: str, event: str) -> Quote:
    require(actor, ObjectType.QUOTE, Action.UPDATE, quote)
    today = timezone.localdate()
    with transaction.atomic():
        quote = lock_for_update(Quote, quote.pk, version=version)
        current = quote_status(quote, today)
        allowed = {
            QuoteStatus.SENT: {QuoteStatus.DRAFT},
            QuoteStatus.ACCEPTED: {QuoteStatus.SENT},
            QuoteStatus.REJECTED: {QuoteStatus.SENT},
        }[QuoteStatus(to)]
        if current not in allowed:
            if current == QuoteStatus.EXPIRED:
                message = _("This quote expired on %(date)s; revise it instead.") % {
                    "date": quote.valid_until
                }
            else:
                message = _("A quote that is %(status)s cannot become %(to)s.") % {
                    "status": QuoteStatus(current).label,
                    "to": QuoteStatus(to).label,
                }
            raise ValidationError(message=message, code="illegal_transition")
        values: dict[str, Any] = {"status": to}
        if to == QuoteStatus.SENT:
            if not quote.lines.exists():
                raise ValidationError({"lines": [_("Add at least one line first.")]})
            valid_until = quote.valid_until or today + dt.timedelta(days=VALID_DAYS)
            if valid_until < today:
                raise ValidationError({"valid_until": [_("Choose a date from today on.")]})
            values.update(issued_on=today, valid_until=valid_until)
        changes = apply_values(quote, values)
        save_changed(quote, changes)
        record_change(
            actor=actor,
            action="update",
            object_type=ObjectType.QUOTE,
            obj=quote,
            changes=changes,
            event=event,
            payload=_payload(quote),
        )
    return quote


def quote_send(*, actor: User, quote: Quote, version: int | None = None) -> Quote:
    """Mark a draft as sent to the customer: issued today, valid for 30 days unless set."""
    return _transition(
        actor=actor, quote=quote, version=version, to=QuoteStatus.SENT, event="quote.sent"
    )


def quote_accept(*, actor: User, quote: Quote, version: int | None = None) -> Quote:
    """The customer accepted a sent quote (not after it expired)."""
    return _transition(
        actor=actor, quote=quote, version=version, to=QuoteStatus.ACCEPTED, event="quote.accepted"
    )


def quote_reject(*, actor: User, quote: Quote, version: int | None = None) -> Quote:
    """The customer turned a sent quote down."""
    return _transition(
        actor=actor, quote=quote, version=version, to=QuoteStatus.REJECTED, event="quote.rejected"
    )


def quote_revise(*, actor: User, quote: Quote, version: int | None = None) -> Quote:
    """A new draft revision with the same number and lines; the old revision is kept.

    Only the latest revision of a number can be revised, and not once accepted.
    """
    require(actor, ObjectType.QUOTE, Action.UPDATE, quote)
    require(actor, ObjectType.QUOTE, Action.CREATE, quote)
    today = timezone.localdate()
    with transaction.atomic():
        old = lock_for_update(Quote, quote.pk, version=version)
        if old.status == QuoteStatus.ACCEPTED:
            raise ValidationError(
                message=_("An accepted quote cannot be revised."), code="illegal_transition"
            )
        if Quote.objects.filter(number=old.number, revision__gt=old.revision).exists():
            raise ValidationError(
                message=_("Only the latest revision can be revised."), code="not_latest"
            )
        new = Quote(
            deal_id=old.deal_id,
            number=old.number,
            revision=old.revision + 1,
            currency=old.currency,
            discount_percent=old.discount_percent,
            terms=old.terms,
            language=old.language,
            valid_until=max(old.valid_until or today, today + dt.timedelta(days=VALID_DAYS)),
            created_by=actor,
        )
        lines = [
            QuoteLine(
                product_id=line.product_id,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
                position=line.position,
            )
            for line in old.lines.all()
        ]
        _price(new, lines)
        try:
            with transaction.atomic():
                new.save()
        except IntegrityError as exc:  # someone revised it at the same moment
            raise Conflict() from exc
        for line in lines:
            line.quote = new
        QuoteLine.objects.bulk_create(lines)
        record_change(
            actor=actor,
            action="create",
            object_type=ObjectType.QUOTE,
            obj=new,
            changes={
                "number": [None, new.number],
                "revision": [old.revision, new.revision],
                "revises_id": [None, old.pk],
            },
            event="quote.revised",
            payload={**_payload(new), "revises_id": old.pk},
        )
    return new
