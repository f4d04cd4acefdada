"""The catalogue, quotes and orders share of the permission matrix (see ``tests/matrix.py``).

Targets belong to an administrator outside every team: a Sales rep (team scope for reads)
cannot see the deal, its quote or the order, so gets 404; roles that read everything but may
not write get 403. Products and price books are configuration: everyone reads them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from sambandh.core.models import User
from sambandh.sales.models import (
    Order,
    OrderLine,
    PriceBook,
    PriceBookEntry,
    Product,
    Quote,
    QuoteLine,
)
from tests.factories import make_contact
from tests.matrix import MatrixPart, Targets

API = "/api/v1"
API_MATRIX: dict[tuple[str, str], str] = {
    ("GET", f"{API}/products"): "200 200 200 200 200 200",
    ("POST", f"{API}/products"): "201 201 403 403 403 403",
    ("GET", f"{API}/products/{{id}}"): "200 200 200 200 200 200",
    ("PATCH", f"{API}/products/{{id}}"): "200 200 403 403 403 403",
    ("GET", f"{API}/price-books"): "200 200 200 200 200 200",
    ("POST", f"{API}/price-books"): "201 201 403 403 403 403",
    ("GET", f"{API}/price-books/{{id}}"): "200 200 200 200 200 200",
    ("PATCH", f"{API}/price-books/{{id}}"): "200 200 403 403 403 403",
    ("GET", f"{API}/price-books/{{id}}/entries"): "200 200 200 200 200 200",
    ("POST", f"{API}/price-books/{{id}}/entries"): "200 200 403 403 403 403",
    ("GET", f"{API}/deals/{{id}}/quotes"): "200 200 404 200 200 200",
    ("POST", f"{API}/deals/{{id}}/quotes"): "201 201 404 403 403 403",
    ("GET", f"{API}/quotes/{{id}}"): "200 200 404 200 200 200",
    ("PATCH", f"{API}/quotes/{{id}}"): "200 200 404 403 403 403",
    ("POST", f"{API}/quotes/{{id}}/lines"): "200 200 404 403 403 403",
    ("POST", f"{API}/quotes/{{id}}/send"): "200 200 404 403 403 403",
    ("POST", f"{API}/quotes/{{id}}/accept"): "200 200 404 403 403 403",
    ("POST", f"{API}/quotes/{{id}}/reject"): "200 200 404 403 403 403",
    ("POST", f"{API}/quotes/{{id}}/revise"): "201 201 404 403 403 403",
    ("GET", f"{API}/quotes/{{id}}/pdf"): "200 200 404 200 200 200",
    ("GET", f"{API}/orders"): "200 200 200 200 200 200",
    ("POST", f"{API}/orders"): "201 201 201 403 403 403",
    ("GET", f"{API}/orders/{{id}}"): "200 200 404 200 200 200",
    ("PATCH", f"{API}/orders/{{id}}"): "200 200 404 403 403 403",
}


def _make_targets(t: Targets) -> None:
    from sambandh.sales.services.catalog import price_book_create, product_create
    from sambandh.sales.services.orders import order_create
    from sambandh.sales.services.quotes import quote_create_from_deal
    from tests.sales.catalog_setup import make_deal

    admin = t.admin
    product = product_create(
        actor=admin,
        data={"sku": "TARGET-1", "name_en": "Target product", "name_hi": "लक्ष्य उत्पाद"},
    )
    deal = make_deal(
        admin,
        name="Target catalogue deal",
        line_items=[{"product_id": product.pk, "quantity": "2", "unit_price": "100"}],
    )
    customer = make_contact(admin, first_name="Buyer")
    order, _created = order_create(
        actor=admin,
        data={
            "contact_id": customer.pk,
            "currency": "INR",
            "lines": [{"description": "Target purchase", "unit_price": "10"}],
        },
    )
    t.objects.update(
        product=product,
        price_book=price_book_create(actor=admin, data={"name": "Target book"}),
        catalog_deal=deal,
        quote=quote_create_from_deal(actor=admin, deal=deal, data={}),
        order=order,
    )


def _api_body(method: str, path: str, t: Targets, actor: User) -> dict[str, Any] | None:
    if method not in {"POST", "PATCH"}:
        return None
    tail = path.removeprefix(API)
    if tail in {"/quotes/{id}/accept", "/quotes/{id}/reject"}:
        # Only a sent quote can be accepted or rejected: put the target in that state.
        Quote.objects.filter(pk=t.quote.pk).update(
            status="sent", issued_on=timezone.localdate(), valid_until=dt.date(2999, 1, 1)
        )
    bodies: dict[str, dict[str, Any]] = {
        "/products": {"sku": "NEW-1", "name_en": "New product"},
        "/products/{id}": {"name_hi": "नया उत्पाद", "version": t.product.version},
        "/price-books": {"name": "New book"},
        "/price-books/{id}": {"name": "Renamed book", "version": t.price_book.version},
        "/price-books/{id}/entries": {
            "product_id": t.product.pk,
            "currency": "INR",
            "unit_price": "99.50",
        },
        "/deals/{id}/quotes": {},
        "/quotes/{id}": {"terms": "Net 30", "version": t.quote.version},
        "/quotes/{id}/lines": {
            "lines": [{"description": "Setup", "unit_price": "500", "tax_rate": "18"}],
            "version": t.quote.version,
        },
        "/quotes/{id}/send": {},
        "/quotes/{id}/accept": {},
        "/quotes/{id}/reject": {},
        "/quotes/{id}/revise": {},
        "/orders/{id}": {"status": "paid", "version": t.order.version},
    }
    if tail == "/orders":
        # A customer the caller can see (the targets are out of a Sales rep's sight).
        buyer = make_contact(t.admin, first_name="Caller's buyer", owner_id=actor.pk)
        return {
            "contact_id": buyer.pk,
            "currency": "INR",
            "lines": [{"description": "Posted", "unit_price": "1"}],
        }
    return bodies[tail]


# url name: expected GET status per role (ROLES order).
HTML_GET_MATRIX: dict[str, str] = {
    "sales:product_list": "200 200 200 200 200 200",
    "sales:quote_create": "200 200 404 403 403 403",
    "sales:quote_detail": "200 200 404 200 200 200",
    "sales:quote_pdf": "200 200 404 200 200 200",
    "sales:quote_transition": "405 405 405 405 405 405",
    "sales:order_list": "200 200 200 200 200 200",
    "sales:order_detail": "200 200 404 200 200 200",
    "sales:quote_lines": "405 405 405 405 405 405",
    "sales:product_create": "200 200 403 403 403 403",
    "sales:product_edit": "200 200 403 403 403 403",
    "sales:price_book_list": "200 200 200 200 200 200",
    "sales:price_book_create": "200 200 403 403 403 403",
    "sales:price_book_detail": "200 200 200 200 200 200",
    "sales:price_book_edit": "200 200 403 403 403 403",
    "sales:price_book_price": "405 405 405 405 405 405",
}
# url name: expected status of a valid POST per role.
HTML_POST_MATRIX: dict[str, str] = {
    "sales:quote_create": "302 302 404 403 403 403",
    "sales:quote_transition": "302 302 404 403 403 403",
    "sales:quote_lines": "302 302 404 403 403 403",
    "sales:product_create": "302 302 403 403 403 403",
    "sales:product_edit": "302 302 403 403 403 403",
    "sales:price_book_create": "302 302 403 403 403 403",
    "sales:price_book_edit": "302 302 403 403 403 403",
    "sales:price_book_price": "302 302 403 403 403 403",
}


def _html_views() -> list[tuple[str, str]]:
    views = [
        (name, reverse(name))
        for name in (
            "sales:product_list",
            "sales:order_list",
            "sales:product_create",
            "sales:price_book_list",
            "sales:price_book_create",
        )
    ]
    for name in (
        "sales:quote_create",
        "sales:quote_detail",
        "sales:quote_pdf",
        "sales:quote_lines",
        "sales:order_detail",
        "sales:product_edit",
        "sales:price_book_detail",
        "sales:price_book_edit",
        "sales:price_book_price",
    ):
        views.append((name, reverse(name, args=[1])))
    views.append(("sales:quote_transition", reverse("sales:quote_transition", args=[1, "send"])))
    return views


def _html_url(name: str, path: str, t: Targets) -> str:
    target = {
        "sales:quote_create": t.catalog_deal,
        "sales:order_detail": t.order,
        "sales:product_edit": t.product,
        "sales:price_book_detail": t.price_book,
        "sales:price_book_edit": t.price_book,
        "sales:price_book_price": t.price_book,
    }.get(name, t.quote if "quote" in name else None)
    return path if target is None else path.replace("/1/", f"/{target.pk}/")


def _html_form(name: str, t: Targets) -> dict[str, Any]:
    product = {"sku": "NEW-1", "name_en": "New product", "tax_rate": "18", "is_active": "on"}
    forms: dict[str, dict[str, Any]] = {
        "sales:quote_transition": {"version": str(t.quote.version)},
        "sales:quote_lines": {
            "version": str(t.quote.version),
            "line_count": "1",
            "lines-0-description": "Setup",
            "lines-0-unit_price": "500",
            "discount_percent": "5",
        },
        "sales:product_create": product,
        "sales:product_edit": {
            **product,
            "sku": t.product.sku,
            "name_hi": "नया उत्पाद",
            "version": str(t.product.version),
        },
        "sales:price_book_create": {"name": "New book", "is_active": "on"},
        "sales:price_book_edit": {
            "name": "Renamed book",
            "is_active": "on",
            "version": str(t.price_book.version),
        },
        "sales:price_book_price": {
            "product_id": str(t.product.pk),
            "currency": "INR",
            "unit_price": "99.50",
        },
    }
    return forms.get(name, {"discount_percent": "5"})


PART = MatrixPart(
    name="catalogue, quotes and orders",
    api=API_MATRIX,
    api_ids=[
        (f"{API}/products/", "product"),
        (f"{API}/price-books/", "price_book"),
        (f"{API}/deals/{{id}}/quotes", "catalog_deal"),
        (f"{API}/quotes/", "quote"),
        (f"{API}/orders/", "order"),
    ],
    api_body=_api_body,
    html_get=HTML_GET_MATRIX,
    html_post=HTML_POST_MATRIX,
    html_views=_html_views,
    html_url=_html_url,
    html_form=_html_form,
    make_targets=_make_targets,
    state_models=[Product, PriceBook, PriceBookEntry, Quote, QuoteLine, Order, OrderLine],
)
