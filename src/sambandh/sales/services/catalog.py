"""Products and price books; the pricing arithmetic quotes and orders share; numbering."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models.functions import Length

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)

T = TypeVar("T")


def money(value: Decimal) -> Decimal:
    """Round to paise/cents the way invoices do: half up, two places."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class PricedLine(Protocol):
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity x unit price
    line_discount: Decimal  # the line's own discount
    net: Decimal  # gross - line discount: the line total shown on the document
    overall_discount: Decimal  # the line's share of the overall discount
    tax: Decimal  # on net - overall discount, at the line's rate


@dataclass(frozen=True)
class DocumentTotals:
    lines: list[LineAmounts]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal

    def as_values(self) -> dict[str, Decimal]:
        return {
            "subtotal": self.subtotal,
            "discount_total": self.discount_total,
            "tax_total": self.tax_total,
            "total": self.total,
        }


def price_lines(lines: Iterable[PricedLine], discount_percent: Decimal = ZERO) -> DocumentTotals:
    """Totals of a quote or an order.

    Each line is rounded on its own (as GST invoices are): gross, minus the line discount,
    minus its share of the overall discount, plus tax at the line's rate on what is left.
    """
    amounts: list[LineAmounts] = []
    for line in lines:
        gross = money(Decimal(line.quantity) * Decimal(line.unit_price))
        line_discount = money(gross * Decimal(line.discount_percent) / HUNDRED)
        net = gross - line_discount
        overall = money(net * Decimal(discount_percent) / HUNDRED)
        tax = money((net - overall) * Decimal(line.tax_rate) / HUNDRED)
        amounts.append(LineAmounts(gross, line_discount, net, overall, tax))
    subtotal = sum((a.gross for a in amounts), ZERO)
    discount_total = sum((a.line_discount + a.overall_discount for a in amounts), ZERO)
    tax_total = sum((a.tax for a in amounts), ZERO)
    return DocumentTotals(
        lines=amounts,
        subtotal=subtotal,
        discount_total=discount_total,
        tax_total=tax_total,
        total=subtotal - discount_total + tax_total,
    )


def next_number(model: type[models.Model], prefix: str, width: int) -> str:
    """The number after the highest ``<prefix><digits>`` stored (longest first, so 10000 > 9999)."""
    last = (
        model._default_manager.filter(number__startswith=prefix)
        .annotate(number_length=Length("number"))
        .order_by("-number_length", "-number")
        .values_list("number", flat=True)
        .first()
    )
    n = 1
    if last:
        tail = str(last)[len(prefix) :]
        n = int(tail) + 1 if tail.isdigit() else 1
    return f"{prefix}{n:0{width}d}"


def create_numbered(
    model: type[models.Model], prefix: str, width: int, create: Callable[[str], T]
) -> T:
    """Run ``create(number)`` with the next free number; a unique constraint settles races.

    Two writers may read the same highest number; the second insert then fails on the
    constraint inside its savepoint and tries the next one, so no number is given twice.
    """
    for _attempt in range(20):
        number = next_number(model, prefix, width)
        try:
            with transaction.atomic():
                return create(number)
        except IntegrityError:
            if not model._default_manager.filter(number=number).exists():
                raise
    raise IntegrityError(f"no free number after {prefix}")
