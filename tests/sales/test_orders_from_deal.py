"""A won deal becomes an order: numbered, priced from its lines, idempotent, audited."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from sambandh.core.errors import NotFound, PermissionDenied
from sambandh.core.models import AuditEntry, OutboxEvent, User
from sambandh.sales.models import Order, OrderLine, OrderSource
from sambandh.sales.services.catalog import create_numbered
from sambandh.sales.services.orders import order_create_from_deal
from tests.factories import make_account, make_contact
from tests.sales.catalog_setup import make_deal

pytestmark = pytest.mark.django_db

LINES = [
    {"description": "Licences", "quantity": "3", "unit_price": "1000.00", "tax_rate": "18"},
    {
        "description": "Training",
        "quantity": "1",
        "unit_price": "999.99",
        "discount_percent": "10",
        "tax_rate": "5",
    },
]


def test_the_order_copies_the_deal_lines_and_prices_them(owner: User) -> None:
    account = make_account(owner, name="Acme")
    deal = make_deal(owner, account=account, line_items=LINES, amount="4000")
    order = order_create_from_deal(actor=owner, deal=deal)
    assert order.source == OrderSource.DEAL
    assert order.deal_id == deal.pk
    assert order.account_id == account.pk
    assert order.currency == "INR"
    assert order.owner_id == owner.pk
    assert order.team_id == deal.team_id
    assert order.number == "ORD-000001"
    # 3000 + 999.99 gross; 100.00 discount (999.99 x 10% = 99.999 -> 100.00);
    # tax 540.00 + 5% of 899.99 = 45.00 (44.9995 rounds half up).
    assert order.subtotal == Decimal("3999.99")
    assert order.discount_total == Decimal("100.00")
    assert order.tax_total == Decimal("585.00")
    assert order.total == Decimal("4484.99")
    lines = list(OrderLine.objects.filter(order=order).order_by("position"))
    assert [(li.description, li.line_total) for li in lines] == [
        ("Licences", Decimal("3000.00")),
        ("Training", Decimal("899.99")),
    ]


def test_the_decision_maker_is_the_order_contact(owner: User) -> None:
    user_person = make_contact(owner, first_name="Uma")
    boss = make_contact(owner, first_name="Bina")
    deal = make_deal(owner, contacts=[(user_person, "user"), (boss, "decision_maker")])
    assert order_create_from_deal(actor=owner, deal=deal).contact_id == boss.pk


def test_without_a_decision_maker_the_first_contact_is_used(owner: User) -> None:
    first = make_contact(owner, first_name="Uma")
    second = make_contact(owner, first_name="Bina")
    deal = make_deal(owner, contacts=[(first, "user"), (second, "influencer")])
    assert order_create_from_deal(actor=owner, deal=deal).contact_id == first.pk


def test_a_deal_without_lines_becomes_one_line_for_its_amount(owner: User) -> None:
    deal = make_deal(owner, name="Annual support", amount="12500.50", currency="USD")
    order = order_create_from_deal(actor=owner, deal=deal)
    line = OrderLine.objects.get(order=order)
    assert (line.description, line.quantity, line.unit_price) == (
        "Annual support",
        Decimal("1.00"),
        Decimal("12500.50"),
    )
    assert (order.currency, order.total, order.contact_id) == ("USD", Decimal("12500.50"), None)


def test_the_order_date_is_the_deal_close_date(owner: User) -> None:
    deal = make_deal(owner, amount="10")
    deal.closed_on = dt.date(2026, 1, 31)
    assert order_create_from_deal(actor=owner, deal=deal).ordered_on == dt.date(2026, 1, 31)


def test_a_second_call_returns_the_same_order(owner: User) -> None:
    deal = make_deal(owner, amount="10")
    first = order_create_from_deal(actor=owner, deal=deal)
    events = OutboxEvent.objects.filter(name="order.created").count()
    again = order_create_from_deal(actor=owner, deal=deal)
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    assert OutboxEvent.objects.filter(name="order.created").count() == events == 1


def test_numbers_follow_each_other(owner: User) -> None:
    numbers = [
        order_create_from_deal(actor=owner, deal=make_deal(owner, amount="1")).number
        for _ in range(3)
    ]
    assert numbers == ["ORD-000001", "ORD-000002", "ORD-000003"]


def test_numbers_continue_after_the_highest_stored(owner: User) -> None:
    first = order_create_from_deal(actor=owner, deal=make_deal(owner, amount="1"))
    Order.objects.filter(pk=first.pk).update(number="ORD-000009")
    second = order_create_from_deal(actor=owner, deal=make_deal(owner, amount="1"))
    assert second.number == "ORD-000010"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_number_taken_by_a_concurrent_writer_is_retried() -> None:
    """A reads the next number, B takes and commits it, A's insert fails and A takes the next."""
    a_has_read = threading.Event()
    b_has_committed = threading.Event()
    attempts: list[str] = []
    results: dict[str, str] = {}
    errors: list[BaseException] = []

    def create_a(number: str) -> Order:
        attempts.append(number)
        if len(attempts) == 1:
            a_has_read.set()
            b_has_committed.wait(timeout=30)
        return Order.objects.create(number=number, ordered_on=dt.date(2026, 1, 1), currency="INR")

    def create_b(number: str) -> Order:
        return Order.objects.create(number=number, ordered_on=dt.date(2026, 1, 1), currency="INR")

    def writer(name: str) -> None:
        try:
            if name == "b":
                a_has_read.wait(timeout=30)
            with transaction.atomic():
                order = create_numbered(Order, "ORD-", 6, create_a if name == "a" else create_b)
            results[name] = order.number
            if name == "b":
                b_has_committed.set()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            b_has_committed.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert results == {"b": "ORD-000001", "a": "ORD-000002"}
    assert attempts == ["ORD-000001", "ORD-000002"]


def test_creation_is_audited_and_announced(owner: User) -> None:
    order = order_create_from_deal(actor=owner, deal=make_deal(owner, amount="250"))
    entry = AuditEntry.objects.get(object_type="order", object_id=str(order.pk))
    assert (entry.action, entry.actor_id) == ("create", owner.pk)
    assert entry.changes["number"] == [None, order.number]
    event = OutboxEvent.objects.get(name="order.created")
    assert event.payload["number"] == order.number
    assert event.payload["total"] == "250.00"


def test_someone_who_cannot_change_the_deal_makes_no_order(
    owner: User, teammate: User, outsider: User
) -> None:
    deal = make_deal(owner, amount="10")
    with pytest.raises(PermissionDenied):
        order_create_from_deal(actor=teammate, deal=deal)
    with pytest.raises(NotFound):
        order_create_from_deal(actor=outsider, deal=deal)
    assert not Order.objects.exists()
