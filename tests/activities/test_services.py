"""Activity writes: validation, permissions, audit, events and optimistic locking."""

from __future__ import annotations

import datetime as dt

import pytest

from sambandh.activities import services
from sambandh.activities.models import Activity, ActivityStatus, MeetingAttendee
from sambandh.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry, OutboxEvent
from tests.activities.helpers import at, make_call, make_deal, make_meeting, make_task
from tests.factories import make_account, make_contact


def _events(activity: Activity) -> list[str]:
    return list(
        OutboxEvent.objects.filter(object_type="activity", object_id=str(activity.pk))
        .order_by("id")
        .values_list("name", flat=True)
    )


def _state() -> tuple[int, int, int, int]:
    return (
        Activity.objects.count(),
        MeetingAttendee.objects.count(),
        AuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )


def test_a_task_belongs_to_its_creator_and_their_first_team(owner, north) -> None:
    contact = make_contact(owner)
    task = make_task(owner, contact_id=contact.pk, due_at="2030-01-15T10:00", priority="high")
    assert task.owner_id == owner.pk
    assert task.team_id == north.pk
    assert task.status == ActivityStatus.OPEN
    # A time without an offset is the user's own wall-clock time (Asia/Kolkata, +05:30).
    assert task.due_at == at(2030, 1, 15, 4, 30)
    assert task.occurred_at == task.due_at
    assert _events(task) == ["activity.created", "task.created"]
    entry = AuditEntry.objects.get(object_type="activity", object_id=str(task.pk))
    assert entry.action == "create"
    assert entry.changes["priority"] == [None, "high"]


def test_an_activity_needs_a_parent_and_nothing_is_written_without_one(owner) -> None:
    before = _state()
    with pytest.raises(ValidationError) as exc:
        make_task(owner)
    assert exc.value.fields == {"": ["Link the activity to a contact, a company or a deal."]}
    assert _state() == before


def test_a_parent_the_actor_cannot_see_is_not_found(owner, outsider) -> None:
    hidden = make_contact(outsider)
    before = _state()
    with pytest.raises(NotFound):
        make_call(owner, contact_id=hidden.pk)
    with pytest.raises(NotFound):
        make_call(owner, deal_id=make_deal(outsider).pk)
    assert _state() == before


def test_unknown_fields_and_bad_values_are_reported_per_field(owner) -> None:
    contact = make_contact(owner)
    with pytest.raises(ValidationError) as exc:
        services.task_create(
            actor=owner, data={"subject": "x", "contact_id": contact.pk, "colour": 1}
        )
    assert exc.value.fields == {"colour": ["Unknown field."]}
    with pytest.raises(ValidationError) as exc:
        services.task_create(
            actor=owner,
            data={"subject": " ", "contact_id": contact.pk, "due_at": "soon", "priority": "max"},
        )
    assert exc.value.fields == {
        "subject": ["This field is required."],
        "due_at": ["Enter a date and time such as 2025-03-09T14:30."],
        "priority": ["Choose one of the offered values."],
    }
    with pytest.raises(ValidationError) as exc:
        make_call(owner, contact_id=contact.pk, duration_seconds=-1)
    assert exc.value.fields == {"duration_seconds": ["Enter a number of seconds from 0 to 86400."]}


def test_a_meeting_must_end_after_it_starts_in_a_real_time_zone(owner) -> None:
    contact = make_contact(owner)
    before = _state()
    with pytest.raises(ValidationError) as exc:
        make_meeting(
            owner, contact_id=contact.pk, starts_at="2030-01-15T10:00", ends_at="2030-01-15T09:00"
        )
    assert exc.value.fields == {"ends_at": ["The end must be after the start."]}
    with pytest.raises(ValidationError) as exc:
        make_meeting(owner, contact_id=contact.pk, time_zone="Mars/Olympus")
    assert exc.value.fields == {"time_zone": ["Enter a valid time zone such as Asia/Kolkata."]}
    assert _state() == before


def test_a_role_without_the_create_grant_is_refused(reader, owner) -> None:
    contact = make_contact(owner)
    before = _state()
    with pytest.raises(PermissionDenied):
        make_task(reader, contact_id=contact.pk)
    assert _state() == before


