"""The activities share of the permission matrix (see ``tests/matrix.py``).

Targets belong to an administrator outside every team: a task (with a due reminder), a done
task, a meeting and a deal, on the base part's target contact and company."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sambandh.activities import services
from sambandh.activities.models import Activity, MeetingAttendee
from sambandh.core.models import User
from tests.matrix import MatrixPart, Targets

SEE = "200 200 404 200 200 200"  # read scope: a sales rep sees only their teams' records
CHANGE = "200 200 404 403 403 403"  # update scope: managers all, others their own
CREATE = "201 201 404 201 201 403"  # on the target contact, which a sales rep cannot see

API_MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/activities"): "200 200 200 200 200 200",
    ("POST", "/api/v1/tasks"): CREATE,
    ("POST", "/api/v1/calls"): CREATE,
    ("POST", "/api/v1/emails"): CREATE,
    ("POST", "/api/v1/meetings"): CREATE,
    ("GET", "/api/v1/activities/{id}"): SEE,
    ("PATCH", "/api/v1/activities/{id}"): CHANGE,
    ("DELETE", "/api/v1/activities/{id}"): "204 204 404 403 403 403",
    ("POST", "/api/v1/activities/{id}/complete"): CHANGE,
    ("POST", "/api/v1/activities/{id}/reopen"): CHANGE,
    ("POST", "/api/v1/activities/{id}/cancel"): CHANGE,
    ("POST", "/api/v1/activities/{id}/dismiss-reminder"): CHANGE,
    ("GET", "/api/v1/activities/{id}/ics"): SEE,
    ("GET", "/api/v1/my-day"): "200 200 200 200 200 200",
    ("GET", "/api/v1/contacts/{id}/timeline"): SEE,
    ("GET", "/api/v1/accounts/{id}/timeline"): SEE,
    ("GET", "/api/v1/deals/{id}/timeline"): SEE,
}


def _make_targets(t: Targets) -> None:
    from tests.activities.helpers import make_deal

    admin = t.admin
    contact = t.contact
    task = services.task_create(
        actor=admin,
        data={
            "subject": "Target task",
            "contact_id": contact.pk,
            "reminder_at": "2020-01-01T09:00:00+00:00",
        },
    )
    done = services.task_create(
        actor=admin, data={"subject": "Done task", "contact_id": contact.pk}
    )
    done = services.task_complete(actor=admin, activity=done)
    meeting = services.meeting_schedule(
        actor=admin,
        data={
            "subject": "Target meeting",
            "contact_id": contact.pk,
            "starts_at": "2030-01-01T10:00",
            "ends_at": "2030-01-01T11:00",
            "time_zone": "Asia/Kolkata",
            "attendees": [{"email": "guest@example.com"}],
        },
    )
    t.objects.update(
        activity_task=task,
        activity_done=done,
        activity_meeting=meeting,
        activity_deal=make_deal(admin, account=t.account, contacts=[contact]),
    )


def _api_body(method: str, path: str, t: Targets, actor: User) -> dict[str, Any] | None:
    if method not in {"POST", "PATCH"}:
        return None
    on_contact = {"contact_id": t.contact.pk}
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/tasks"): {"subject": "Matrix task", **on_contact},
        ("POST", "/api/v1/calls"): {"subject": "Matrix call", **on_contact},
        ("POST", "/api/v1/emails"): {"subject": "Matrix email", **on_contact},
        ("POST", "/api/v1/meetings"): {
            "subject": "Matrix meeting",
            "starts_at": "2030-02-01T10:00",
            "ends_at": "2030-02-01T11:00",
            "time_zone": "Europe/London",
            "attendees": [{"email": "matrix@example.com"}],
            **on_contact,
        },
        ("PATCH", "/api/v1/activities/{id}"): {
            "subject": "Changed",
            "version": t.activity_task.version,
        },
    }
    return bodies.get((method, path), {})


def html_views(pk: int = 1) -> list[tuple[str, str]]:
    views = [
        ("activities:list", reverse("activities:list")),
        ("activities:my_day", reverse("activities:my_day")),
        ("activities:detail", reverse("activities:detail", args=[pk])),
        ("activities:edit", reverse("activities:edit", args=[pk])),
        ("activities:delete", reverse("activities:delete", args=[pk])),
        ("activities:complete", reverse("activities:complete", args=[pk])),
        ("activities:dismiss", reverse("activities:dismiss", args=[pk])),
    ]
    for parent in ("contact", "account", "deal"):
        name = f"activities:{parent}_timeline"
        views.append((name, reverse(name, args=[pk])))
        name = f"activities:{parent}_new"
        views.append((name, reverse(name, args=[pk, "call"])))
    return views


HTML_GET_MATRIX: dict[str, str] = {
    "activities:list": "200 200 200 200 200 200",
    "activities:my_day": "200 200 200 200 200 200",
    "activities:detail": SEE,
    "activities:edit": CHANGE,
    "activities:delete": CHANGE,
    "activities:complete": "405 405 405 405 405 405",
    "activities:dismiss": "405 405 405 405 405 405",
    "activities:contact_timeline": SEE,
    "activities:account_timeline": SEE,
    "activities:deal_timeline": SEE,
    "activities:contact_new": "200 200 404 200 200 403",
    "activities:account_new": "200 200 404 200 200 403",
    "activities:deal_new": "200 200 404 200 200 403",
}
HTML_POST_MATRIX: dict[str, str] = {
    "activities:edit": "302 302 404 403 403 403",
    "activities:delete": "302 302 404 403 403 403",
    "activities:complete": "302 302 404 403 403 403",
    "activities:dismiss": "302 302 404 403 403 403",
    "activities:contact_new": "302 302 404 302 302 403",
    "activities:account_new": "302 302 404 302 302 403",
    "activities:deal_new": "302 302 404 302 302 403",
}


def _html_url(name: str, path: str, t: Targets) -> str:
    target: Any = {
        "activities:contact": t.contact,
        "activities:account": t.account,
        "activities:deal": t.activity_deal,
    }.get(name.rsplit("_", 1)[0], t.activity_task)
    if name in ("activities:contact_new", "activities:account_new", "activities:deal_new"):
        target = {"contact": t.contact, "account": t.account, "deal": t.activity_deal}[
            name.split(":")[1].split("_")[0]
        ]
    return path.replace("/1/", f"/{target.pk}/")


def _html_form(name: str, t: Targets) -> dict[str, Any]:
    if name.endswith("_new"):
        return {"subject": "A matrix call", "outcome": "connected"}
    if name == "activities:edit":
        return {"subject": "Changed", "version": t.activity_task.version}
    return {}


PART = MatrixPart(
    name="activities",
    api=API_MATRIX,
    api_ids=[
        ("/api/v1/activities/{id}/ics", "activity_meeting"),
        ("/api/v1/activities/{id}/cancel", "activity_meeting"),
        ("/api/v1/activities/{id}/reopen", "activity_done"),
        ("/api/v1/activities/", "activity_task"),
        ("/api/v1/deals/{id}/timeline", "activity_deal"),
    ],
    api_body=_api_body,
    html_get=HTML_GET_MATRIX,
    html_post=HTML_POST_MATRIX,
    html_views=html_views,
    html_url=_html_url,
    html_form=_html_form,
    make_targets=_make_targets,
    state_models=[Activity, MeetingAttendee],
)
