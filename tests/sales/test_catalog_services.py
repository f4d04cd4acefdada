"""Products and price books: unique SKUs whatever their case, prices per currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sambandh.core.errors import Conflict, PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry, User
from sambandh.sales.models import PriceBook, PriceBookEntry, Product
from sambandh.sales.services.catalog import (
    price_book_create,
    price_book_entry_set,
    product_create,
    product_update,
)

pytestmark = pytest.mark.django_db


def test_a_product_is_created_with_an_upper_case_sku(manager: User) -> None:
    product = product_create(
        actor=manager, data={"sku": " ab-1 ", "name_en": "Widget", "name_hi": "विजेट"}
    )
    assert (product.sku, product.name_hi, product.tax_rate) == ("AB-1", "विजेट", Decimal("0"))
    assert AuditEntry.objects.filter(object_type="product", action="create").count() == 1


def test_a_sku_is_unique_whatever_its_case(manager: User) -> None:
    product_create(actor=manager, data={"sku": "AB-1", "name_en": "Widget"})
    with pytest.raises(ValidationError) as exc:
        product_create(actor=manager, data={"sku": "ab-1", "name_en": "Other"})
    assert exc.value.fields == {"sku": ["A product with this SKU already exists."]}
    assert Product.objects.count() == 1


def test_a_tax_rate_over_100_is_refused(manager: User) -> None:
    with pytest.raises(ValidationError) as exc:
        product_create(actor=manager, data={"sku": "X", "name_en": "X", "tax_rate": "128"})
    assert list(exc.value.fields) == ["tax_rate"]


def test_a_sales_rep_reads_but_does_not_change_products(owner: User, manager: User) -> None:
    product = product_create(actor=manager, data={"sku": "AB-1", "name_en": "Widget"})
    with pytest.raises(PermissionDenied):
        product_create(actor=owner, data={"sku": "AB-2", "name_en": "Widget"})
    with pytest.raises(PermissionDenied):
        product_update(actor=owner, product=product, data={"name_en": "X"}, version=None)
    assert Product.objects.get().name_en == "Widget"


def test_a_stale_product_version_is_a_conflict(manager: User) -> None:
    product = product_create(actor=manager, data={"sku": "AB-1", "name_en": "Widget"})
    product_update(actor=manager, product=product, data={"name_en": "W2"}, version=1)
    with pytest.raises(Conflict):
        product_update(actor=manager, product=product, data={"name_en": "W3"}, version=1)
    assert Product.objects.get().name_en == "W2"


def test_prices_are_set_replaced_and_removed(manager: User) -> None:
    product = product_create(actor=manager, data={"sku": "AB-1", "name_en": "Widget"})
    book = price_book_create(actor=manager, data={"name": "Export", "is_default": True})
    assert list(PriceBook.objects.filter(is_default=True)) == [book]
    _e, created = price_book_entry_set(
        actor=manager,
        price_book=book,
        data={"product_id": product.pk, "currency": "usd", "unit_price": "12.5"},
    )
    assert created
    price_book_entry_set(
        actor=manager,
        price_book=book,
        data={"product_id": product.pk, "currency": "USD", "unit_price": "13"},
    )
    assert PriceBookEntry.objects.get().unit_price == Decimal("13.00")
    price_book_entry_set(
        actor=manager,
        price_book=book,
        data={"product_id": product.pk, "currency": "USD", "unit_price": None},
    )
    assert not PriceBookEntry.objects.exists()


def test_a_wrong_currency_or_negative_price_is_refused(manager: User) -> None:
    product = product_create(actor=manager, data={"sku": "AB-1", "name_en": "Widget"})
    book = PriceBook.objects.get(name="Standard")
    with pytest.raises(ValidationError) as exc:
        price_book_entry_set(
            actor=manager,
            price_book=book,
            data={"product_id": product.pk, "currency": "XYZ", "unit_price": "-1"},
        )
    assert set(exc.value.fields) == {"currency", "unit_price"}
    assert not PriceBookEntry.objects.exists()