def test_a_call_is_done_when_logged_and_shows_on_the_contacts_company(owner) -> None:
    account = make_account(owner, name="Acme")
    contact = make_contact(owner, account_id=account.pk)
    call = make_call(
        owner, contact_id=contact.pk, occurred_at="2030-01-10T12:00:00+00:00", outcome="connected"
    )
    assert call.status == ActivityStatus.DONE
    assert call.completed_at == call.occurred_at == at(2030, 1, 10, 12)
    assert call.direction == "outbound"
    assert call.account_id == account.pk
    assert _events(call) == ["activity.created", "call.logged"]


def test_owners_may_only_be_assigned_within_reach(
    owner, teammate, outsider, manager, north
) -> None:
    contact = make_contact(owner)
    with pytest.raises(ValidationError) as exc:
        make_task(owner, contact_id=contact.pk, owner_id=outsider.pk, team_id=None)
    assert "owner_id" in exc.value.fields
    task = make_task(owner, contact_id=contact.pk, owner_id=teammate.pk, team_id=north.pk)
    assert task.owner_id == teammate.pk
    # A manager (create scope "all") assigns to anyone.
    assert make_task(manager, contact_id=contact.pk, owner_id=outsider.pk).owner_id == outsider.pk


def test_completing_a_task_records_it_once(owner) -> None:
    task = make_task(owner, contact_id=make_contact(owner).pk, due_at="2030-01-15T10:00")
    done = services.task_complete(actor=owner, activity=task, version=task.version)
    assert done.status == ActivityStatus.DONE
    assert done.completed_at is not None
    assert done.occurred_at == done.completed_at
    assert done.version == task.version + 1
    audits = AuditEntry.objects.count()
    again = services.task_complete(actor=owner, activity=done)
    assert again.version == done.version
    assert AuditEntry.objects.count() == audits
    assert _events(task) == ["activity.created", "task.created", "task.completed"]
    reopened = services.task_reopen(actor=owner, activity=again)
    assert reopened.status == ActivityStatus.OPEN
    assert reopened.completed_at is None
    assert reopened.occurred_at == reopened.due_at


def test_a_teammate_sees_but_cannot_complete_and_an_outsider_cannot_see(
    owner, teammate, outsider
) -> None:
    task = make_task(owner, contact_id=make_contact(owner).pk)
    before = _state()
    with pytest.raises(PermissionDenied):
        services.task_complete(actor=teammate, activity=task)
    with pytest.raises(NotFound):
        services.task_complete(actor=outsider, activity=task)
    with pytest.raises(NotFound):
        services.activity_delete(actor=outsider, activity=task)
    assert _state() == before
    assert Activity.objects.get(pk=task.pk).status == ActivityStatus.OPEN


def test_a_stale_version_is_a_conflict_and_changes_nothing(owner) -> None:
    task = make_task(owner, contact_id=make_contact(owner).pk, subject="First")
    services.activity_update(actor=owner, activity=task, data={"subject": "Second"}, version=1)
    before = _state()
    with pytest.raises(Conflict):
        services.activity_update(actor=owner, activity=task, data={"subject": "Third"}, version=1)
    assert Activity.objects.get(pk=task.pk).subject == "Second"
    assert _state() == before


def test_fields_of_another_kind_are_refused(owner) -> None:
    call = make_call(owner, contact_id=make_contact(owner).pk)
    with pytest.raises(ValidationError) as exc:
        services.activity_update(
            actor=owner, activity=call, data={"due_at": "2030-01-01T00:00"}, version=1
        )
    assert exc.value.fields == {"due_at": ["Unknown field."]}
    with pytest.raises(ValidationError):
        services.task_update(actor=owner, activity=call, data={"subject": "x"}, version=1)


def test_a_parent_cannot_be_removed_when_it_is_the_last(owner) -> None:
    task = make_task(owner, contact_id=make_contact(owner).pk)
    with pytest.raises(ValidationError):
        services.activity_update(actor=owner, activity=task, data={"contact_id": None}, version=1)


