"""Exports of the deals and orders lists: the list's filters, the export scope, the columns
(names beside ids, money as an amount and a currency, ISO dates), neutralised cells, the audit
entry and the refusals; through the API, the list pages, and a worker for a large selection."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from sambandh.core.models import AuditEntry, User
from sambandh.dataio.exports.kinds import DEAL_COLUMNS, ORDER_COLUMNS
from sambandh.dataio.exports.models import ExportJob, ExportStatus
from sambandh.dataio.exports.services import export_job_run, job_path
from sambandh.sales.models import Deal, Stage
from sambandh.sales.services.deals import deal_create, deal_move_stage
from sambandh.sales.services.orders import order_create
from tests.api.conftest import client_for
from tests.exports import body as _body
from tests.exports import csv_rows as _csv
from tests.exports import export_count as _exports
from tests.exports import signed_in as _page
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def _stage(label: str) -> Stage:
    return Stage.objects.get(pipeline__is_default=True, label_en=label)


@pytest.fixture
def deals(owner: User, teammate: User, admin: User) -> dict[str, Deal]:
    account = make_account(owner, name="Mehta Steel")
    won = deal_create(
        actor=owner,
        data={
            "name": '=HYPERLINK("http://evil.example")',
            "amount": "125000.50",
            "currency": "INR",
            "expected_close_on": "2026-03-31",
            "account_id": account.pk,
        },
    )
    deal_move_stage(actor=owner, deal=won, stage=_stage("Won"), version=1)
    won.refresh_from_db()
    return {
        "won": won,
        "open": deal_create(
            actor=owner, data={"name": "Pune plant", "amount": "900", "currency": "USD"}
        ),
        "team": deal_create(actor=teammate, data={"name": "Teammate's deal", "amount": "10"}),
        "admin": deal_create(actor=admin, data={"name": "Admin's deal", "amount": "20"}),
    }


# ---------------------------------------------------------------- deals


def test_a_deals_csv_has_the_lists_columns_names_money_and_iso_dates(
    manager: User, owner: User, deals: dict[str, Deal]
) -> None:
    before = _exports()
    rows = _csv(client_for(manager).get("/deals/export?status=won"))
    assert list(rows[0]) == list(DEAL_COLUMNS)
    [row] = rows
    won = deals["won"]
    assert row["id"] == str(won.pk)
    # A formula never reaches a spreadsheet as one.
    assert row["name"] == '\'=HYPERLINK("http://evil.example")'
    assert (row["pipeline"], row["stage"], row["is_won"]) == ("Sales", "Won", "True")
    assert (row["account_name"], row["owner_id"], row["owner_name"]) == (
        "Mehta Steel",
        str(owner.pk),
        "Asha Rao",
    )
    assert (row["amount"], row["currency"]) == ("125000.50", "INR")
    assert row["expected_close_on"] == "2026-03-31"
    assert row["closed_on"] == won.closed_on.isoformat()  # type: ignore[union-attr]
    assert row["created_at"] == won.created_at.isoformat()
    assert _exports() == before + 1
    entry = AuditEntry.objects.filter(action="export").latest("seq")
    assert (entry.actor, entry.object_type) == (manager, "deal")
    assert entry.changes["selection"] == {
        "format": "csv",
        "filters": {"status": "won"},
        "q": None,
        "tag": None,
        "sort": None,
    }


def test_the_deal_lists_filters_and_sort_hold(
    manager: User, teammate: User, deals: dict[str, Deal]
) -> None:
    api = client_for(manager)
    names = [r["name"] for r in _csv(api.get("/deals/export?sort=name&status=open"))]
    assert names == ["Admin's deal", "Pune plant", "Teammate's deal"]
    names = [r["name"] for r in _csv(api.get("/deals/export?sort=-name&status=open"))]
    assert names == ["Teammate's deal", "Pune plant", "Admin's deal"]
    pune = _csv(api.get("/deals/export?q=pune"))
    assert [(r["name"], r["amount"], r["currency"]) for r in pune] == [
        ("Pune plant", "900.00", "USD")
    ]
    theirs = _csv(api.get(f"/deals/export?owner_id={teammate.pk}"))
    assert [r["name"] for r in theirs] == ["Teammate's deal"]


def test_a_sales_rep_exports_only_their_own_deals(owner: User, deals: dict[str, Deal]) -> None:
    # The rep reads the team's deals (the teammate's too) but exports their own.
    listed = {d["name"] for d in client_for(owner).get("/deals").json()["items"]}
    assert "Teammate's deal" in listed
    rows = _csv(client_for(owner).get("/deals/export?sort=name"))
    assert sorted(r["id"] for r in rows) == sorted(str(d.pk) for d in (deals["won"], deals["open"]))


def test_the_deals_json_is_the_api_shape_with_the_names(
    manager: User, deals: dict[str, Deal]
) -> None:
    api = client_for(manager)
    exported = json.loads(_body(api.get("/deals/export?format=json&sort=name")))
    listed = api.get("/deals?sort=name").json()["items"]
    assert [r["id"] for r in exported] == [d["id"] for d in listed]
    for record, item in zip(exported, listed, strict=True):
        assert list(record) == list(DEAL_COLUMNS)
        for name in ("pipeline", "account_name", "owner_name"):
            record.pop(name)
        assert record == item


def test_the_deals_xlsx_has_numbers_for_money_and_text_for_formulas(
    manager: User, deals: dict[str, Deal]
) -> None:
    response = client_for(manager).get("/deals/export?format=xlsx&status=won")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(_body(response))).worksheets[0]
    header = [c.value for c in sheet[1]]
    amount = sheet.cell(row=2, column=header.index("amount") + 1)
    assert amount.data_type == "n"
    assert Decimal(str(amount.value)) == Decimal("125000.50")
    name = sheet.cell(row=2, column=header.index("name") + 1)
    assert (name.data_type, name.value) == ("s", '=HYPERLINK("http://evil.example")')


@pytest.mark.parametrize("persona", ["agent", "marketer", "reader"])
def test_roles_without_the_deal_export_grant_are_refused(
    persona: str, request: pytest.FixtureRequest, deals: dict[str, Deal]
) -> None:
    user: User = request.getfixturevalue(persona)
    before = _exports()
    response = client_for(user).get("/deals/export")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert _page(user).post("/sales/deals/export/", {"format": "csv"}).status_code == 403
    assert _exports() == before
    assert ExportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("format=vcf", "format", "vCard is for contacts only."),
        ("format=pdf", "format", "Choose one of: csv, xlsx, json."),
        ("sort=shoe_size", "sort", None),
        ("no_such_field=1", "no_such_field", None),
        ("status=maybe", "status", None),
        ("close_month=March", "close_month", None),
    ],
)
def test_bad_deal_export_input_is_a_400_and_nothing_is_exported(
    manager: User, deals: dict[str, Deal], query: str, field: str, message: str | None
) -> None:
    before = _exports()
    response = client_for(manager).get(f"/deals/export?{query}")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert field in fields
    if message:
        assert fields[field] == [message]
    assert _exports() == before


def test_the_deals_page_offers_the_export_with_the_lists_selection(
    manager: User, agent: User, deals: dict[str, Deal]
) -> None:
    page = _page(manager).get("/sales/deals/?status=open&q=pune&cursor=abc").content.decode()
    assert 'data-testid="export-menu"' in page
    assert 'action="/sales/deals/export/?status=open&amp;q=pune"' in page
    assert 'data-testid="export-xlsx"' in page
    assert 'data-testid="export-vcf"' not in page
    assert 'data-testid="export-menu"' not in _page(agent).get("/sales/deals/").content.decode()


def test_the_deals_page_export_posts_the_lists_selection(
    manager: User, deals: dict[str, Deal]
) -> None:
    client = _page(manager)
    assert client.get("/sales/deals/export/").status_code == 405  # a GET never writes
    response = client.post("/sales/deals/export/?status=open&sort=name", {"format": "csv"})
    assert 'filename="deals-' in response["Content-Disposition"]
    names = [r["name"] for r in _csv(response)]
    assert names == ["Admin's deal", "Pune plant", "Teammate's deal"]


def test_the_deals_page_shows_a_bad_format_as_an_error(
    manager: User, deals: dict[str, Deal]
) -> None:
    before = _exports()
    response = _page(manager).post("/sales/deals/export/", {"format": "vcf"})
    assert response.status_code == 400
    assert "vCard is for contacts only." in response.content.decode()
    assert _exports() == before


def test_a_large_deals_export_is_written_by_a_worker(
    manager: User, deals: dict[str, Deal], settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    settings.SAMBANDH_EXPORT_BACKGROUND_ROWS = 2
    before = _exports()
    response = _page(manager).post("/sales/deals/export/?sort=name", {"format": "csv"})
    assert response.status_code == 302
    assert response["Location"] == "/exports/"
    job = ExportJob.objects.get()
    assert (job.object_type, job.selection["sort"]) == ("deal", "name")
    assert _exports() == before + 1
    done = export_job_run(job.pk)
    assert done is not None
    assert (done.status, done.rows_written) == (ExportStatus.COMPLETED, 4)
    text = job_path(done).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == [
        '\'=HYPERLINK("http://evil.example")',
        "Admin's deal",
        "Pune plant",
        "Teammate's deal",
    ]
    assert _exports() == before + 1


# ---------------------------------------------------------------- orders


@pytest.fixture
def orders(owner: User) -> dict[str, Any]:
    contact = make_contact(owner, first_name="Anita")
    paid, _created = order_create(
        actor=owner,
        data={
            "external_id": "shop-1",
            "contact_id": contact.pk,
            "currency": "INR",
            "ordered_on": "2026-03-15",
            "status": "paid",
            "lines": [
                {"description": "Tea, 1 kg", "quantity": "2", "unit_price": "450", "tax_rate": "5"}
            ],
        },
    )
    placed, _created = order_create(
        actor=owner,
        data={
            "external_id": "shop-2",
            "contact_id": contact.pk,
            "currency": "USD",
            "ordered_on": "2026-04-01",
            "lines": [{"description": "@SUM(A1)", "unit_price": "10"}],
        },
    )
    return {"contact": contact, "paid": paid, "placed": placed}


def test_an_orders_csv_has_money_as_amount_and_currency_and_iso_dates(
    marketer: User, orders: dict[str, Any]
) -> None:
    before = _exports()
    rows = _csv(client_for(marketer).get("/orders/export"))
    assert list(rows[0]) == list(ORDER_COLUMNS)
    paid = next(r for r in rows if r["external_id"] == "shop-1")
    assert (paid["status"], paid["ordered_on"], paid["currency"]) == ("paid", "2026-03-15", "INR")
    assert (paid["subtotal"], paid["tax_total"], paid["total"]) == ("900.00", "45.00", "945.00")
    assert "lines" not in paid
    # Newest first, as the list shows them.
    assert [r["ordered_on"] for r in rows] == ["2026-04-01", "2026-03-15"]
    assert _exports() == before + 1
    entry = AuditEntry.objects.filter(action="export").latest("seq")
    assert (entry.actor, entry.object_type) == (marketer, "order")


def test_the_orders_filters_hold_and_json_keeps_the_lines(
    manager: User, orders: dict[str, Any]
) -> None:
    api = client_for(manager)
    rows = _csv(api.get("/orders/export?status=paid"))
    assert [r["external_id"] for r in rows] == ["shop-1"]
    contact = orders["contact"].pk
    records = json.loads(_body(api.get(f"/orders/export?format=json&contact_id={contact}")))
    assert [r["external_id"] for r in records] == ["shop-2", "shop-1"]
    listed = api.get(f"/orders?contact_id={contact}").json()["items"]
    assert records == listed
    assert records[0]["lines"][0]["description"] == "@SUM(A1)"


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=lost", "status"), ("contact_id=x", "contact_id"), ("sort=total", "sort")],
)
def test_bad_order_export_input_is_a_400(
    manager: User, orders: dict[str, Any], query: str, field: str
) -> None:
    before = _exports()
    response = client_for(manager).get(f"/orders/export?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert _exports() == before


def test_a_sales_rep_may_not_export_orders(owner: User, orders: dict[str, Any]) -> None:
    before = _exports()
    assert client_for(owner).get("/orders/export").status_code == 403
    assert _page(owner).post("/sales/orders/export/", {"format": "csv"}).status_code == 403
    assert _exports() == before


def test_the_orders_page_offers_and_posts_its_export(
    marketer: User, owner: User, orders: dict[str, Any]
) -> None:
    page = _page(marketer).get("/sales/orders/?status=placed").content.decode()
    assert 'action="/sales/orders/export/?status=placed"' in page
    assert 'data-testid="export-menu"' not in _page(owner).get("/sales/orders/").content.decode()
    response = _page(marketer).post("/sales/orders/export/?status=placed", {"format": "csv"})
    rows = _csv(response)
    assert [r["external_id"] for r in rows] == ["shop-2"]
    response = _page(marketer).post("/sales/orders/export/?status=nope", {"format": "csv"})
    assert response.status_code == 400
