"""One timeline per contact, company and deal: activities, notes, deal stage changes, field
changes from the audit trail and purchases, newest first, in one keyset-paginated stream.

Each page costs a fixed number of queries whatever the length of the timeline: every source
is asked for ``limit + 1`` rows after the cursor (in its own index order), the rows are merged
in Python and the first ``limit`` kept. The cursor is ``(time, kind, id)``, so items with the
same time never repeat or vanish between pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, models
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from sambandh.activities.models import Activity
from sambandh.activities.selectors import activity_queryset
from sambandh.contacts.forms import Field, fields_for, history_rows
from sambandh.contacts.models import Account, Contact
from sambandh.contacts.selectors import note_queryset
from sambandh.core.errors import ValidationError
from sambandh.core.models import AuditEntry, ObjectType, User
from sambandh.core.pagination import decode_cursor, encode_cursor
from sambandh.core.permissions import visible
from sambandh.sales.models import Deal, DealStageChange, Order

# Kinds in the order they break ties (descending, like time and id).
ACTIVITY, CHANGE, NOTE, ORDER, STAGE = "activity", "change", "note", "order", "stage"
KINDS = (ACTIVITY, CHANGE, NOTE, ORDER, STAGE)
PAGE_SIZE = 20
PAGE_MAX = 100
CURSOR_NAME = "timeline"

Parent = Contact | Account | Deal
Cursor = tuple[dt.datetime, str, int]


@dataclass
class TimelineItem:
    kind: str
    at: dt.datetime
    id: int
    obj: Any
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> Cursor:
        return (self.at, self.kind, self.id)


@dataclass
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: str | None


def _object_type(parent: Parent) -> str:
    return str(parent.permission_type)


def _parse_cursor(cursor: str | None) -> Cursor | None:
    if not cursor:
        return None
    at_raw, kind, pk = decode_cursor(cursor, CURSOR_NAME, 3)
    try:
        if not isinstance(at_raw, str) or kind not in KINDS or not isinstance(pk, int):
            raise ValueError
        at = dt.datetime.fromisoformat(at_raw)
        if at.tzinfo is None or not 0 < pk < 2**63:
            raise ValueError
        return at.astimezone(dt.UTC), kind, pk
    except (ValueError, OverflowError) as exc:
        raise ValidationError({"cursor": [_("This cursor is not valid for this list.")]}) from exc


def _row_before(qs: models.QuerySet[Any], column_field: str, value: Any, pk: int) -> Any:
    """``(column, id) < (value, pk)``: a row comparison the database answers from the index."""
    model = qs.model
    table = model._meta.db_table
    db_field = model._meta.get_field(column_field)
    connection = connections[qs.db]
    prepared = db_field.get_db_prep_value(value, connection=connection)  # type: ignore[union-attr]
    column = db_field.column  # type: ignore[union-attr]
    sql = f'("{table}"."{column}", "{table}"."id") < (%s, %s)'
    return qs.filter(RawSQL(sql, [prepared, pk], output_field=models.BooleanField()))  # noqa: S611


def _after(qs: models.QuerySet[Any], time_field: str, kind: str, cursor: Cursor | None) -> Any:
    """Rows that come after ``cursor`` in (time, kind, id) descending order."""
    if cursor is None:
        return qs
    at, c_kind, pk = cursor
    if kind < c_kind:
        return qs.filter(**{f"{time_field}__lte": at})
    if kind > c_kind:
        return qs.filter(**{f"{time_field}__lt": at})
    return _row_before(qs, time_field, at, pk)


def _orders_after(qs: models.QuerySet[Order], cursor: Cursor | None) -> Any:
    """Orders carry a date: on the timeline they sit at midnight UTC of that day."""
    if cursor is None:
        return qs
    at, c_kind, pk = cursor
    day = at.date()
    at_midnight = at.time() == dt.time()
    if c_kind > ORDER or not at_midnight:
        return qs.filter(ordered_on__lte=day)
    if c_kind < ORDER:
        return qs.filter(ordered_on__lt=day)
    return _row_before(qs, "ordered_on", day, pk)


def order_time(order: Order) -> dt.datetime:
    return dt.datetime.combine(order.ordered_on, dt.time(), tzinfo=dt.UTC)


# ---------------------------------------------------------------- sources


def _activities(actor: User, parent: Parent, cursor: Cursor | None, n: int) -> list[TimelineItem]:
    # Only the owner is shown: the parents' wide rows are not needed on their own timeline.
    qs = activity_queryset(actor).select_related(None).select_related("owner")
    qs = _after(
        qs.filter(**{_object_type(parent): parent}), "occurred_at", ACTIVITY, cursor
    ).order_by("-occurred_at", "-id")
    return [TimelineItem(ACTIVITY, a.occurred_at, a.pk, a) for a in qs[:n]]


def _notes(actor: User, parent: Parent, cursor: Cursor | None, n: int) -> list[TimelineItem]:
    if isinstance(parent, Deal):
        return []
    qs = note_queryset(actor).filter(**{_object_type(parent): parent})
    qs = _after(qs, "created_at", NOTE, cursor).order_by("-created_at", "-id")
    return [TimelineItem(NOTE, note.created_at, note.pk, note) for note in qs[:n]]


def _deals_of(actor: User, parent: Parent) -> Any:
    deals = visible(actor, Deal)
    if isinstance(parent, Deal):
        return deals.filter(pk=parent.pk).values("id")
    if isinstance(parent, Account):
        return deals.filter(account=parent).values("id")
    return deals.filter(deal_contacts__contact=parent).values("id")


def _stages(actor: User, parent: Parent, cursor: Cursor | None, n: int) -> list[TimelineItem]:
    qs = DealStageChange.objects.filter(deal_id__in=_deals_of(actor, parent)).select_related(
        "deal", "from_stage", "to_stage", "changed_by"
    )
    qs = _after(qs, "changed_at", STAGE, cursor).order_by("-changed_at", "-id")
    return [TimelineItem(STAGE, c.changed_at, c.pk, c) for c in qs[:n]]


def _orders(actor: User, parent: Parent, cursor: Cursor | None, n: int) -> list[TimelineItem]:
    qs = visible(actor, Order).filter(**{_object_type(parent): parent})
    qs = _orders_after(qs, cursor).order_by("-ordered_on", "-id")
    return [TimelineItem(ORDER, order_time(o), o.pk, o) for o in qs[:n]]


def _deal_fields() -> list[Field]:
    """Labels for a deal's audited fields (deals have no custom fields)."""
    found: list[Field] = []
    for f in Deal._meta.concrete_fields:
        label = str(f.verbose_name)
        found.append(Field(f.name, label))
        if f.attname != f.name:
            found.append(Field(f.attname, label))
    found.append(Field("contacts", _("contacts")))
    found.append(Field("line_items", _("line items")))
    return found


