"""Quotes: created from a deal's lines, priced exactly, moved through their statuses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from sambandh.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry, OutboxEvent, User
from sambandh.sales.models import Deal, PriceBook, Product, Quote, QuoteLine
from sambandh.sales.services.catalog import (
    price_book_entry_set,
    product_create,
    product_update,
)
from sambandh.sales.services.quotes import (
    quote_accept,
    quote_create_from_deal,
    quote_lines_set,
    quote_reject,
    quote_revise,
    quote_send,
    quote_status,
    quote_update,
)
from tests.sales.catalog_setup import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(admin: User) -> Product:
    product = product_create(
        actor=admin,
        data={"sku": "crm-pro", "name_en": "CRM Pro", "name_hi": "सीआरएम प्रो", "tax_rate": "18"},
    )
    book = PriceBook.objects.get(name="Standard")
    price_book_entry_set(
        actor=admin,
        price_book=book,
        data={"product_id": product.pk, "currency": "USD", "unit_price": "120.00"},
    )
    return product


def _deal(owner: User, product: Product, **extra: Any) -> Deal:
    return make_deal(
        owner,
        line_items=[
            {"product_id": product.pk, "quantity": "3", "unit_price": "10000", "tax_rate": "18"},
            {
                "description": "Onboarding",
                "quantity": "1",
                "unit_price": "2500.50",
                "discount_percent": "10",
                "tax_rate": "5",
            },
        ],
        **extra,
    )


def test_a_quote_copies_the_deal_lines_and_totals_them(owner: User, product: Product) -> None:
    deal = _deal(owner, product)
    quote = quote_create_from_deal(actor=owner, deal=deal, data={"discount_percent": "5"})
    year = timezone.localdate().year
    assert (quote.number, quote.revision, quote.status) == (f"Q-{year}-0001", 1, "draft")
    assert quote.currency == "INR"
    # Line 1: 30000.00; line 2: 2500.50 - 250.05 = 2250.45. Overall 5%: 1500.00 + 112.52.
    # Tax: 18% of 28500.00 = 5130.00; 5% of 2137.93 = 106.90 (106.8965 rounds half up).
    assert quote.subtotal == Decimal("32500.50")
    assert quote.discount_total == Decimal("1862.57")
    assert quote.tax_total == Decimal("5236.90")
    assert quote.total == Decimal("35874.83")
    totals = list(QuoteLine.objects.filter(quote=quote).values_list("line_total", flat=True))
    assert totals == [Decimal("30000.00"), Decimal("2250.45")]
    assert OutboxEvent.objects.filter(name="quote.created", object_id=str(quote.pk)).exists()


def test_numbers_count_up_within_the_year(owner: User, product: Product) -> None:
    deal = _deal(owner, product)
    first = quote_create_from_deal(actor=owner, deal=deal, data={})
    second = quote_create_from_deal(actor=owner, deal=deal, data={})
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1


def test_another_currency_takes_price_book_prices(owner: User, product: Product) -> None:
    deal = make_deal(owner, line_items=[{"product_id": product.pk, "unit_price": "10000"}])
    quote = quote_create_from_deal(actor=owner, deal=deal, data={"currency": "USD"})
    assert quote.currency == "USD"
    assert quote.lines.get().unit_price == Decimal("120.00")


def test_a_currency_without_prices_is_refused(owner: User, product: Product) -> None:
    deal = _deal(owner, product)
    with pytest.raises(ValidationError) as exc:
        quote_create_from_deal(actor=owner, deal=deal, data={"currency": "EUR"})
    assert exc.value.fields == {
        "lines.0.unit_price": ["CRM-PRO has no price in EUR in this price book."],
        "lines.1.unit_price": ["This line is priced in INR and has no product to price it in EUR."],
    }
    assert not Quote.objects.exists()


def test_an_inactive_product_cannot_go_on_a_new_quote(
    owner: User, admin: User, product: Product
) -> None:
    deal = _deal(owner, product)
    product_update(actor=admin, product=product, data={"is_active": False}, version=None)
    with pytest.raises(ValidationError) as exc:
        quote_create_from_deal(actor=owner, deal=deal, data={})
    assert "lines.0.product_id" in exc.value.fields
    assert not Quote.objects.exists()


def test_bad_lines_are_refused_field_by_field(owner: User, product: Product) -> None:
    quote = quote_create_from_deal(actor=owner, deal=_deal(owner, product), data={})
    before = list(quote.lines.values_list("id", flat=True))
    with pytest.raises(ValidationError) as exc:
        quote_lines_set(
            actor=owner,
            quote=quote,
            lines=[
                {"description": "x", "quantity": "-1", "unit_price": "5"},
                {"description": "y", "unit_price": "5", "discount_percent": "101"},
                {"description": "z", "unit_price": "-3"},
            ],
            version=quote.version,
        )
    assert set(exc.value.fields) == {
        "lines.0.quantity",
        "lines.1.discount_percent",
        "lines.2.unit_price",
    }
    assert list(quote.lines.values_list("id", flat=True)) == before


def test_an_overall_discount_over_100_is_refused(owner: User, product: Product) -> None:
    quote = quote_create_from_deal(actor=owner, deal=_deal(owner, product), data={})
    with pytest.raises(ValidationError) as exc:
        quote_update(
            actor=owner, quote=quote, data={"discount_percent": "150"}, version=quote.version
        )
    assert list(exc.value.fields) == ["discount_percent"]


def test_editing_lines_reprices_the_quote(owner: User, product: Product) -> None:
    quote = quote_create_from_deal(actor=owner, deal=_deal(owner, product), data={})
    quote = quote_lines_set(
        actor=owner,
        quote=quote,
        lines=[{"product_id": product.pk, "quantity": "2", "unit_price": "99.99"}],
        version=quote.version,
    )
    # The product's default tax rate (18%) applies: 199.98 + 36.00 (35.9964).
    assert (quote.subtotal, quote.tax_total, quote.total) == (
        Decimal("199.98"),
        Decimal("36.00"),
        Decimal("235.98"),
    )


def test_a_stale_version_is_a_conflict(owner: User, product: Product) -> None:
    quote = quote_create_from_deal(actor=owner, deal=_deal(owner, product), data={})
    quote_update(actor=owner, quote=quote, data={"terms": "Net 30"}, version=quote.version)
    with pytest.raises(Conflict):
        quote_update(actor=owner, quote=quote, data={"terms": "Net 60"}, version=1)
    assert Quote.objects.get(pk=quote.pk).terms == "Net 30"


def test_send_then_accept(owner: User, product: Product) -> None:
    quote = quote_create_from_deal(actor=owner, deal=_deal(owner, product), data={})
    quote = quote_send(actor=owner, quote=quote)
    assert quote.status == "sent"
    assert quote.issued_on == timezone.localdate()
    quote = quote_accept(actor=owner, quote=quote)
    assert quote.status == "accepted"
    assert OutboxEvent.objects.filter(name="quote.accepted").count() == 1


@pytest.mark.parametrize(
    ("steps", "action"),
    [
        ([], quote_accept),
        ([], quote_reject),
        ([quote_send], quote_send),
        ([quote_send, quote_accept], quote_reject),
        ([quote_send, quote_reject], quote_accept),
    ],
)
def test_illegal_transitions_are_refused(owner: User, product: Product, steps, action) -> None:
    quote = quote_create_from_deal(actor=owner, deal=_deal(owner, product), data={})
    for step in steps:
        quote = step(actor=owner, quote=quote)
    audit = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        action(actor=owner, quote=quote)
    assert exc.value.code == "illegal_transition"
    assert Quote.objects.get(pk=quote.pk).status == quote.status
    assert AuditEntry.objects.count() == audit


def test_a_sent_quote_past_its_date_is_expired_and_cannot_be_accepted(
    owner: User, product: Product
) -> None:
    quote = quote_send(
        actor=owner,
        quote=quote_create_from_deal(actor=owner, deal=_deal(owner, product), data={}),
    )
    assert quote.valid_until is not None
    later = quote.valid_until + dt.timedelta(days=1)
    assert quote_status(quote, quote.valid_until) == "sent"
    assert quote_status(quote, later) == "expired"
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - dt.timedelta(1))
    quote.refresh_from_db()
    with pytest.raises(ValidationError, match="expired"):
        quote_accept(actor=owner, quote=quote)


def test_a_revision_keeps_the_number_and_the_old_quote(owner: User, product: Product) -> None:
    old = quote_send(
        actor=owner,
        quote=quote_create_from_deal(actor=owner, deal=_deal(owner, product), data={}),
    )
    new = quote_revise(actor=owner, quote=old)
    assert (new.number, new.revision, new.status) == (old.number, 2, "draft")
    assert new.total == old.total
    assert Quote.objects.get(pk=old.pk).status == "sent"
    with pytest.raises(ValidationError, match="latest"):
        quote_revise(actor=owner, quote=old)


def test_an_accepted_quote_is_not_revised(owner: User, product: Product) -> None:
    quote = quote_create_from_deal(actor=owner, deal=_deal(owner, product), data={})
    quote = quote_accept(actor=owner, quote=quote_send(actor=owner, quote=quote))
    with pytest.raises(ValidationError):
        quote_revise(actor=owner, quote=quote)
    assert Quote.objects.count() == 1


def test_a_sent_quote_is_not_edited(owner: User, product: Product) -> None:
    quote = quote_send(
        actor=owner,
        quote=quote_create_from_deal(actor=owner, deal=_deal(owner, product), data={}),
    )
    with pytest.raises(ValidationError, match="draft"):
        quote_update(actor=owner, quote=quote, data={"terms": "x"}, version=quote.version)


def test_scope_follows_the_deal(
    owner: User, teammate: User, outsider: User, reader: User, product: Product
) -> None:
    deal = _deal(owner, product)
    with pytest.raises(PermissionDenied):
        quote_create_from_deal(actor=teammate, deal=deal, data={})
    with pytest.raises(NotFound):
        quote_create_from_deal(actor=outsider, deal=deal, data={})
    with pytest.raises(PermissionDenied):
        quote_create_from_deal(actor=reader, deal=deal, data={})
    assert not Quote.objects.exists()
    quote = quote_create_from_deal(actor=owner, deal=deal, data={})
    with pytest.raises(NotFound):
        quote_send(actor=outsider, quote=quote)
    with pytest.raises(PermissionDenied):
        quote_send(actor=teammate, quote=quote)
    assert Quote.objects.get(pk=quote.pk).status == "draft"
