"""My day: open tasks and meetings by the user's own calendar day, and due reminders."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from sambandh.activities import selectors, services
from tests.activities.helpers import at, make_meeting, make_task
from tests.api.conftest import client_for
from tests.factories import make_contact

# 03:00 UTC on 15 January is still the 14th in New York and already the 15th in Kolkata.
NOW = at(2030, 1, 15, 3, 0)


def _ids(items) -> list[int]:
    return [a.pk for a in items]


def test_today_is_the_users_own_day(owner, teammate) -> None:
    contact = make_contact(owner)
    owner.time_zone = "America/New_York"
    owner.save(update_fields=["time_zone"])
    teammate.time_zone = "Asia/Kolkata"
    teammate.save(update_fields=["time_zone"])
    due = "2030-01-15T06:00:00+00:00"  # 01:00 on the 15th in New York, 11:30 in Kolkata
    for_new_york = make_task(owner, contact_id=contact.pk, due_at=due)
    for_kolkata = make_task(teammate, contact_id=contact.pk, due_at=due)
    ny = selectors.my_day(actor=owner, moment=NOW)
    assert str(ny.today) == "2030-01-14"
    assert _ids(ny.today_items) == []
    assert _ids(ny.upcoming) == [for_new_york.pk]
    india = selectors.my_day(actor=teammate, moment=NOW)
    assert str(india.today) == "2030-01-15"
    assert _ids(india.today_items) == [for_kolkata.pk]


def test_overdue_today_upcoming_and_undated_hold_only_my_open_work(owner, teammate) -> None:
    contact = make_contact(owner)
    overdue = make_task(owner, contact_id=contact.pk, due_at="2030-01-10T09:00")
    today = make_task(owner, contact_id=contact.pk, due_at="2030-01-15T17:00")
    meeting = make_meeting(
        owner, contact_id=contact.pk, starts_at="2030-01-15T15:00", ends_at="2030-01-15T16:00"
    )
    upcoming = make_task(owner, contact_id=contact.pk, due_at="2030-01-20T09:00")
    make_task(owner, contact_id=contact.pk, due_at="2030-02-20T09:00")  # beyond a week
    undated = make_task(owner, contact_id=contact.pk)
    done = make_task(owner, contact_id=contact.pk, due_at="2030-01-15T10:00")
    services.task_complete(actor=owner, activity=done)
    make_task(teammate, contact_id=contact.pk, due_at="2030-01-15T10:00")  # not mine
    day = selectors.my_day(actor=owner, moment=NOW)
    assert _ids(day.overdue) == [overdue.pk]
    assert _ids(day.today_items) == [meeting.pk, today.pk]
    assert _ids(day.upcoming) == [upcoming.pk]
    assert _ids(day.undated) == [undated.pk]


def test_reminders_show_once_due_until_dismissed(owner) -> None:
    contact = make_contact(owner)
    due = make_task(owner, contact_id=contact.pk, reminder_at="2030-01-15T02:00:00+00:00")
    make_task(owner, contact_id=contact.pk, reminder_at="2030-01-15T04:00:00+00:00")  # later
    assert _ids(selectors.reminders_due(actor=owner, moment=NOW)) == [due.pk]
    assert selectors.reminder_count(actor=owner, moment=NOW) == 1
    services.reminder_dismiss(actor=owner, activity=due)
    assert selectors.reminders_due(actor=owner, moment=NOW) == []
    assert selectors.reminder_count(actor=owner, moment=NOW) == 0


def test_my_day_costs_a_fixed_number_of_queries(owner) -> None:
    contact = make_contact(owner)

    def measure() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.my_day(actor=owner, moment=NOW)
        return len(ctx.captured_queries)

    make_task(owner, contact_id=contact.pk, due_at="2030-01-15T17:00")
    few = measure()
    for hour in range(20):
        make_task(owner, contact_id=contact.pk, due_at=f"2030-01-1{hour % 9}T1{hour % 9}:00")
    assert measure() == few


def test_the_api_lists_my_day_and_reminders(owner) -> None:
    contact = make_contact(owner)
    overdue = make_task(
        owner, contact_id=contact.pk, due_at="2020-01-01T09:00", reminder_at="2020-01-01T08:00"
    )
    undated = make_task(owner, contact_id=contact.pk)
    api = client_for(owner)
    body = api.get("/my-day").json()
    assert body["time_zone"] == "Asia/Kolkata"
    assert [a["id"] for a in body["overdue"]] == [overdue.pk]
    assert [a["id"] for a in body["no_due_date"]] == [undated.pk]
    assert [a["id"] for a in body["reminders"]] == [overdue.pk]
    dismissed = api.post(f"/activities/{overdue.pk}/dismiss-reminder")
    assert dismissed.status_code == 200
    assert dismissed.json()["reminder_dismissed_at"] is not None
    assert api.get("/my-day").json()["reminders"] == []
