"""Benchmark: the deals board of a pipeline with 10,000 open deals, against raw SQL.

    python bench/sales_board.py [--rows N] [--db sqlite|postgres|both] [--strict]

Builds its own database (a temporary SQLite file, or a PostgreSQL database
``sambandh_bench_board`` that it creates and drops), bulk-inserts ``--rows`` open deals into
the default pipeline (spread over its four open stages, owners, companies and two currencies,
with an exchange rate so the totals convert), then measures in the same run:

1. the board page ``GET /sales/board/`` through Django's test Client (session, middleware,
   permissions, selectors, templates): server time p50 and p95;
2. the raw-SQL baseline for the same work: the cards (the first 50 of every stage by a
   window function, with owner and company names) and the per-stage totals converted to the
   base currency at each deal's date (one aggregate), as plain SQL;
3. the page's query count with a tenth of the deals and with all of them: they must be equal.

Human-readable lines first; the LAST line is one JSON object (see DESIGN.md, Benchmarks).
Compare ratios of one run, not times across runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.contacts import _result, _say, _timed, drive, percentile  # noqa: E402

DEFAULT_ROWS = 10_000
REPEATS = 20
CARDS = 50
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/"
PG_BENCH_DB = "sambandh_bench_board"
# The board's server time may be this many times the raw SQL for the same cards and totals.
TARGET_RATIO = 10


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="open deals to load")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="server to create the bench DB on")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 100:
        parser.error("--rows must be at least 100")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        return _measure(args)
    return drive(__file__, args, "sales_board", pg_database=PG_BENCH_DB)


# ---------------------------------------------------------------- measuring (child process)


def _bulk_deals(admin: Any, n: int, seed: int, start: int) -> float:
    """``n`` open deals in the default pipeline, by bulk_create in batches (the bulk path)."""
    from django.db import transaction
    from django.utils import timezone

    from sambandh.contacts.models import Account
    from sambandh.core.models import Team, User
    from sambandh.sales.models import Deal, Pipeline

    rng = random.Random(seed + start)
    pipeline = Pipeline.objects.get(is_default=True)
    stages = [s for s in pipeline.stages.order_by("position") if not s.is_closed]
    owners = list(User.objects.order_by("id"))
    teams = list(Team.objects.order_by("id"))
    accounts = list(Account.objects.order_by("id").values_list("id", flat=True))
    now = timezone.now()
    today = timezone.localdate()
    started = time.perf_counter()
    batch: list[Deal] = []
    with transaction.atomic():
        for i in range(start, start + n):
            stage = stages[i % len(stages)]
            entered = now - dt.timedelta(hours=rng.randint(1, 24 * 40))
            batch.append(
                Deal(
                    name=f"Deal {i:06d}",
                    pipeline=pipeline,
                    stage=stage,
                    account_id=accounts[i % len(accounts)],
                    owner=owners[i % len(owners)],
                    team=teams[i % len(teams)],
                    amount=Decimal(rng.randint(1_000, 5_000_000)),
                    currency="USD" if i % 5 == 0 else "INR",
                    expected_close_on=today + dt.timedelta(days=rng.randint(-30, 180)),
                    probability=stage.probability,
                    stage_entered_at=entered,
                    created_at=entered,
                    updated_at=entered,
                    created_by=admin,
                )
            )
            if len(batch) == 2000:
                Deal.objects.bulk_create(batch)
                batch = []
        if batch:
            Deal.objects.bulk_create(batch)
    return n / (time.perf_counter() - started)


def _seed(admin: Any) -> None:
    from sambandh.contacts.models import Account
    from sambandh.core.models import ExchangeRate, Role, Team, User

    teams = [Team.objects.create(name=name) for name in ("North", "South", "East")]
    rep = Role.objects.get(name="Sales rep")
    for n in range(5):
        user = User.objects.create_user(username=f"rep{n}", first_name=f"Rep {n}", role=rep)
        user.teams.set([teams[n % 3]])
    Account.objects.bulk_create(Account(name=f"Company {n:04d}", owner=admin) for n in range(500))
    ExchangeRate.objects.create(currency="USD", rate_on=dt.date(2000, 1, 1), rate=Decimal("83"))


def _board(client: Any) -> str:
    response = client.get("/sales/board/")
    if response.status_code != 200:
        raise SystemExit(f"bench/sales_board.py: /sales/board/ answered {response.status_code}")
    return str(response.content.decode())


def _queries(client: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _board(client)
    with CaptureQueriesContext(connection) as captured:
        _board(client)
    return len(captured)


def _raw_sql(
    pipeline_id: int, stage_ids: list[int], base: str, today: dt.date
) -> tuple[str, list[Any], str, list[Any]]:
    """The fastest plain SQL we know for the board: the first cards of each stage (one LIMIT
    subquery per stage through the board index, glued with UNION ALL, names joined once)
    and the converted totals in one aggregate."""
    per_stage = " UNION ALL ".join(
        "SELECT * FROM (SELECT id FROM sales_deal WHERE pipeline_id = %s AND stage_id = %s "
        f"ORDER BY stage_entered_at DESC, id DESC LIMIT {CARDS}) AS s{n}"
        for n, _stage in enumerate(stage_ids)
    )
    cards = (
        "SELECT d.id, d.name, d.amount, d.currency, d.stage_id, d.stage_entered_at, "
        "u.username, a.name FROM sales_deal d LEFT JOIN core_user u ON u.id = d.owner_id "
        f"LEFT JOIN contacts_account a ON a.id = d.account_id WHERE d.id IN ({per_stage}) "
        "ORDER BY d.stage_id, d.stage_entered_at DESC, d.id DESC"
    )
    cards_params: list[Any] = [v for sid in stage_ids for v in (pipeline_id, sid)]
    day = "COALESCE(d.closed_on, d.expected_close_on, %s)"
    rate = (
        f"CASE WHEN d.currency = %s THEN 1 ELSE (SELECT r.rate FROM core_exchangerate r "
        f"WHERE r.currency = d.currency AND r.rate_on <= {day} ORDER BY r.rate_on DESC LIMIT 1) END"
    )
    totals = (
        f"SELECT d.stage_id, COUNT(*), SUM(d.amount * {rate}) FROM sales_deal d "
        "WHERE d.pipeline_id = %s GROUP BY d.stage_id"
    )
    return cards, cards_params, totals, [base, today, pipeline_id]


def _raw(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _measure(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sambandh.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from sambandh.cli.admins import administrators, ensure_admin
    from sambandh.core.models import OrganisationSettings
    from sambandh.sales.models import Pipeline

    _say(f"== deals board bench on {args.db}, {args.rows:,} open deals in one pipeline")
    call_command("migrate", interactive=False, verbosity=0)
    ensure_admin()
    admin = administrators()[0]
    _seed(admin)
    client = Client()
    client.force_login(admin)

    small = max(50, args.rows // 10)
    _bulk_deals(admin, small, args.seed, 0)
    queries_small = _queries(client)
    rate = _bulk_deals(admin, args.rows - small, args.seed, small)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    queries_big = _queries(client)
    _say(f"loaded {args.rows:,} deals (bulk path {rate:,.0f} rows/s)")
    _say(f"board page queries: {queries_small} at {small:,} deals, {queries_big} at {args.rows:,}")

    pipeline = Pipeline.objects.get(is_default=True)
    base = OrganisationSettings.get().base_currency
    stage_ids = list(pipeline.stages.order_by("position").values_list("id", flat=True))
    cards_sql, cards_params, totals_sql, totals_params = _raw_sql(
        pipeline.pk, stage_ids, base, timezone.localdate()
    )
    page_ms: list[float] = []
    raw_ms: list[float] = []
    html = _board(client)
    if html.count('data-testid="deal-card"') != 4 * CARDS:
        raise SystemExit("bench/sales_board.py: the board does not show 50 cards per open stage")
    for _n in range(REPEATS):
        ms, _html = _timed(_board, client)
        page_ms.append(ms)
        started = time.perf_counter()
        cards = _raw(cards_sql, cards_params)
        totals = _raw(totals_sql, totals_params)
        raw_ms.append((time.perf_counter() - started) * 1000)
        if len(cards) != 4 * CARDS or sum(int(t[1]) for t in totals) != args.rows:
            raise SystemExit("bench/sales_board.py: the raw queries found other deals")
    p50, p95 = percentile(page_ms, 50), percentile(page_ms, 95)
    raw50, raw95 = percentile(raw_ms, 50), percentile(raw_ms, 95)
    _say(
        f"board page ({REPEATS} renders): p50 {p50:.2f} ms, p95 {p95:.2f} ms | raw cards + "
        f"totals p50 {raw50:.2f} ms, p95 {raw95:.2f} ms | ratio {p50 / raw50:.2f}"
    )
    results = [
        _result("board page p50", p50, "ms", raw50, target_ratio=TARGET_RATIO),
        _result("board page p95", p95, "ms", raw95),
        _result(
            "board page queries",
            float(queries_big),
            "queries",
            float(queries_small),
            target_ratio=1,
        ),  # fmt: skip
        _result("bulk load", rate, "rows/s", None),
    ]
    for row in results:
        if row["ok"] is False:
            _say(f"MISSED: {row['name']} ({row['value']} {row['unit']}, ratio {row['ratio']})")
    print(
        json.dumps(
            {"bench": "sales_board", "db": args.db, "rows": args.rows, "results": results},
            ensure_ascii=False,
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
