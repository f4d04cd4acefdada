"""The product, price book and quote-line forms: their fields, and turning a POST into the
data the catalogue and quote services take (the services validate; nothing is checked here
that they check)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from sambandh.contacts.forms import Field
from sambandh.core.errors import ValidationError
from sambandh.sales.models import PriceBook, Product, Quote
from sambandh.sales.services.quotes import MAX_LINES

PRODUCT_FIELDS = [
    Field(
        "sku",
        _("SKU"),
        help=_("Letters, digits and dashes, no spaces; kept in capitals."),
    ),
    Field("name_en", _("Name (English)")),
    Field("name_hi", _("Name (Hindi)")),
    Field("tax_rate", _("Default GST rate (%)"), "number"),
    Field("description", _("Description"), "textarea"),
    Field("is_active", _("Active: can go on new quotes"), "checkbox"),
]
PRICE_BOOK_FIELDS = [
    Field("name", _("Name")),
    Field(
        "is_default",
        _("Default price book"),
        "checkbox",
        help=_("New quotes take their prices from it; only one price book is the default."),
    ),
    Field("is_active", _("Active"), "checkbox"),
]
CHECKED = "on"
# The catalogue service translates these from constants (``_(SKU_TAKEN)``), which
# makemessages cannot see; marking them here puts them in the catalogue.
SERVICE_MESSAGES = (
    gettext_noop("A product with this SKU already exists."),
    gettext_noop("A price book with this name already exists."),
)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def product_initial(product: Product | None) -> dict[str, str]:
    if product is None:
        return {"is_active": CHECKED}
    return {
        "sku": product.sku,
        "name_en": product.name_en,
        "name_hi": product.name_hi,
        "tax_rate": _text(product.tax_rate),
        "description": product.description,
        "is_active": CHECKED if product.is_active else "",
    }


def price_book_initial(book: PriceBook | None) -> dict[str, str]:
    if book is None:
        return {"is_active": CHECKED}
    return {
        "name": book.name,
        "is_default": CHECKED if book.is_default else "",
        "is_active": CHECKED if book.is_active else "",
    }


def submitted(post: QueryDict, fields: list[Field]) -> dict[str, str]:
    """What the form shows again after a refused POST (a checkbox is ``on`` or empty)."""
    values: dict[str, str] = {}
    for f in fields:
        if f.widget == "checkbox":
            values[f.name] = CHECKED if post.get(f.name) else ""
        else:
            values[f.name] = post.get(f.name, "")
    return values


def service_data(post: QueryDict, fields: list[Field]) -> dict[str, Any]:
    """The service's data: every field of the form (an unticked box is ``False``)."""
    return {
        f.name: bool(post.get(f.name)) if f.widget == "checkbox" else post.get(f.name, "")
        for f in fields
    }


