"""Every read of activities, scoped by the actor's grants: lists, one activity, "my day" and
the reminders that are due. The merged timeline is in ``timeline.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.activities.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    MeetingAttendee,
)
from sambandh.activities.services.cleaning import clean_datetime, user_zone
from sambandh.contacts.models import Account, Contact
from sambandh.core.errors import NotFound, ValidationError
from sambandh.core.models import Action, Scope, User
from sambandh.core.pagination import Page, SortKey, paginate
from sambandh.core.permissions import scope_of, visible
from sambandh.sales.models import Deal

LIST_MAX = 200
MY_DAY_MAX = 100
UPCOMING_DAYS = 7
BADGE_MAX = 99
ACTIVITY_SORTS = {
    "occurred_at": SortKey("occurred_at", ("occurred_at", "id")),
    "due_at": SortKey("due_at", ("due_at", "id")),
    "id": SortKey("id", ("id",)),
}
# Public filter name -> (field, kind of value). Each has an index (see models.py).
ID_FILTERS = {"owner_id": "owner_id", "contact_id": "contact_id", "account_id": "account_id"}
ID_FILTERS["deal_id"] = "deal_id"


def _parents_visible(actor: User) -> models.Q:
    """An activity shows only with the records it is on: a sales rep who no longer sees a
    contact does not see the calls logged on it either (nor learns its name through them)."""
    q = models.Q()
    for field, model in (("contact", Contact), ("account", Account), ("deal", Deal)):
        if scope_of(actor, model.permission_type, Action.READ) == Scope.ALL:
            continue
        q &= models.Q(**{f"{field}__isnull": True}) | models.Q(
            **{f"{field}_id__in": visible(actor, model).values("pk")}
        )
    return q


def activity_queryset(actor: User, action: str = Action.READ) -> models.QuerySet[Activity]:
    return (
        visible(actor, Activity, action)
        .filter(_parents_visible(actor))
        .select_related("owner", "contact", "account", "deal")
    )


def activity_get(*, actor: User, pk: Any, action: str = Action.READ) -> Activity:
    """One activity the actor may see (or ``action``); anything else is NotFound."""
    try:
        activity: Activity = activity_queryset(actor).get(pk=pk)
    except (Activity.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    return activity


def attendees_of(activity: Activity) -> list[MeetingAttendee]:
    return list(activity.attendees.order_by("id"))


def _limit(limit: int | None) -> int:
    if limit is None:
        return 50
    if not 1 <= limit <= LIST_MAX:
        raise ValidationError({"limit": [_("Enter a number from 1 to %(n)d.") % {"n": LIST_MAX}]})
    return limit


@dataclass
class ActivityFilters:
    kind: str | None = None
    status: str | None = None
    ids: Mapping[str, int] | None = None
    due_from: Any = None
    due_to: Any = None


def activity_selection(
    *,
    actor: User,
    filters: ActivityFilters | None = None,
    sort: str | None = None,
    action: str = Action.READ,
) -> tuple[models.QuerySet[Activity], SortKey, bool]:
    """The activities the actor may ``action`` (read, export) by ``filters``, unpaged, with
    the sort key and direction to page them by. Bad input is a ValidationError."""
    f = filters or ActivityFilters()
    qs = activity_queryset(actor, action)
    errors: dict[str, list[str]] = {}
    if f.kind:
        if f.kind not in ActivityKind.values:
            errors["kind"] = [_("Choose one of the offered values.")]
        qs = qs.filter(kind=f.kind)
    if f.status:
        if f.status not in ActivityStatus.values:
            errors["status"] = [_("Choose one of the offered values.")]
        qs = qs.filter(status=f.status)
    for name, value in (f.ids or {}).items():
        qs = qs.filter(**{ID_FILTERS[name]: value})
    zone = user_zone(actor)
    for name, raw, lookup in (("due_from", f.due_from, "gte"), ("due_to", f.due_to, "lt")):
        try:
            when = clean_datetime(raw, zone)
        except ValueError as exc:
            errors[name] = [str(exc)]
            continue
        if when is not None:
            qs = qs.filter(**{f"due_at__{lookup}": when})
    if errors:
        raise ValidationError(errors)
    raw_sort = sort or "-occurred_at"
    key = ACTIVITY_SORTS.get(raw_sort.lstrip("-"))
    if key is None:
        names = ", ".join(ACTIVITY_SORTS)
        raise ValidationError({"sort": [_("Sort by one of: %(names)s.") % {"names": names}]})
    if key.name == "due_at":
        qs = qs.filter(due_at__isnull=False)
    return qs, key, raw_sort.startswith("-")


def activity_list(
    *,
    actor: User,
    filters: ActivityFilters | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    action: str = Action.READ,
) -> Page[Activity]:
    """One page of the activities the actor may see, newest first by default."""
    qs, key, descending = activity_selection(actor=actor, filters=filters, sort=sort, action=action)
    return paginate(qs, sort=key, descending=descending, cursor=cursor, limit=_limit(limit))


# ---------------------------------------------------------------- my day


@dataclass
class MyDay:
    """The current user's open tasks and meetings, split by the user's own calendar day."""

    today: dt.date
    zone: str
    overdue: list[Activity]
    today_items: list[Activity]
    upcoming: list[Activity]
    undated: list[Activity]
    reminders: list[Activity]


def _mine(actor: User) -> models.QuerySet[Activity]:
    return (
        activity_queryset(actor)
        .filter(
            owner=actor,
            status=ActivityStatus.OPEN,
            kind__in=[ActivityKind.TASK, ActivityKind.MEETING],
        )
        .order_by("due_at", "id")
    )


def day_bounds(
    actor: User, moment: dt.datetime | None = None
) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """Today's date in the actor's zone and its start and end as aware datetimes: a user in
    Kolkata and one in New York have different "todays" at the same instant."""
    zone = user_zone(actor)
    local = (moment or timezone.now()).astimezone(zone)
    today = local.date()
    start = dt.datetime.combine(today, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return today, start, end


def reminders_due(
    *, actor: User, moment: dt.datetime | None = None, limit: int = MY_DAY_MAX
) -> list[Activity]:
    """Open activities of the actor whose reminder time has passed and that were not dismissed.
    Evaluated on read (index ``activity_reminder_idx``), so no scheduler is needed."""
    return list(
        activity_queryset(actor)
        .filter(
            owner=actor,
            status=ActivityStatus.OPEN,
            reminder_at__lte=moment or timezone.now(),
            reminder_dismissed_at__isnull=True,
        )
        .order_by("reminder_at", "id")[:limit]
    )


def reminder_count(*, actor: User, moment: dt.datetime | None = None) -> int:
    """How many reminders are due, up to ``BADGE_MAX + 1`` (the badge then says "99+")."""
    return (
        activity_queryset(actor)
        .filter(
            owner=actor,
            status=ActivityStatus.OPEN,
            reminder_at__lte=moment or timezone.now(),
            reminder_dismissed_at__isnull=True,
        )
        .order_by()[: BADGE_MAX + 1]
        .count()
    )


def my_day(*, actor: User, moment: dt.datetime | None = None) -> MyDay:
    """Overdue (due before today), today and the next week, plus due reminders: five
    indexed queries (``activity_my_day_idx``), whatever the number of tasks."""
    moment = moment or timezone.now()
    today, start, end = day_bounds(actor, moment)
    upcoming_end = end + dt.timedelta(days=UPCOMING_DAYS)
    mine = _mine(actor)
    return MyDay(
        today=today,
        zone=str(user_zone(actor)),
        overdue=list(mine.filter(due_at__lt=start)[:MY_DAY_MAX]),
        today_items=list(mine.filter(due_at__gte=start, due_at__lt=end)[:MY_DAY_MAX]),
        upcoming=list(mine.filter(due_at__gte=end, due_at__lt=upcoming_end)[:MY_DAY_MAX]),
        undated=list(mine.filter(due_at__isnull=True).order_by("-created_at", "-id")[:MY_DAY_MAX]),
        reminders=reminders_due(actor=actor, moment=moment),
    )
