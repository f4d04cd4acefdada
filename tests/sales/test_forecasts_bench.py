"""The forecast bench measures the same work as the product: its raw SQL, in each form, gives
the selector's totals on the hand-computed data set; and its JSON contract from a real run."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from bench.sales_forecast import RAW_FORMS, raw_sql, raw_totals, result
from sambandh.sales.selectors.forecasts import forecast
from tests.sales.forecast_data import build

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "sales_forecast.py"


@pytest.mark.django_db
@pytest.mark.parametrize("form", RAW_FORMS)
@pytest.mark.parametrize(("period", "group_by"), [("month", "owner"), ("quarter", "territory")])
def test_each_raw_form_agrees_with_the_selector(
    admin, owner, teammate, outsider, form, period, group_by
):
    build(admin, owner, teammate, outsider)
    start, end = dt.date(2025, 1, 1), dt.date(2025, 4, 1)
    sql = raw_sql(connection.vendor, period, f"{group_by}_id", form=form)
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, start, end])
        rows = list(cursor.fetchall())
    f = forecast(
        actor=admin, period=period, group_by=group_by, start=start, end=dt.date(2025, 3, 1)
    )
    raw_forecast, raw_won = raw_totals(form, rows)
    assert raw_forecast.quantize(Decimal("0.01")) == f.total.forecast == Decimal("266752.05")
    assert raw_won.quantize(Decimal("0.01")) == f.total.won == Decimal("340000.00")


def test_a_result_within_the_target_ratio_is_ok():
    assert result("forecast selector", 3.0, "ms", 2.0, target_ratio=2) == {
        "name": "forecast selector",
        "value": 3.0,
        "unit": "ms",
        "baseline": 2.0,
        "ratio": 1.5,
        "target_ratio": 2,
        "ok": True,
    }
    assert result("x", 5.0, "ms", 2.0, target_ratio=2)["ok"] is False
    assert result("bulk load", 10.0, "rows/s", None)["ok"] is None


@pytest.mark.skipif(
    os.environ.get("SAMBANDH_SLOW_TESTS") != "1",
    reason="a bench run takes a minute; set SAMBANDH_SLOW_TESTS=1",
)
def test_a_small_run_prints_one_json_line_last():
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCRIPT), "--rows", "1000"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert (last["bench"], last["db"], last["rows"]) == ("sales_forecast", "sqlite", 1000)
    names = [r["name"] for r in last["results"]]
    assert "forecast month x owner selector" in names
    assert "forecast month x owner API" in names
    queries = next(r for r in last["results"] if r["name"] == "forecast month x owner API queries")
    assert queries["value"] <= 6
