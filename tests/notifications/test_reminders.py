"""Activity reminders reach the notification centre once each."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sambandh.activities.models import Activity
from sambandh.activities.services import task_create
from sambandh.core.models import User
from sambandh.notifications.models import Notification
from sambandh.notifications.reminders import reminders_notify
from tests.factories import make_contact


def _task(owner: User, remind_in: dt.timedelta, subject: str = "Call Meera") -> Activity:
    now = timezone.now()
    return task_create(
        actor=owner,
        data={
            "subject": subject,
            "due_at": (now + dt.timedelta(hours=2)).isoformat(),
            "reminder_at": (now + remind_in).isoformat(),
            "contact_id": make_contact(owner).pk,
        },
    )


def test_a_due_reminder_notifies_its_owner_once(owner: User) -> None:
    task = _task(owner, dt.timedelta(minutes=30))
    assert reminders_notify() == 0
    later = timezone.now() + dt.timedelta(minutes=31)
    assert reminders_notify(now=later) == 1
    reminders_notify(now=later + dt.timedelta(minutes=1))
    note = Notification.objects.get(recipient=owner, kind="reminder")
    assert (note.params, note.object_id, note.link) == (
        {"record": "Call Meera"},
        str(task.pk),
        f"/activities/{task.pk}/",
    )


def test_dismissed_done_and_long_past_reminders_ring_no_bell(owner: User) -> None:
    dismissed = _task(owner, dt.timedelta(minutes=1), "Dismissed")
    Activity.objects.filter(pk=dismissed.pk).update(reminder_dismissed_at=timezone.now())
    done = _task(owner, dt.timedelta(minutes=1), "Done")
    Activity.objects.filter(pk=done.pk).update(status="done")
    _task(owner, dt.timedelta(minutes=1), "Old")
    reminders_notify(now=timezone.now() + dt.timedelta(hours=1))
    assert not Notification.objects.filter(kind="reminder").exists()
