"""Companies (accounts) over the API: CRUD, money as strings, filters, scoping."""

from __future__ import annotations

import pytest

from sambandh.contacts.models import Account
from sambandh.core.models import User
from tests.api.conftest import ApiClient
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def test_creating_a_company_returns_money_as_a_decimal_string(as_owner: ApiClient) -> None:
    response = as_owner.post(
        "/accounts", {"name": "Mehta Textiles", "annual_revenue": "1250000.5", "country": "IN"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["annual_revenue"], body["annual_revenue_currency"]) == ("1250000.50", "INR")
    assert Account.objects.get(pk=body["id"]).name == "Mehta Textiles"


def test_a_company_needs_a_name(as_owner: ApiClient) -> None:
    response = as_owner.post("/accounts", {"domain": "example.com"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["name"]
    assert not Account.objects.exists()


def test_patching_a_company(as_owner: ApiClient, owner: User) -> None:
    account = make_account(owner, name="Old")
    response = as_owner.patch(f"/accounts/{account.pk}", {"name": "New", "version": 1})
    assert (response.status_code, response.json()["name"]) == (200, "New")
    stale = as_owner.patch(f"/accounts/{account.pk}", {"name": "Newer", "version": 1})
    assert stale.status_code == 409
    account.refresh_from_db()
    assert account.name == "New"


def test_deleting_a_company(as_owner: ApiClient, owner: User) -> None:
    account = make_account(owner)
    assert as_owner.delete(f"/accounts/{account.pk}").status_code == 204
    assert not Account.objects.filter(pk=account.pk).exists()


def test_companies_filter_by_type_and_sort_by_name(as_owner: ApiClient, owner: User) -> None:
    b = make_account(owner, name="Beta", type="customer")
    a = make_account(owner, name="Alpha", type="customer")
    make_account(owner, name="Gamma", type="partner")
    items = as_owner.get("/accounts?type=customer&sort=name").json()["items"]
    assert [x["id"] for x in items] == [a.pk, b.pk]


def test_outsider_cannot_touch_another_teams_company(as_outsider: ApiClient, owner: User) -> None:
    account = make_account(owner, name="Secret")
    assert as_outsider.get(f"/accounts/{account.pk}").status_code == 404
    assert (
        as_outsider.patch(f"/accounts/{account.pk}", {"name": "X", "version": 1}).status_code == 404
    )
    assert as_outsider.delete(f"/accounts/{account.pk}").status_code == 404
    assert as_outsider.get(f"/accounts/{account.pk}/history").status_code == 404
    account.refresh_from_db()
    assert account.name == "Secret"


def test_company_history(as_owner: ApiClient, owner: User) -> None:
    account = make_account(owner, name="Old")
    as_owner.patch(f"/accounts/{account.pk}", {"name": "New", "version": 1})
    items = as_owner.get(f"/accounts/{account.pk}/history").json()["items"]
    assert [e["action"] for e in items] == ["update", "create"]
    assert items[0]["changes"] == {"name": ["Old", "New"]}
