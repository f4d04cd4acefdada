"""API routes for activities (tasks, calls, meetings, logged emails), "my day", reminders,
meeting invites (.ics) and the timelines of contacts, companies and deals. Thin: parse, call
a selector or a service, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sambandh.activities import selectors, services
from sambandh.activities.models import Activity, ActivityKind, MeetingAttendee
from sambandh.activities.schemas import (
    ActivityOut,
    ActivityPageOut,
    ActivityPatchIn,
    CallIn,
    EmailIn,
    MeetingIn,
    MyDayOut,
    TaskIn,
    TimelinePageOut,
    VersionIn,
)
from sambandh.activities.timeline import TimelineItem, timeline
from sambandh.contacts import selectors as contact_selectors
from sambandh.core.api import actor_of, body_of
from sambandh.core.models import Action, User
from sambandh.core.permissions import get_visible
from sambandh.core.schemas import ERRORS, Id
from sambandh.sales.models import Deal

router = Router(tags=["activities"])
PageSize = Annotated[int, Field(ge=1, le=200)]
TimelineSize = Annotated[int, Field(ge=1, le=100)]


# ---------------------------------------------------------------- shaping


def attendee_out(a: MeetingAttendee) -> dict[str, Any]:
    return {
        "id": a.pk,
        "contact_id": a.contact_id,
        "user_id": a.user_id,
        "name": a.name,
        "email": a.email,
        "time_zone": a.time_zone,
        "response": a.response,
    }


def activity_out(a: Activity, attendees: list[MeetingAttendee] | None = None) -> dict[str, Any]:
    is_meeting = a.kind == ActivityKind.MEETING
    return {
        "id": a.pk,
        "version": a.version,
        "kind": a.kind,
        "subject": a.subject,
        "body": a.body,
        "status": a.status,
        "owner_id": a.owner_id,
        "team_id": a.team_id,
        "contact_id": a.contact_id,
        "account_id": a.account_id,
        "deal_id": a.deal_id,
        "occurred_at": a.occurred_at,
        "completed_at": a.completed_at,
        "due_at": a.due_at,
        "priority": a.priority,
        "reminder_at": a.reminder_at,
        "reminder_dismissed_at": a.reminder_dismissed_at,
        "direction": a.direction,
        "duration_seconds": a.duration_seconds,
        "outcome": a.outcome,
        "starts_at": a.occurred_at if is_meeting else None,
        "ends_at": a.ends_at,
        "time_zone": a.time_zone,
        "location": a.location,
        "meeting_url": a.meeting_url,
        "ical_uid": a.ical_uid,
        "ical_sequence": a.ical_sequence,
        "email_from": a.email_from,
        "email_to": list(a.email_to or []),
        "attendees": [attendee_out(x) for x in attendees] if attendees is not None else None,
        "created_by_id": a.created_by_id,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    }


def _full(a: Activity) -> dict[str, Any]:
    attendees = selectors.attendees_of(a) if a.kind == ActivityKind.MEETING else []
    return activity_out(a, attendees)


def _label(user: User | None) -> str | None:
    return str(user) if user is not None else None


def timeline_item_out(item: TimelineItem) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": item.kind, "id": item.id, "at": item.at}
    obj = item.obj
    if item.kind == "activity":
        out["activity"] = activity_out(obj)
    elif item.kind == "note":
        out["note"] = {
            "id": obj.pk,
            "body": obj.body,
            "created_by_id": obj.created_by_id,
            "created_by": _label(obj.created_by),
        }
    elif item.kind == "stage":
        out["stage_change"] = {
            "deal_id": obj.deal_id,
            "deal": obj.deal.name,
            "from_stage": obj.from_stage.label if obj.from_stage is not None else None,
            "to_stage": obj.to_stage.label,
            "changed_by_id": obj.changed_by_id,
            "changed_by": _label(obj.changed_by),
            "seconds_in_from_stage": obj.seconds_in_from_stage,
        }
    elif item.kind == "change":
        out["change"] = {
            "action": obj.action,
            "actor_id": obj.actor_id,
            "actor": str(obj.actor) if obj.actor is not None else obj.actor_label,
            "changes": [
                {
                    "field": c["field"],
                    "label": str(c["label"]),
                    "before": c["before"],
                    "after": c["after"],
                }
                for c in item.changes
            ],
        }
    elif item.kind == "order":
        out["order"] = {
            "id": obj.pk,
            "number": obj.number,
            "status": obj.status,
            "ordered_on": obj.ordered_on,
            "currency": obj.currency,
            "total": f"{obj.total:.2f}",
            "deal_id": obj.deal_id,
        }
    return out


def _page(actor: User, parent: Any, cursor: str | None, limit: int) -> dict[str, Any]:
    page = timeline(actor=actor, parent=parent, cursor=cursor, limit=limit)
    return {"items": [timeline_item_out(i) for i in page.items], "next_cursor": page.next_cursor}


# ---------------------------------------------------------------- activities


class ListQuery(Schema):
    kind: str | None = None
    status: str | None = None
    owner_id: Id | None = None
    contact_id: Id | None = None
    account_id: Id | None = None
    deal_id: Id | None = None
    due_from: str | None = Field(None, max_length=64)
    due_to: str | None = Field(None, max_length=64)
    sort: str | None = Field(None, max_length=40)
    cursor: str | None = Field(None, max_length=1000)
    limit: PageSize = 50


@router.get(
    "/activities",
    response={200: ActivityPageOut, **ERRORS},
    summary="List activities",
    description=(
        "One page of the activities you may see, newest first (`sort`: `occurred_at`, "
        "`due_at` or `id`, `-` for descending). Filters: `kind`, `status`, `owner_id`, "
        "`contact_id`, `account_id`, `deal_id`, and a due range `due_from` (inclusive) to "
        "`due_to` (exclusive)."
    ),
)
def activities_list(request: HttpRequest, q: Query[ListQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    ids = {
        name: getattr(q, name)
        for name in ("owner_id", "contact_id", "account_id", "deal_id")
        if getattr(q, name) is not None
    }
    page = selectors.activity_list(
        actor=actor,
        filters=selectors.ActivityFilters(
            kind=q.kind, status=q.status, ids=ids, due_from=q.due_from, due_to=q.due_to
        ),
        sort=q.sort,
        cursor=q.cursor,
        limit=q.limit,
    )
    items = page.items
    meetings = [a.pk for a in items if a.kind == ActivityKind.MEETING]
    by_meeting: dict[int, list[MeetingAttendee]] = {pk: [] for pk in meetings}
    if meetings:
        for attendee in MeetingAttendee.objects.filter(activity_id__in=meetings).order_by("id"):
            by_meeting[attendee.activity_id].append(attendee)
    return {
        "items": [activity_out(a, by_meeting.get(a.pk, [])) for a in items],
        "next_cursor": page.next_cursor,
    }


def _created(request: HttpRequest, activity: Activity) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    return Status(201, _full(selectors.activity_get(actor=actor, pk=activity.pk)))


@router.post("/tasks", response={201: ActivityOut, **ERRORS}, summary="Create a task")
def tasks_create(request: HttpRequest, payload: TaskIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    return _created(request, services.task_create(actor=actor, data=body_of(payload)))


@router.post("/calls", response={201: ActivityOut, **ERRORS}, summary="Log a call")
def calls_create(request: HttpRequest, payload: CallIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    return _created(request, services.call_log(actor=actor, data=body_of(payload)))


@router.post("/emails", response={201: ActivityOut, **ERRORS}, summary="Log an email")
def emails_create(request: HttpRequest, payload: EmailIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    return _created(request, services.email_log(actor=actor, data=body_of(payload)))


@router.post(
    "/meetings",
    response={201: ActivityOut, **ERRORS},
    summary="Schedule a meeting",
    description="`starts_at` and `ends_at` without an offset are read in the meeting's "
    "`time_zone` (an IANA name such as Asia/Kolkata).",
)
def meetings_create(request: HttpRequest, payload: MeetingIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    return _created(request, services.meeting_schedule(actor=actor, data=body_of(payload)))


@router.get("/activities/{id}", response={200: ActivityOut, **ERRORS}, summary="One activity")
def activities_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return _full(selectors.activity_get(actor=actor_of(request), pk=id))


@router.patch(
    "/activities/{id}", response={200: ActivityOut, **ERRORS}, summary="Change an activity"
)
def activities_patch(request: HttpRequest, id: Id, payload: ActivityPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    activity = selectors.activity_get(actor=actor, pk=id)
    services.activity_update(
        actor=actor, activity=activity, data=body_of(payload), version=payload.version
    )
    return _full(selectors.activity_get(actor=actor, pk=id))


@router.delete("/activities/{id}", response={204: None, **ERRORS}, summary="Delete an activity")
def activities_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    services.activity_delete(actor=actor, activity=selectors.activity_get(actor=actor, pk=id))
    return Status(204, None)


def _transition(request: HttpRequest, id: int, payload: VersionIn | None, action: Any) -> Any:
    actor = actor_of(request)
    activity = selectors.activity_get(actor=actor, pk=id)
    version = payload.version if payload is not None else None
    action(actor=actor, activity=activity, version=version)
    return _full(selectors.activity_get(actor=actor, pk=id))


@router.post(
    "/activities/{id}/complete",
    response={200: ActivityOut, **ERRORS},
    summary="Complete a task (or mark a meeting held)",
)
def activities_complete(
    request: HttpRequest, id: Id, payload: VersionIn | None = None
) -> dict[str, Any]:
    return _transition(request, id, payload, services.task_complete)  # type: ignore[no-any-return]


@router.post(
    "/activities/{id}/reopen", response={200: ActivityOut, **ERRORS}, summary="Reopen a task"
)
def activities_reopen(
    request: HttpRequest, id: Id, payload: VersionIn | None = None
) -> dict[str, Any]:
    return _transition(request, id, payload, services.task_reopen)  # type: ignore[no-any-return]


@router.post(
    "/activities/{id}/cancel", response={200: ActivityOut, **ERRORS}, summary="Cancel a meeting"
)
def activities_cancel(
    request: HttpRequest, id: Id, payload: VersionIn | None = None
) -> dict[str, Any]:
    return _transition(request, id, payload, services.meeting_cancel)  # type: ignore[no-any-return]


@router.post(
    "/activities/{id}/dismiss-reminder",
    response={200: ActivityOut, **ERRORS},
    summary="Dismiss a due reminder",
)
def activities_dismiss_reminder(request: HttpRequest, id: Id) -> dict[str, Any]:
    actor = actor_of(request)
    activity = selectors.activity_get(actor=actor, pk=id)
    services.reminder_dismiss(actor=actor, activity=activity)
    return _full(selectors.activity_get(actor=actor, pk=id))


@router.get(
    "/activities/{id}/ics",
    response={200: None, **ERRORS},
    summary="A meeting's calendar invite (.ics)",
    description="An iCalendar (RFC 5545) file, METHOD:REQUEST (CANCEL once cancelled).",
    openapi_extra={
        "responses": {"200": {"description": "text/calendar", "content": {"text/calendar": {}}}}
    },
)
def activities_ics(request: HttpRequest, id: Id) -> HttpResponse:
    actor = actor_of(request)
    meeting = selectors.activity_get(actor=actor, pk=id)
    url = request.build_absolute_uri(reverse("activities:detail", args=[meeting.pk]))
    body = services.meeting_invite(
        meeting=meeting, attendees=selectors.attendees_of(meeting), url=url
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8; method=REQUEST")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


# ---------------------------------------------------------------- my day


@router.get("/my-day", response={200: MyDayOut, **ERRORS}, summary="My day")
def my_day(request: HttpRequest) -> dict[str, Any]:
    """Your open tasks and meetings: overdue, today and the next seven days, in your time
    zone, and the reminders that are due."""
    actor = actor_of(request)
    day = selectors.my_day(actor=actor)
    return {
        "date": day.today,
        "time_zone": day.zone,
        "overdue": [activity_out(a) for a in day.overdue],
        "today": [activity_out(a) for a in day.today_items],
        "upcoming": [activity_out(a) for a in day.upcoming],
        "no_due_date": [activity_out(a) for a in day.undated],
        "reminders": [activity_out(a) for a in day.reminders],
    }


# ---------------------------------------------------------------- timelines

TIMELINE_DESCRIPTION = (
    "Activities, notes, deal stage changes, field changes and purchases, newest first. "
    "Pass `next_cursor` back as `cursor` for older items."
)


@router.get(
    "/contacts/{id}/timeline",
    response={200: TimelinePageOut, **ERRORS},
    tags=["contacts"],
    summary="A contact's timeline",
    description=TIMELINE_DESCRIPTION,
)
def contact_timeline(
    request: HttpRequest, id: Id, cursor: str | None = None, limit: TimelineSize = 20
) -> dict[str, Any]:
    actor = actor_of(request)
    return _page(actor, contact_selectors.contact_get(actor=actor, pk=id), cursor, limit)


@router.get(
    "/accounts/{id}/timeline",
    response={200: TimelinePageOut, **ERRORS},
    tags=["accounts"],
    summary="A company's timeline",
    description=TIMELINE_DESCRIPTION,
)
def account_timeline(
    request: HttpRequest, id: Id, cursor: str | None = None, limit: TimelineSize = 20
) -> dict[str, Any]:
    actor = actor_of(request)
    return _page(actor, contact_selectors.account_get(actor=actor, pk=id), cursor, limit)


@router.get(
    "/deals/{id}/timeline",
    response={200: TimelinePageOut, **ERRORS},
    tags=["deals"],
    summary="A deal's timeline",
    description=TIMELINE_DESCRIPTION,
)
def deal_timeline(
    request: HttpRequest, id: Id, cursor: str | None = None, limit: TimelineSize = 20
) -> dict[str, Any]:
    actor = actor_of(request)
    return _page(actor, get_visible(actor, Deal, id, Action.READ), cursor, limit)
