"""The forecast page (table, SVG chart) and the exchange-rate pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sambandh.core.models import AuditEntry, ExchangeRate, User
from sambandh.core.rates import exchange_rate_set
from tests.sales.forecast_data import build, make_deal, usd_rates

pytestmark = pytest.mark.django_db

FORECAST = reverse("sales:forecasts")
RATES = reverse("sales:exchange_rates")
IMPORT = reverse("sales:exchange_rates_import")
Q1 = "?period=quarter&group_by=team&from=2025-01&to=2025-03"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def rows(html: str, testid: str) -> list[str]:
    found = re.findall(rf'<tr data-testid="{testid}"[^>]*>(.*?)</tr>', html, flags=re.S)
    return [text_of(r) for r in found]


@pytest.fixture
def data(admin, owner, teammate, outsider) -> dict[str, Any]:
    owner.first_name, owner.last_name = "Asha", "Rao"
    return build(admin, owner, teammate, outsider)


# ---------------------------------------------------------------- forecast page


def test_the_nav_links_to_the_forecast(owner):
    html = signed_in(owner).get(reverse("web:contact_list")).content.decode()
    assert f'href="{FORECAST}" data-testid="nav-forecast"' in html


def test_the_forecast_page_shows_totals_groups_and_a_chart(admin, data):
    response = signed_in(admin).get(FORECAST + Q1)
    assert response.status_code == 200
    html = response.content.decode()
    assert rows(html, "total-row") == [
        "Q1 2025 ₹59,252.05 ₹41,000.00 ₹1,66,500.00 ₹2,66,752.05 ₹3,40,000.00"
    ]
    assert rows(html, "group-row") == [
        "North Q1 2025 ₹8,000.00 ₹41,000.00 ₹1,50,000.00 ₹1,99,000.00 ₹2,40,000.00 1",
        "South Q1 2025 ₹51,252.05 ₹0.00 ₹16,500.00 ₹67,752.05 ₹1,00,000.00",
    ]
    assert 'data-testid="forecast-missing-rates"' in html
    assert "1 deal is left out: no exchange rate for its currency on its date." in text_of(html)
    # The chart: an accessible SVG with a title and a description, one bar per non-zero
    # category and one for won revenue, each saying what it is.
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in html
    assert '<title id="chart-title">Forecast against won revenue</title>' in html
    bars = re.findall(r'<rect [^>]*data-testid="chart-bar"><title>([^<]*)</title>', html)
    assert bars == [
        "Q1 2025, Commit: ₹1,66,500.00",
        "Q1 2025, Best case: ₹41,000.00",
        "Q1 2025, Pipeline: ₹59,252.05",
        "Q1 2025, Won: ₹3,40,000.00",
    ]
    assert "<script" not in html.split('data-testid="forecast-chart"')[1].split("</figure>")[0]


def test_the_bars_are_as_tall_as_their_amounts(admin, data):
    html = signed_in(admin).get(FORECAST + "&".join([Q1, "group_by=owner"])).content.decode()
    heights = [
        float(h) for h in re.findall(r'height="([\d.]+)" fill="#[0-9a-f]+" data-testid', html)
    ]
    # Axis maximum 5,00,000 over a 256-pixel plot: won 3,40,000 is 174.1 pixels high.
    assert heights[-1] == pytest.approx(256 * 340000 / 500000, abs=0.05)


def test_monthly_columns_label_months_in_the_users_language(admin, data):
    admin.language = "hi"
    admin.save()
    html = signed_in(admin).get(FORECAST + "?from=2025-01&to=2025-03").content.decode()
    assert '<html lang="hi">' in html
    labels = [r.split(" ₹")[0] for r in rows(html, "total-row")]
    assert labels == ["जनवरी 2025", "फ़रवरी 2025", "मार्च 2025"]
    assert "₹1,50,000.00" in html


def test_a_sales_rep_sees_only_their_teams_deals(owner, data):
    html = signed_in(owner).get(FORECAST + Q1).content.decode()
    assert [r.split(" ")[0] for r in rows(html, "group-row")] == ["North"]
    assert "₹3,40,000.00" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?period=week", "Choose one of the offered values."),
        ("?from=2025-1", "Enter a month as YYYY-MM."),
        ("?from=2025-06&to=2025-01", "The end month is before the start month."),
        ("?pipeline=x", "Choose one of the offered values."),
    ],
)
def test_bad_parameters_show_the_error(admin, query, message):
    response = signed_in(admin).get(FORECAST + query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'data-testid="forecast-chart"' not in html


def test_the_page_says_so_when_there_are_no_deals(admin):
    html = signed_in(admin).get(FORECAST).content.decode()
    assert 'data-testid="forecast-empty"' in html


def test_the_forecast_page_query_count_does_not_grow_with_deals(admin, owner):
    usd_rates(admin)
    client = signed_in(owner)
    make_deal(admin, owner, stage_label="Proposal", amount="1", currency="USD",
              expected_close_on="2025-01-05")  # fmt: skip
    client.get(FORECAST + Q1)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(FORECAST + Q1).status_code == 200
        return len(queries)

    few = count()
    for i in range(10):
        make_deal(admin, owner, stage_label="Proposal", amount=str(i + 1), currency="USD",
                  expected_close_on=f"2025-0{i % 3 + 1}-1{i}")  # fmt: skip
    assert count() == few


# ---------------------------------------------------------------- exchange-rate pages


def test_the_rates_page_lists_rates_newest_first(admin, owner):
    for on, rate in (("2025-01-01", "80"), ("2025-02-01", "81.5")):
        exchange_rate_set(actor=admin, currency="USD", rate_on=on, rate=rate)
    html = signed_in(owner).get(RATES).content.decode()
    assert [r.split(" ")[0:2] for r in rows(html, "rate-row")] == [["USD", "Feb."], ["USD", "Jan."]]
    assert "81.5" in html
    # A sales rep reads rates but gets no forms to change them.
    assert 'data-testid="rate-form"' not in html
    assert 'data-testid="rate-delete"' not in html


def test_adding_a_rate_from_the_page(admin):
    client = signed_in(admin)
    response = client.post(RATES, {"currency": "aed", "rate_on": "2025-03-01", "rate": "22.61"})
    assert response.status_code == 302
    assert [(r.currency, str(r.rate_on)) for r in ExchangeRate.objects.all()] == [
        ("AED", "2025-03-01")
    ]
    page = client.get(response["Location"]).content.decode()
    assert "Saved: 1 AED = 22.61 INR on" in page


def test_a_bad_rate_shows_the_errors_by_the_fields_and_writes_nothing(admin):
    response = signed_in(admin).post(RATES, {"currency": "XX", "rate_on": "", "rate": "-1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="rate-currency-errors"' in html
    assert "Enter a valid ISO 4217 currency code such as INR." in html
    assert "A rate must be more than zero." in html
    assert 'value="XX"' in html
    assert not ExchangeRate.objects.exists()


def test_loading_a_csv_from_the_page(manager):
    client = signed_in(manager)
    upload = SimpleUploadedFile(
        "rates.csv", b"currency,date,rate\nUSD,2025-01-01,80\nEUR,2025-01-01,90\n"
    )
    response = client.post(IMPORT, {"file": upload})
    assert response.status_code == 302
    assert ExchangeRate.objects.count() == 2
    page = client.get(RATES).content.decode()
    assert "Loaded 2 rates: 2 new, 0 changed, 0 unchanged." in page


def test_a_bad_csv_shows_each_problem_and_loads_nothing(admin):
    upload = SimpleUploadedFile(
        "rates.csv", b"currency,date,rate\nUSD,2025-01-01,80\nUSD,2025-01-01,81\nABC,x,y\n"
    )
    response = signed_in(admin).post(IMPORT, {"file": upload})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported: the file has 4 problem(s)." in html
    assert rows(html.replace("<tr><td>", '<tr data-testid="p"><td>'), "p") == [
        "3 date Repeats the currency and date of row 2.",
        "4 currency Enter a valid ISO 4217 currency code such as INR.",
        "4 date Enter a date as YYYY-MM-DD.",
        "4 rate Enter a number.",
    ]
    assert not ExchangeRate.objects.exists()


def test_an_upload_without_a_file_says_so(admin):
    response = signed_in(admin).post(IMPORT, {})
    assert response.status_code == 400
    assert "Choose a CSV file." in response.content.decode()


def test_deleting_a_rate_asks_first(admin):
    rate = exchange_rate_set(actor=admin, currency="USD", rate_on="2025-01-01", rate="80")
    client = signed_in(admin)
    url = reverse("sales:exchange_rate_delete", args=[rate.pk])
    assert 'data-testid="confirm-delete"' in client.get(url).content.decode()
    assert ExchangeRate.objects.count() == 1
    assert client.post(url).status_code == 302
    assert not ExchangeRate.objects.exists()
    assert AuditEntry.objects.filter(object_type="exchange_rate", action="delete").count() == 1


def test_a_sales_rep_cannot_change_rates_from_the_pages(admin, owner):
    rate = exchange_rate_set(actor=admin, currency="USD", rate_on="2025-01-01", rate="80")
    client = signed_in(owner)
    assert (
        client.post(RATES, {"currency": "EUR", "rate_on": "2025-01-01", "rate": "1"}).status_code
        == 403
    )
    upload = SimpleUploadedFile("r.csv", b"currency,date,rate\nEUR,2025-01-01,1\n")
    assert client.post(IMPORT, {"file": upload}).status_code == 403
    assert client.post(reverse("sales:exchange_rate_delete", args=[rate.pk])).status_code == 403
    assert list(ExchangeRate.objects.values_list("currency", flat=True)) == ["USD"]


def test_a_bad_currency_filter_shows_an_error(admin):
    response = signed_in(admin).get(RATES + "?currency=ZZZ")
    assert response.status_code == 400
    assert 'data-testid="list-error"' in response.content.decode()
