"""The forecast and exchange rates over the API."""

from __future__ import annotations

from typing import Any

import pytest

from sambandh.core.models import AuditEntry, ExchangeRate
from sambandh.core.rates import exchange_rate_set
from tests.api.conftest import BASE, ApiClient, client_for
from tests.sales.forecast_data import build

pytestmark = pytest.mark.django_db


def _rates() -> list[tuple[str, str, str]]:
    return [
        (r.currency, r.rate_on.isoformat(), format(r.rate.normalize(), "f"))
        for r in ExchangeRate.objects.order_by("currency", "rate_on")
    ]


def upload(api: ApiClient, data: bytes, name: str = "rates.csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.client.post(
        BASE + "/exchange-rates/import",
        data={"file": SimpleUploadedFile(name, data, content_type="text/csv")},
        headers=api.headers,
    )


# ---------------------------------------------------------------- exchange rates


def test_setting_listing_and_deleting_a_rate(admin):
    api = client_for(admin)
    made = api.post("/exchange-rates", {"currency": "usd", "rate_on": "2025-03-01", "rate": "83.1"})
    assert made.status_code == 200
    body = made.json()
    assert {k: body[k] for k in ("currency", "rate_on", "rate")} == {
        "currency": "USD",
        "rate_on": "2025-03-01",
        "rate": "83.1",
    }
    api.post("/exchange-rates", {"currency": "EUR", "rate_on": "2025-03-05", "rate": "90"})
    listed = api.get("/exchange-rates").json()
    assert listed["base_currency"] == "INR"
    assert [(r["currency"], r["rate_on"]) for r in listed["items"]] == [
        ("EUR", "2025-03-05"),
        ("USD", "2025-03-01"),
    ]
    assert [r["currency"] for r in api.get("/exchange-rates?currency=usd").json()["items"]] == [
        "USD"
    ]
    assert api.delete(f"/exchange-rates/{body['id']}").status_code == 204
    assert _rates() == [("EUR", "2025-03-05", "90")]


def test_the_rate_list_pages_by_keyset(admin):
    for day in range(1, 6):
        exchange_rate_set(actor=admin, currency="USD", rate_on=f"2025-01-0{day}", rate=80 + day)
    api = client_for(admin)
    first = api.get("/exchange-rates?limit=2").json()
    second = api.get(f"/exchange-rates?limit=2&cursor={first['next_cursor']}").json()
    third = api.get(f"/exchange-rates?limit=2&cursor={second['next_cursor']}").json()
    days = [r["rate_on"][-2:] for page in (first, second, third) for r in page["items"]]
    assert days == ["05", "04", "03", "02", "01"]
    assert third["next_cursor"] is None


def test_a_bad_rate_is_a_400_with_the_field(admin):
    api = client_for(admin)
    response = api.post("/exchange-rates", {"currency": "USD", "rate_on": "2025-03-01", "rate": -2})
    assert response.status_code == 400
    assert response.json()["fields"] == {"rate": ["A rate must be more than zero."]}
    unknown = api.post("/exchange-rates", {"currency": "USD", "rate_on": "x", "rate": 1, "x": 1})
    assert unknown.status_code == 400
    assert not ExchangeRate.objects.exists()


def test_a_bad_currency_filter_is_a_400(admin):
    response = client_for(admin).get("/exchange-rates?currency=ZZZ")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["currency"]


def test_a_sales_rep_reads_rates_but_cannot_change_them(admin, owner):
    rate = exchange_rate_set(actor=admin, currency="USD", rate_on="2025-03-01", rate="83")
    api = client_for(owner)
    assert api.get("/exchange-rates").status_code == 200
    assert (
        api.post("/exchange-rates", {"currency": "USD", "rate_on": "2025-03-01", "rate": "1"})
    ).status_code == 403
    assert api.delete(f"/exchange-rates/{rate.pk}").status_code == 403
    assert upload(api, b"currency,date,rate\nUSD,2025-03-01,1\n").status_code == 403
    assert _rates() == [("USD", "2025-03-01", "83")]


def test_deleting_a_missing_rate_is_a_404(admin):
    assert client_for(admin).delete("/exchange-rates/999999").status_code == 404


def test_a_csv_upload_loads_the_rates(admin):
    response = upload(
        client_for(admin), b"currency,date,rate\nUSD,2025-03-01,83.1\nAED,2025-03-01,22.6\n"
    )
    assert response.status_code == 200
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert _rates() == [("AED", "2025-03-01", "22.6"), ("USD", "2025-03-01", "83.1")]


