"""Orders over the API: posting is idempotent by external id; statuses move one way."""

from __future__ import annotations

from typing import Any

import pytest

from sambandh.core.models import AuditEntry, User
from sambandh.sales.models import Order
from tests.api.conftest import client_for
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def _body(contact_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "external_id": "shop-1001",
        "contact_id": contact_id,
        "currency": "INR",
        "ordered_on": "2026-03-15",
        "lines": [
            {"description": "Tea, 1 kg", "quantity": "2", "unit_price": "450", "tax_rate": "5"}
        ],
        **extra,
    }


def test_posting_an_order_prices_it(owner: User) -> None:
    contact = make_contact(owner)
    response = client_for(owner).post("/orders", _body(contact.pk))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"] == "ORD-000001"
    assert (data["source"], data["status"], data["owner_id"]) == ("api", "placed", owner.pk)
    assert (data["subtotal"], data["tax_total"], data["total"]) == ("900.00", "45.00", "945.00")
    assert data["lines"][0]["line_total"] == "900.00"


def test_the_same_external_id_and_content_returns_the_stored_order(owner: User) -> None:
    contact = make_contact(owner)
    api = client_for(owner)
    first = api.post("/orders", _body(contact.pk)).json()
    audit = AuditEntry.objects.count()
    again = api.post("/orders", _body(contact.pk))
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert Order.objects.count() == 1
    assert AuditEntry.objects.count() == audit


def test_the_same_external_id_with_other_content_is_a_conflict(owner: User) -> None:
    contact = make_contact(owner)
    api = client_for(owner)
    api.post("/orders", _body(contact.pk))
    body = _body(contact.pk)
    body["lines"][0]["quantity"] = "3"
    response = api.post("/orders", body)
    assert response.status_code == 409
    assert response.json()["code"] == "external_id_conflict"
    assert Order.objects.get().total == 945


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"description": "x", "quantity": "-1", "unit_price": "1"}, "lines.0.quantity"),
        (
            {"description": "x", "unit_price": "1", "discount_percent": "101"},
            "lines.0.discount_percent",
        ),
        ({"description": "x"}, "lines.0.unit_price"),
        ({"unit_price": "1"}, "lines.0.description"),
    ],
)
def test_bad_lines_are_400_and_nothing_is_stored(
    owner: User, line: dict[str, Any], field: str
) -> None:
    contact = make_contact(owner)
    response = client_for(owner).post("/orders", _body(contact.pk, lines=[line]))
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Order.objects.exists()


def test_a_wrong_currency_is_refused(owner: User) -> None:
    contact = make_contact(owner)
    response = client_for(owner).post("/orders", _body(contact.pk, currency="RUPEES"))
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["currency"]


def test_a_customer_out_of_sight_is_refused(owner: User, outsider: User) -> None:
    contact = make_contact(owner)
    response = client_for(outsider).post("/orders", _body(contact.pk))
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["contact_id"]
    assert not Order.objects.exists()


def test_status_moves_forward_only(owner: User) -> None:
    api = client_for(owner)
    order = api.post("/orders", _body(make_contact(owner).pk)).json()
    paid = api.patch(f"/orders/{order['id']}", {"status": "paid", "version": order["version"]})
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    back = api.patch(
        f"/orders/{order['id']}", {"status": "placed", "version": paid.json()["version"]}
    )
    assert back.status_code == 400
    stale = api.patch(
        f"/orders/{order['id']}", {"status": "fulfilled", "version": order["version"]}
    )
    assert stale.status_code == 409
    assert Order.objects.get().status == "paid"


def test_outsiders_do_not_see_orders_and_readers_cannot_change_them(
    owner: User, outsider: User, reader: User
) -> None:
    order = client_for(owner).post("/orders", _body(make_contact(owner).pk)).json()
    assert client_for(outsider).get(f"/orders/{order['id']}").status_code == 404
    assert client_for(outsider).get("/orders").json()["items"] == []
    denied = client_for(reader).patch(
        f"/orders/{order['id']}", {"status": "paid", "version": order["version"]}
    )
    assert denied.status_code == 403
    assert Order.objects.get().status == "placed"


def test_orders_list_filters_by_company_in_a_bounded_number_of_queries(
    owner: User, django_assert_max_num_queries: Any
) -> None:
    account = make_account(owner)
    api = client_for(owner)
    for n in range(5):
        api.post(
            "/orders",
            {
                "account_id": account.pk,
                "currency": "INR",
                "lines": [{"description": f"Item {n}", "unit_price": "10"}] * 3,
            },
        )
    api.post("/orders", _body(make_contact(owner).pk))
    with django_assert_max_num_queries(12):
        response = api.get(f"/orders?account_id={account.pk}&limit=3")
    data = response.json()
    assert len(data["items"]) == 3
    assert data["next_cursor"]
    rest = api.get(f"/orders?account_id={account.pk}&cursor={data['next_cursor']}").json()
    assert len(rest["items"]) == 2
