"""Orders, the purchase history: made when a deal is won, or posted through the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.contacts.models import Account, Contact
from sambandh.core import validation
from sambandh.core.errors import Conflict, ValidationError
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import require, visible
from sambandh.core.records import (
    apply_values,
    collect,
    jsonable,
    lock_for_update,
    raise_if,
    record_change,
    reject_unknown,
    save_changed,
)
from sambandh.sales.models import (
    Deal,
    DealContact,
    DealContactRole,
    DealLineItem,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    Product,
)
from sambandh.sales.services.catalog import (
    MAX_PRICE,
    ZERO,
    clean_id,
    clean_percent,
    create_numbered,
    price_lines,
)

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


# ---------------------------------------------------------------- posted orders

ORDER_FIELDS = (
    "external_id",
    "contact_id",
    "account_id",
    "ordered_on",
    "currency",
    "status",
    "lines",
)
MAX_LINES = 500
# Where an order may go from each status; cancelled and refunded are final.
ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PLACED: {OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.FULFILLED, OrderStatus.REFUNDED, OrderStatus.CANCELLED},
    OrderStatus.FULFILLED: {OrderStatus.REFUNDED},
    OrderStatus.CANCELLED: set(),
    OrderStatus.REFUNDED: set(),
}


def _clean_order_lines(raw: Any) -> list[OrderLine]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_LINES:
        raise ValidationError(
            {"lines": [_("Enter a list of 1 to %(n)d lines.") % {"n": MAX_LINES}]}
        )
    allowed = {
        "product_id",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
        "tax_rate",
    }
    errors: dict[str, list[str]] = {}
    lines: list[OrderLine] = []
    product_ids: dict[int, list[int]] = {}
    for n, item in enumerate(raw):
        prefix = f"lines.{n}."
        if not isinstance(item, dict):
            errors[f"lines.{n}"] = [_("Enter an object.")]
            continue
        for key in sorted(set(item) - allowed):
            errors[prefix + key] = [_("Unknown field.")]
        cleaners: dict[str, Any] = {
            "product_id": clean_id,
            "description": lambda v: validation.clean_text(v, max_length=300),
            "quantity": lambda v: validation.clean_decimal(
                v, min_value=Decimal("0.01"), max_value=Decimal("9999999999.99")
            ),
            "unit_price": lambda v: validation.clean_decimal(
                v, min_value=ZERO, max_value=MAX_PRICE
            ),
            "discount_percent": clean_percent,
            "tax_rate": clean_percent,
        }
        values: dict[str, Any] = {}
        for key, cleaner in cleaners.items():
            local: dict[str, list[str]] = {}
            value = collect(local, key, cleaner, item.get(key))
            if local:
                errors[prefix + key] = local[key]
            else:
                values[key] = value
        if values.get("unit_price") is None and prefix + "unit_price" not in errors:
            errors[prefix + "unit_price"] = [_("This field is required.")]
        if values.get("product_id"):
            product_ids.setdefault(values["product_id"], []).append(n)
        elif not values.get("description") and prefix + "product_id" not in errors:
            errors[prefix + "description"] = [_("Choose a product or enter a description.")]
        lines.append(
            OrderLine(
                product_id=values.get("product_id"),
                description=values.get("description") or "",
                quantity=values.get("quantity") or Decimal(1),
                unit_price=values.get("unit_price") or ZERO,
                discount_percent=values.get("discount_percent") or ZERO,
                tax_rate=values.get("tax_rate") or ZERO,
                position=n,
            )
        )
    # Past purchases may name products no longer sold: existing is enough, active is not needed.
    known = set(Product.objects.filter(pk__in=product_ids).values_list("id", flat=True))
    for pid, positions in product_ids.items():
        if pid not in known:
            for n in positions:
                errors[f"lines.{n}.product_id"] = [_("Choose a product.")]
    raise_if(errors)
    return lines


def _order_fingerprint(values: dict[str, Any], lines: list[OrderLine]) -> dict[str, Any]:
    """What makes two postings the same order (for idempotent retries by ``external_id``)."""
    result: dict[str, Any] = jsonable(
        {
            "contact_id": values.get("contact_id"),
            "account_id": values.get("account_id"),
            "ordered_on": values.get("ordered_on"),
            "currency": values.get("currency"),
            "lines": [
                [
                    line.product_id,
                    line.description,
                    *(
                        f"{Decimal(v):.2f}"
                        for v in (
                            line.quantity,
                            line.unit_price,
                            line.discount_percent,
                            line.tax_rate,
                        )
                    ),
                ]
                for line in lines
            ],
        }
    )
    return result


def _existing_fingerprint(order: Order) -> dict[str, Any]:
    lines = list(order.lines.order_by("position", "id"))
    return _order_fingerprint(
        {
            "contact_id": order.contact_id,
            "account_id": order.account_id,
            "ordered_on": order.ordered_on,
            "currency": order.currency,
        },
        lines,
    )


def order_create(*, actor: User, data: dict[str, Any]) -> tuple[Order, bool]:
    """Record a purchase posted through the API (or typed in); returns (order, created).

    ``external_id`` makes a retry safe: the same id with the same content returns the stored
    order (created=False); the same id with different content is a Conflict (409).
    """
    require(actor, ObjectType.ORDER, Action.CREATE)
    reject_unknown(data, ORDER_FIELDS)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    values["external_id"] = (
        collect(
            errors,
            "external_id",
            lambda v: validation.clean_text(v, max_length=100),
            data.get("external_id"),
        )
        or None
    )
    values["contact_id"] = collect(errors, "contact_id", clean_id, data.get("contact_id"))
    values["account_id"] = collect(errors, "account_id", clean_id, data.get("account_id"))
    values["ordered_on"] = collect(
        errors, "ordered_on", validation.clean_date, data.get("ordered_on")
    )
    values["currency"] = collect(
        errors,
        "currency",
        lambda v: validation.clean_currency(v, required=True),
        data.get("currency"),
    )
    status = data.get("status", OrderStatus.PLACED)
    if status not in OrderStatus.values:
        errors["status"] = [_("Choose one of the offered values.")]
    if values["contact_id"] is None and values["account_id"] is None and not errors:
        errors["contact_id"] = [_("Name the contact or the company who bought.")]
    if (
        values["contact_id"]
        and not visible(actor, Contact).filter(pk=values["contact_id"]).exists()
    ):
        errors["contact_id"] = [_("Choose a contact you can see.")]
    if (
        values["account_id"]
        and not visible(actor, Account).filter(pk=values["account_id"]).exists()
    ):
        errors["account_id"] = [_("Choose a company you can see.")]
    raise_if(errors)
    lines = _clean_order_lines(data.get("lines"))
    values["ordered_on"] = values["ordered_on"] or timezone.localdate()
    if values["external_id"]:
        existing = Order.objects.filter(external_id=values["external_id"]).first()
        if existing is not None:
            return _same_or_conflict(actor, existing, values, lines), False
    totals = price_lines(lines)
    for line, amounts in zip(lines, totals.lines, strict=True):
        line.line_total = amounts.net
    try:
        with transaction.atomic():

            def create(number: str) -> Order:
                order = Order.objects.create(
                    number=number,
                    source=OrderSource.API,
                    status=status,
                    owner_id=actor.pk,
                    team_id=actor.teams.order_by("id").values_list("id", flat=True).first(),
                    created_by=actor,
                    **values,
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
    except IntegrityError:
        # A concurrent retry with the same external id got in first.
        existing = Order.objects.filter(external_id=values["external_id"]).first()
        if existing is None:
            raise
        return _same_or_conflict(actor, existing, values, lines), False
    return order, True


def _same_or_conflict(
    actor: User, existing: Order, values: dict[str, Any], lines: list[OrderLine]
) -> Order:
    require(actor, ObjectType.ORDER, Action.READ, existing)
    if _existing_fingerprint(existing) != _order_fingerprint(values, lines):
        raise Conflict(
            _("An order with this external id exists with different content."),
            code="external_id_conflict",
        )
    return existing


def order_set_status(*, actor: User, order: Order, status: Any, version: int | None) -> Order:
    """Move an order along placed -> paid -> fulfilled (or cancelled / refunded)."""
    require(actor, ObjectType.ORDER, Action.UPDATE, order)
    if status not in OrderStatus.values:
        raise ValidationError({"status": [_("Choose one of the offered values.")]})
    with transaction.atomic():
        order = lock_for_update(Order, order.pk, version=version)
        if status != order.status and status not in ORDER_TRANSITIONS[order.status]:
            raise ValidationError(
                {
                    "status": [
                        _("An order that is %(status)s cannot become %(to)s.")
                        % {
                            "status": OrderStatus(order.status).label,
                            "to": OrderStatus(status).label,
                        }
                    ]
                },
                code="illegal_transition",
            )
        changes = apply_values(order, {"status": status})
        if changes:
            save_changed(order, changes)
            record_change(
                actor=actor,
                action="update",
                object_type=ObjectType.ORDER,
                obj=order,
                changes=changes,
                event="order.updated",
            )
    return order
