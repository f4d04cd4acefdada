"""Writes to exchange rates: one at a time (upsert by currency and date), delete, and a CSV
load that writes every row or none.

A rate is how many units of the base currency one unit of ``currency`` was worth on
``rate_on`` (see ``core.money`` for how amounts use it). Rates have no version number: a rate
is identified by its currency and date, and setting it again is the same write (idempotent).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from sambandh.core import validation
from sambandh.core.audit import audit_record
from sambandh.core.errors import ValidationError
from sambandh.core.events import event_emit
from sambandh.core.models import Action, ExchangeRate, ObjectType, User
from sambandh.core.money import base_currency, forget_rates
from sambandh.core.permissions import require
from sambandh.core.records import raise_if, record_change

MAX_RATE = Decimal(10) ** 10  # max_digits=18, decimal_places=8
RATE_PLACES = 8
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
HEADER = ["currency", "date", "rate"]
BATCH = 1000


def clean_rate(value: Any) -> Decimal:
    """A positive number with at most 8 decimal places (rates are never rounded silently)."""
    if value is None or value == "" or isinstance(value, bool):
        raise ValueError(_("Enter a rate."))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(_("Enter a number.")) from exc
    if not number.is_finite():
        raise ValueError(_("Enter a number."))
    if number <= 0:
        raise ValueError(_("A rate must be more than zero."))
    if number >= MAX_RATE:
        raise ValueError(_("This number is too large."))
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > RATE_PLACES:
        raise ValueError(_("Enter at most 8 decimal places."))
    return number


def _clean_currency(value: Any, base: str) -> str:
    code = validation.clean_currency(value, required=True)
    if not code:
        raise ValueError(_("This field is required."))
    if code == base:
        raise ValueError(_("The base currency needs no exchange rate."))
    return code


def _clean_rate_date(value: Any) -> dt.date:
    on = validation.clean_date(value)
    if on is None:
        raise ValueError(_("This field is required."))
    return on


def exchange_rate_set(*, actor: User, currency: Any, rate_on: Any, rate: Any) -> ExchangeRate:
    """Set the rate of ``currency`` on ``rate_on`` (create it, or change the one there)."""
    require(actor, ObjectType.EXCHANGE_RATE, Action.CREATE)
    errors: dict[str, list[str]] = {}
    base = base_currency()
    values: dict[str, Any] = {}
    for name, clean, raw in (
        ("currency", lambda v: _clean_currency(v, base), currency),
        ("rate_on", _clean_rate_date, rate_on),
        ("rate", clean_rate, rate),
    ):
        try:
            values[name] = clean(raw)
        except ValueError as exc:
            errors[name] = [str(exc)]
    raise_if(errors)
    with transaction.atomic():
        existing = (
            ExchangeRate.objects.select_for_update()
            .filter(currency=values["currency"], rate_on=values["rate_on"])
            .first()
        )
        if existing is None:
            obj = ExchangeRate.objects.create(
                currency=values["currency"],
                rate_on=values["rate_on"],
                rate=values["rate"],
                created_by=actor,
            )
            obj.refresh_from_db(fields=["rate"])
            record_change(
                actor=actor,
                action="create",
                object_type=ObjectType.EXCHANGE_RATE,
                obj=obj,
                changes={
                    "currency": [None, obj.currency],
                    "rate_on": [None, obj.rate_on.isoformat()],
                    "rate": [None, str(obj.rate)],
                },
                event="exchange_rate.created",
                payload=_payload(obj),
            )
        else:
            require(actor, ObjectType.EXCHANGE_RATE, Action.UPDATE, existing)
            obj = existing
            if obj.rate != values["rate"]:
                before = str(obj.rate)
                obj.rate = values["rate"]
                obj.save(update_fields=["rate"])
                obj.refresh_from_db(fields=["rate"])
                record_change(
                    actor=actor,
                    action="update",
                    object_type=ObjectType.EXCHANGE_RATE,
                    obj=obj,
                    changes={"rate": [before, str(obj.rate)]},
                    event="exchange_rate.updated",
                    payload=_payload(obj),
                )
    forget_rates()
    return obj


def exchange_rate_delete(*, actor: User, rate: ExchangeRate) -> None:
    """Delete one rate; amounts of its dates fall back to the rate before it (or to none)."""
    require(actor, ObjectType.EXCHANGE_RATE, Action.DELETE, rate)
    with transaction.atomic():
        record_change(
            actor=actor,
            action="delete",
            object_type=ObjectType.EXCHANGE_RATE,
            obj=rate,
            changes={
                "currency": [rate.currency, None],
                "rate_on": [rate.rate_on.isoformat(), None],
                "rate": [str(rate.rate), None],
            },
            event="exchange_rate.deleted",
            payload=_payload(rate),
        )
        rate.delete()
    forget_rates()


def _payload(obj: ExchangeRate) -> dict[str, Any]:
    return {
        "id": obj.pk,
        "currency": obj.currency,
        "rate_on": obj.rate_on.isoformat(),
        "rate": str(obj.rate),
    }


# ---------------------------------------------------------------- CSV


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong in an uploaded file. ``row`` is the line number (the header is 1)."""

    row: int
    field: str
    problem: str


class RateImportError(ValidationError):
    """The file was refused; nothing was written. ``problems`` lists every bad row."""

    code = "import_error"

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        fields: dict[str, list[str]] = {}
        for p in problems:
            fields.setdefault(f"{p.row}.{p.field}" if p.row else p.field, []).append(p.problem)
        super().__init__(
            fields,
            _("Nothing was imported: the file has %(n)d problem(s).") % {"n": len(problems)},
        )


