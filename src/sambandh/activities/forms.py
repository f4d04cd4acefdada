"""How the quick forms on a record page become the ``data`` a service takes. Validation
stays in the services."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from sambandh.activities.models import ActivityKind

# The quick forms, in the order of their tabs.
QUICK_KINDS = (
    ActivityKind.CALL.value,
    ActivityKind.TASK.value,
    ActivityKind.MEETING.value,
    ActivityKind.EMAIL.value,
)
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


def _minutes(raw: str) -> Any:
    text = raw.strip()
    if not text:
        return None
    try:
        return int(text) * 60
    except ValueError:
        return text  # the service answers "Enter a whole number."


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
        for email in post.get("attendee_emails", "").replace(";", ",").split(","):
            if email.strip():
                attendees.append({"email": email.strip()})
        data["attendees"] = attendees
    return data
