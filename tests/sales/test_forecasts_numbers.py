"""Forecast numbers on a hand-computed data set (see tests/sales/forecast_data.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sambandh.core.errors import NotFound, ValidationError
from sambandh.sales.models import Pipeline, Stage
from sambandh.sales.selectors.forecasts import Forecast, forecast, parse_month
from tests.sales.forecast_data import build, make_deal, usd_rates

pytestmark = pytest.mark.django_db

D = Decimal
JAN, MAR = dt.date(2025, 1, 1), dt.date(2025, 3, 1)


@pytest.fixture
def data(admin, owner, teammate, outsider) -> dict[str, Any]:
    owner.first_name, owner.last_name = "Asha", "Rao"
    return build(admin, owner, teammate, outsider)


def table(f: Forecast) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Non-empty cells as (pipeline, best_case, commit, won, missing rates)."""
    out: dict[str, dict[str, tuple[Any, ...]]] = {}
    for row in f.rows:
        for key, c in row.cells.items():
            values = (c.pipeline, c.best_case, c.commit, c.won, c.missing_rates)
            if any(values):
                out.setdefault(row.label, {})[key] = values
    return out


def totals(f: Forecast) -> dict[str, tuple[Any, ...]]:
    return {
        key: (c.pipeline, c.best_case, c.commit, c.forecast, c.won) for key, c in f.totals.items()
    }


def test_monthly_forecast_by_owner(admin, data):
    f = forecast(actor=admin, period="month", group_by="owner", start=JAN, end=MAR)
    assert [p.key for p in f.periods] == ["2025-01", "2025-02", "2025-03"]
    assert f.currency == "INR"
    assert table(f) == {
        "Asha Rao": {
            "2025-01": (0, 0, 0, 0, 1),
            "2025-02": (D("8000.00"), D("41000.00"), 0, D("240000.00"), 0),
        },
        "outsider": {"2025-03": (D("51252.05"), 0, D("16500.00"), D("100000.00"), 0)},
        "teammate": {"2025-01": (0, 0, D("150000.00"), 0, 0)},
    }
    assert totals(f) == {
        "2025-01": (0, 0, D("150000.00"), D("150000.00"), 0),
        "2025-02": (D("8000.00"), D("41000.00"), 0, D("49000.00"), D("240000.00")),
        "2025-03": (D("51252.05"), 0, D("16500.00"), D("67752.05"), D("100000.00")),
    }
    assert (f.total.forecast, f.total.won, f.total.missing_rates) == (
        D("266752.05"),
        D("340000.00"),
        1,
    )
    asha = f.rows[0]
    assert (asha.total.open_deals, asha.total.won_deals) == (3, 1)


def test_quarterly_forecast_by_team(admin, data):
    f = forecast(actor=admin, period="quarter", group_by="team", start=JAN, end=MAR)
    assert [p.key for p in f.periods] == ["2025-Q1"]
    assert table(f) == {
        "North": {"2025-Q1": (D("8000.00"), D("41000.00"), D("150000.00"), D("240000.00"), 1)},
        "South": {"2025-Q1": (D("51252.05"), 0, D("16500.00"), D("100000.00"), 0)},
    }


def test_quarterly_forecast_by_territory_has_a_row_for_deals_without_one(admin, data):
    f = forecast(actor=admin, period="quarter", group_by="territory", start=JAN, end=MAR)
    assert [r.label for r in f.rows] == ["East", "West", "No territory"]
    assert table(f) == {
        "East": {"2025-Q1": (D("51252.05"), 0, D("150000.00"), D("100000.00"), 0)},
        "West": {"2025-Q1": (D("8000.00"), D("41000.00"), 0, D("240000.00"), 1)},
        "No territory": {"2025-Q1": (0, 0, D("16500.00"), 0, 0)},
    }


def test_a_quarter_range_snaps_to_whole_quarters(admin, data):
    f = forecast(
        actor=admin,
        period="quarter",
        group_by="team",
        start=dt.date(2025, 2, 1),
        end=dt.date(2025, 4, 1),
    )
    assert [p.key for p in f.periods] == ["2025-Q1", "2025-Q2"]
    # The April deal (5555 INR at 50%) is in Q2.
    assert f.totals["2025-Q2"].pipeline == D("2777.50")