def test_a_meeting_change_raises_the_invite_sequence_and_keeps_answers(owner, teammate) -> None:
    contact = make_contact(owner, email="guest@example.com", time_zone="Europe/London")
    teammate.email = "teammate@example.com"
    teammate.save(update_fields=["email"])
    meeting = make_meeting(
        owner,
        contact_id=contact.pk,
        attendees=[
            {"contact_id": contact.pk},
            {"user_id": teammate.pk},
            {"email": "x@example.org"},
        ],
    )
    assert meeting.ical_uid.endswith("@sambandh")
    assert meeting.ical_sequence == 0
    assert _events(meeting) == ["activity.created", "meeting.scheduled"]
    guests = {a.email: a for a in meeting.attendees.all()}
    assert guests["guest@example.com"].time_zone == "Europe/London"
    assert guests["x@example.org"].time_zone == "Asia/Kolkata"  # the meeting's
    MeetingAttendee.objects.filter(email="x@example.org").update(response="accepted")
    changed = services.meeting_update(
        actor=owner,
        activity=meeting,
        data={"location": "Pune office", "attendees": [{"email": "x@example.org"}]},
        version=meeting.version,
    )
    assert changed.ical_sequence == 1
    assert changed.ical_uid == meeting.ical_uid
    assert [(a.email, a.response) for a in changed.attendees.all()] == [
        ("x@example.org", "accepted")
    ]
    # Moving it to another team does not change the invite.
    same = services.meeting_update(
        actor=owner, activity=changed, data={"team_id": None}, version=changed.version
    )
    assert same.team_id is None
    assert same.ical_sequence == 1
    assert _events(meeting)[-1] == "meeting.updated"


def test_attendees_must_be_reachable_and_listed_once(owner, outsider) -> None:
    contact = make_contact(owner)  # no email
    hidden = make_contact(outsider, email="hidden@example.com")
    before = _state()
    with pytest.raises(ValidationError) as exc:
        make_meeting(
            owner,
            contact_id=contact.pk,
            attendees=[
                {"contact_id": contact.pk},
                {"contact_id": hidden.pk},
                {"email": "a@example.com"},
                {"email": "A@example.com"},
                {"email": "not-an-email"},
            ],
        )
    assert exc.value.fields == {
        "attendees.0": ["This attendee has no email address."],
        "attendees.1": ["Choose a contact you can see."],
        "attendees.3": ["This attendee is listed twice."],
        "attendees.4": ["Enter a valid email address."],
    }
    assert _state() == before


def test_a_cancelled_meeting_announces_it_and_cannot_change(owner) -> None:
    meeting = make_meeting(owner, contact_id=make_contact(owner).pk)
    cancelled = services.meeting_cancel(actor=owner, activity=meeting)
    assert cancelled.status == ActivityStatus.CANCELLED
    assert cancelled.ical_sequence == 1
    assert _events(meeting)[-1] == "meeting.cancelled"
    with pytest.raises(ValidationError):
        services.meeting_update(
            actor=owner, activity=cancelled, data={"subject": "x"}, version=cancelled.version
        )


def test_dismissing_a_reminder_is_recorded_and_a_new_reminder_time_brings_it_back(owner) -> None:
    task = make_task(
        owner, contact_id=make_contact(owner).pk, reminder_at="2020-01-01T09:00:00+00:00"
    )
    dismissed = services.reminder_dismiss(actor=owner, activity=task)
    assert dismissed.reminder_dismissed_at is not None
    assert _events(task)[-1] == "reminder.dismissed"
    changed = services.task_update(
        actor=owner,
        activity=dismissed,
        data={"reminder_at": "2020-01-02T09:00:00+00:00"},
        version=dismissed.version,
    )
    assert changed.reminder_dismissed_at is None
    call = make_call(owner, contact_id=task.contact_id)
    with pytest.raises(ValidationError):
        services.reminder_dismiss(actor=owner, activity=call)


def test_deleting_leaves_an_audit_entry(owner, teammate) -> None:
    task = make_task(owner, contact_id=make_contact(owner).pk)
    with pytest.raises(PermissionDenied):
        services.task_delete(actor=teammate, activity=task)
    pk = task.pk
    services.task_delete(actor=owner, activity=task)
    assert not Activity.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(
        object_type="activity", object_id=str(pk), action="delete"
    ).exists()


def test_times_far_outside_any_calendar_are_refused(owner) -> None:
    contact = make_contact(owner)
    with pytest.raises(ValidationError) as exc:
        make_task(owner, contact_id=contact.pk, due_at="9999-12-31T23:59:59+14:00")
    assert exc.value.fields == {"due_at": ["Enter a date between 1970 and 2200."]}
    assert dt.datetime.now(dt.UTC).year < 2200
