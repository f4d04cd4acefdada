"""What each kind of list writes in an export, and how its selection is read.

A kind ``prepare``s an export: it checks the format and reads the first page at once, so bad
input (format, filter, sort) is a ValidationError before any audit entry and before any row
leaves; the rest is read page by page, through the actor's *export* scope, as it is written.
``selection`` is the same records as an unordered queryset, for a bounded count.

Contacts and companies are ``sambandh.contacts.exporting``'s. Deals, orders and activities are
here: each record as the API shows it, plus the names the list page shows beside the ids
(pipeline, company, owner, contact, deal); money as an amount column beside a currency column
(numbers, so a spreadsheet can add them up); dates and times in ISO form. The tabular formats
leave out the nested lists (an order's lines, a meeting's attendees); JSON keeps them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sambandh.activities import selectors as activity_selectors
from sambandh.activities.models import Activity, ActivityKind, MeetingAttendee
from sambandh.contacts import exporting as contact_exporting
from sambandh.contacts import selectors as contact_selectors
from sambandh.core.errors import ValidationError
from sambandh.core.exporting import FORMATS, ExportData
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.pagination import Page
from sambandh.sales.models import Deal, Order
from sambandh.sales.selectors import catalog as order_selectors
from sambandh.sales.selectors import deals as deal_selectors

TABULAR = ("csv", "xlsx", "json")  # vCard is for contacts only


@dataclass(frozen=True)
class Selection:
    """A list's selection as its page or the API gave it: filters, search, tag and sort."""

    filters: Mapping[str, str] = field(default_factory=dict)
    q: str | None = None
    tag: str | None = None
    sort: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"filters": dict(self.filters), "q": self.q, "tag": self.tag, "sort": self.sort}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Selection:
        filters = data.get("filters") or {}
        return cls(
            filters={str(k): str(v) for k, v in filters.items()},
            q=data.get("q") or None,
            tag=data.get("tag") or None,
            sort=data.get("sort") or None,
        )


Prepare = Callable[[User, Selection, str], ExportData]
Select = Callable[[User, Selection], "models.QuerySet[Any]"]


@dataclass(frozen=True)
class ExportKind:
    object_type: str
    label: str | Promise  # the list's name: "Deals"
    formats: tuple[str, ...]
    prepare: Prepare
    selection: Select


def check_format(fmt: str | None, formats: Sequence[str]) -> str:
    """``fmt`` in lower case if the kind writes it, else a ValidationError on ``format``."""
    chosen = (fmt or "csv").lower()
    if chosen not in formats:
        if chosen == "vcf":
            raise ValidationError({"format": [_("vCard is for contacts only.")]})
        raise ValidationError(
            {"format": [_("Choose one of: %(formats)s.") % {"formats": ", ".join(formats)}]}
        )
    return chosen


def _page_size() -> int:
    size: int = settings.SAMBANDH_API_PAGE_MAX
    return size


def _records(
    first: Page[Any],
    read: Callable[[str], Page[Any]],
    shape: Callable[[list[Any]], list[dict[str, Any]]],
) -> Iterator[dict[str, Any]]:
    page = first
    while True:
        yield from shape(page.items)
        if not page.next_cursor:
            return
        page = read(page.next_cursor)


def _export(
    stem: str,
    columns: Sequence[str],
    read: Callable[[str | None], Page[Any]],
    shape: Callable[[list[Any]], list[dict[str, Any]]],
) -> ExportData:
    first = read(None)  # now: a bad filter or sort is a 400, not a broken file
    return ExportData(columns=list(columns), records=_records(first, read, shape), stem=stem)


def _money(value: Decimal | int | None) -> Decimal:
    return Decimal(f"{Decimal(value or 0):.2f}")


def _name(obj: Any) -> str | None:
    return str(obj) if obj is not None else None


