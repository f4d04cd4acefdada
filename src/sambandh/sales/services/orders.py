"""Orders, the purchase history: made when a deal is won, or posted through the API."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import require
from sambandh.core.records import jsonable, record_change
from sambandh.sales.models import (
    Deal,
    DealContact,
    DealContactRole,
    DealLineItem,
    Order,
    OrderLine,
    OrderSource,
)
from sambandh.sales.services.catalog import create_numbered, price_lines

ORDER_PREFIX = "ORD-"
ORDER_WIDTH = 6


def _deal_contact_id(deal: Deal) -> int | None:
    """The deal's decision maker, else the first person added to it."""
    roles = list(
        DealContact.objects.filter(deal=deal).order_by("id").values_list("contact_id", "role")
    )
    for contact_id, role in roles:
        if role == DealContactRole.DECISION_MAKER:
            return int(contact_id)
    return int(roles[0][0]) if roles else None


def _order_payload(order: Order) -> dict[str, object]:
    return {
        "id": order.pk,
        "number": order.number,
        "source": order.source,
        "deal_id": order.deal_id,
        "contact_id": order.contact_id,
        "account_id": order.account_id,
        "currency": order.currency,
        "total": jsonable(order.total),
        "ordered_on": jsonable(order.ordered_on),
    }


def order_create_from_deal(*, actor: User, deal: Deal) -> Order:
    """The order a won deal becomes; call it inside the win's transaction.

    Lines are copied from the deal's line items (one line for the deal's amount when it has
    none). Idempotent: a deal that already has its order gets that order back, unchanged.
    The actor must be allowed to change the deal (winning it is what makes the order).
    """
    require(actor, ObjectType.DEAL, Action.UPDATE, deal)
    with transaction.atomic():
        existing = Order.objects.filter(deal_id=deal.pk).first()
        if existing is not None:
            return existing
        items = list(DealLineItem.objects.filter(deal_id=deal.pk).order_by("position", "id"))
        lines = [
            OrderLine(
                product_id=item.product_id,
                description=item.description,
                quantity=item.quantity,
                unit_price=item.unit_price,
                discount_percent=item.discount_percent,
                tax_rate=item.tax_rate,
                position=position,
            )
            for position, item in enumerate(items)
        ] or [OrderLine(description=deal.name[:300], quantity=1, unit_price=deal.amount)]
        totals = price_lines(lines)
        for line, amounts in zip(lines, totals.lines, strict=True):
            line.line_total = amounts.net

        def create(number: str) -> Order:
            order = Order.objects.create(
                number=number,
                deal=deal,
                contact_id=_deal_contact_id(deal),
                account_id=deal.account_id,
                ordered_on=deal.closed_on or timezone.localdate(),
                source=OrderSource.DEAL,
                currency=deal.currency,
                owner_id=deal.owner_id,
                team_id=deal.team_id,
                created_by=actor,
                **totals.as_values(),
            )
            for line in lines:
                line.order = order
            OrderLine.objects.bulk_create(lines)
            return order

        order = create_numbered(Order, ORDER_PREFIX, ORDER_WIDTH, create)
        record_change(
            actor=actor,
            action="create",
            object_type=ObjectType.ORDER,
            obj=order,
            changes={k: [None, v] for k, v in _order_payload(order).items() if k != "id"},
            event="order.created",
            payload=_order_payload(order),
        )
    return order