def _changes(actor: User, parent: Parent, cursor: Cursor | None, n: int) -> list[TimelineItem]:
    qs = AuditEntry.objects.filter(
        object_type=_object_type(parent), object_id=str(parent.pk)
    ).select_related("actor")
    entries = list(_after(qs, "at", CHANGE, cursor).order_by("-at", "-id")[:n])
    if not entries:
        return []
    # The contact history's own rules: labels, names for ids, sensitive custom fields hidden.
    fields = _deal_fields() if isinstance(parent, Deal) else fields_for(actor, _object_type(parent))
    names = {str(f.label): f.name for f in fields}
    items = []
    for row in history_rows(actor, entries, fields):
        entry = row["entry"]
        changes = [
            {"field": names.get(str(c["label"]), str(c["label"])), **c} for c in row["changes"]
        ]
        items.append(TimelineItem(CHANGE, entry.at, entry.pk, entry, changes))
    return items


SOURCES: tuple[Callable[[User, Parent, Cursor | None, int], list[TimelineItem]], ...] = (
    _activities,
    _notes,
    _stages,
    _changes,
    _orders,
)


def timeline(
    *, actor: User, parent: Parent, cursor: str | None = None, limit: int | None = None
) -> TimelinePage:
    """One page of ``parent``'s timeline, newest first. ``parent`` comes from a selector, so
    the actor can see it; each source is scoped by the actor's grants on its own records."""
    size = PAGE_SIZE if limit is None else limit
    if not 1 <= size <= PAGE_MAX:
        raise ValidationError({"limit": [_("Enter a number from 1 to %(n)d.") % {"n": PAGE_MAX}]})
    after = _parse_cursor(cursor)
    merged: list[TimelineItem] = []
    for source in SOURCES:
        merged.extend(source(actor, parent, after, size + 1))
    merged.sort(key=lambda item: item.key, reverse=True)
    page = merged[:size]
    next_cursor = None
    if len(merged) > size:
        last = page[-1]
        next_cursor = encode_cursor(
            CURSOR_NAME, [last.at.astimezone(dt.UTC).isoformat(), last.kind, last.id]
        )
    return TimelinePage(items=page, next_cursor=next_cursor)


def parent_types() -> dict[str, type[Parent]]:
    return {ObjectType.CONTACT: Contact, ObjectType.ACCOUNT: Account, ObjectType.DEAL: Deal}


__all__ = ["Activity", "TimelineItem", "TimelinePage", "parent_types", "timeline"]