def test_a_bad_csv_upload_is_a_400_listing_each_row_and_writes_nothing(admin):
    response = upload(
        client_for(admin),
        b"currency,date,rate\nUSD,2025-03-01,83.1\nXYZ,2025-03-02,1\nUSD,2025-02-30,2\n",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_error"
    assert body["message"] == "Nothing was imported: the file has 2 problem(s)."
    assert body["fields"] == {
        "3.currency": ["Enter a valid ISO 4217 currency code such as INR."],
        "4.date": ["Enter a date as YYYY-MM-DD."],
    }
    assert not ExchangeRate.objects.exists()
    assert not AuditEntry.objects.filter(object_type="exchange_rate").exists()


def test_an_upload_without_a_file_is_a_400(admin):
    api = client_for(admin)
    response = api.client.post(BASE + "/exchange-rates/import", data={}, headers=api.headers)
    assert response.status_code == 400
    assert response.json()["fields"] == {"file": ["Choose a CSV file."]}


def test_the_csv_may_come_as_json_text_or_a_text_csv_body(admin):
    api = client_for(admin)
    as_json = api.post("/exchange-rates/import", {"csv": "currency,date,rate\nUSD,2025-01-01,80\n"})
    assert as_json.json() == {"created": 1, "updated": 0, "unchanged": 0}
    as_text = api.client.post(
        BASE + "/exchange-rates/import",
        data=b"currency,date,rate\nUSD,2025-01-01,81\n",
        content_type="text/csv",
        headers=api.headers,
    )
    assert as_text.json() == {"created": 0, "updated": 1, "unchanged": 0}
    assert _rates() == [("USD", "2025-01-01", "81")]


@pytest.mark.parametrize("body", [{"csv": 1}, {"text": "x"}, [], {"csv": "a", "b": 1}])
def test_a_json_import_needs_exactly_the_csv_text(admin, body):
    response = client_for(admin).post("/exchange-rates/import", body)
    assert response.status_code == 400
    assert response.json()["fields"] == {"csv": ["Send the file's text as csv."]}


def test_an_empty_upload_is_a_400_saying_so(admin):
    response = upload(client_for(admin), b"", name="empty.csv")
    assert response.status_code == 400
    assert response.json()["fields"] == {"file": ["The file is empty."]}


# ---------------------------------------------------------------- forecast


@pytest.fixture
def data(admin, owner, teammate, outsider) -> dict[str, Any]:
    owner.first_name, owner.last_name = "Asha", "Rao"
    return build(admin, owner, teammate, outsider)


def test_the_forecast_by_team_and_quarter(admin, data):
    response = client_for(admin).get(
        "/forecasts?period=quarter&group_by=team&from=2025-01&to=2025-03"
    )
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("period", "group_by", "currency", "from", "to")} == {
        "period": "quarter",
        "group_by": "team",
        "currency": "INR",
        "from": "2025-01",
        "to": "2025-03",
    }
    assert body["periods"] == [{"key": "2025-Q1", "start": "2025-01-01", "end": "2025-03-31"}]
    north, south = body["rows"]
    assert north["label"] == "North"
    assert north["cells"] == [
        {
            "period": "2025-Q1",
            "pipeline": "8000.00",
            "best_case": "41000.00",
            "commit": "150000.00",
            "forecast": "199000.00",
            "won": "240000.00",
            "open_deals": 4,
            "won_deals": 1,
            "missing_rates": 1,
        }
    ]
    assert (south["total"]["forecast"], south["total"]["won"]) == ("67752.05", "100000.00")
    assert (body["total"]["forecast"], body["total"]["won"]) == ("266752.05", "340000.00")


def test_a_sales_reps_forecast_leaves_out_other_teams(owner, data):
    body = client_for(owner).get("/forecasts?group_by=owner&from=2025-01&to=2025-03").json()
    assert [r["label"] for r in body["rows"]] == ["Asha Rao", "teammate"]
    assert [t["forecast"] for t in body["totals"]] == ["150000.00", "49000.00", "0.00"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=week", "period"),
        ("group_by=stage", "group_by"),
        ("from=2025-13", "from"),
        ("from=2025-05&to=2025-01", "to"),
        ("pipeline=0", "pipeline"),
    ],
)
def test_bad_forecast_parameters_are_a_400(admin, query, field):
    response = client_for(admin).get(f"/forecasts?{query}")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_a_pipeline_that_does_not_exist_is_a_404(admin):
    assert client_for(admin).get("/forecasts?pipeline=424242").status_code == 404


def test_the_forecast_needs_authentication(client):
    assert client.get(BASE + "/forecasts").status_code == 401
