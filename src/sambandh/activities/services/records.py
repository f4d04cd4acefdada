"""Writes to tasks, calls, logged emails and meetings: permission-checked, validated, one
transaction with the audit entry and the domain events."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sambandh.activities.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Direction,
    MeetingAttendee,
)
from sambandh.activities.services.attendees import clean_attendees, replace_attendees
from sambandh.activities.services.cleaning import (
    FIELDS_BY_KIND,
    PARENTS,
    check_assignment,
    check_order,
    clean_fields,
    clean_zone,
    now,
    require_a_parent,
    resolve_parents,
    user_zone,
)
from sambandh.core.errors import ValidationError
from sambandh.core.events import event_emit
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import in_scope, require
from sambandh.core.records import (
    apply_values,
    jsonable,
    lock_for_update,
    raise_if,
    record_change,
    save_changed,
)
from sambandh.notifications.services import assignment_notify

# What changes a calendar invite: a new SEQUENCE tells calendar clients to update the event.
INVITE_FIELDS = {
    "subject",
    "body",
    "occurred_at",
    "ends_at",
    "time_zone",
    "location",
    "meeting_url",
}
KIND_EVENTS = {
    ActivityKind.TASK: "task.created",
    ActivityKind.CALL: "call.logged",
    ActivityKind.EMAIL: "email.logged",
    ActivityKind.MEETING: "meeting.scheduled",
}


def _payload(activity: Activity, **extra: Any) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "kind": activity.kind,
        "owner_id": activity.owner_id,
        "contact_id": activity.contact_id,
        "account_id": activity.account_id,
        "deal_id": activity.deal_id,
        **extra,
    }


def _model_values(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """API names to columns: a meeting's start is ``occurred_at`` and, for "my day", its
    ``due_at`` too; a task is placed on the timeline at its due time."""
    out = dict(values)
    if kind == ActivityKind.MEETING and "starts_at" in out:
        start = out.pop("starts_at")
        out["occurred_at"] = start
        out["due_at"] = start
    return out


def _place_task(activity: Activity) -> None:
    """A task sits on the timeline when it was done, else when it is due, else when made."""
    if activity.status == ActivityStatus.DONE and activity.completed_at is not None:
        activity.occurred_at = activity.completed_at
    else:
        activity.occurred_at = activity.due_at or activity.created_at


def _fill_account(actor: User, parents: dict[str, Any]) -> None:
    """An activity with a contact also shows on the contact's company (when the actor sees it)."""
    contact = parents.get("contact")
    if parents.get("account") is None and contact is not None and contact.account_id:
        account = contact.account
        if in_scope(actor, account, Action.READ):
            parents["account"] = account


