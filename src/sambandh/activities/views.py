"""HTML pages and htmx fragments: "my day", an activity's page, the activity panel on contact,
company and deal pages (quick forms and the timeline) and one-click actions. Thin: parse,
call a selector or a service, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sambandh.activities import selectors, services
from sambandh.activities.forms import QUICK_KINDS, form_data
from sambandh.activities.models import Activity, ActivityKind, CallOutcome, Direction, Priority
from sambandh.activities.services.cleaning import user_zone
from sambandh.activities.timeline import TimelinePage, timeline
from sambandh.contacts import selectors as contact_selectors
from sambandh.contacts.models import Account, Contact
from sambandh.core.errors import PermissionDenied, ValidationError
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
    }
    return render(request, "activities/detail.html", context)


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
    target = request.POST.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = reverse("activities:my_day")
    return redirect(target)


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
