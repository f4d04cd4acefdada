"""Exchange-rate writes: set (upsert), delete and the all-or-nothing CSV load."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sambandh.core.errors import NotFound, PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry, ExchangeRate, OutboxEvent
from sambandh.core.rates import (
    RateImportError,
    exchange_rate_delete,
    exchange_rate_set,
    exchange_rates_load_csv,
)

pytestmark = pytest.mark.django_db

D = Decimal


def _rates() -> list[tuple[str, str, Decimal]]:
    return [
        (r.currency, r.rate_on.isoformat(), r.rate)
        for r in ExchangeRate.objects.order_by("currency", "rate_on")
    ]


# ---------------------------------------------------------------- set and delete


def test_setting_a_new_rate_creates_it_with_an_audit_entry_and_an_event(admin):
    rate = exchange_rate_set(actor=admin, currency="usd", rate_on="2025-03-01", rate="83.1")
    assert (rate.currency, rate.rate_on, rate.rate) == ("USD", dt.date(2025, 3, 1), D("83.1"))
    entry = AuditEntry.objects.get(object_type="exchange_rate", action="create")
    assert entry.object_id == str(rate.pk)
    assert entry.changes == {
        "currency": [None, "USD"],
        "rate_on": [None, "2025-03-01"],
        "rate": [None, "83.10000000"],
    }
    event = OutboxEvent.objects.get(name="exchange_rate.created")
    assert event.payload["rate"] == "83.10000000"


def test_setting_the_same_currency_and_date_again_changes_the_rate(admin):
    first = exchange_rate_set(actor=admin, currency="USD", rate_on="2025-03-01", rate="83.1")
    second = exchange_rate_set(actor=admin, currency="USD", rate_on="2025-03-01", rate="83.25")
    assert second.pk == first.pk
    assert _rates() == [("USD", "2025-03-01", D("83.25"))]
    entry = AuditEntry.objects.get(object_type="exchange_rate", action="update")
    assert entry.changes == {"rate": ["83.10000000", "83.25000000"]}


def test_setting_an_unchanged_rate_writes_no_audit_entry(admin):
    exchange_rate_set(actor=admin, currency="USD", rate_on="2025-03-01", rate="83.1")
    exchange_rate_set(actor=admin, currency="USD", rate_on="2025-03-01", rate="83.10")
    assert AuditEntry.objects.filter(object_type="exchange_rate").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"currency": "XYZ"}, "currency", "Enter a valid ISO 4217 currency code such as INR."),
        ({"currency": "INR"}, "currency", "The base currency needs no exchange rate."),
        ({"currency": ""}, "currency", "This field is required."),
        ({"rate_on": "2025-13-01"}, "rate_on", "Enter a date as YYYY-MM-DD."),
        ({"rate_on": None}, "rate_on", "This field is required."),
        ({"rate": "-1"}, "rate", "A rate must be more than zero."),
        ({"rate": "0"}, "rate", "A rate must be more than zero."),
        ({"rate": "abc"}, "rate", "Enter a number."),
        ({"rate": "NaN"}, "rate", "Enter a number."),
        ({"rate": "1.123456789"}, "rate", "Enter at most 8 decimal places."),
        ({"rate": "10000000000"}, "rate", "This number is too large."),
    ],
)
def test_a_bad_rate_is_refused_with_the_field_and_nothing_is_written(admin, data, field, message):
    values = {"currency": "USD", "rate_on": "2025-03-01", "rate": "83.1", **data}
    with pytest.raises(ValidationError) as caught:
        exchange_rate_set(actor=admin, **values)
    assert caught.value.fields == {field: [message]}
    assert not ExchangeRate.objects.exists()
    assert not AuditEntry.objects.filter(object_type="exchange_rate").exists()


def test_a_sales_manager_may_set_rates_and_a_sales_rep_may_not(manager, owner):
    exchange_rate_set(actor=manager, currency="EUR", rate_on="2025-01-01", rate="90")
    with pytest.raises(PermissionDenied):
        exchange_rate_set(actor=owner, currency="EUR", rate_on="2025-01-01", rate="1")
    assert _rates() == [("EUR", "2025-01-01", D("90"))]


def test_deleting_a_rate_removes_it_with_an_audit_entry(admin):
    rate = exchange_rate_set(actor=admin, currency="USD", rate_on="2025-03-01", rate="83.1")
    exchange_rate_delete(actor=admin, rate=rate)
    assert not ExchangeRate.objects.exists()
    entry = AuditEntry.objects.get(object_type="exchange_rate", action="delete")
    assert entry.changes["rate"] == ["83.10000000", None]
    assert OutboxEvent.objects.filter(name="exchange_rate.deleted").count() == 1


@pytest.mark.parametrize("persona", ["owner", "agent", "marketer", "reader"])
def test_only_rate_managers_may_delete_a_rate(request, admin, persona):
    rate = exchange_rate_set(actor=admin, currency="USD", rate_on="2025-03-01", rate="83.1")
    with pytest.raises((PermissionDenied, NotFound)):
        exchange_rate_delete(actor=request.getfixturevalue(persona), rate=rate)
    assert _rates() == [("USD", "2025-03-01", D("83.1"))]


# ---------------------------------------------------------------- CSV

GOOD = b"currency,date,rate\nUSD,2025-03-01,83.10\nUSD,2025-03-15,83.40\neur,2025-03-01,90.125\n"


def test_a_good_file_loads_every_rate_with_one_audit_entry(admin):
    result = exchange_rates_load_csv(actor=admin, file=GOOD)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert _rates() == [
        ("EUR", "2025-03-01", D("90.125")),
        ("USD", "2025-03-01", D("83.10")),
        ("USD", "2025-03-15", D("83.40")),
    ]
    entry = AuditEntry.objects.get(object_type="exchange_rate", action="import")
    assert entry.changes["summary"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert entry.changes["rates"]["EUR 2025-03-01"] == [None, "90.125"]
    assert OutboxEvent.objects.get(name="exchange_rate.imported").payload["created"] == 3


def test_loading_again_updates_changed_rates_and_keeps_the_rest(admin):
    exchange_rates_load_csv(actor=admin, file=GOOD)
    again = b"Currency,Date,Rate\r\nUSD,2025-03-01,83.20\r\nUSD,2025-03-15,83.40\r\n"
    result = exchange_rates_load_csv(actor=admin, file=again)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert _rates()[1] == ("USD", "2025-03-01", D("83.20"))
    assert ExchangeRate.objects.count() == 3


def test_a_file_with_a_byte_order_mark_and_blank_lines_loads(admin):
    data = "\ufeffcurrency,date,rate\n\nAED,2025-01-01,22.61\n\n".encode()
    assert exchange_rates_load_csv(actor=admin, file=data).created == 1


def _problems(admin, data: bytes) -> list[tuple[int, str, str]]:
    exchange_rate_set(actor=admin, currency="USD", rate_on="2024-01-01", rate="80")
    before = _rates()
    audits = AuditEntry.objects.count()
    with pytest.raises(RateImportError) as caught:
        exchange_rates_load_csv(actor=admin, file=data)
    assert _rates() == before
    assert AuditEntry.objects.count() == audits
    assert caught.value.status == 400
    assert caught.value.message.startswith("Nothing was imported")
    return [(p.row, p.field, p.problem) for p in caught.value.problems]


def test_every_bad_row_is_reported_and_nothing_is_written(admin):
    data = (
        b"currency,date,rate\n"
        b"USD,2025-03-01,83.10\n"
        b"XYZ,2025-03-01,1\n"
        b"EUR,01/03/2025,90\n"
        b"GBP,2025-03-01,-105\n"
        b"USD,2025-03-01,83.20\n"
        b"INR,2025-03-01,1\n"
        b"AED,2025-03-01\n"
    )
    assert _problems(admin, data) == [
        (3, "currency", "Enter a valid ISO 4217 currency code such as INR."),
        (4, "date", "Enter a date as YYYY-MM-DD."),
        (5, "rate", "A rate must be more than zero."),
        (6, "date", "Repeats the currency and date of row 2."),
        (7, "currency", "The base currency needs no exchange rate."),
        (8, "row", "Expected 3 values: currency, date and rate."),
    ]


def test_the_error_lists_each_problem_by_row_and_field(admin):
    with pytest.raises(RateImportError) as caught:
        exchange_rates_load_csv(actor=admin, file=b"currency,date,rate\nUSD,2025-03-01,x\n")
    assert caught.value.fields == {"2.rate": ["Enter a number."]}
    assert caught.value.code == "import_error"


def test_a_wrong_header_is_refused(admin):
    assert _problems(admin, b"code,day,value\nUSD,2025-03-01,83\n") == [
        (1, "header", "The first line must be: currency,date,rate")
    ]


def test_an_empty_file_is_refused(admin):
    assert _problems(admin, b"") == [(0, "file", "The file is empty.")]


def test_a_header_without_rows_is_refused(admin):
    assert _problems(admin, b"currency,date,rate\n") == [(0, "file", "The file has no rates.")]


def test_a_file_that_is_not_utf8_is_refused(admin):
    data = "currency,date,rate\nUSD,2025-03-01,83\n# रुपया\n".encode("utf-16")
    assert _problems(admin, data) == [
        (0, "file", "The file is not UTF-8 text: save it as CSV UTF-8.")
    ]
    latin1 = b"currency,date,rate\nUSD,2025-03-01,83\xe9\n"
    assert _problems(admin, latin1)[0][2] == "The file is not UTF-8 text: save it as CSV UTF-8."


def test_only_rate_managers_may_load_a_file(owner, reader):
    for actor in (owner, reader):
        with pytest.raises(PermissionDenied):
            exchange_rates_load_csv(actor=actor, file=GOOD)
    assert not ExchangeRate.objects.exists()