def _create(*, actor: User, kind: str, data: dict[str, Any]) -> Activity:
    require(actor, ObjectType.ACTIVITY, Action.CREATE)
    if not isinstance(data, dict):
        raise ValidationError({"": [_("Enter an object.")]})
    errors: dict[str, list[str]] = {}
    zone_name = ""
    zone: dt.tzinfo = user_zone(actor)
    if kind == ActivityKind.MEETING:
        zone_name = clean_zone(data.get("time_zone"), errors, required=True)
        if zone_name:
            zone = zoneinfo.ZoneInfo(zone_name)
    values = clean_fields(data, FIELDS_BY_KIND[ActivityKind(kind)], zone, errors)
    if "subject" not in data:
        errors.setdefault("subject", []).append(_("This field is required."))
    attendees: list[MeetingAttendee] = []
    if kind == ActivityKind.MEETING:
        if values.get("starts_at") is None and "starts_at" not in errors:
            errors.setdefault("starts_at", []).append(_("This field is required."))
        if values.get("ends_at") is None and "ends_at" not in errors:
            errors.setdefault("ends_at", []).append(_("This field is required."))
        check_order(errors, values.get("starts_at"), values.get("ends_at"))
        attendees = clean_attendees(actor, data.get("attendees"), zone_name, errors)
    raise_if(errors)
    parents = resolve_parents(actor, values)
    _fill_account(actor, parents)
    require_a_parent(parents.get("contact"), parents.get("account"), parents.get("deal"))
    check_assignment(actor, values, None)
    values.setdefault("owner_id", actor.pk)
    if "team_id" not in values:
        values["team_id"] = actor.teams.order_by("id").values_list("id", flat=True).first()
    values["account_id"] = parents["account"].pk if parents.get("account") else None
    columns = _model_values(kind, values)
    moment = now()
    activity = Activity(kind=kind, created_by=actor, created_at=moment, updated_at=moment)
    for name, value in columns.items():
        setattr(activity, name, value)
    if kind == ActivityKind.MEETING:
        activity.time_zone = zone_name
        activity.ical_uid = f"{uuid.uuid4()}@sambandh"
    if kind in {ActivityKind.CALL, ActivityKind.EMAIL}:
        # A call or an email is logged after the fact: it is done when it is recorded.
        activity.occurred_at = columns.get("occurred_at") or moment
        activity.status = ActivityStatus.DONE
        activity.completed_at = activity.occurred_at
        activity.direction = activity.direction or Direction.OUTBOUND
    if kind == ActivityKind.TASK:
        _place_task(activity)
    with transaction.atomic():
        activity.save(force_insert=True)
        for attendee in attendees:
            attendee.activity = activity
        MeetingAttendee.objects.bulk_create(attendees)
        changes = {
            name: [None, jsonable(value)]
            for name, value in columns.items()
            if value not in (None, "", [])
        }
        changes["kind"] = [None, kind]
        if kind == ActivityKind.MEETING:
            changes["time_zone"] = [None, zone_name]
            if attendees:
                changes["attendees"] = [None, [a.email for a in attendees]]
        record_change(
            actor=actor,
            action="create",
            object_type=ObjectType.ACTIVITY,
            obj=activity,
            changes=changes,
            event="activity.created",
            payload=_payload(activity),
        )
        assignment_notify(
            actor=actor, obj=activity, object_type=ObjectType.ACTIVITY, previous_owner_id=None
        )
        event_emit(
            name=KIND_EVENTS[ActivityKind(kind)],
            actor=actor,
            object_type=ObjectType.ACTIVITY,
            object_id=activity.pk,
            payload=_payload(activity),
        )
    return activity


def task_create(*, actor: User, data: dict[str, Any]) -> Activity:
    """A task for ``owner`` (the actor unless assigned): subject, due time, priority, reminder."""
    return _create(actor=actor, kind=ActivityKind.TASK, data=data)


def call_log(*, actor: User, data: dict[str, Any]) -> Activity:
    """Record a call that took place: direction, duration and outcome."""
    return _create(actor=actor, kind=ActivityKind.CALL, data=data)


def email_log(*, actor: User, data: dict[str, Any]) -> Activity:
    """Record an email sent or received outside Sambandh."""
    return _create(actor=actor, kind=ActivityKind.EMAIL, data=data)


def meeting_schedule(*, actor: User, data: dict[str, Any]) -> Activity:
    """A meeting with a start and an end in an IANA time zone and its attendees (contacts,
    users or plain addresses, each with their own zone). Its invite is an .ics file."""
    return _create(actor=actor, kind=ActivityKind.MEETING, data=data)


