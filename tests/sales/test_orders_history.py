"""The purchase history panel on contact and company pages: totals, last purchase date,
a bounded number of queries however many orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from sambandh.core.models import User
from sambandh.sales.selectors.catalog import purchase_history
from sambandh.sales.services.orders import order_create, order_set_status
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def _order(actor: User, on: str, amount: str, currency: str = "INR", **who: Any) -> Any:
    order, _created = order_create(
        actor=actor,
        data={
            **who,
            "currency": currency,
            "ordered_on": on,
            "lines": [{"description": "Goods", "unit_price": amount}],
        },
    )
    return order


def test_history_totals_and_last_date(owner: User) -> None:
    contact = make_contact(owner)
    _order(owner, "2026-01-10", "100.00", contact_id=contact.pk)
    _order(owner, "2026-02-20", "250.50", contact_id=contact.pk)
    cancelled = _order(owner, "2026-03-01", "999.00", contact_id=contact.pk)
    order_set_status(actor=owner, order=cancelled, status="cancelled", version=None)
    history = purchase_history(actor=owner, obj=contact)
    assert history.count == 2
    assert history.last_purchase_on == dt.date(2026, 2, 20)
    assert [(t.currency, t.total) for t in history.per_currency] == [("INR", Decimal("350.50"))]
    assert history.base_total == Decimal("350.50")
    assert [o.ordered_on.isoformat() for o in history.orders] == [
        "2026-03-01",
        "2026-02-20",
        "2026-01-10",
    ]


def test_another_currency_without_a_rate_is_shown_per_currency(owner: User) -> None:
    account = make_account(owner)
    _order(owner, "2026-01-10", "100.00", account_id=account.pk)
    _order(owner, "2026-01-11", "40.00", "USD", account_id=account.pk)
    history = purchase_history(actor=owner, obj=account)
    assert [(t.currency, t.total) for t in history.per_currency] == [
        ("INR", Decimal("100.00")),
        ("USD", Decimal("40.00")),
    ]
    assert history.base_total is None
    assert history.missing_rates == 1


def test_outsiders_see_no_orders_in_the_history(owner: User, manager: User) -> None:
    contact = make_contact(owner)
    _order(owner, "2026-01-10", "100.00", contact_id=contact.pk)
    assert purchase_history(actor=manager, obj=contact).count == 1


def test_the_contact_page_shows_the_panel_in_bounded_queries(
    owner: User, django_assert_max_num_queries: Any
) -> None:
    contact = make_contact(owner)
    client = Client()
    client.force_login(owner)
    _order(owner, "2026-01-10", "100.00", contact_id=contact.pk)
    client.get(f"/contacts/{contact.pk}/")
    with django_assert_max_num_queries(200) as few:
        page = client.get(f"/contacts/{contact.pk}/")
    baseline = len(few.captured_queries)
    for n in range(15):
        _order(owner, f"2026-02-{n + 1:02d}", "10.00", contact_id=contact.pk)
    with django_assert_max_num_queries(baseline):
        page = client.get(f"/contacts/{contact.pk}/")
    html = page.content.decode()
    assert 'data-testid="purchase-history"' in html
    assert 'data-testid="purchase-count">16<' in html
    assert html.count('data-testid="purchase"') == 10
