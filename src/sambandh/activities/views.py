"""HTML pages and htmx fragments: "my day", the activities list, an activity's page, its edit
and delete pages, the activity panel on contact, company and deal pages (quick forms and the
timeline) and one-click actions. Thin: parse, call a selector or a service, render."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from sambandh.activities import forms, selectors, services
from sambandh.activities.forms import QUICK_KINDS, form_data
from sambandh.activities.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    CallOutcome,
    Direction,
    Priority,
)
from sambandh.activities.services.cleaning import user_zone
from sambandh.activities.timeline import TimelinePage, timeline
from sambandh.contacts import selectors as contact_selectors
from sambandh.contacts.models import Account, Contact
from sambandh.core.errors import Conflict, PermissionDenied, ValidationError
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import get_visible, has_grant, in_scope
from sambandh.sales.models import Deal
from sambandh.web.http import HtmxRequest, actor_of, fragment_or_page, page_view, wants_fragment

Parent = Contact | Account | Deal
PARENT_KINDS = ("contact", "account", "deal")
TIMELINE_PAGE = 20


def get_parent(actor: User, parent: str, pk: int) -> Parent:
    """The contact, company or deal of a panel, if the actor can see it (else NotFound)."""
    if parent == "contact":
        return contact_selectors.contact_get(actor=actor, pk=pk)
    if parent == "account":
        return contact_selectors.account_get(actor=actor, pk=pk)
    deal: Deal = get_visible(actor, Deal, pk, Action.READ)
    return deal


def parent_url(parent: Parent) -> str:
    """The parent's own page."""
    if isinstance(parent, Contact):
        return reverse("web:contact_detail", args=[parent.pk])
    if isinstance(parent, Account):
        return reverse("web:account_detail", args=[parent.pk])
    return reverse("sales:deal_detail", args=[parent.pk])


def _parent_kind(parent: Parent) -> str:
    return str(parent.permission_type)


def _timeline_next(parent: Parent, page: TimelinePage) -> str | None:
    if not page.next_cursor:
        return None
    base = reverse(f"activities:{_parent_kind(parent)}_timeline", args=[parent.pk])
    return f"{base}?{urlencode({'cursor': page.next_cursor})}"


def _completable(actor: User, activities: list[Activity]) -> set[int]:
    """Which open tasks and meetings the actor may complete, without a query per row."""
    return {
        a.pk
        for a in activities
        if a.status == "open"
        and a.kind in (ActivityKind.TASK, ActivityKind.MEETING)
        and in_scope(actor, a, Action.UPDATE)
    }


