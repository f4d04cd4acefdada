"""How the quick forms on a record page and an activity's edit form become the ``data`` a
service takes, and how service errors find their inputs again. Validation stays in the
services."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Collection, Mapping
from typing import Any

from django.http import QueryDict

from sambandh.activities.models import Activity, ActivityKind, MeetingAttendee

# The quick forms, in the order of their tabs.
QUICK_KINDS = (
    ActivityKind.CALL.value,
    ActivityKind.TASK.value,
    ActivityKind.MEETING.value,
    ActivityKind.EMAIL.value,
)
# The inputs of each kind's form that go to the service under their own name (the quick
# forms and the edit form share them). Calls add ``duration_minutes``, meetings
# ``attendee_emails``, tasks being edited ``status``.
FIELDS = {
    ActivityKind.TASK: ("subject", "body", "due_at", "priority", "reminder_at"),
    ActivityKind.CALL: ("subject", "body", "occurred_at", "direction", "outcome"),
    ActivityKind.MEETING: (
        "subject",
        "body",
        "starts_at",
        "ends_at",
        "time_zone",
        "location",
        "meeting_url",
    ),
    ActivityKind.EMAIL: ("subject", "body", "occurred_at", "direction", "email_to"),
}
# A service error on one of these keys belongs to this input of the form.
ERROR_INPUTS = {"duration_seconds": "duration_minutes", "attendees": "attendee_emails"}


def _minutes(raw: str) -> Any:
    text = raw.strip()
    if not text:
        return None
    try:
        return int(text) * 60
    except ValueError:
        return text  # the service answers "Enter a whole number."


def _emails(post: QueryDict) -> list[str]:
    raw = post.get("attendee_emails", "")
    return [e.strip() for e in raw.replace(";", ",").split(",") if e.strip()]


def form_data(kind: str, post: QueryDict, parent: str, pk: int) -> dict[str, Any]:
    """The service's ``data`` from a quick form posted on a contact, company or deal."""
    data: dict[str, Any] = {
        name: post.get(name, "") for name in FIELDS[ActivityKind(kind)] if name in post
    }
    data.setdefault("subject", "")
    # Empty inputs mean "not given", except the subject, which is required.
    data = {k: v for k, v in data.items() if v != "" or k == "subject"}
    data[f"{parent}_id"] = pk
    if kind == ActivityKind.CALL and "duration_minutes" in post:
        minutes = _minutes(post.get("duration_minutes", ""))
        if minutes is not None:
            data["duration_seconds"] = minutes
    if kind == ActivityKind.MEETING:
        attendees: list[dict[str, Any]] = []
        if parent == "contact" and post.get("invite_contact"):
            attendees.append({"contact_id": pk})
        attendees += [{"email": email} for email in _emails(post)]
        data["attendees"] = attendees
    return data


# ---------------------------------------------------------------- the edit form


def _local(value: dt.datetime | None, zone: dt.tzinfo) -> str:
    """A ``datetime-local`` input's value: the wall-clock time in ``zone``."""
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if value else ""


def initial(
    activity: Activity, attendees: list[MeetingAttendee], zone: dt.tzinfo
) -> dict[str, str]:
    """The edit form's inputs as the activity is now. Times are in the user's zone (``zone``),
    a meeting's in its own zone, as the services read them back."""
    values = {"subject": activity.subject, "body": activity.body}
    kind = activity.kind
    if kind == ActivityKind.TASK:
        values |= {
            "due_at": _local(activity.due_at, zone),
            "priority": activity.priority,
            "reminder_at": _local(activity.reminder_at, zone),
            "status": activity.status,
        }
    elif kind == ActivityKind.MEETING:
        try:
            own: dt.tzinfo = zoneinfo.ZoneInfo(activity.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            own = zone
        values |= {
            "starts_at": _local(activity.occurred_at, own),
            "ends_at": _local(activity.ends_at, own),
            "time_zone": activity.time_zone,
            "location": activity.location,
            "meeting_url": activity.meeting_url,
            "attendee_emails": ", ".join(a.email for a in attendees),
        }
    else:
        values |= {
            "occurred_at": _local(activity.occurred_at, zone),
            "direction": activity.direction,
        }
        if kind == ActivityKind.CALL:
            seconds = activity.duration_seconds
            values["outcome"] = activity.outcome
            values["duration_minutes"] = "" if seconds is None else str(round(seconds / 60))
        else:
            values["email_to"] = ", ".join(activity.email_to or [])
    return values


def submitted(post: QueryDict, before: Mapping[str, str]) -> dict[str, str]:
    """The inputs to show again after a refused save: what was posted, else what was there."""
    return {name: post.get(name, value) for name, value in before.items()}


def _kept(attendee: MeetingAttendee) -> dict[str, Any]:
    """An attendee who stays on the list, as they are (a contact stays that contact)."""
    who: dict[str, Any] = {}
    if attendee.contact_id:
        who["contact_id"] = attendee.contact_id
    elif attendee.user_id:
        who["user_id"] = attendee.user_id
    return {**who, "email": attendee.email, "name": attendee.name, "time_zone": attendee.time_zone}


def edit_data(
    activity: Activity,
    post: QueryDict,
    before: Mapping[str, str],
    attendees: list[MeetingAttendee],
) -> dict[str, Any]:
    """The service's ``data`` from the edit form: only the inputs that differ from what the
    form showed (``before``), so a save never rewrites a value it only displayed (a call's
    seconds, a duration rounded to minutes). An emptied input clears its field. A meeting's
    new time zone re-reads its start and end, as the form shows them in that zone."""
    kind = ActivityKind(activity.kind)
    changed = {
        name
        for name in (*FIELDS[kind], "duration_minutes", "attendee_emails")
        if name in before and name in post and post.get(name) != before[name]
    }
    if "time_zone" in changed:
        changed |= {"starts_at", "ends_at"} & set(post)
    data: dict[str, Any] = {name: post.get(name, "") for name in FIELDS[kind] if name in changed}
    if "duration_minutes" in changed:
        data["duration_seconds"] = _minutes(post.get("duration_minutes", ""))
    if "attendee_emails" in changed:
        current = {a.email.lower(): a for a in attendees}
        wanted = _emails(post)
        if {e.lower() for e in wanted} != set(current) or len(wanted) != len(current):
            data["attendees"] = [
                _kept(current[e.lower()]) if e.lower() in current else {"email": e} for e in wanted
            ]
    return data


def edit_status(activity: Activity, post: QueryDict, before: Mapping[str, str]) -> str | None:
    """A task's new status from its edit form, or None when it was left as it was."""
    if activity.kind != ActivityKind.TASK or "status" not in post:
        return None
    status = post.get("status", "")
    return None if status == before.get("status") else status


def field_errors(
    fields: Mapping[str, list[str]], message: str, inputs: Collection[str]
) -> dict[str, list[str]]:
    """A service's field errors keyed by the form's ``inputs`` (``attendees.2`` belongs to
    the attendees input); errors no input shows go to the top of the form (``""``)."""
    errors: dict[str, list[str]] = {}
    for key, messages in fields.items():
        base = key.split(".")[0]
        name = ERROR_INPUTS.get(base, base)
        errors.setdefault(name if name in inputs else "", []).extend(messages)
    if not errors:
        errors[""] = [message]
    return errors