def activity_update(
    *, actor: User, activity: Activity, data: dict[str, Any], version: int | None
) -> Activity:
    """Change the fields that belong to the activity's kind. A meeting whose time, place or
    attendees change gets a new calendar SEQUENCE, so invites already sent are updated."""
    require(actor, ObjectType.ACTIVITY, Action.UPDATE, activity)
    if not isinstance(data, dict):
        raise ValidationError({"": [_("Enter an object.")]})
    kind = activity.kind
    is_meeting = kind == ActivityKind.MEETING
    errors: dict[str, list[str]] = {}
    zone_name = activity.time_zone
    zone: dt.tzinfo = user_zone(actor)
    if is_meeting:
        if "time_zone" in data:
            zone_name = clean_zone(data.get("time_zone"), errors, required=True)
        if zone_name:
            zone = zoneinfo.ZoneInfo(zone_name)
    values = clean_fields(data, FIELDS_BY_KIND[ActivityKind(kind)], zone, errors)
    # These columns cannot be empty: a call's time, a task's priority.
    for name in ("occurred_at", "priority"):
        if name in values and values[name] in (None, ""):
            errors.setdefault(name, []).append(_("This field is required."))
    if is_meeting and ("starts_at" in values or "ends_at" in values):
        start = values.get("starts_at", activity.occurred_at)
        end = values.get("ends_at", activity.ends_at)
        for name, value in (("starts_at", start), ("ends_at", end)):
            if value is None and name not in errors:
                errors.setdefault(name, []).append(_("This field is required."))
        check_order(errors, start, end)
    attendees: list[MeetingAttendee] | None = None
    if is_meeting and "attendees" in data:
        attendees = clean_attendees(actor, data.get("attendees"), zone_name, errors)
    raise_if(errors)
    parents = resolve_parents(actor, values)
    merged = {
        name[:-3]: parents[name[:-3]] if name[:-3] in parents else getattr(activity, name)
        for name in PARENTS
    }
    require_a_parent(*merged.values())
    check_assignment(actor, values, activity)
    columns = _model_values(kind, values)
    if is_meeting:
        columns["time_zone"] = zone_name
    with transaction.atomic():
        activity = lock_for_update(Activity, activity.pk, version=version)
        if activity.status == ActivityStatus.CANCELLED:
            raise ValidationError({"": [_("A cancelled meeting cannot be changed.")]})
        changes = apply_values(activity, columns)
        if "reminder_at" in changes and activity.reminder_dismissed_at is not None:
            changes["reminder_dismissed_at"] = [jsonable(activity.reminder_dismissed_at), None]
            activity.reminder_dismissed_at = None
        if kind == ActivityKind.TASK and "due_at" in changes:
            before = activity.occurred_at
            _place_task(activity)
            if activity.occurred_at != before:
                changes["occurred_at"] = [jsonable(before), jsonable(activity.occurred_at)]
        if attendees is not None:
            attendee_change = replace_attendees(activity, attendees)
            if attendee_change:
                changes["attendees"] = attendee_change
        if is_meeting and (INVITE_FIELDS & set(changes) or "attendees" in changes):
            activity.ical_sequence += 1
        if changes:
            save_changed(
                activity,
                {k: v for k, v in changes.items() if k != "attendees"},
                extra_fields=("ical_sequence",) if is_meeting else (),
            )
            record_change(
                actor=actor,
                action="update",
                object_type=ObjectType.ACTIVITY,
                obj=activity,
                changes=changes,
                event="activity.updated",
                payload=_payload(activity, changes=changes),
            )
            if "owner_id" in changes:
                assignment_notify(
                    actor=actor,
                    obj=activity,
                    object_type=ObjectType.ACTIVITY,
                    previous_owner_id=changes["owner_id"][0],
                )
            if is_meeting:
                event_emit(
                    name="meeting.updated",
                    actor=actor,
                    object_type=ObjectType.ACTIVITY,
                    object_id=activity.pk,
                    payload=_payload(activity, sequence=activity.ical_sequence),
                )
    return activity


def _require_kind(activity: Activity, *kinds: str) -> None:
    if activity.kind not in kinds:
        raise ValidationError({"kind": [_("This action does not apply to this kind of activity.")]})


def task_update(
    *, actor: User, activity: Activity, data: dict[str, Any], version: int | None
) -> Activity:
    """Change a task (``activity_update`` for a task only)."""
    _require_kind(activity, ActivityKind.TASK)
    return activity_update(actor=actor, activity=activity, data=data, version=version)


def meeting_update(
    *, actor: User, activity: Activity, data: dict[str, Any], version: int | None
) -> Activity:
    """Change a meeting (``activity_update`` for a meeting only)."""
    _require_kind(activity, ActivityKind.MEETING)
    return activity_update(actor=actor, activity=activity, data=data, version=version)


