"""bench/sales_board.py: its raw-SQL baseline does the board's work, and its JSON contract."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from bench.sales_board import _raw, _raw_sql
from sambandh.core.models import ExchangeRate
from sambandh.sales.models import Pipeline
from sambandh.sales.selectors.deals import deal_board
from sambandh.sales.services.deals import deal_create

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "sales_board.py"


@pytest.mark.django_db
def test_the_raw_baseline_finds_the_boards_cards_and_totals(admin) -> None:
    ExchangeRate.objects.create(currency="USD", rate_on=dt.date(2020, 1, 1), rate=Decimal("80"))
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("position"))
    for n in range(12):
        deal_create(
            actor=admin,
            data={
                "name": f"D{n}",
                "stage_id": stages[n % 4].pk,
                "amount": str(100 * (n + 1)),
                "currency": "USD" if n % 3 == 0 else "INR",
            },
        )
    board = deal_board(actor=admin, pipeline=pipeline, filters={}, per_column=2)
    cards_sql, cards_params, totals_sql, totals_params = _raw_sql(
        pipeline.pk, [s.pk for s in stages], "INR", timezone.localdate()
    )
    cards_sql = cards_sql.replace("LIMIT 50", "LIMIT 2")
    raw_ids = [row[0] for row in _raw(cards_sql, cards_params)]
    assert raw_ids == [d.pk for c in board.columns for d in c.cards]
    raw_totals = {
        row[0]: (row[1], Decimal(str(row[2])).quantize(Decimal("0.01")))
        for row in _raw(totals_sql, totals_params)
    }
    assert raw_totals == {c.stage.pk: (c.count, c.total) for c in board.columns if c.count}


def test_too_few_rows_are_refused() -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), "--rows", "10"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--rows must be at least 100" in result.stderr


@pytest.mark.skipif(
    os.environ.get("SAMBANDH_SLOW_TESTS") != "1",
    reason="a bench run takes a minute; set SAMBANDH_SLOW_TESTS=1",
)
def test_a_small_sqlite_run_ends_with_the_json_line() -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), "--rows", "1000", "--db", "sqlite"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert (last["bench"], last["db"], last["rows"]) == ("sales_board", "sqlite", 1000)
    names = [r["name"] for r in last["results"]]
    assert names == ["board page p50", "board page p95", "board page queries", "bulk load"]
    queries = next(r for r in last["results"] if r["name"] == "board page queries")
    assert queries["value"] == queries["baseline"]
