"""API schemas of products, price books, quotes and orders.

Inputs are loose (numbers may come as strings, "12.50"): the services parse and validate
every value with translated per-field messages. Money goes out as decimal strings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from sambandh.core.schemas import Id, In, Version

Text = str | None
Number = str | int | float | None
Lines = list[dict[str, Any]] | None

LINE_HELP = (
    'Lines: [{"product_id", "description", "quantity", "unit_price", "discount_percent", '
    '"tax_rate"}]; amounts as decimal strings; percentages from 0 to 100.'
)


class ProductIn(In):
    sku: Text = None
    name_en: Text = None
    name_hi: Text = None
    description: Text = None
    tax_rate: Number = Field(None, description="Default tax (e.g. GST) rate in percent.")
    is_active: bool | None = None


class ProductPatchIn(ProductIn):
    version: Version


class ProductOut(Schema):
    id: int
    version: int
    sku: str
    name_en: str
    name_hi: str
    description: str
    tax_rate: str
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductPageOut(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class PriceBookIn(In):
    name: Text = None
    is_default: bool | None = None
    is_active: bool | None = None


class PriceBookPatchIn(PriceBookIn):
    version: Version


class PriceBookOut(Schema):
    id: int
    version: int
    name: str
    is_default: bool
    is_active: bool


class PriceEntryIn(In):
    product_id: Number = None
    currency: Text = None
    unit_price: Number = Field(None, description="null removes the price.")


class PriceEntryOut(Schema):
    price_book_id: int
    product_id: int
    product_sku: str
    currency: str
    unit_price: str | None


class LineOut(Schema):
    id: int | None
    position: int
    product_id: int | None
    product_sku: str | None
    description: str
    quantity: str
    unit_price: str
    discount_percent: str
    tax_rate: str
    line_total: str


class QuoteCreateIn(In):
    currency: Text = Field(None, description="Defaults to the deal's currency.")
    price_book_id: Number = Field(None, description="For prices in another currency.")
    valid_until: Text = Field(None, description="YYYY-MM-DD; default in 30 days.")
    discount_percent: Number = None
    terms: Text = None
    language: Text = Field(None, description="Language of the PDF: en or hi.")


class QuotePatchIn(In):
    valid_until: Text = None
    discount_percent: Number = None
    terms: Text = None
    language: Text = None
    currency: Text = Field(None, description="Fixed at creation; sending it is a 400.")
    version: Version


class QuoteLinesIn(In):
    lines: Lines = Field(None, description=LINE_HELP)
    version: Version


class VersionIn(In):
    version: Version | None = None


class QuoteOut(Schema):
    id: int
    version: int
    deal_id: int
    number: str
    revision: int
    status: str = Field(description="draft, sent, accepted, rejected or expired.")
    issued_on: dt.date | None
    valid_until: dt.date | None
    currency: str
    discount_percent: str
    subtotal: str
    discount_total: str
    tax_total: str
    total: str
    terms: str
    language: str
    lines: list[LineOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class OrderIn(In):
    external_id: Text = Field(None, description="Your id: posting it again is safe.")
    contact_id: Number = None
    account_id: Number = None
    ordered_on: Text = Field(None, description="YYYY-MM-DD; default today.")
    currency: Text = None
    status: Text = None
    lines: Lines = Field(None, description=LINE_HELP)


class OrderPatchIn(In):
    status: Text = None
    version: Version


class OrderOut(Schema):
    id: int
    version: int
    number: str
    external_id: str | None
    source: str
    status: str
    contact_id: int | None
    account_id: int | None
    deal_id: int | None
    owner_id: int | None
    team_id: int | None
    ordered_on: dt.date
    currency: str
    subtotal: str
    discount_total: str
    tax_total: str
    total: str
    lines: list[LineOut]
    created_at: dt.datetime


class OrderPageOut(Schema):
    items: list[OrderOut]
    next_cursor: str | None


__all__ = ["Id"]
