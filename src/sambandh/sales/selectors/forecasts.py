"""The sales forecast: weighted open pipeline against won revenue, by period and by owner,
team or territory, in the base currency, computed by one aggregate query.

Rules (the same in the API, the page and ``bench/sales_forecast.py``):

* Open deals (stage neither won nor lost) count in the period of ``expected_close_on`` with
  ``amount x probability / 100``, converted at the rate of ``expected_close_on`` (the latest
  rate on or before it; see ``core.money``). Deals without an expected close date have no
  period and are left out. Their forecast category (pipeline, best case, commit) is the
  column; open deals marked "omitted" (or, oddly, "closed") are left out of the forecast.
* Won deals count in the period of ``closed_on`` with their full amount, converted at the rate
  of ``closed_on``: the actual ("closed") revenue. Lost deals do not count.
* Only deals the actor may read count (``visible(actor, Deal)``).
* Amounts are summed unrounded in the database and rounded half up to cents once per cell
  (period x group x category); totals add the rounded cells, so the table adds up.
  A deal whose currency has no rate on or before its date is not in any sum; it is counted
  in ``missing_rates`` so the page can say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models.functions import TruncMonth, TruncQuarter
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sambandh.core import validation
from sambandh.core.errors import ValidationError
from sambandh.core.models import ExchangeRate, Team, User
from sambandh.core.money import base_currency, conversion_rate, missing_rate_q, round_money
from sambandh.core.pagination import Page, SortKey, paginate
from sambandh.core.permissions import get_visible, visible
from sambandh.sales.models import Deal, ForecastCategory, Pipeline, Territory

PERIODS = ("month", "quarter")
GROUPS = ("owner", "team", "territory")
CATEGORIES = (ForecastCategory.PIPELINE, ForecastCategory.BEST_CASE, ForecastCategory.COMMIT)
MAX_MONTHS = 60
_GROUP_FIELD = {"owner": "owner_id", "team": "team_id", "territory": "territory_id"}
_AMOUNT = models.DecimalField(max_digits=30, decimal_places=10)

GROUP_LABELS = {
    "owner": gettext_lazy("Owner"),
    "team": gettext_lazy("Team"),
    "territory": gettext_lazy("Territory"),
}
NO_GROUP = {
    "owner": gettext_lazy("No owner"),
    "team": gettext_lazy("No team"),
    "territory": gettext_lazy("No territory"),
}


@dataclass
class Cell:
    """One period of one group (or a total): weighted forecast per category and won revenue."""

    pipeline: Decimal = Decimal("0.00")
    best_case: Decimal = Decimal("0.00")
    commit: Decimal = Decimal("0.00")
    won: Decimal = Decimal("0.00")
    open_deals: int = 0
    won_deals: int = 0
    missing_rates: int = 0

    @property
    def forecast(self) -> Decimal:
        return self.pipeline + self.best_case + self.commit

    def add(self, other: Cell) -> None:
        self.pipeline += other.pipeline
        self.best_case += other.best_case
        self.commit += other.commit
        self.won += other.won
        self.open_deals += other.open_deals
        self.won_deals += other.won_deals
        self.missing_rates += other.missing_rates

    def as_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "best_case": self.best_case,
            "commit": self.commit,
            "forecast": self.forecast,
            "won": self.won,
            "open_deals": self.open_deals,
            "won_deals": self.won_deals,
            "missing_rates": self.missing_rates,
        }


@dataclass(frozen=True)
class Period:
    key: str  # "2025-03" or "2025-Q1"
    start: dt.date
    end: dt.date  # exclusive

    @property
    def label(self) -> str:
        return self.key


@dataclass
class GroupRow:
    id: int | None
    label: str
    cells: dict[str, Cell]
    total: Cell


@dataclass
class Forecast:
    period: str
    group_by: str
    currency: str
    start: dt.date
    end: dt.date  # exclusive
    pipeline_id: int | None
    periods: list[Period]
    rows: list[GroupRow]
    totals: dict[str, Cell] = field(default_factory=dict)
    total: Cell = field(default_factory=Cell)


# ---------------------------------------------------------------- parameters


def parse_month(value: str | None, name: str) -> dt.date | None:
    """``YYYY-MM`` to the first day of that month; ValidationError on anything else."""
    if value is None or value == "":
        return None
    try:
        year, month = str(value).strip().split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(value)
        parsed = dt.date(int(year), int(month), 1)
    except (ValueError, TypeError) as exc:
        raise ValidationError({name: [_("Enter a month as YYYY-MM.")]}) from exc
    if parsed.year < 1900:
        raise ValidationError({name: [_("Enter a date after 1900.")]})
    return parsed


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _period_key(start: dt.date, period: str) -> str:
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def _periods(start: dt.date, end: dt.date, period: str) -> list[Period]:
    step = 3 if period == "quarter" else 1
    result = []
    day = start
    while day < end:
        nxt = _add_months(day, step)
        result.append(Period(_period_key(day, period), day, nxt))
        day = nxt
    return result


def resolve_range(
    period: str, start: dt.date | None, end: dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """The months asked for, snapped to whole quarters; default: this quarter and the next
    three (a year). ``end`` is exclusive in the result."""
    if start is None:
        start = _quarter_start(today)
    if end is None:
        end = _add_months(start, 11)
    if end < start:
        raise ValidationError({"to": [_("The end month is before the start month.")]})
    if period == "quarter":
        start = _quarter_start(start)
        end = _quarter_start(end)
        end_exclusive = _add_months(end, 3)
    else:
        end_exclusive = _add_months(end, 1)
    months = (end_exclusive.year - start.year) * 12 + end_exclusive.month - start.month
    if months > MAX_MONTHS:
        raise ValidationError({"to": [_("Choose at most 60 months.")]})
    return start, end_exclusive


# ---------------------------------------------------------------- the query


class PeriodStart(models.Func):
    """The first day of a date's month or quarter, as the database computes it cheaply.

    Django's TruncMonth on SQLite calls a Python function for every row; ``strftime`` is
    native. PostgreSQL uses ``date_trunc``; other databases fall back to Django's Trunc.
    """

    output_field = models.DateField()

    def __init__(self, expression: Any, *, period: str) -> None:
        if period not in PERIODS:
            raise ValueError(period)
        self.period = period
        super().__init__(expression)

    def as_sqlite(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        if self.period == "quarter":
            return (
                f"(strftime('%%Y-', {sql}) || printf('%%02d', "
                f"((CAST(strftime('%%m', {sql}) AS INTEGER) - 1) / 3) * 3 + 1) || '-01')",
                [*params, *params],
            )
        return f"strftime('%%Y-%%m-01', {sql})", params

    def as_postgresql(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date_trunc('{self.period}', {sql})::date", params

    def as_sql(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        trunc = TruncQuarter if self.period == "quarter" else TruncMonth
        return compiler.compile(trunc(self.source_expressions[0]))


def forecast_queryset(
    deals: models.QuerySet[Deal],
    *,
    period: str,
    group_by: str,
    start: dt.date,
    end: dt.date,
    base: str,
) -> models.QuerySet[Any]:
    """The one aggregate query: a row per (period start, group) with a weighted sum per
    category (x100), the won sum, and the counts of open, won and unconvertible deals.

    ``deals`` is already scoped to what the actor may read (and to a pipeline if asked).
    """
    open_q = models.Q(stage__is_won=False, stage__is_lost=False)
    won_q = models.Q(stage__is_won=True)
    in_open = open_q & models.Q(
        expected_close_on__gte=start,
        expected_close_on__lt=end,
        forecast_category__in=[str(c) for c in CATEGORIES],
    )
    in_won = won_q & models.Q(closed_on__gte=start, closed_on__lt=end)
    # The date that places a deal in a period and picks its rate.
    on = models.Case(
        models.When(won_q, then=models.F("closed_on")),
        default=models.F("expected_close_on"),
        output_field=models.DateField(),
    )
    # One row per period and group, the categories as filtered sums. The filters exclude each
    # other, and a filter is checked before its sum's argument, so the rate subquery runs at
    # most once per deal.
    fx = models.F("fx")
    # x probability (a whole percent): divided by 100 in Python, never by integer division
    # in SQLite.
    weighted = models.ExpressionWrapper(
        models.F("amount") * models.F("probability") * fx, output_field=_AMOUNT
    )
    full = models.ExpressionWrapper(models.F("amount") * fx, output_field=_AMOUNT)
    sums = {
        str(category): models.Sum(weighted, filter=open_q & models.Q(forecast_category=category))
        for category in CATEGORIES
    }
    rows: models.QuerySet[Any] = (
        deals.filter(in_open | in_won)
        .annotate(on=on)
        .annotate(fx=conversion_rate("on", base=base), bucket=PeriodStart("on", period=period))
        .values("bucket", _GROUP_FIELD[group_by])
        .annotate(
            **sums,
            won=models.Sum(full, filter=won_q),
            open_deals=models.Count("id", filter=open_q),
            won_deals=models.Count("id", filter=won_q),
            # A plain date comparison, not a second run of the rate subquery per deal.
            missing_rates=models.Count("id", filter=missing_rate_q("on", base=base)),
        )
        .order_by()
    )
    return rows


def _group_labels(group_by: str, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    if group_by == "owner":
        return {
            u.pk: (u.get_full_name() or u.username)
            for u in User.objects.filter(pk__in=wanted).only("first_name", "last_name", "username")
        }
    if group_by == "team":
        return dict(Team.objects.filter(pk__in=wanted).values_list("id", "name"))
    return dict(Territory.objects.filter(pk__in=wanted).values_list("id", "name"))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def forecast(
    *,
    actor: User,
    period: str = "month",
    group_by: str = "owner",
    start: dt.date | None = None,
    end: dt.date | None = None,
    pipeline: int | None = None,
    today: dt.date | None = None,
) -> Forecast:
    """The forecast the actor may see. ``start``/``end``: first days of the first and last
    month (inclusive); ``pipeline``: a pipeline id, or every pipeline."""
    errors: dict[str, list[str]] = {}
    if period not in PERIODS:
        errors["period"] = [_("Choose one of the offered values.")]
    if group_by not in GROUPS:
        errors["group_by"] = [_("Choose one of the offered values.")]
    if errors:
        raise ValidationError(errors)
    start, end = resolve_range(period, start, end, today or timezone.localdate())
    deals = visible(actor, Deal)
    if pipeline is not None:
        deals = deals.filter(pipeline=get_visible(actor, Pipeline, pipeline))
    base = base_currency()
    group_field = _GROUP_FIELD[group_by]
    found: dict[tuple[str, int | None], Cell] = {}
    for row in forecast_queryset(
        deals, period=period, group_by=group_by, start=start, end=end, base=base
    ):
        key = (_period_key(_as_date(row["bucket"]), period), row[group_field])
        found[key] = Cell(
            pipeline=_cents(row["pipeline"], 100),
            best_case=_cents(row["best_case"], 100),
            commit=_cents(row["commit"], 100),
            won=_cents(row["won"]),
            open_deals=row["open_deals"],
            won_deals=row["won_deals"],
            missing_rates=row["missing_rates"],
        )
    periods = _periods(start, end, period)
    labels = _group_labels(group_by, (g for _p, g in found if g is not None))
    group_ids = sorted(
        {g for _p, g in found}, key=lambda g: (g is None, labels.get(g or 0, ""), g or 0)
    )
    result = Forecast(
        period=period,
        group_by=group_by,
        currency=base,
        start=start,
        end=end,
        pipeline_id=pipeline,
        periods=periods,
        rows=[],
        totals={p.key: Cell() for p in periods},
    )
    for gid in group_ids:
        cells: dict[str, Cell] = {}
        total = Cell()
        for p in periods:
            cell = found.get((p.key, gid)) or Cell()
            cells[p.key] = cell
            total.add(cell)
            result.totals[p.key].add(cell)
        label = labels.get(gid, str(gid)) if gid is not None else str(NO_GROUP[group_by])
        result.rows.append(GroupRow(id=gid, label=label, cells=cells, total=total))
    for cell in result.totals.values():
        result.total.add(cell)
    return result


def _cents(value: Decimal | float | None, divisor: int = 1) -> Decimal:
    if value is None:
        return Decimal("0.00")
    rounded = round_money(Decimal(str(value)) / divisor)
    return rounded if rounded is not None else Decimal("0.00")


# ---------------------------------------------------------------- exchange rates

RATE_SORT = SortKey("rate_on", ("rate_on", "id"))


def exchange_rate_list(
    *, actor: User, currency: str | None = None, cursor: str | None = None, limit: int = 50
) -> Page[ExchangeRate]:
    """Rates the actor may read, newest date first, optionally of one currency."""
    rates = visible(actor, ExchangeRate)
    if currency:
        try:
            code = validation.clean_currency(currency)
        except ValueError as exc:
            raise ValidationError({"currency": [str(exc)]}) from exc
        rates = rates.filter(currency=code)
    return paginate(rates, sort=RATE_SORT, descending=True, cursor=cursor, limit=limit)


def exchange_rate_get(*, actor: User, pk: object) -> ExchangeRate:
    return get_visible(actor, ExchangeRate, pk)
