"""Converting amounts to the base currency at the rate of their date, in Python and in SQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from sambandh.core.context import request_cache_var
from sambandh.core.models import ExchangeRate, OrganisationSettings
from sambandh.core.money import (
    MissingRate,
    RateTable,
    base_amount,
    conversion_rate,
    format_money,
    round_money,
    to_base,
    to_base_or_none,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def usd_rates() -> None:
    # The rate changes mid-month: 1-14 March at 83.10, from 15 March at 83.40.
    for on, rate in (("2025-02-01", "82.90"), ("2025-03-01", "83.10"), ("2025-03-15", "83.40")):
        ExchangeRate.objects.create(currency="USD", rate_on=dt.date.fromisoformat(on), rate=rate)


def test_the_base_currency_converts_to_itself_without_a_rate():
    assert to_base(D("1250.55"), "INR", dt.date(2000, 1, 1)) == D("1250.55")


def test_an_amount_converts_at_the_latest_rate_on_or_before_its_date(usd_rates):
    assert to_base(D("100"), "USD", dt.date(2025, 3, 14)) == D("8310.00")
    assert to_base(D("100"), "USD", dt.date(2025, 3, 15)) == D("8340.00")
    assert to_base(D("100"), "USD", dt.date(2025, 2, 28)) == D("8290.00")


def test_a_date_after_the_newest_rate_uses_the_newest_rate(usd_rates):
    assert to_base(D("10"), "usd", dt.date(2030, 1, 1)) == D("834.00")


def test_results_round_half_up_to_cents(usd_rates):
    ExchangeRate.objects.create(currency="EUR", rate_on=dt.date(2025, 1, 1), rate="90.125")
    # 0.10 * 90.125 = 9.0125 -> 9.01 ; 0.30 * 90.125 = 27.0375 -> 27.04 ; 0.02 * ... = 1.8025
    assert to_base(D("0.10"), "EUR", dt.date(2025, 1, 2)) == D("9.01")
    assert to_base(D("0.30"), "EUR", dt.date(2025, 1, 2)) == D("27.04")
    assert to_base(D("0.02"), "EUR", dt.date(2025, 1, 2)) == D("1.80")
    assert round_money(D("2.005")) == D("2.01")
    assert round_money(2.675) == D("2.68")


def test_a_date_before_the_first_rate_has_no_rate(usd_rates):
    with pytest.raises(MissingRate) as caught:
        to_base(D("100"), "USD", dt.date(2025, 1, 31))
    assert caught.value.code == "missing_rate"
    assert caught.value.currency == "USD"
    assert caught.value.message == "No exchange rate for USD on or before 2025-01-31."
    assert to_base_or_none(D("100"), "USD", dt.date(2025, 1, 31)) is None
    assert to_base_or_none(D("100"), "GBP", dt.date(2025, 5, 1)) is None


def test_the_missing_rate_message_is_translated(usd_rates):
    with translation.override("hi"), pytest.raises(MissingRate) as caught:
        to_base(D("1"), "USD", dt.date(2024, 1, 1))
    assert "USD" in caught.value.message
    assert "2024-01-01" in caught.value.message


def test_a_changed_base_currency_is_respected():
    settings = OrganisationSettings.get()
    settings.base_currency = "USD"
    settings.save()
    ExchangeRate.objects.create(currency="INR", rate_on=dt.date(2025, 1, 1), rate="0.012")
    assert to_base(D("5"), "USD", dt.date(2025, 6, 1)) == D("5.00")
    assert to_base(D("1000"), "INR", dt.date(2025, 6, 1)) == D("12.00")


def test_inside_a_request_rates_are_read_once_per_currency(usd_rates):
    token = request_cache_var.set({})
    try:
        with CaptureQueriesContext(connection) as queries:
            for day in range(1, 29):
                to_base(D("1"), "USD", dt.date(2025, 3, day))
                to_base(D("1"), "INR", dt.date(2025, 3, day))
        # The base currency once, the USD rates once.
        assert len(queries) == 2
        assert to_base(D("1"), "USD", dt.date(2025, 3, 20)) == D("83.40")
    finally:
        request_cache_var.reset(token)


def test_a_rate_table_converts_many_amounts_with_one_query_per_currency(usd_rates):
    table = RateTable()
    with CaptureQueriesContext(connection) as queries:
        values = [table.to_base(D("2"), "USD", dt.date(2025, 3, d)) for d in (1, 14, 15, 31)]
    assert values == [D("166.20"), D("166.20"), D("166.80"), D("166.80")]
    assert len(queries) == 1


def test_sql_conversion_sums_many_rows_in_one_query(usd_rates):
    # Use the rates table itself as rows with an amount, a currency and a date: EUR has no rate.
    ExchangeRate.objects.create(currency="EUR", rate_on=dt.date(2025, 3, 10), rate="90")
    rows = ExchangeRate.objects.annotate(
        in_base=base_amount("rate", "rate_on"), conv=conversion_rate("rate_on")
    )
    with CaptureQueriesContext(connection) as queries:
        totals = rows.aggregate(
            total=Sum("in_base"), missing=Count("pk", filter=Q(conv__isnull=True))
        )
    assert len(queries) == 1
    # USD rows convert at their own date: 82.90*82.90 + 83.10*83.10 + 83.40*83.40; EUR 90*90.
    expected = D("82.90") ** 2 + D("83.10") ** 2 + D("83.40") ** 2 + D("8100")
    assert round_money(totals["total"]) == round_money(expected)
    assert totals["missing"] == 0


def test_sql_conversion_leaves_rows_without_a_rate_out_and_counts_them(usd_rates, admin):
    from sambandh.sales.models import Deal, Pipeline

    pipeline = Pipeline.objects.get(is_default=True)
    stage = pipeline.stages.get(position=0)
    for amount, currency, on in (
        ("100", "USD", "2025-03-20"),  # 8340.00
        ("100", "USD", "2025-01-20"),  # before the first USD rate: no rate
        ("500", "INR", "2025-01-20"),  # the base: 500.00
        ("7", "GBP", "2025-03-20"),  # no GBP rate at all
    ):
        Deal.objects.create(
            name="d",
            pipeline=pipeline,
            stage=stage,
            amount=amount,
            currency=currency,
            expected_close_on=on,
            owner=admin,
        )
    rows = Deal.objects.annotate(
        in_base=base_amount("amount", "expected_close_on"),
        conv=conversion_rate("expected_close_on"),
    )
    totals = rows.aggregate(total=Sum("in_base"), missing=Count("pk", filter=Q(conv__isnull=True)))
    assert round_money(totals["total"]) == D("8840.00")
    assert totals["missing"] == 2


@pytest.mark.parametrize(
    ("currency", "language", "expected"),
    [
        ("INR", "en", "₹12,34,567.50"),
        ("INR", "hi", "₹12,34,567.50"),
        ("USD", "en", "$12,34,567.50"),
        ("USD", "en-us", "$1,234,567.50"),
        ("EUR", "hi", "€12,34,567.50"),
        ("GBP", "en", "£12,34,567.50"),
        ("AED", "en", "AED\u00a012,34,567.50"),
        ("AED", "hi", "AED\u00a012,34,567.50"),
        ("SAR", "en-us", "SAR\u00a01,234,567.50"),
        ("JPY", "en", "JP¥12,34,568"),
        ("KWD", "hi", "KWD\u00a012,34,567.500"),
    ],
)
def test_money_formats_any_currency_for_the_locale(currency, language, expected):
    assert format_money(D("1234567.50"), currency, language) == expected


def test_negative_amounts_in_a_code_currency_keep_the_space():
    assert format_money(D("-1250"), "AED", "en") == "-AED\u00a01,250.00"