def panel_context(
    actor: User,
    parent: Parent,
    *,
    form_kind: str = "",
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the activity panel shows: quick forms and the first page of the timeline."""
    page = timeline(actor=actor, parent=parent, limit=TIMELINE_PAGE)
    activities = [i.obj for i in page.items if i.kind == "activity"]
    return {
        "parent": parent,
        "parent_kind": _parent_kind(parent),
        "items": page.items,
        "timeline_next": _timeline_next(parent, page),
        "completable": _completable(actor, activities),
        "can_create": has_grant(actor, ObjectType.ACTIVITY, Action.CREATE),
        "quick_kinds": QUICK_KINDS,
        "form_kind": form_kind,
        "errors": errors or {},
        "values": values
        if values is not None
        else {"time_zone": str(user_zone(actor)), "direction": "outbound", "priority": "normal"},
        "priorities": Priority.choices,
        "directions": Direction.choices,
        "outcomes": CallOutcome.choices,
        "user_zone": str(user_zone(actor)),
    }


# ---------------------------------------------------------------- panel and timeline


@require_http_methods(["GET"])
@page_view
def parent_timeline(request: HtmxRequest, parent: str, pk: int) -> HttpResponse:
    """The timeline of a contact, company or deal: the next page ("load more") as a fragment,
    or, opened directly, a page of its own."""
    actor = actor_of(request)
    obj = get_parent(actor, parent, pk)
    cursor = request.GET.get("cursor") or None
    page = timeline(actor=actor, parent=obj, cursor=cursor, limit=TIMELINE_PAGE)
    activities = [i.obj for i in page.items if i.kind == "activity"]
    context = {
        "parent": obj,
        "parent_kind": parent,
        "items": page.items,
        "timeline_next": _timeline_next(obj, page),
        "completable": _completable(actor, activities),
        "parent_url": parent_url(obj),
    }
    if wants_fragment(request) and cursor:
        return fragment_or_page(
            request, render(request, "activities/_timeline.html#entries", context)
        )
    return fragment_or_page(request, render(request, "activities/timeline_page.html", context))


@require_http_methods(["GET", "POST"])
@page_view
def quick_create(request: HtmxRequest, parent: str, pk: int, kind: str) -> HttpResponse:
    """Log a call, add a task, schedule a meeting or log an email on a record. htmx gets the
    refreshed panel back; a plain form post goes back to the record's page."""
    if kind not in QUICK_KINDS:
        raise Http404
    actor = actor_of(request)
    obj = get_parent(actor, parent, pk)
    if not has_grant(actor, ObjectType.ACTIVITY, Action.CREATE):
        raise PermissionDenied()
    if request.method == "GET":
        context = panel_context(actor, obj, form_kind=kind)
        return render(request, "activities/form_page.html", context)
    data = form_data(kind, request.POST, parent, obj.pk)
    create = {
        ActivityKind.TASK: services.task_create,
        ActivityKind.CALL: services.call_log,
        ActivityKind.MEETING: services.meeting_schedule,
        ActivityKind.EMAIL: services.email_log,
    }[ActivityKind(kind)]
    try:
        create(actor=actor, data=data)
    except ValidationError as exc:
        errors = dict(exc.fields)
        if not errors:
            errors[""] = [exc.message]
        context = panel_context(
            actor, obj, form_kind=kind, errors=errors, values=request.POST.dict()
        )
        template = (
            "activities/_panel.html" if wants_fragment(request) else "activities/form_page.html"
        )
        return render(request, template, context, status=400)
    if wants_fragment(request):
        return render(request, "activities/_panel.html", panel_context(actor, obj))
    messages.success(request, _("Saved."))
    return redirect(parent_url(obj) + "#activities")


# ---------------------------------------------------------------- one activity


@require_http_methods(["GET"])
@page_view
def activity_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    """One activity: its details, a meeting's attendees and invite, what can be done to it."""
    actor = actor_of(request)
    activity = selectors.activity_get(actor=actor, pk=pk)
    context = {
        "activity": activity,
        "attendees": selectors.attendees_of(activity)
        if activity.kind == ActivityKind.MEETING
        else [],
        "completable": _completable(actor, [activity]),
        "ics_url": reverse("api:activities_ics", args=[activity.pk]),
        "can_edit": _editable(actor, activity),
        "can_delete": in_scope(actor, activity, Action.DELETE),
    }
    return render(request, "activities/detail.html", context)


def _editable(actor: User, activity: Activity) -> bool:
    """A cancelled meeting stays as it was; anything else the actor may update."""
    return activity.status != ActivityStatus.CANCELLED and in_scope(actor, activity, Action.UPDATE)


def _version(post: QueryDict) -> int:
    """The version the form was built from; a missing or bad one can never match (409)."""
    try:
        return int(post.get("version", ""))
    except ValueError:
        return -1


@require_http_methods(["GET", "POST"])
@page_view
def activity_edit(request: HtmxRequest, pk: int) -> HttpResponse:
    """Edit an activity's fields (those of its kind, as the quick forms have them, and a
    task's status) against the version the form was built from: a stale one is a 409 and
    overwrites nothing."""
    actor = actor_of(request)
    activity = selectors.activity_get(actor=actor, pk=pk)
    if not in_scope(actor, activity, Action.UPDATE):
        raise PermissionDenied()
    attendees = selectors.attendees_of(activity) if activity.kind == ActivityKind.MEETING else []
    before = forms.initial(activity, attendees, user_zone(actor))
    values, errors, status, version = before, {}, 200, activity.version
    if request.method == "POST":
        values = forms.submitted(request.POST, before)
        version = _version(request.POST)
        try:
            services.activity_edit(
                actor=actor,
                activity=activity,
                data=forms.edit_data(activity, request.POST, before, attendees),
                version=version,
                status=forms.edit_status(activity, request.POST, before),
            )
        except ValidationError as exc:
            errors, status = forms.field_errors(exc.fields, exc.message, before), exc.status
        except Conflict as exc:
            errors, status = {"": [exc.message]}, exc.status
        else:
            messages.success(request, _("Saved."))
            return redirect("activities:detail", activity.pk)
    context = {
        "activity": activity,
        "kind": activity.kind,
        "editing": True,
        "values": values,
        "errors": errors,
        "version": version,
        "conflict": status == Conflict.status,
        "priorities": Priority.choices,
        "directions": Direction.choices,
        "outcomes": CallOutcome.choices,
        "statuses": [
            (ActivityStatus.OPEN.value, ActivityStatus.OPEN.label),
            (ActivityStatus.DONE.value, ActivityStatus.DONE.label),
        ],
        "user_zone": str(user_zone(actor)),
    }
    return render(request, "activities/edit.html", context, status=status)


def _home_of(activity: Activity) -> str:
    """The page an activity is shown on: its contact's, company's or deal's."""
    parent: Parent | None = activity.contact or activity.account or activity.deal
    return parent_url(parent) + "#activities" if parent is not None else reverse("activities:list")


@require_http_methods(["GET", "POST"])
@page_view
def activity_delete(request: HtmxRequest, pk: int) -> HttpResponse:
    """Ask first (GET, a page that works without JavaScript), delete on POST; then go back to
    where the delete was asked from, else to the record the activity was on."""
    actor = actor_of(request)
    activity = selectors.activity_get(actor=actor, pk=pk)
    if not in_scope(actor, activity, Action.DELETE):
        raise PermissionDenied()
    target = _next(request) or _home_of(activity)
    if request.method == "POST":
        services.activity_delete(actor=actor, activity=activity)
        messages.success(request, _("Deleted."))
        return redirect(target)
    return render(request, "activities/confirm_delete.html", {"activity": activity, "next": target})


def _back(request: HtmxRequest, activity: Activity) -> HttpResponse:
    """After a one-click action: htmx gets the row again; a plain post goes where it came from."""
    actor = actor_of(request)
    if wants_fragment(request):
        fresh = selectors.activity_get(actor=actor, pk=activity.pk)
        context = {
            "activity": fresh,
            "completable": _completable(actor, [fresh]),
            "now": timezone.now(),
        }
        return render(request, "activities/_row.html", context)
    return redirect(_next(request) or reverse("activities:my_day"))


def _next(request: HtmxRequest) -> str | None:
    """Where a plain form post asked to go back to, if that is a page of this site."""
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@page_view
@require_http_methods(["POST"])
def activity_complete(request: HtmxRequest, pk: int) -> HttpResponse:
    """Complete a task (or mark a meeting held) with one click."""
    actor = actor_of(request)
    activity = selectors.activity_get(actor=actor, pk=pk)
    services.task_complete(actor=actor, activity=activity)
    return _back(request, activity)


@page_view
@require_http_methods(["POST"])
def reminder_dismiss(request: HtmxRequest, pk: int) -> HttpResponse:
    """Dismiss a reminder; htmx removes it from the list."""
    actor = actor_of(request)
    activity = selectors.activity_get(actor=actor, pk=pk)
    services.reminder_dismiss(actor=actor, activity=activity)
    if wants_fragment(request):
        return HttpResponse("")
    return _back(request, activity)


# ---------------------------------------------------------------- my day


@require_http_methods(["GET"])
@page_view
def my_day(request: HtmxRequest) -> HttpResponse:
    """Overdue, today and upcoming open tasks and meetings of the signed-in user, "today"
    being the user's own day in their time zone; and the reminders that are due."""
    actor = actor_of(request)
    day = selectors.my_day(actor=actor)
    everything = [*day.overdue, *day.today_items, *day.upcoming, *day.undated]
    context = {
        "day": day,
        "sections": [
            ("overdue", _("Overdue"), day.overdue),
            ("today", _("Today"), day.today_items),
            ("upcoming", _("Next 7 days"), day.upcoming),
            ("undated", _("No due date"), day.undated),
        ],
        "completable": _completable(actor, everything),
        "now": timezone.now(),
    }
    return render(request, "activities/my_day.html", context)


# ---------------------------------------------------------------- the list

LIST_PAGE = 50
LIST_SORTS = (
    ("-occurred_at", gettext_lazy("Newest first")),
    ("occurred_at", gettext_lazy("Oldest first")),
    ("due_at", gettext_lazy("Due soonest")),
)
OWNERS = (("", gettext_lazy("Anyone")), ("me", gettext_lazy("Me")))
LIST_INPUTS = ("kind", "status", "owner", "due_from", "due_to", "sort")


def _day(raw: str, name: str, errors: dict[str, list[str]], *, after: bool) -> str | None:
    """A date input as the selector's bound: the start of that day in the user's zone, or of
    the next day for an inclusive end."""
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
        if after:
            day += dt.timedelta(days=1)
    except (ValueError, OverflowError):
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        return None
    return f"{day.isoformat()}T00:00"


def _list_filters(
    actor: User, params: QueryDict, errors: dict[str, list[str]]
) -> selectors.ActivityFilters:
    owner = params.get("owner", "")
    if owner not in dict(OWNERS):
        errors["owner"] = [_("Choose one of the offered values.")]
    return selectors.ActivityFilters(
        kind=params.get("kind", "") or None,
        status=params.get("status", "") or None,
        ids={"owner_id": actor.pk} if owner == "me" else {},
        due_from=_day(params.get("due_from", "").strip(), "due_from", errors, after=False),
        due_to=_day(params.get("due_to", "").strip(), "due_to", errors, after=True),
    )


@require_http_methods(["GET"])
@page_view
def activity_list(request: HtmxRequest) -> HttpResponse:
    """Every activity the user may see, filtered by kind, status, owner and a due (or start)
    date range in the user's own days; a page at a time ("More": keyset, never counted).
    htmx gets only the rows, after a filter change or for the next page."""
    actor = actor_of(request)
    params = request.GET
    errors: dict[str, list[str]] = {}
    filters = _list_filters(actor, params, errors)
    sort = params.get("sort", "") or LIST_SORTS[0][0]
    page = None
    if sort not in dict(LIST_SORTS):
        errors["sort"] = [_("Choose one of the offered values.")]
    if not errors:
        try:
            page = selectors.activity_list(
                actor=actor,
                filters=filters,
                sort=sort,
                cursor=params.get("cursor") or None,
                limit=LIST_PAGE,
            )
        except ValidationError as exc:
            errors = forms.field_errors(exc.fields, exc.message, LIST_INPUTS)
    next_url = None
    if page is not None and page.next_cursor:
        query = params.copy()
        query["cursor"] = page.next_cursor
        next_url = f"{reverse('activities:list')}?{query.urlencode()}"
    context = {
        "page": page,
        "errors": errors,
        "error_messages": [m for messages in errors.values() for m in messages],
        "next_url": next_url,
        "params": params,
        "sort": sort,
        "kinds": ActivityKind.choices,
        "statuses": ActivityStatus.choices,
        "owners": OWNERS,
        "sorts": LIST_SORTS,
        "date_inputs": (
            ("due_from", _("Due or starts from")),
            ("due_to", _("Due or starts until")),
        ),
        "user_zone": str(user_zone(actor)),
    }
    status = 400 if errors else 200
    template = "activities/list.html#rows" if wants_fragment(request) else "activities/list.html"
    return fragment_or_page(request, render(request, template, context, status=status))
