"""API routes for products, price books, quotes (with the PDF) and orders. Thin: parse, call
a selector or a service, shape the response."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import Field

from sambandh.core.api import actor_of, body_of
from sambandh.core.schemas import ERRORS, Id
from sambandh.sales import pdf
from sambandh.sales.models import Order, PriceBook, PriceBookEntry, Product, Quote
from sambandh.sales.schemas_catalog import (
    OrderIn,
    OrderOut,
    OrderPageOut,
    OrderPatchIn,
    PriceBookIn,
    PriceBookOut,
    PriceBookPatchIn,
    PriceEntryIn,
    PriceEntryOut,
    ProductIn,
    ProductOut,
    ProductPageOut,
    ProductPatchIn,
    QuoteCreateIn,
    QuoteLinesIn,
    QuoteOut,
    QuotePatchIn,
    VersionIn,
)
from sambandh.sales.selectors import catalog as selectors
from sambandh.sales.services import catalog as catalog_services
from sambandh.sales.services import orders as order_services
from sambandh.sales.services import quotes as quote_services

router = Router(tags=["catalog"])
PageSize = Annotated[int, Field(ge=1, le=200)]


def _dec(value: Decimal | int | None) -> str:
    return f"{Decimal(value or 0):.2f}"


def product_out(p: Product) -> dict[str, Any]:
    return {
        "id": p.pk,
        "version": p.version,
        "sku": p.sku,
        "name_en": p.name_en,
        "name_hi": p.name_hi,
        "description": p.description,
        "tax_rate": _dec(p.tax_rate),
        "is_active": p.is_active,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def price_book_out(b: PriceBook) -> dict[str, Any]:
    return {
        "id": b.pk,
        "version": b.version,
        "name": b.name,
        "is_default": b.is_default,
        "is_active": b.is_active,
    }


def entry_out(e: PriceBookEntry) -> dict[str, Any]:
    return {
        "price_book_id": e.price_book_id,
        "product_id": e.product_id,
        "product_sku": e.product.sku,
        "currency": e.currency,
        "unit_price": None if e.unit_price is None else _dec(e.unit_price),
    }


def _line_out(line: Any) -> dict[str, Any]:
    return {
        "id": line.pk,
        "position": line.position,
        "product_id": line.product_id,
        "product_sku": line.product.sku if line.product_id else None,
        "description": line.description,
        "quantity": _dec(line.quantity),
        "unit_price": _dec(line.unit_price),
        "discount_percent": _dec(line.discount_percent),
        "tax_rate": _dec(line.tax_rate),
        "line_total": _dec(line.line_total),
    }


def quote_out(q: Quote) -> dict[str, Any]:
    return {
        "id": q.pk,
        "version": q.version,
        "deal_id": q.deal_id,
        "number": q.number,
        "revision": q.revision,
        "status": quote_services.quote_status(q),
        "issued_on": q.issued_on,
        "valid_until": q.valid_until,
        "currency": q.currency,
        "discount_percent": _dec(q.discount_percent),
        "subtotal": _dec(q.subtotal),
        "discount_total": _dec(q.discount_total),
        "tax_total": _dec(q.tax_total),
        "total": _dec(q.total),
        "terms": q.terms,
        "language": q.language,
        "lines": [_line_out(li) for li in q.lines.all()],
        "created_at": q.created_at,
        "updated_at": q.updated_at,
    }


def order_out(o: Order) -> dict[str, Any]:
    return {
        "id": o.pk,
        "version": o.version,
        "number": o.number,
        "external_id": o.external_id,
        "source": o.source,
        "status": o.status,
        "contact_id": o.contact_id,
        "account_id": o.account_id,
        "deal_id": o.deal_id,
        "owner_id": o.owner_id,
        "team_id": o.team_id,
        "ordered_on": o.ordered_on,
        "currency": o.currency,
        "subtotal": _dec(o.subtotal),
        "discount_total": _dec(o.discount_total),
        "tax_total": _dec(o.tax_total),
        "total": _dec(o.total),
        "lines": [_line_out(li) for li in o.lines.all()],
        "created_at": o.created_at,
    }


# ---------------------------------------------------------------- products


@router.get("/products", response={200: ProductPageOut, **ERRORS}, summary="List products")
def products_list(
    request: HttpRequest,
    q: str | None = None,
    active: str | None = None,
    cursor: str | None = None,
    limit: PageSize = 50,
) -> dict[str, Any]:
    page = selectors.product_list(
        actor=actor_of(request), q=q, active=active, cursor=cursor, limit=limit
    )
    return {"items": [product_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.post("/products", response={201: ProductOut, **ERRORS}, summary="Create a product")
def products_create(request: HttpRequest, payload: ProductIn) -> Status[dict[str, Any]]:
    product = catalog_services.product_create(actor=actor_of(request), data=body_of(payload))
    return Status(201, product_out(product))


@router.get("/products/{id}", response={200: ProductOut, **ERRORS}, summary="One product")
def products_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return product_out(selectors.product_get(actor=actor_of(request), pk=id))


@router.patch("/products/{id}", response={200: ProductOut, **ERRORS}, summary="Change a product")
def products_patch(request: HttpRequest, id: Id, payload: ProductPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    product = catalog_services.product_update(
        actor=actor,
        product=selectors.product_get(actor=actor, pk=id),
        data=body_of(payload),
        version=payload.version,
    )
    return product_out(product)


# ---------------------------------------------------------------- price books


@router.get("/price-books", response={200: list[PriceBookOut], **ERRORS}, summary="Price books")
def price_books_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [price_book_out(b) for b in selectors.price_book_list(actor=actor_of(request))]


@router.post("/price-books", response={201: PriceBookOut, **ERRORS}, summary="Create a price book")
def price_books_create(request: HttpRequest, payload: PriceBookIn) -> Status[dict[str, Any]]:
    book = catalog_services.price_book_create(actor=actor_of(request), data=body_of(payload))
    return Status(201, price_book_out(book))


@router.get("/price-books/{id}", response={200: PriceBookOut, **ERRORS}, summary="A price book")
def price_books_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return price_book_out(selectors.price_book_get(actor=actor_of(request), pk=id))


@router.patch(
    "/price-books/{id}", response={200: PriceBookOut, **ERRORS}, summary="Change a price book"
)
def price_books_patch(request: HttpRequest, id: Id, payload: PriceBookPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    book = catalog_services.price_book_update(
        actor=actor,
        price_book=selectors.price_book_get(actor=actor, pk=id),
        data=body_of(payload),
        version=payload.version,
    )
    return price_book_out(book)


@router.get(
    "/price-books/{id}/entries",
    response={200: list[PriceEntryOut], **ERRORS},
    summary="The prices of a price book",
)
def price_entries_list(request: HttpRequest, id: Id) -> list[dict[str, Any]]:
    actor = actor_of(request)
    book = selectors.price_book_get(actor=actor, pk=id)
    return [entry_out(e) for e in selectors.price_book_entries(actor=actor, price_book=book)]


@router.post(
    "/price-books/{id}/entries",
    response={200: PriceEntryOut, **ERRORS},
    summary="Set (or with unit_price null, remove) a product's price in one currency",
)
def price_entries_set(request: HttpRequest, id: Id, payload: PriceEntryIn) -> dict[str, Any]:
    actor = actor_of(request)
    book = selectors.price_book_get(actor=actor, pk=id)
    entry, _created = catalog_services.price_book_entry_set(
        actor=actor, price_book=book, data=body_of(payload)
    )
    entry.product = Product.objects.get(pk=entry.product_id)
    out = entry_out(entry)
    if entry.pk is None:
        out["unit_price"] = None
    return out


# ---------------------------------------------------------------- quotes


def _quote(request: HttpRequest, pk: int) -> dict[str, Any]:
    return quote_out(selectors.quote_detail(actor=actor_of(request), pk=pk))


@router.get(
    "/deals/{id}/quotes", response={200: list[QuoteOut], **ERRORS}, summary="A deal's quotes"
)
def deal_quotes_list(request: HttpRequest, id: Id) -> list[dict[str, Any]]:
    actor = actor_of(request)
    deal = selectors.deal_get(actor=actor, pk=id)
    quotes = selectors.quote_list_for_deal(actor=actor, deal=deal)
    return [quote_out(q) for q in quotes]


@router.post(
    "/deals/{id}/quotes",
    response={201: QuoteOut, **ERRORS},
    summary="Create a quote from the deal's line items",
)
def deal_quotes_create(
    request: HttpRequest, id: Id, payload: QuoteCreateIn
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    deal = selectors.deal_get(actor=actor, pk=id)
    quote = quote_services.quote_create_from_deal(actor=actor, deal=deal, data=body_of(payload))
    return Status(201, _quote(request, quote.pk))


@router.get("/quotes/{id}", response={200: QuoteOut, **ERRORS}, summary="One quote")
def quotes_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return _quote(request, id)


@router.patch("/quotes/{id}", response={200: QuoteOut, **ERRORS}, summary="Change a draft quote")
def quotes_patch(request: HttpRequest, id: Id, payload: QuotePatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    quote_services.quote_update(
        actor=actor,
        quote=selectors.quote_get(actor=actor, pk=id),
        data=body_of(payload),
        version=payload.version,
    )
    return _quote(request, id)


@router.post(
    "/quotes/{id}/lines", response={200: QuoteOut, **ERRORS}, summary="Replace a draft's lines"
)
def quotes_lines(request: HttpRequest, id: Id, payload: QuoteLinesIn) -> dict[str, Any]:
    actor = actor_of(request)
    quote_services.quote_lines_set(
        actor=actor,
        quote=selectors.quote_get(actor=actor, pk=id),
        lines=payload.lines,
        version=payload.version,
    )
    return _quote(request, id)


def _transition(request: HttpRequest, id: int, payload: VersionIn, action: Any) -> dict[str, Any]:
    actor = actor_of(request)
    action(actor=actor, quote=selectors.quote_get(actor=actor, pk=id), version=payload.version)
    return _quote(request, id)


@router.post("/quotes/{id}/send", response={200: QuoteOut, **ERRORS}, summary="Mark as sent")
def quotes_send(request: HttpRequest, id: Id, payload: VersionIn) -> dict[str, Any]:
    return _transition(request, id, payload, quote_services.quote_send)


@router.post("/quotes/{id}/accept", response={200: QuoteOut, **ERRORS}, summary="Mark as accepted")
def quotes_accept(request: HttpRequest, id: Id, payload: VersionIn) -> dict[str, Any]:
    return _transition(request, id, payload, quote_services.quote_accept)


@router.post("/quotes/{id}/reject", response={200: QuoteOut, **ERRORS}, summary="Mark as rejected")
def quotes_reject(request: HttpRequest, id: Id, payload: VersionIn) -> dict[str, Any]:
    return _transition(request, id, payload, quote_services.quote_reject)


@router.post(
    "/quotes/{id}/revise",
    response={201: QuoteOut, **ERRORS},
    summary="A new revision (same number); the old one is kept",
)
def quotes_revise(request: HttpRequest, id: Id, payload: VersionIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    new = quote_services.quote_revise(
        actor=actor, quote=selectors.quote_get(actor=actor, pk=id), version=payload.version
    )
    return Status(201, _quote(request, new.pk))


PDF_RESPONSE = {
    "responses": {
        "200": {
            "description": "The quote as a PDF document.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get(
    "/quotes/{id}/pdf",
    response={**ERRORS},
    summary="The quote as a PDF",
    openapi_extra=PDF_RESPONSE,
)
def quotes_pdf(request: HttpRequest, id: Id) -> HttpResponse:
    quote = selectors.quote_detail(actor=actor_of(request), pk=id)
    response = HttpResponse(pdf.quote_pdf(quote), content_type="application/pdf")
    filename = f"{quote.number}-r{quote.revision}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------- orders


@router.get("/orders", response={200: OrderPageOut, **ERRORS}, summary="List orders")
def orders_list(
    request: HttpRequest,
    contact_id: str | None = None,
    account_id: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: PageSize = 50,
) -> dict[str, Any]:
    page = selectors.order_list(
        actor=actor_of(request),
        contact_id=contact_id,
        account_id=account_id,
        status=status,
        cursor=cursor,
        limit=limit,
    )
    return {"items": [order_out(o) for o in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/orders",
    response={200: OrderOut, 201: OrderOut, **ERRORS},
    summary="Record a purchase (idempotent by external_id)",
    description="The same `external_id` with the same content answers 200 with the stored "
    "order; with different content, 409.",
)
def orders_create(request: HttpRequest, payload: OrderIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    order, created = order_services.order_create(actor=actor, data=body_of(payload))
    detail = selectors.order_detail(actor=actor, pk=order.pk)
    return Status(201 if created else 200, order_out(detail))


@router.get("/orders/{id}", response={200: OrderOut, **ERRORS}, summary="One order")
def orders_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return order_out(selectors.order_detail(actor=actor_of(request), pk=id))


@router.patch(
    "/orders/{id}", response={200: OrderOut, **ERRORS}, summary="Change an order's status"
)
def orders_patch(request: HttpRequest, id: Id, payload: OrderPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    order_services.order_set_status(
        actor=actor,
        order=selectors.order_get(actor=actor, pk=id),
        status=payload.status,
        version=payload.version,
    )
    return order_out(selectors.order_detail(actor=actor, pk=id))