def inputs(
    fields: list[Field], values: dict[str, str], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """What ``contacts/_input.html`` renders, one per field."""
    return [
        {"field": f, "value": values.get(f.name, ""), "errors": errors.get(f.name, [])}
        for f in fields
    ]


def error_lists(exc: ValidationError, fields: list[Field]) -> dict[str, list[str]]:
    """Per-field messages; the general message and unknown keys go under ``""``."""
    names = {f.name for f in fields}
    errors: dict[str, list[str]] = {"": [exc.message]}
    for name, messages in exc.fields.items():
        errors.setdefault(name if name in names else "", []).extend(messages)
    return errors


# ---------------------------------------------------------------- quote lines

LINE_INPUTS = (
    "product_id",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_rate",
)
# The text inputs of a row after its product picker: name, column label, takes a number.
LINE_TEXT_INPUTS = [
    ("description", _("Description"), False),
    ("quantity", _("Quantity"), True),
    ("unit_price", _("Unit price"), True),
    ("discount_percent", _("Discount (%)"), True),
    ("tax_rate", _("GST (%)"), True),
]


@dataclass
class LineRow:
    """One row of the quote-lines form: what it shows and the errors next to its inputs."""

    index: int
    values: dict[str, str]
    remove: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_blank(self) -> bool:
        return not any(self.values.get(k, "").strip() for k in LINE_INPUTS)

    @property
    def row_errors(self) -> list[str]:
        """Messages about the row as a whole (not one of its inputs)."""
        return self.errors.get("", [])

    @property
    def cells(self) -> list[dict[str, Any]]:
        """The row's text inputs, each labelled for screen readers with its line number."""
        return [
            {
                "name": name,
                "html_id": f"line-{self.index}-{name.replace('_', '-')}",
                "label": gettext("%(column)s, line %(n)d") % {"column": label, "n": self.index + 1},
                "value": self.values.get(name, ""),
                "errors": self.errors.get(name, []),
                "numeric": numeric,
            }
            for name, label, numeric in LINE_TEXT_INPUTS
        ]

    @property
    def product_label(self) -> str:
        return gettext("%(column)s, line %(n)d") % {
            "column": gettext("Product"),
            "n": self.index + 1,
        }


def _amount(value: Any) -> str:
    """2.50 -> "2.5", 18.00 -> "18": what a person would type."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def line_rows(quote: Quote) -> list[LineRow]:
    """The quote's lines as form rows, plus an empty one to add a line."""
    rows = [
        LineRow(
            index=n,
            values={
                "product_id": _text(line.product_id),
                "description": line.description,
                "quantity": _amount(line.quantity),
                "unit_price": f"{line.unit_price:.2f}",
                "discount_percent": _amount(line.discount_percent),
                "tax_rate": _amount(line.tax_rate),
            },
        )
        for n, line in enumerate(quote.lines.all())
    ]
    return with_blank_row(rows)


def with_blank_row(rows: list[LineRow]) -> list[LineRow]:
    if (not rows or not rows[-1].is_blank) and len(rows) < MAX_LINES:
        rows.append(LineRow(index=len(rows), values=dict.fromkeys(LINE_INPUTS, "")))
    return rows


def posted_rows(post: QueryDict) -> list[LineRow]:
    """The rows of a submitted lines form (``line_count`` says how many were offered)."""
    count_text = post.get("line_count", "")
    count = min(int(count_text), MAX_LINES + 1) if count_text.isdigit() else 0
    return [
        LineRow(
            index=n,
            values={k: post.get(f"lines-{n}-{k}", "") for k in LINE_INPUTS},
            remove=bool(post.get(f"lines-{n}-remove")),
        )
        for n in range(count)
    ]


def lines_data(rows: list[LineRow]) -> tuple[list[dict[str, str]], list[int]]:
    """The service's lines (kept rows that are not blank) and, for each, its row index."""
    kept = [row for row in rows if not row.remove and not row.is_blank]
    return [dict(row.values) for row in kept], [row.index for row in kept]


def file_line_errors(
    exc: ValidationError, rows: list[LineRow], row_of: list[int], general: list[str]
) -> None:
    """Put the service's ``lines.<n>.<field>`` messages on their rows; its general message and
    anything that fits no row go to ``general`` (the overall discount's are shown by it)."""
    general.append(exc.message)
    by_index = {row.index: row for row in rows}
    for key, messages in exc.fields.items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit():
            n = int(parts[1])
            if n < len(row_of) and row_of[n] in by_index:
                name = parts[2] if len(parts) > 2 and parts[2] in LINE_INPUTS else ""
                by_index[row_of[n]].errors.setdefault(name, []).extend(messages)
                continue
        if key == "discount_percent":
            continue  # shown next to the overall discount
        general.extend(messages)


def product_options(choices: list[Product], quote: Quote) -> list[tuple[str, str]]:
    """The line's product picker: active products, plus any a line already has."""
    products = {p.pk: p for p in choices}
    for line in quote.lines.all():
        if line.product is not None:
            products.setdefault(line.product.pk, line.product)
    return [("", "—"), *((str(p.pk), f"{p.sku} · {p.name_en}") for p in products.values())]
