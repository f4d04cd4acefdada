"""HTML pages for the forecast (a table and a server-rendered SVG chart) and exchange rates
(list, add one, load a CSV, delete). Thin: parse, call a selector or a service, render."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sambandh.core.errors import PermissionDenied, ValidationError
from sambandh.core.models import Action, ObjectType
from sambandh.core.money import base_currency, format_money
from sambandh.core.permissions import has_grant, in_scope, visible
from sambandh.core.rates import (
    RateImportError,
    exchange_rate_delete,
    exchange_rate_set,
    exchange_rates_load_csv,
)
from sambandh.sales.models import Pipeline
from sambandh.sales.selectors import forecasts as selectors
from sambandh.web.http import HtmxRequest, actor_of, page_view

RATES_PAGE = 50

# ---------------------------------------------------------------- the chart


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    label: str  # what a screen reader or a tooltip says


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[tuple[float, str]]  # x of a period's middle, its label


# Colours with enough contrast against white and between neighbours.
COLOURS = {
    "commit": "#1e3a8a",
    "best_case": "#3b82f6",
    "pipeline": "#93c5fd",
    "won": "#15803d",
}


def period_label(period: selectors.Period, kind: str) -> str:
    if kind == "quarter":
        return _("Q%(quarter)d %(year)d") % {
            "quarter": (period.start.month - 1) // 3 + 1,
            "year": period.start.year,
        }
    return formats.date_format(period.start, "F Y")


def _nice_ceiling(value: Decimal) -> Decimal:
    """1, 2, 2.5 or 5 times a power of ten, at least ``value`` (axis maximum)."""
    if value <= 0:
        return Decimal(1)
    exponent = len(str(int(value))) - 1
    power = Decimal(10) ** exponent
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= power * step:
            return power * step
    return power * 10


def forecast_chart(f: selectors.Forecast, labels: dict[str, str]) -> Chart:
    """Bar geometry: per period a stacked forecast bar (commit, best case, pipeline from the
    bottom) and a won bar next to it."""
    width, height, left, top, bottom, right = 760, 320, 110, 16, 48, 16
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max([Decimal(0)] + [max(c.forecast, c.won) for c in f.totals.values()])
    scale_max = _nice_ceiling(top_value)
    n = max(len(f.periods), 1)
    slot = plot_w / n
    bar_w = max(min(slot * 0.34, 48), 2)
    names = {
        "commit": _("Commit"),
        "best_case": _("Best case"),
        "pipeline": _("Pipeline"),
        "won": _("Won"),
    }
    bars: list[Bar] = []
    axis: list[tuple[float, str]] = []

    def h(amount: Decimal) -> float:
        return float(amount / scale_max) * plot_h

    # A label is ~95 px wide ("September 2027"): label every ``step``-th period so they never
    # overlap; every bar still names its period in its tooltip and the table has them all.
    step = max(1, math.ceil(95 / slot))
    for i, p in enumerate(f.periods):
        cell = f.totals[p.key]
        middle = left + slot * i + slot / 2
        if i % step == 0:
            axis.append((middle, labels[p.key]))
        base_y = float(top + plot_h)
        x = middle - bar_w - 1
        for key in ("commit", "best_case", "pipeline"):
            amount: Decimal = getattr(cell, key)
            if amount <= 0:
                continue
            bh = h(amount)
            base_y -= bh
            bars.append(
                Bar(
                    x,
                    base_y,
                    bar_w,
                    bh,
                    COLOURS[key],
                    f"{labels[p.key]}, {names[key]}: {format_money(amount, f.currency)}",
                )  # fmt: skip
            )
        if cell.won > 0:
            bh = h(cell.won)
            bars.append(
                Bar(
                    middle + 1,
                    top + plot_h - bh,
                    bar_w,
                    bh,
                    COLOURS["won"],
                    f"{labels[p.key]}, {names['won']}: {format_money(cell.won, f.currency)}",
                )  # fmt: skip
            )
    ticks = [
        Tick(top + plot_h - plot_h * i / 4, format_money(scale_max * i / 4, f.currency))
        for i in range(5)
    ]
    return Chart(width, height, left, top, plot_w, plot_h, bars, ticks, axis)


# ---------------------------------------------------------------- forecast page


def _month_value(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


@require_http_methods(["GET"])
@page_view
def forecast_page(request: HtmxRequest) -> HttpResponse:
    """The forecast table and chart; bad parameters show the form with the error (400)."""
    actor = actor_of(request)
    params = {
        k: request.GET.get(k, "").strip()[:20]
        for k in ("period", "group_by", "from", "to", "pipeline")
    }
    status = 200
    error: ValidationError | None = None
    f: selectors.Forecast | None = None
    try:
        pipeline = params["pipeline"]
        if pipeline and not pipeline.isdigit():
            raise ValidationError({"pipeline": [_("Choose one of the offered values.")]})
        f = selectors.forecast(
            actor=actor,
            period=params["period"] or "month",
            group_by=params["group_by"] or "owner",
            start=selectors.parse_month(params["from"], "from"),
            end=selectors.parse_month(params["to"], "to"),
            pipeline=int(pipeline) if pipeline else None,
        )
    except ValidationError as exc:
        error, status = exc, exc.status
    context: dict[str, Any] = {
        "params": params,
        "error": error,
        "forecast": f,
        "pipelines": list(visible(actor, Pipeline).filter(is_active=True)),
        "periods": [("month", _("Month")), ("quarter", _("Quarter"))],
        "groups": [(k, str(v)) for k, v in selectors.GROUP_LABELS.items()],
        "can_manage_rates": has_grant(actor, ObjectType.EXCHANGE_RATE, Action.CREATE),
    }
    if f is not None:
        labels = {p.key: period_label(p, f.period) for p in f.periods}
        context.update(
            group_label=selectors.GROUP_LABELS[f.group_by],
            from_value=_month_value(f.start),
            to_value=_month_value(f.end - dt.timedelta(days=1)),
            period_labels=labels,
            chart=forecast_chart(f, labels),
            colours=COLOURS,
            table_rows=[
                (
                    row,
                    [
                        (labels[p.key], row.cells[p.key])
                        for p in f.periods
                        if _shown(row.cells[p.key])
                    ],
                )
                for row in f.rows
            ],
            totals=[(labels[p.key], f.totals[p.key]) for p in f.periods],
        )
    return render(request, "sales/forecasts/forecast.html", context, status=status)


def _shown(cell: selectors.Cell) -> bool:
    return bool(cell.open_deals or cell.won_deals or cell.missing_rates)


# ---------------------------------------------------------------- exchange rates


def _rates_context(request: HtmxRequest, *, listed: bool = True, **extra: Any) -> dict[str, Any]:
    actor = actor_of(request)
    currency = request.GET.get("currency", "").strip()[:10] if listed else ""
    cursor = (request.GET.get("cursor") or None) if listed else None
    page = selectors.exchange_rate_list(
        actor=actor, currency=currency or None, cursor=cursor, limit=RATES_PAGE
    )
    next_url = None
    if page.next_cursor:
        query = {"cursor": page.next_cursor, **({"currency": currency} if currency else {})}
        next_url = f"{reverse('sales:exchange_rates')}?{urlencode(query)}"
    context: dict[str, Any] = {
        "page": page,
        "currency": currency,
        "next_url": next_url,
        "can_create": has_grant(actor, ObjectType.EXCHANGE_RATE, Action.CREATE),
        "can_delete": has_grant(actor, ObjectType.EXCHANGE_RATE, Action.DELETE),
        "values": {"currency": "", "rate_on": "", "rate": ""},
        "errors": {},
        "problems": [],
        "base_currency": base_currency(),
    }
    context.update(extra)
    return context


@require_http_methods(["GET", "POST"])
@page_view
def exchange_rates(request: HtmxRequest) -> HttpResponse:
    """The rates, newest first, with a form to add one (POST) and a CSV upload."""
    actor = actor_of(request)
    if request.method == "POST":
        if not has_grant(actor, ObjectType.EXCHANGE_RATE, Action.CREATE):
            raise PermissionDenied()
        values = {k: request.POST.get(k, "").strip() for k in ("currency", "rate_on", "rate")}
        try:
            rate = exchange_rate_set(actor=actor, **values)
        except ValidationError as exc:
            errors = dict(exc.fields)
            context = _rates_context(request, values=values, errors=errors, form_error=exc.message)
            return render(request, "sales/forecasts/rates.html", context, status=exc.status)
        messages.success(
            request,
            _("Saved: 1 %(currency)s = %(rate)s %(base)s on %(date)s.")
            % {
                "currency": rate.currency,
                "rate": format(rate.rate.normalize(), "f"),
                "base": base_currency(),
                "date": formats.date_format(rate.rate_on, "DATE_FORMAT"),
            },
        )
        return redirect("sales:exchange_rates")
    try:
        context = _rates_context(request)
    except ValidationError as exc:
        context = _rates_context(request, listed=False, list_error=exc)
        return render(request, "sales/forecasts/rates.html", context, status=exc.status)
    return render(request, "sales/forecasts/rates.html", context)


@require_http_methods(["GET", "POST"])
@page_view
def exchange_rates_import(request: HtmxRequest) -> HttpResponse:
    """POST: load the uploaded CSV (all or nothing). GET: back to the rates page."""
    if request.method == "GET":
        return redirect("sales:exchange_rates")
    actor = actor_of(request)
    if not has_grant(actor, ObjectType.EXCHANGE_RATE, Action.CREATE):
        raise PermissionDenied()
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError({"file": [_("Choose a CSV file.")]})
        result = exchange_rates_load_csv(actor=actor, file=upload)
    except RateImportError as exc:
        context = _rates_context(request, problems=exc.problems, import_error=exc.message)
        return render(request, "sales/forecasts/rates.html", context, status=exc.status)
    except ValidationError as exc:
        context = _rates_context(
            request, import_error=" ".join(m for msgs in exc.fields.values() for m in msgs)
        )
        return render(request, "sales/forecasts/rates.html", context, status=exc.status)
    messages.success(
        request,
        _("Loaded %(total)d rates: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.")
        % {
            "total": result.total,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
    return redirect("sales:exchange_rates")


@require_http_methods(["GET", "POST"])
@page_view
def exchange_rate_delete_view(request: HtmxRequest, pk: int) -> HttpResponse:
    """Ask first (GET), delete on POST."""
    actor = actor_of(request)
    rate = selectors.exchange_rate_get(actor=actor, pk=pk)
    if not in_scope(actor, rate, Action.DELETE):
        raise PermissionDenied()
    if request.method == "POST":
        exchange_rate_delete(actor=actor, rate=rate)
        messages.success(request, _("Deleted."))
        return redirect("sales:exchange_rates")
    return render(request, "sales/forecasts/rate_delete.html", {"rate": rate})


urlpatterns = [
    path("forecasts/", forecast_page, name="forecasts"),
    path("exchange-rates/", exchange_rates, name="exchange_rates"),
    path("exchange-rates/import/", exchange_rates_import, name="exchange_rates_import"),
    path("exchange-rates/<int:pk>/delete/", exchange_rate_delete_view, name="exchange_rate_delete"),
]
