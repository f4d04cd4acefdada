"""Products and price books; the pricing arithmetic quotes and orders share; numbering."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from sambandh.core import validation
from sambandh.core.errors import ValidationError
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
from sambandh.sales.models import PriceBook, PriceBookEntry, Product

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)

T = TypeVar("T")


def money(value: Decimal) -> Decimal:
    """Round to paise/cents the way invoices do: half up, two places."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class PricedLine(Protocol):
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity x unit price
    line_discount: Decimal  # the line's own discount
    net: Decimal  # gross - line discount: the line total shown on the document
    overall_discount: Decimal  # the line's share of the overall discount
    tax: Decimal  # on net - overall discount, at the line's rate


@dataclass(frozen=True)
class DocumentTotals:
    lines: list[LineAmounts]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal

    def as_values(self) -> dict[str, Decimal]:
        return {
            "subtotal": self.subtotal,
            "discount_total": self.discount_total,
            "tax_total": self.tax_total,
            "total": self.total,
        }


def price_lines(lines: Iterable[PricedLine], discount_percent: Decimal = ZERO) -> DocumentTotals:
    """Totals of a quote or an order.

    Each line is rounded on its own (as GST invoices are): gross, minus the line discount,
    minus its share of the overall discount, plus tax at the line's rate on what is left.
    """
    amounts: list[LineAmounts] = []
    for line in lines:
        gross = money(Decimal(line.quantity) * Decimal(line.unit_price))
        line_discount = money(gross * Decimal(line.discount_percent) / HUNDRED)
        net = gross - line_discount
        overall = money(net * Decimal(discount_percent) / HUNDRED)
        tax = money((net - overall) * Decimal(line.tax_rate) / HUNDRED)
        amounts.append(LineAmounts(gross, line_discount, net, overall, tax))
    subtotal = sum((a.gross for a in amounts), ZERO)
    discount_total = sum((a.line_discount + a.overall_discount for a in amounts), ZERO)
    tax_total = sum((a.tax for a in amounts), ZERO)
    return DocumentTotals(
        lines=amounts,
        subtotal=subtotal,
        discount_total=discount_total,
        tax_total=tax_total,
        total=subtotal - discount_total + tax_total,
    )


def next_number(model: type[models.Model], prefix: str, width: int) -> str:
    """The number after the highest ``<prefix><digits>`` stored (longest first, so 10000 > 9999)."""
    last = (
        model._default_manager.filter(number__startswith=prefix)
        .annotate(number_length=Length("number"))
        .order_by("-number_length", "-number")
        .values_list("number", flat=True)
        .first()
    )
    n = 1
    if last:
        tail = str(last)[len(prefix) :]
        n = int(tail) + 1 if tail.isdigit() else 1
    return f"{prefix}{n:0{width}d}"


def create_numbered(
    model: type[models.Model], prefix: str, width: int, create: Callable[[str], T]
) -> T:
    """Run ``create(number)`` with the next free number; a unique constraint settles races.

    Two writers may read the same highest number; the second insert then fails on the
    constraint inside its savepoint and tries the next one, so no number is given twice.
    """
    for _attempt in range(20):
        number = next_number(model, prefix, width)
        try:
            with transaction.atomic():
                return create(number)
        except IntegrityError:
            if not model._default_manager.filter(number=number).exists():
                raise
    raise IntegrityError(f"no free number after {prefix}")


# ---------------------------------------------------------------- products

PRODUCT_FIELDS = ("sku", "name_en", "name_hi", "description", "tax_rate", "is_active")
PRICE_BOOK_FIELDS = ("name", "is_default", "is_active")
MAX_PRICE = Decimal("9999999999999999.99")


def clean_percent(value: object) -> Decimal | None:
    """A percentage from 0 to 100 (discounts, tax rates)."""
    return validation.clean_decimal(value, min_value=ZERO, max_value=HUNDRED)


def _clean_sku(value: object) -> str:
    text = validation.clean_text(value, max_length=64, required=True)
    if any(ch.isspace() for ch in text):
        raise ValueError(_("A SKU has no spaces."))
    # Upper case makes the unique constraint case-insensitive: "ab-1" and "AB-1" collide.
    return text.upper()


