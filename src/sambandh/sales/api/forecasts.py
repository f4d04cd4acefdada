"""API routes for the forecast and for exchange rates. Thin: parse, call a selector or a
service, shape the response. Money is a decimal string in the base currency."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, Field

from sambandh.core.api import actor_of
from sambandh.core.errors import ValidationError
from sambandh.core.models import Action, ExchangeRate, ObjectType
from sambandh.core.money import base_currency
from sambandh.core.permissions import require
from sambandh.core.rates import exchange_rate_delete, exchange_rate_set, exchange_rates_load_csv
from sambandh.core.schemas import ERRORS, Id, In
from sambandh.sales.selectors import forecasts as selectors

router = Router(tags=["forecasts"])

PageSize = Annotated[int, Field(ge=1, le=200)]


# ---------------------------------------------------------------- schemas


class RateOut(Schema):
    id: int
    currency: str
    rate_on: dt.date
    rate: str = Field(description="Base-currency units per one unit of `currency`.")


class RatePageOut(Schema):
    base_currency: str
    items: list[RateOut]
    next_cursor: str | None


class RateIn(In):
    currency: str = Field(max_length=10, description="ISO 4217 code, not the base currency.")
    rate_on: str = Field(max_length=40, description="YYYY-MM-DD")
    rate: str | float | int = Field(description="Base-currency units per one unit (> 0).")


class RateImportOut(Schema):
    created: int
    updated: int
    unchanged: int


class Out(BaseModel):
    """A plain pydantic output model: the forecast is dicts, and ninja's Schema would wrap
    every one of its hundreds of cells in an ORM-attribute getter (slow, and not needed)."""


class CellOut(Out):
    """Amounts are decimal strings in the base currency."""

    pipeline: str
    best_case: str
    commit: str
    forecast: str = Field(description="pipeline + best_case + commit (weighted).")
    won: str = Field(description="Won revenue (closed) by closed_on.")
    open_deals: int
    won_deals: int
    missing_rates: int = Field(description="Deals left out: no exchange rate for their date.")


class PeriodCellOut(CellOut):
    period: str


class PeriodOut(Out):
    key: str
    start: dt.date
    end: dt.date


class GroupOut(Out):
    id: int | None
    label: str
    cells: list[PeriodCellOut]
    total: CellOut


class ForecastOut(Out):
    period: str
    group_by: str
    currency: str
    from_month: str = Field(alias="from")
    to_month: str = Field(alias="to")
    pipeline_id: int | None
    periods: list[PeriodOut]
    rows: list[GroupOut]
    totals: list[PeriodCellOut]
    total: CellOut


class ForecastQuery(Schema):
    period: Literal["month", "quarter"] = "month"
    group_by: Literal["owner", "team", "territory"] = "owner"
    from_month: str | None = Field(None, alias="from", max_length=20, description="YYYY-MM")
    to_month: str | None = Field(None, alias="to", max_length=20, description="YYYY-MM")
    pipeline: Id | None = None


def rate_out(rate: ExchangeRate) -> dict[str, Any]:
    return {
        "id": rate.pk,
        "currency": rate.currency,
        "rate_on": rate.rate_on,
        "rate": format(Decimal(rate.rate).normalize(), "f"),
    }


# ---------------------------------------------------------------- exchange rates


@router.get(
    "/exchange-rates",
    response={200: RatePageOut, **ERRORS},
    tags=["exchange rates"],
    summary="List exchange rates",
    description="Newest date first; `currency` filters one currency.",
)
def exchange_rates_list(
    request: HttpRequest,
    currency: Annotated[str | None, Field(max_length=10)] = None,
    cursor: Annotated[str | None, Field(max_length=1000)] = None,
    limit: PageSize = 50,
) -> dict[str, Any]:
    page = selectors.exchange_rate_list(
        actor=actor_of(request), currency=currency, cursor=cursor, limit=limit
    )
    return {
        "base_currency": base_currency(),
        "items": [rate_out(r) for r in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post(
    "/exchange-rates",
    response={200: RateOut, **ERRORS},
    tags=["exchange rates"],
    summary="Set an exchange rate",
    description="Creates the rate of `currency` on `rate_on`, or replaces the one there.",
)
def exchange_rates_set(request: HttpRequest, payload: RateIn) -> dict[str, Any]:
    rate = exchange_rate_set(
        actor=actor_of(request),
        currency=payload.currency,
        rate_on=payload.rate_on,
        rate=payload.rate,
    )
    return rate_out(rate)


_IMPORT_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"csv": {"type": "string", "description": "The file's text."}},
                "required": ["csv"],
                "additionalProperties": False,
            }
        },
        "text/csv": {"schema": {"type": "string"}},
    },
}


def _uploaded_csv(request: HttpRequest) -> Any:
    """The CSV of an import: a multipart ``file``, a JSON ``{"csv": "..."}`` or a text/csv body."""
    content_type = (request.content_type or "").lower()
    if content_type.startswith("multipart/form-data"):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Choose a CSV file.")]})
        return upload
    if content_type == "application/json":
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationError({"csv": [_("Enter text.")]}) from exc
        if not isinstance(body, dict) or set(body) != {"csv"} or not isinstance(body["csv"], str):
            raise ValidationError({"csv": [_("Send the file's text as csv.")]})
        return body["csv"].encode("utf-8", "replace")
    return request.body


@router.post(
    "/exchange-rates/import",
    response={200: RateImportOut, **ERRORS},
    tags=["exchange rates"],
    summary="Load exchange rates from CSV",
    description=(
        'The CSV as a multipart `file`, a JSON `{"csv": "..."}` or a `text/csv` body: '
        "UTF-8, header `currency,date,rate`, ISO dates. All or nothing: if any row is bad, "
        "nothing is written and the 400's `fields` name each problem as `<line>.<field>` "
        "(the header is line 1)."
    ),
    openapi_extra={"requestBody": _IMPORT_BODY},
)
def exchange_rates_import(request: HttpRequest) -> dict[str, Any]:
    actor = actor_of(request)
    # Refuse before reading the upload: a caller who may not import learns nothing about it.
    require(actor, ObjectType.EXCHANGE_RATE, Action.CREATE)
    result = exchange_rates_load_csv(actor=actor, file=_uploaded_csv(request))
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}


@router.delete(
    "/exchange-rates/{id}",
    response={204: None, **ERRORS},
    tags=["exchange rates"],
    summary="Delete an exchange rate",
)
def exchange_rates_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    exchange_rate_delete(actor=actor, rate=selectors.exchange_rate_get(actor=actor, pk=id))
    return Status(204, None)


# ---------------------------------------------------------------- forecast


def _cell(cell: selectors.Cell, period: str | None = None) -> dict[str, Any]:
    out = {k: str(v) if isinstance(v, Decimal) else v for k, v in cell.as_dict().items()}
    if period is not None:
        out["period"] = period
    return out


def forecast_out(f: selectors.Forecast) -> dict[str, Any]:
    last = f.end - dt.timedelta(days=1)
    return {
        "period": f.period,
        "group_by": f.group_by,
        "currency": f.currency,
        "from": f"{f.start.year}-{f.start.month:02d}",
        "to": f"{last.year}-{last.month:02d}",
        "pipeline_id": f.pipeline_id,
        "periods": [
            {"key": p.key, "start": p.start, "end": p.end - dt.timedelta(days=1)} for p in f.periods
        ],
        "rows": [
            {
                "id": row.id,
                "label": row.label,
                "cells": [_cell(row.cells[p.key], p.key) for p in f.periods],
                "total": _cell(row.total),
            }
            for row in f.rows
        ],
        "totals": [_cell(f.totals[p.key], p.key) for p in f.periods],
        "total": _cell(f.total),
    }


@router.get(
    "/forecasts",
    response={200: ForecastOut, **ERRORS},
    summary="Forecast against won revenue",
    description=(
        "Weighted open pipeline (amount x probability, converted to the base currency at "
        "the rate of each deal's expected close date) by period of `expected_close_on`, and "
        "won revenue (at the rate of `closed_on`) by period of `closed_on`; grouped by owner, "
        "team or territory, with the forecast categories as columns. Only deals you may read. "
        "`from`/`to` are months (YYYY-MM, inclusive; default: this quarter and the next three)."
    ),
    by_alias=True,
)
def forecasts_get(request: HttpRequest, query: Query[ForecastQuery]) -> dict[str, Any]:
    f = selectors.forecast(
        actor=actor_of(request),
        period=query.period,
        group_by=query.group_by,
        start=selectors.parse_month(query.from_month, "from"),
        end=selectors.parse_month(query.to_month, "to"),
        pipeline=query.pipeline,
    )
    return forecast_out(f)