@dataclass(frozen=True)
class RateImportResult:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def _read_text(file: bytes | IO[bytes] | Any) -> str:
    if isinstance(file, bytes | bytearray):
        raw = bytes(file)
    else:
        if hasattr(file, "seek"):
            file.seek(0)
        raw = file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise RateImportError(
            [RowProblem(0, "file", _("The file is larger than 5 MB: split it into parts."))]
        )
    try:
        return str(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise RateImportError(
            [RowProblem(0, "file", _("The file is not UTF-8 text: save it as CSV UTF-8."))]
        ) from exc


def parse_rates_csv(
    file: bytes | IO[bytes] | Any, *, base: str
) -> list[tuple[str, dt.date, Decimal]]:
    """Every row of a ``currency,date,rate`` file, or RateImportError with every problem."""
    text = _read_text(file)
    if not text.strip():
        raise RateImportError([RowProblem(0, "file", _("The file is empty."))])
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[RowProblem] = []
    try:
        header = next(reader)
    except csv.Error as exc:
        raise RateImportError([RowProblem(1, "file", _("The file is not valid CSV."))]) from exc
    if [h.strip().lower() for h in header] != HEADER:
        raise RateImportError(
            [RowProblem(1, "header", _("The first line must be: currency,date,rate"))]
        )
    rows: list[tuple[str, dt.date, Decimal]] = []
    seen: dict[tuple[str, dt.date], int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) + len(problems) >= MAX_ROWS:
                problems.append(
                    RowProblem(
                        line, "file", _("At most 100000 rows per file: split it into parts.")
                    )
                )
                break
            if len(cells) != len(HEADER):
                problems.append(
                    RowProblem(line, "row", _("Expected 3 values: currency, date and rate."))
                )
                continue
            row_problems: list[RowProblem] = []
            parsed: list[Any] = []
            for name, clean, raw in (
                ("currency", lambda v: _clean_currency(v, base), cells[0]),
                ("date", _clean_rate_date, cells[1].strip()),
                ("rate", clean_rate, cells[2]),
            ):
                try:
                    parsed.append(clean(raw))
                except ValueError as exc:
                    row_problems.append(RowProblem(line, name, str(exc)))
            if not row_problems:
                key = (parsed[0], parsed[1])
                if key in seen:
                    row_problems.append(
                        RowProblem(
                            line,
                            "date",
                            _("Repeats the currency and date of row %(row)d.") % {"row": seen[key]},
                        )
                    )
                else:
                    seen[key] = line
                    rows.append((parsed[0], parsed[1], parsed[2]))
            problems.extend(row_problems)
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, "file", _("The file is not valid CSV.")))
        raise RateImportError(problems) from exc
    if problems:
        raise RateImportError(problems)
    if not rows:
        raise RateImportError([RowProblem(0, "file", _("The file has no rates."))])
    return rows


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def exchange_rates_load_csv(*, actor: User, file: bytes | IO[bytes] | Any) -> RateImportResult:
    """Load rates from a CSV file with the header ``currency,date,rate`` (ISO dates).

    Every row is checked first; if any is bad, nothing is written and RateImportError lists
    each problem (row, field, problem). Otherwise all rows are upserted in one transaction
    (a rate already there for the currency and date is replaced) with one audit entry that
    lists what changed.
    """
    require(actor, ObjectType.EXCHANGE_RATE, Action.CREATE)
    require(actor, ObjectType.EXCHANGE_RATE, Action.UPDATE)
    rows = parse_rates_csv(file, base=base_currency())
    created = updated = unchanged = 0
    changes: dict[str, list[Any]] = {}
    with transaction.atomic():
        for chunk in _chunks(rows, BATCH):
            currencies = {r[0] for r in chunk}
            dates = {r[1] for r in chunk}
            existing = {
                (c, d): rate
                for c, d, rate in ExchangeRate.objects.select_for_update()
                .filter(currency__in=currencies, rate_on__in=dates)
                .values_list("currency", "rate_on", "rate")
            }
            write: list[ExchangeRate] = []
            for currency, on, rate in chunk:
                before = existing.get((currency, on))
                if before is None:
                    created += 1
                elif before == rate:
                    unchanged += 1
                    continue
                else:
                    updated += 1
                changes[f"{currency} {on.isoformat()}"] = [
                    None if before is None else str(before),
                    str(rate),
                ]
                write.append(
                    ExchangeRate(currency=currency, rate_on=on, rate=rate, created_by=actor)
                )
            if write:
                ExchangeRate.objects.bulk_create(
                    write,
                    update_conflicts=True,
                    unique_fields=["currency", "rate_on"],
                    update_fields=["rate"],
                )
        summary = {"created": created, "updated": updated, "unchanged": unchanged}
        audit_record(
            actor=actor,
            action="import",
            object_type=ObjectType.EXCHANGE_RATE,
            object_id="csv",
            object_repr="exchange rates CSV",
            changes={"summary": summary, "rates": changes},
        )
        event_emit(
            name="exchange_rate.imported",
            actor=actor,
            object_type=ObjectType.EXCHANGE_RATE,
            object_id="csv",
            payload=summary,
        )
    forget_rates()
    return RateImportResult(created=created, updated=updated, unchanged=unchanged)
