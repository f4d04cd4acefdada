"""Benchmark: the sales forecast aggregation over many deals, against the raw SQL.

    python bench/sales_forecast.py [--rows N] [--db sqlite|postgres|both] [--strict]

Builds its own database (a temporary SQLite file, or a PostgreSQL database
``sambandh_bench_forecast`` that it creates and drops), loads ``--rows`` deals over 24 months
in three currencies (INR base, USD and EUR with one rate per month) through the raw bulk path
(executemany on SQLite, COPY on PostgreSQL), then measures in the same run:

1. the forecast through Sambandh's selector (``sales.selectors.forecasts.forecast``), by month
   and owner, and by quarter and territory, 24 months, as an administrator (every deal);
2. the same through the API (``GET /api/v1/forecasts``) with Django's test Client and a
   Bearer token (middleware, auth, permissions, serialisation; no network hop);
3. the raw SQL of the same aggregation (the same filters, periods, groups, categories and
   conversion at the rate of each deal's date), best of two hand-written forms;
4. the API's query count (must not depend on the number of deals).

Target: selector and API within 2x the raw SQL. The selector's and the raw SQL's totals
must agree (checked). Human-readable lines first; the LAST line is one JSON object (see
DESIGN.md, Benchmarks). Machines are noisy: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.contacts import drive  # noqa: E402

DEFAULT_ROWS = 20_000
FULL_ROWS = 200_000
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/"
PG_BENCH_DB = "sambandh_bench_forecast"
TARGET_RATIO = 2.0
MONTHS = 24
FIRST_MONTH = dt.date(2024, 1, 1)
OWNERS = 20
TEAMS = 4
TERRITORIES = 6
REPEATS = 7
CURRENCIES = (("INR", 0.6), ("USD", 0.25), ("EUR", 0.15))
BASE_RATES = {"USD": Decimal("83.00"), "EUR": Decimal("90.00")}


# ---------------------------------------------------------------- the driver (no Django)


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, default=DEFAULT_ROWS, help=f"deals to load (full size {FULL_ROWS})"
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="server to create the bench DB on")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a result misses its target"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 1000:
        parser.error("--rows must be at least 1000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        return _measure(args)
    return drive(__file__, args, "sales_forecast", pg_database=PG_BENCH_DB)


# ---------------------------------------------------------------- arithmetic


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile of ``samples`` (``p`` in 0..100)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def result(
    name: str,
    value: float,
    unit: str,
    baseline: float | None,
    *,
    target_ratio: float | None = None,
) -> dict[str, Any]:
    ratio = round(value / baseline, 2) if baseline else None
    ok = None if target_ratio is None or ratio is None else ratio <= target_ratio
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3) if baseline is not None else None,
        "ratio": ratio,
        "target_ratio": target_ratio,
        "ok": ok,
    }


def _say(text: str) -> None:
    print(text, flush=True)


def _median_ms(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    fn()  # warm: caches, prepared plans, page cache
    samples: list[float] = []
    value: Any = None
    for _i in range(repeats):
        started = time.perf_counter()
        value = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), value


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


# ---------------------------------------------------------------- data (child process)


def _setup(rows: int, seed: int) -> dict[str, Any]:
    """Users, teams, territories and monthly rates through the ORM; deals in bulk."""
    from django.db import connection, transaction

    from sambandh.cli.admins import administrators, ensure_admin
    from sambandh.core.models import ExchangeRate, Role, Team, User
    from sambandh.sales.models import Deal, Pipeline, Territory

    ensure_admin()
    admin = administrators()[0]
    rep = Role.objects.get(name="Sales rep")
    teams = [Team.objects.create(name=f"Team {i + 1}") for i in range(TEAMS)]
    owners = []
    for i in range(OWNERS):
        user = User.objects.create_user(username=f"rep{i + 1}", role=rep, first_name=f"Rep {i + 1}")
        user.teams.set([teams[i % TEAMS]])
        owners.append(user)
    territories = [Territory.objects.create(name=f"Territory {i + 1}") for i in range(TERRITORIES)]
    rng = random.Random(seed)
    # One rate per month per currency, from a month before the first deal.
    rates = []
    for currency, first_rate in BASE_RATES.items():
        value = first_rate
        for m in range(-1, MONTHS + 1):
            value = (value * Decimal(str(1 + rng.uniform(-0.02, 0.02)))).quantize(Decimal("0.0001"))
            rates.append(
                ExchangeRate(currency=currency, rate_on=_add_months(FIRST_MONTH, m), rate=value)
            )
    ExchangeRate.objects.bulk_create(rates)

    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.all())
    open_stages = [s for s in stages if not s.is_won and not s.is_lost]
    won = next(s for s in stages if s.is_won)
    lost = next(s for s in stages if s.is_lost)
    fields = [f for f in Deal._meta.concrete_fields if f.name != "id"]
    columns = [str(f.column) for f in fields]
    now = dt.datetime.now(dt.UTC)
    currencies = [c for c, _w in CURRENCIES]
    weights = [w for _c, w in CURRENCIES]
    categories = ["pipeline", "best_case", "commit", "omitted"]

    owner_team = [(u.pk, teams[i % TEAMS].pk) for i, u in enumerate(owners)]
    territory_ids = [t.pk for t in territories]

    def deal(n: int) -> tuple[Any, ...]:
        owner_id, team_id = owner_team[rng.randrange(OWNERS)]
        roll = rng.random()
        stage = rng.choice(open_stages) if roll < 0.6 else (won if roll < 0.85 else lost)
        close = FIRST_MONTH + dt.timedelta(days=rng.randrange(MONTHS * 365 // 12))
        closed_on = (close - dt.timedelta(days=rng.randrange(20))) if stage.is_closed else None
        if closed_on is not None and closed_on < FIRST_MONTH:
            closed_on = FIRST_MONTH
        category = "closed" if stage.is_closed else categories[min(3, int(rng.random() ** 1.5 * 4))]
        values = {
            "created_at": now,
            "updated_at": now,
            "created_by": None,
            "version": 1,
            "owner": owner_id,
            "team": team_id,
            "custom": "{}",
            "name": f"Deal {n}",
            "pipeline": pipeline.pk,
            "stage": stage.pk,
            "account": None,
            "amount": Decimal(rng.randrange(100_000, 50_000_000)) / 100,
            "currency": rng.choices(currencies, weights)[0],
            "expected_close_on": close,
            "probability": stage.probability,
            "is_probability_manual": False,
            "forecast_category": category,
            "source": "",
            "next_step": "",
            "next_step_on": None,
            "lost_reason": "Price" if stage.is_lost else "",
            "territory": territory_ids[rng.randrange(TERRITORIES)] if rng.random() < 0.9 else None,
            "stage_entered_at": now,
            "closed_on": closed_on,
        }
        return tuple(values[f.name] for f in fields)

    started = time.perf_counter()
    batch = 10_000
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's cursor under Django's wrapper
            with raw.copy(f"COPY sales_deal ({', '.join(columns)}) FROM STDIN") as copy:
                for n in range(rows):
                    copy.write_row(deal(n))
    else:
        sql = (
            f"INSERT INTO sales_deal ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )

        def adapt(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(
                str(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, dt.date) else v
                for v in row
            )

        # One transaction: in autocommit every row would be its own commit.
        with transaction.atomic(), connection.cursor() as cursor:
            for first in range(0, rows, batch):
                cursor.executemany(
                    sql, [adapt(deal(n)) for n in range(first, min(rows, first + batch))]
                )
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"admin": admin, "load_seconds": seconds, "rep": owners[0]}


# ---------------------------------------------------------------- raw SQL


RAW_FORMS = ("grouped", "derived", "pivot")


def raw_sql(vendor: str, period: str, group_column: str, *, form: str, base: str = "INR") -> str:
    """The forecast aggregation by hand, in one of three forms (the bench takes the fastest):
    ``grouped``: GROUP BY period, group, category, won, the rate subquery inside the SUM;
    ``derived``: the same over a derived table that converts each deal once;
    ``pivot``: GROUP BY period and group, one filtered SUM per category (as Sambandh does).
    Result rows: (period, group, category or None, is_won or None, total x100, deals)."""
    on = "CASE WHEN s.is_won THEN d.closed_on ELSE d.expected_close_on END"
    if vendor == "postgresql":
        trunc = f"date_trunc('{period}', {on})::date"
        true = "true"
    elif period == "quarter":
        trunc = (
            f"strftime('%%Y', {on}) || '-' || "
            f"printf('%%02d', ((CAST(strftime('%%m', {on}) AS INTEGER) - 1) / 3) * 3 + 1)"
        )
        true = "1"
    else:
        trunc = f"strftime('%%Y-%%m', {on})"
        true = "1"
    fx = (
        f"CASE WHEN d.currency = '{base}' THEN 1 ELSE (SELECT r.rate FROM core_exchangerate r "
        f"WHERE r.currency = d.currency AND r.rate_on <= {on} "
        "ORDER BY r.rate_on DESC LIMIT 1) END"
    )
    factor = "CASE WHEN s.is_won THEN 100 ELSE d.probability END"
    where = (
        "FROM sales_deal d JOIN sales_stage s ON s.id = d.stage_id "
        f"WHERE (s.is_won <> {true} AND s.is_lost <> {true} "
        "AND d.expected_close_on >= %s AND d.expected_close_on < %s "
        "AND d.forecast_category IN ('pipeline', 'best_case', 'commit')) "
        f"OR (s.is_won = {true} AND d.closed_on >= %s AND d.closed_on < %s)"
    )
    if form == "pivot":
        sums = ", ".join(
            f"SUM(d.amount * d.probability * ({fx})) FILTER (WHERE s.is_won <> {true} "
            f"AND d.forecast_category = '{c}') AS sum_{c}"
            for c in ("pipeline", "best_case", "commit")
        )
        return (
            f"SELECT {trunc} AS bucket, d.{group_column}, {sums}, "
            f"SUM(d.amount * 100 * ({fx})) FILTER (WHERE s.is_won = {true}) AS won, "
            f"COUNT(*) AS deals {where} GROUP BY 1, 2"
        )
    if form == "grouped":
        return (
            f"SELECT {trunc} AS bucket, d.{group_column}, d.forecast_category, s.is_won, "
            f"SUM(d.amount * {factor} * {fx}) AS total, COUNT(*) AS deals "
            f"{where} GROUP BY 1, 2, 3, 4"
        )
    return (
        "SELECT bucket, grp, forecast_category, is_won, SUM(value) AS total, COUNT(*) AS deals "
        f"FROM (SELECT {trunc} AS bucket, d.{group_column} AS grp, d.forecast_category, "
        f"s.is_won, d.amount * {factor} * ({fx}) AS value {where}) x GROUP BY 1, 2, 3, 4"
    )


def raw_totals(form: str, rows: list[tuple[Any, ...]]) -> tuple[Decimal, Decimal]:
    """(forecast, won) in base units from the rows of one raw form."""

    def dec(value: Any) -> Decimal:
        return Decimal(str(value)) / 100 if value is not None else Decimal(0)

    if form == "pivot":
        forecast = sum((dec(r[2]) + dec(r[3]) + dec(r[4]) for r in rows), Decimal(0))
        return forecast, sum((dec(r[5]) for r in rows), Decimal(0))
    forecast = sum((dec(r[4]) for r in rows if not r[3]), Decimal(0))
    return forecast, sum((dec(r[4]) for r in rows if r[3]), Decimal(0))


def _raw_rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# ---------------------------------------------------------------- measuring


def _measure(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sambandh.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from sambandh.core.services import api_token_create
    from sambandh.sales.selectors.forecasts import forecast

    _say(f"== sales forecast bench on {args.db}, {args.rows:,} deals over {MONTHS} months")
    call_command("migrate", interactive=False, verbosity=0)
    data = _setup(args.rows, args.seed)
    _say(
        f"loaded {args.rows:,} deals in {data['load_seconds']:.1f} s "
        f"({args.rows / data['load_seconds']:,.0f} rows/s, "
        f"{'COPY' if connection.vendor == 'postgresql' else 'executemany'})"
    )
    admin = data["admin"]
    start, end = FIRST_MONTH, _add_months(FIRST_MONTH, MONTHS - 1)
    end_exclusive = _add_months(FIRST_MONTH, MONTHS)
    _token, raw_token = api_token_create(actor=admin, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    results: list[dict[str, Any]] = []

    for period, group_by, column in (
        ("month", "owner", "owner_id"),
        ("quarter", "territory", "territory_id"),
    ):
        label = f"forecast {period} x {group_by}"

        def run_selector(period: str = period, group_by: str = group_by) -> Any:
            return forecast(actor=admin, period=period, group_by=group_by, start=start, end=end)

        def run_api(period: str = period, group_by: str = group_by) -> Any:
            response = client.get(
                "/api/v1/forecasts",
                {"period": period, "group_by": group_by, "from": "2024-01", "to": "2025-12"},
            )
            if response.status_code != 200:
                raise SystemExit(
                    f"bench/sales_forecast.py: the API answered {response.status_code}: "
                    f"{response.content[:300]!r}"
                )
            return response.json()

        params = [start, end_exclusive, start, end_exclusive]
        raw_ms: dict[str, float] = {}
        raw_sums: dict[str, tuple[Decimal, Decimal]] = {}
        cells = 0
        for form in RAW_FORMS:
            sql = raw_sql(connection.vendor, period, column, form=form)

            def run_raw(sql: str = sql, params: list[Any] = params) -> list[tuple[Any, ...]]:
                return _raw_rows(sql, params)

            ms, raw_rows = _median_ms(run_raw)
            raw_ms[form] = ms
            raw_sums[form] = raw_totals(form, raw_rows)
            cells = max(cells, len(raw_rows))
        baseline = min(raw_ms.values())
        selector_ms, f = _median_ms(run_selector)
        api_ms, body = _median_ms(run_api)
        with CaptureQueriesContext(connection) as queries:
            run_api()
        # The same numbers: each raw form's grand totals against the selector's (which rounds
        # each cell to cents, so allow a cent per cell).
        for form, (raw_forecast, raw_won) in raw_sums.items():
            if (
                abs(raw_forecast - f.total.forecast) > Decimal("0.01") * cells * 4
                or abs(raw_won - f.total.won) > Decimal("0.01") * cells
            ):
                raise SystemExit(
                    f"bench/sales_forecast.py: selector and raw SQL ({form}) differ: forecast "
                    f"{f.total.forecast} vs {raw_forecast:.2f}, won {f.total.won} vs "
                    f"{raw_won:.2f}"
                )
        if body["total"]["forecast"] != str(f.total.forecast):
            raise SystemExit("bench/sales_forecast.py: the API and the selector differ")
        _say(
            f"{label}: selector {selector_ms:.1f} ms, API {api_ms:.1f} ms "
            f"({len(queries)} queries) | raw SQL {baseline:.1f} ms "
            f"({', '.join(f'{k} {v:.1f}' for k, v in raw_ms.items())}); "
            f"{len(f.periods)} periods, {len(f.rows)} groups, forecast {f.total.forecast}, "
            f"won {f.total.won} {f.currency}"
        )
        results.append(
            result(f"{label} selector", selector_ms, "ms", baseline, target_ratio=TARGET_RATIO)
        )
        results.append(result(f"{label} API", api_ms, "ms", baseline, target_ratio=TARGET_RATIO))
        results.append(result(f"{label} API queries", float(len(queries)), "queries", None))

    rep = data["rep"]
    rep_ms, rep_f = _median_ms(
        lambda: forecast(actor=rep, period="month", group_by="owner", start=start, end=end)
    )
    _say(
        f"forecast as a sales rep (team scope): {rep_ms:.1f} ms, {len(rep_f.rows)} owners, "
        f"forecast {rep_f.total.forecast}"
    )
    results.append(result("forecast month x owner as a sales rep", rep_ms, "ms", None))
    results.append(result("bulk load", args.rows / data["load_seconds"], "rows/s", None))
    for row in results:
        if row["ok"] is False:
            _say(f"MISSED: {row['name']} ({row['value']} {row['unit']}, ratio {row['ratio']})")
    print(
        json.dumps(
            {"bench": "sales_forecast", "db": args.db, "rows": args.rows, "results": results},
            ensure_ascii=False,
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