def _with_names(record: dict[str, Any], names: Mapping[str, tuple[str, Any]]) -> dict[str, Any]:
    """``record`` with each name right after its id: ``{"account_id": ("account_name", ...)}``."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        out[key] = value
        if key in names:
            name, label = names[key]
            out[name] = label
    return out


def _unknown(filters: Mapping[str, str], allowed: Sequence[str]) -> None:
    errors = {key: [_("Unknown filter.")] for key in filters if key not in allowed}
    if errors:
        raise ValidationError(errors)


# ---------------------------------------------------------------- contacts and companies


def _contacts(object_type: str, label: str | Promise) -> ExportKind:
    def prepare(actor: User, selection: Selection, fmt: str) -> ExportData:
        return contact_exporting.export_prepare(
            actor=actor,
            object_type=object_type,
            fmt=fmt,
            filters=selection.filters,
            q=selection.q,
            tag=selection.tag,
            sort=selection.sort,
        )

    def select(actor: User, selection: Selection) -> models.QuerySet[Any]:
        return contact_selectors.record_selection(
            actor=actor,
            object_type=object_type,
            filters=selection.filters,
            q=selection.q,
            tag=selection.tag,
            action=Action.EXPORT,
        )

    formats = FORMATS if object_type == ObjectType.CONTACT else TABULAR
    return ExportKind(object_type, label, formats, prepare, select)


# ---------------------------------------------------------------- deals

DEAL_COLUMNS = (
    "id", "version", "name", "pipeline_id", "pipeline", "stage_id", "stage", "is_open",
    "is_won", "is_lost", "account_id", "account_name", "owner_id", "owner_name", "team_id",
    "territory_id", "amount", "currency", "expected_close_on", "probability",
    "is_probability_manual", "forecast_category", "source", "next_step", "next_step_on",
    "lost_reason", "stage_entered_at", "closed_on", "created_at", "updated_at",
)  # fmt: skip


def deal_records(deals: list[Deal]) -> list[dict[str, Any]]:
    """Deals as the API shows them, with the pipeline, company and owner names."""
    # The API modules import the contacts API, which imports this module: their shaping
    # functions are imported when first used.
    from sambandh.sales.api.deals import deal_out

    out = []
    for deal in deals:
        record = deal_out(deal)
        record["amount"] = _money(deal.amount)
        names = {
            "pipeline_id": ("pipeline", deal.pipeline.label),
            "account_id": ("account_name", deal.account.name if deal.account else None),
            "owner_id": ("owner_name", _name(deal.owner)),
        }
        out.append(_with_names(record, names))
    return out


def _deals_prepare(actor: User, selection: Selection, fmt: str) -> ExportData:
    check_format(fmt, TABULAR)

    def read(cursor: str | None) -> Page[Deal]:
        return deal_selectors.deal_list(
            actor=actor,
            filters=selection.filters,
            sort=selection.sort,
            cursor=cursor,
            limit=_page_size(),
            action=Action.EXPORT,
        )

    return _export("deals", DEAL_COLUMNS, read, deal_records)


def _deals_select(actor: User, selection: Selection) -> models.QuerySet[Any]:
    queryset = deal_selectors.deal_queryset(actor, Action.EXPORT)
    return deal_selectors.filter_deals(queryset, actor=actor, filters=selection.filters)


# ---------------------------------------------------------------- orders

ORDER_FILTERS = ("contact_id", "account_id", "status")
ORDER_MONEY = ("subtotal", "discount_total", "tax_total", "total")
ORDER_COLUMNS = (
    "id", "version", "number", "external_id", "source", "status", "contact_id", "account_id",
    "deal_id", "owner_id", "team_id", "ordered_on", "currency", *ORDER_MONEY, "created_at",
)  # fmt: skip


def order_records(orders: list[Order]) -> list[dict[str, Any]]:
    """Orders as the API shows them (lines too, for JSON), amounts as numbers."""
    from sambandh.sales.api.catalog import order_out

    out = []
    for order in orders:
        record = order_out(order)
        for key in ORDER_MONEY:
            record[key] = _money(getattr(order, key))
        out.append(record)
    return out


def _order_arguments(selection: Selection) -> dict[str, Any]:
    _unknown(selection.filters, ORDER_FILTERS)
    return {name: selection.filters.get(name) or None for name in ORDER_FILTERS}


def _orders_prepare(actor: User, selection: Selection, fmt: str) -> ExportData:
    check_format(fmt, TABULAR)
    arguments = _order_arguments(selection)

    def read(cursor: str | None) -> Page[Order]:
        return order_selectors.order_list(
            actor=actor, cursor=cursor, limit=_page_size(), action=Action.EXPORT, **arguments
        )

    return _export("orders", ORDER_COLUMNS, read, order_records)


def _orders_select(actor: User, selection: Selection) -> models.QuerySet[Any]:
    return order_selectors.order_queryset(
        actor=actor, action=Action.EXPORT, **_order_arguments(selection)
    )


# ---------------------------------------------------------------- activities

ACTIVITY_IDS = ("owner_id", "contact_id", "account_id", "deal_id")
ACTIVITY_FILTERS = ("kind", "status", *ACTIVITY_IDS, "due_from", "due_to")
ACTIVITY_COLUMNS = (
    "id", "version", "kind", "subject", "body", "status", "owner_id", "owner_name", "team_id",
    "contact_id", "contact_name", "account_id", "account_name", "deal_id", "deal_name",
    "occurred_at", "completed_at", "due_at", "priority", "reminder_at",
    "reminder_dismissed_at", "direction", "duration_seconds", "outcome", "starts_at",
    "ends_at", "time_zone", "location", "meeting_url", "ical_uid", "ical_sequence",
    "email_from", "email_to", "created_by_id", "created_at", "updated_at",
)  # fmt: skip


def activity_records(activities: list[Activity]) -> list[dict[str, Any]]:
    """Activities as the API lists them (meetings with their attendees, one query a page),
    with the owner's name and the names of the records they are on."""
    from sambandh.activities.api import activity_out

    meetings = [a.pk for a in activities if a.kind == ActivityKind.MEETING]
    by_meeting: dict[int, list[MeetingAttendee]] = {pk: [] for pk in meetings}
    if meetings:
        for attendee in MeetingAttendee.objects.filter(activity_id__in=meetings).order_by("id"):
            by_meeting[attendee.activity_id].append(attendee)
    out = []
    for activity in activities:
        names = {
            "owner_id": ("owner_name", _name(activity.owner)),
            "contact_id": ("contact_name", _name(activity.contact)),
            "account_id": ("account_name", _name(activity.account)),
            "deal_id": ("deal_name", _name(activity.deal)),
        }
        record = activity_out(activity, by_meeting.get(activity.pk, []))
        out.append(_with_names(record, names))
    return out