def _set_status(
    *,
    actor: User,
    activity: Activity,
    version: int | None,
    status: str,
    event: str,
    kinds: tuple[str, ...],
    from_status: str = ActivityStatus.OPEN,
) -> Activity:
    require(actor, ObjectType.ACTIVITY, Action.UPDATE, activity)
    _require_kind(activity, *kinds)
    with transaction.atomic():
        activity = lock_for_update(Activity, activity.pk, version=version)
        if activity.status == status:
            return activity  # done twice is done once: no second entry, no second event
        if activity.status != from_status:
            raise ValidationError({"status": [_("This activity is not open.")]})
        before_at = activity.occurred_at
        activity.status = status
        moment = now()
        activity.completed_at = moment if status == ActivityStatus.DONE else None
        changes: dict[str, Any] = {"status": [from_status, status]}
        if activity.kind == ActivityKind.TASK:
            _place_task(activity)
            if activity.occurred_at != before_at:
                changes["occurred_at"] = [jsonable(before_at), jsonable(activity.occurred_at)]
        extra = ["completed_at", "occurred_at"]
        if status == ActivityStatus.CANCELLED:
            activity.ical_sequence += 1
            extra.append("ical_sequence")
        save_changed(activity, changes, extra_fields=extra)
        record_change(
            actor=actor,
            action="update",
            object_type=ObjectType.ACTIVITY,
            obj=activity,
            changes=changes,
            event=event,
            payload=_payload(activity, status=status),
        )
    return activity


def task_complete(*, actor: User, activity: Activity, version: int | None = None) -> Activity:
    """Mark an open task (or a meeting that was held) done. Completing twice changes nothing."""
    event = "task.completed" if activity.kind == ActivityKind.TASK else "meeting.held"
    return _set_status(
        actor=actor,
        activity=activity,
        version=version,
        status=ActivityStatus.DONE,
        event=event,
        kinds=(ActivityKind.TASK, ActivityKind.MEETING),
    )


def task_reopen(*, actor: User, activity: Activity, version: int | None = None) -> Activity:
    """Open a done task again."""
    return _set_status(
        actor=actor,
        activity=activity,
        version=version,
        status=ActivityStatus.OPEN,
        event="task.reopened",
        kinds=(ActivityKind.TASK,),
        from_status=ActivityStatus.DONE,
    )


def meeting_cancel(*, actor: User, activity: Activity, version: int | None = None) -> Activity:
    """Cancel an open meeting; its invite becomes a cancellation with a higher SEQUENCE."""
    return _set_status(
        actor=actor,
        activity=activity,
        version=version,
        status=ActivityStatus.CANCELLED,
        event="meeting.cancelled",
        kinds=(ActivityKind.MEETING,),
    )


def activity_delete(*, actor: User, activity: Activity) -> None:
    """Delete an activity (any kind) and its attendees."""
    require(actor, ObjectType.ACTIVITY, Action.DELETE, activity)
    with transaction.atomic():
        record_change(
            actor=actor,
            action="delete",
            object_type=ObjectType.ACTIVITY,
            obj=activity,
            changes={"subject": [activity.subject, None], "kind": [activity.kind, None]},
            event="activity.deleted",
            payload=_payload(activity),
        )
        activity.delete()


def task_delete(*, actor: User, activity: Activity) -> None:
    """Delete a task."""
    _require_kind(activity, ActivityKind.TASK)
    activity_delete(actor=actor, activity=activity)


def reminder_dismiss(*, actor: User, activity: Activity) -> Activity:
    """Hide a due reminder from "my day" and the badge. Dismissing twice changes nothing."""
    require(actor, ObjectType.ACTIVITY, Action.UPDATE, activity)
    with transaction.atomic():
        activity = lock_for_update(Activity, activity.pk, version=None)
        if activity.reminder_at is None:
            raise ValidationError({"reminder_at": [_("This activity has no reminder.")]})
        if activity.reminder_dismissed_at is not None:
            return activity
        moment = now()
        changes = {"reminder_dismissed_at": [None, jsonable(moment)]}
        activity.reminder_dismissed_at = moment
        save_changed(activity, changes)
        record_change(
            actor=actor,
            action="update",
            object_type=ObjectType.ACTIVITY,
            obj=activity,
            changes=changes,
            event="reminder.dismissed",
            payload=_payload(activity),
        )
    return activity