def _product_values(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    reject_unknown(data, PRODUCT_FIELDS)
    cleaners: dict[str, Callable[[Any], Any]] = {
        "sku": _clean_sku,
        "name_en": lambda v: validation.clean_text(v, max_length=200, required=True),
        "name_hi": lambda v: validation.clean_text(v, max_length=200),
        "description": lambda v: validation.clean_text(v, max_length=5000),
        "tax_rate": clean_percent,
        "is_active": validation.clean_bool,
    }
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, cleaner in cleaners.items():
        if name not in data:
            if creating and name in {"sku", "name_en"}:
                errors[name] = [_("This field is required.")]
            continue
        value = collect(errors, name, cleaner, data[name])
        if name not in errors:
            values[name] = ZERO if name == "tax_rate" and value is None else value
    raise_if(errors)
    return values


def _sku_taken(sku: str, exclude_pk: int | None = None) -> bool:
    qs = Product.objects.filter(sku__iexact=sku)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


SKU_TAKEN = "A product with this SKU already exists."


def product_create(*, actor: User, data: dict[str, Any]) -> Product:
    """Create a product; the SKU is unique whatever its case (stored in upper case)."""
    require(actor, ObjectType.PRODUCT, Action.CREATE)
    values = _product_values(data, creating=True)
    if _sku_taken(values["sku"]):
        raise ValidationError({"sku": [_(SKU_TAKEN)]})
    try:
        with transaction.atomic():
            product = Product.objects.create(created_by=actor, **values)
            record_change(
                actor=actor,
                action="create",
                object_type=ObjectType.PRODUCT,
                obj=product,
                changes={k: [None, jsonable(v)] for k, v in values.items()},
                event="product.created",
            )
    except IntegrityError as exc:  # a concurrent create took the SKU first
        raise ValidationError({"sku": [_(SKU_TAKEN)]}) from exc
    return product


def product_update(
    *, actor: User, product: Product, data: dict[str, Any], version: int | None
) -> Product:
    """Change a product. A deactivated product stays on old quotes but cannot go on new ones."""
    require(actor, ObjectType.PRODUCT, Action.UPDATE, product)
    values = _product_values(data, creating=False)
    if "sku" in values and _sku_taken(values["sku"], exclude_pk=product.pk):
        raise ValidationError({"sku": [_(SKU_TAKEN)]})
    try:
        with transaction.atomic():
            product = lock_for_update(Product, product.pk, version=version)
            changes = apply_values(product, values)
            if changes:
                save_changed(product, changes)
                record_change(
                    actor=actor,
                    action="update",
                    object_type=ObjectType.PRODUCT,
                    obj=product,
                    changes=changes,
                    event="product.updated",
                )
    except IntegrityError as exc:
        raise ValidationError({"sku": [_(SKU_TAKEN)]}) from exc
    return product


# ---------------------------------------------------------------- price books


def _price_book_values(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    reject_unknown(data, PRICE_BOOK_FIELDS)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if "name" in data or creating:
        name = collect(
            errors,
            "name",
            lambda v: validation.clean_text(v, max_length=120, required=True),
            data.get("name"),
        )
        if "name" not in errors:
            values["name"] = name
    for flag in ("is_default", "is_active"):
        if flag in data:
            value = collect(errors, flag, validation.clean_bool, data[flag])
            if flag not in errors:
                values[flag] = value
    raise_if(errors)
    return values


BOOK_TAKEN = "A price book with this name already exists."


def _only_default(book: PriceBook) -> None:
    """One default price book: making one the default unmarks the others."""
    if book.is_default:
        PriceBook.objects.filter(is_default=True).exclude(pk=book.pk).update(is_default=False)


def price_book_create(*, actor: User, data: dict[str, Any]) -> PriceBook:
    """Create a price book (``is_default`` moves the default flag to it)."""
    require(actor, ObjectType.PRICE_BOOK, Action.CREATE)
    values = _price_book_values(data, creating=True)
    if PriceBook.objects.filter(name__iexact=values["name"]).exists():
        raise ValidationError({"name": [_(BOOK_TAKEN)]})
    try:
        with transaction.atomic():
            book = PriceBook.objects.create(created_by=actor, **values)
            _only_default(book)
            record_change(
                actor=actor,
                action="create",
                object_type=ObjectType.PRICE_BOOK,
                obj=book,
                changes={k: [None, v] for k, v in values.items()},
                event="price_book.created",
            )
    except IntegrityError as exc:
        raise ValidationError({"name": [_(BOOK_TAKEN)]}) from exc
    return book


def price_book_update(
    *, actor: User, price_book: PriceBook, data: dict[str, Any], version: int | None
) -> PriceBook:
    """Rename, activate or make a price book the default."""
    require(actor, ObjectType.PRICE_BOOK, Action.UPDATE, price_book)
    values = _price_book_values(data, creating=False)
    if (
        "name" in values
        and PriceBook.objects.filter(name__iexact=values["name"]).exclude(pk=price_book.pk).exists()
    ):
        raise ValidationError({"name": [_(BOOK_TAKEN)]})
    try:
        with transaction.atomic():
            book = lock_for_update(PriceBook, price_book.pk, version=version)
            changes = apply_values(book, values)
            if changes:
                save_changed(book, changes)
                _only_default(book)
                record_change(
                    actor=actor,
                    action="update",
                    object_type=ObjectType.PRICE_BOOK,
                    obj=book,
                    changes=changes,
                    event="price_book.updated",
                )
    except IntegrityError as exc:
        raise ValidationError({"name": [_(BOOK_TAKEN)]}) from exc
    return book


def price_book_entry_set(
    *, actor: User, price_book: PriceBook, data: dict[str, Any]
) -> tuple[PriceBookEntry, bool]:
    """Set a product's price in one currency (create or replace); returns (entry, created).

    ``unit_price: null`` removes the price. Changing prices is changing the price book.
    """
    require(actor, ObjectType.PRICE_BOOK, Action.UPDATE, price_book)
    reject_unknown(data, ("product_id", "currency", "unit_price"))
    errors: dict[str, list[str]] = {}
    product_id = collect(errors, "product_id", clean_id, data.get("product_id"))
    currency = collect(
        errors,
        "currency",
        lambda v: validation.clean_currency(v, required=True),
        data.get("currency"),
    )
    unit_price = collect(
        errors,
        "unit_price",
        lambda v: validation.clean_decimal(v, min_value=ZERO, max_value=MAX_PRICE),
        data.get("unit_price"),
    )
    if "product_id" not in errors and (
        product_id is None or not Product.objects.filter(pk=product_id).exists()
    ):
        errors["product_id"] = [_("Choose a product.")]
    raise_if(errors)
    with transaction.atomic():
        book = lock_for_update(PriceBook, price_book.pk, version=None)
        entry = PriceBookEntry.objects.filter(
            price_book=book, product_id=product_id, currency=currency
        ).first()
        before = None if entry is None else jsonable(entry.unit_price)
        created = entry is None
        if unit_price is None:
            if entry is not None:
                entry.delete()
            entry = PriceBookEntry(price_book=book, product_id=product_id, currency=currency)
            after = None
        else:
            if entry is None:
                entry = PriceBookEntry(price_book=book, product_id=product_id, currency=currency)
            entry.unit_price = unit_price
            entry.save()
            after = jsonable(unit_price)
        if before != after:
            save_changed(book, {})
            record_change(
                actor=actor,
                action="update",
                object_type=ObjectType.PRICE_BOOK,
                obj=book,
                changes={f"price.{product_id}.{currency}": [before, after]},
                event="price_book.updated",
            )
    return entry, created and unit_price is not None


def clean_id(value: object) -> int | None:
    """A positive 64-bit id, or None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(_("Enter a whole number."))
    try:
        number = int(str(value))
    except ValueError as exc:
        raise ValueError(_("Enter a whole number.")) from exc
    if not 1 <= number < 2**63:
        raise ValueError(_("Enter a whole number."))
    return number