def activity_filters(selection: Selection) -> activity_selectors.ActivityFilters:
    """The selector's filters from a selection's: ids as numbers, unknown names refused."""
    filters = selection.filters
    _unknown(filters, ACTIVITY_FILTERS)
    errors: dict[str, list[str]] = {}
    ids: dict[str, int] = {}
    for name in ACTIVITY_IDS:
        value = filters.get(name, "")
        if not value:
            continue
        if not value.isdigit() or not 1 <= int(value) < 2**63:
            errors[name] = [_("Enter a whole number.")]
        else:
            ids[name] = int(value)
    if errors:
        raise ValidationError(errors)
    return activity_selectors.ActivityFilters(
        kind=filters.get("kind") or None,
        status=filters.get("status") or None,
        ids=ids,
        due_from=filters.get("due_from") or None,
        due_to=filters.get("due_to") or None,
    )


def _activities_prepare(actor: User, selection: Selection, fmt: str) -> ExportData:
    check_format(fmt, TABULAR)
    filters = activity_filters(selection)

    def read(cursor: str | None) -> Page[Activity]:
        return activity_selectors.activity_list(
            actor=actor,
            filters=filters,
            sort=selection.sort,
            cursor=cursor,
            limit=_page_size(),
            action=Action.EXPORT,
        )

    return _export("activities", ACTIVITY_COLUMNS, read, activity_records)


def _activities_select(actor: User, selection: Selection) -> models.QuerySet[Any]:
    queryset, _key, _descending = activity_selectors.activity_selection(
        actor=actor, filters=activity_filters(selection), sort=selection.sort, action=Action.EXPORT
    )
    return queryset


KINDS: dict[str, ExportKind] = {
    ObjectType.CONTACT: _contacts(ObjectType.CONTACT, gettext_lazy("Contacts")),
    ObjectType.ACCOUNT: _contacts(ObjectType.ACCOUNT, gettext_lazy("Companies")),
    ObjectType.DEAL: ExportKind(
        ObjectType.DEAL, gettext_lazy("Deals"), TABULAR, _deals_prepare, _deals_select
    ),
    ObjectType.ORDER: ExportKind(
        ObjectType.ORDER, gettext_lazy("Orders"), TABULAR, _orders_prepare, _orders_select
    ),
    ObjectType.ACTIVITY: ExportKind(
        ObjectType.ACTIVITY,
        gettext_lazy("Activities"),
        TABULAR,
        _activities_prepare,
        _activities_select,
    ),
}