def test_an_open_deal_converts_at_the_rate_of_its_expected_close_date(admin, owner):
    usd_rates(admin)
    for day in ("2025-02-14", "2025-02-15"):
        make_deal(admin, owner, stage_label="Proposal", amount="100", currency="USD",
                  expected_close_on=day)  # fmt: skip
    f = forecast(actor=admin, group_by="owner", start=dt.date(2025, 2, 1), end=dt.date(2025, 2, 1))
    # 100 x 50% x 80 (before the 15th) + 100 x 50% x 82 (from the 15th).
    assert f.totals["2025-02"].pipeline == D("8100.00")


def test_a_pipeline_filter_counts_only_that_pipelines_deals(admin, owner, data):
    other = Pipeline.objects.create(label_en="Renewals", position=1)
    Stage.objects.create(pipeline=other, label_en="Open", position=0, probability=40)
    from sambandh.sales.services.deals import deal_create

    deal_create(
        actor=admin,
        data={"name": "Renewal", "pipeline_id": other.pk, "amount": "1000",
              "expected_close_on": "2025-01-10", "owner_id": owner.pk},
    )  # fmt: skip
    only = forecast(actor=admin, group_by="owner", start=JAN, end=MAR, pipeline=other.pk)
    assert table(only) == {"Asha Rao": {"2025-01": (D("400.00"), 0, 0, 0, 0)}}
    default = Pipeline.objects.get(is_default=True).pk
    assert forecast(actor=admin, start=JAN, end=MAR, pipeline=default).total.forecast == D(
        "266752.05"
    )


def test_a_sales_rep_sees_only_the_deals_of_their_team(owner, data):
    f = forecast(actor=owner, period="quarter", group_by="owner", start=JAN, end=MAR)
    assert [r.label for r in f.rows] == ["Asha Rao", "teammate"]
    assert (f.total.forecast, f.total.won) == (D("199000.00"), D("240000.00"))


def test_an_outsider_sees_only_the_south_deals(outsider, data):
    f = forecast(actor=outsider, period="quarter", group_by="team", start=JAN, end=MAR)
    assert table(f) == {"South": {"2025-Q1": (D("51252.05"), 0, D("16500.00"), D("100000.00"), 0)}}


def test_a_pipeline_the_actor_cannot_see_is_not_found(owner):
    with pytest.raises(NotFound):
        forecast(actor=owner, pipeline=999999)


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"period": "week"}, {"period": ["Choose one of the offered values."]}),
        ({"group_by": "stage"}, {"group_by": ["Choose one of the offered values."]}),
        (
            {"start": dt.date(2025, 5, 1), "end": dt.date(2025, 1, 1)},
            {"to": ["The end month is before the start month."]},
        ),
        (
            {"start": dt.date(2020, 1, 1), "end": dt.date(2025, 1, 1)},
            {"to": ["Choose at most 60 months."]},
        ),
    ],
)
def test_bad_parameters_are_refused(admin, kwargs, errors):
    with pytest.raises(ValidationError) as caught:
        forecast(actor=admin, **kwargs)
    assert caught.value.fields == errors


@pytest.mark.parametrize("value", ["2025-13", "2025", "25-01", "abcd-ef", "2025-1"])
def test_a_month_must_be_yyyy_mm(value):
    with pytest.raises(ValidationError) as caught:
        parse_month(value, "from")
    assert caught.value.fields == {"from": ["Enter a month as YYYY-MM."]}


def test_the_default_range_is_this_quarter_and_the_next_three(admin):
    f = forecast(actor=admin, today=dt.date(2025, 5, 20))
    assert f.periods[0].key == "2025-04"
    assert f.periods[-1].key == "2026-03"
    assert len(f.periods) == 12
    assert f.rows == []


def _queries(actor) -> int:
    with CaptureQueriesContext(connection) as queries:
        forecast(actor=actor, group_by="owner", start=JAN, end=MAR)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_number_of_deals(admin, owner, teammate):
    usd_rates(admin)
    make_deal(admin, owner, stage_label="Proposal", amount="1", currency="USD",
              expected_close_on="2025-01-05")  # fmt: skip
    _queries(owner)  # the first call reads the actor's grants (then cached on the user)
    few = _queries(owner)
    for i in range(12):
        who = owner if i % 2 else teammate
        make_deal(admin, who, stage_label="Proposal", amount=str(i + 1), currency="USD",
                  expected_close_on=f"2025-0{i % 3 + 1}-1{i % 9}")  # fmt: skip
    assert _queries(owner) == few
    # the base currency, the first date of each currency's rates, the aggregate, the names
    assert few == 4
