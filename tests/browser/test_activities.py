"""Activities in Debian's chromium over real HTTP: log a call and schedule a meeting from a
contact's page, see both on its timeline, then complete a task with one click on My day."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sambandh.activities import services
from sambandh.activities.models import Activity, ActivityStatus
from tests.browser.conftest import to_docs
from tests.factories import make_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_a_call_schedule_a_meeting_and_complete_a_task(page, screenshot, owner) -> None:
    contact = make_contact(owner, first_name="Ravi", last_name="Kumar", email="ravi@example.in")
    task = services.task_create(
        actor=owner,
        data={
            "subject": "Send the revised quote",
            "contact_id": contact.pk,
            "due_at": "2020-01-01T10:00",
            "reminder_at": "2020-01-01T09:00",
            "priority": "high",
        },
    )
    page.goto("/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("reminder-badge")).to_contain_text("1")

    page.goto(f"/contacts/{contact.pk}/")
    panel = page.get_by_test_id("activity-panel")
    panel.get_by_test_id("quick-call").locator("summary").click()
    call_form = panel.get_by_test_id("form-call")
    call_form.locator("input[name=subject]").fill("Discussed pricing")
    call_form.locator("select[name=outcome]").select_option("connected")
    call_form.locator("input[name=duration_minutes]").fill("12")
    call_form.get_by_test_id("submit-call").click()
    timeline = page.get_by_test_id("timeline")
    expect(
        timeline.get_by_test_id("timeline-subject").filter(has_text="Discussed pricing")
    ).to_be_visible()

    panel = page.get_by_test_id("activity-panel")
    panel.get_by_test_id("quick-meeting").locator("summary").click()
    meeting_form = panel.get_by_test_id("form-meeting")
    meeting_form.locator("input[name=subject]").fill("Product demo")
    meeting_form.locator("input[name=starts_at]").fill("2030-03-10T15:00")
    meeting_form.locator("input[name=ends_at]").fill("2030-03-10T16:00")
    meeting_form.locator("input[name=time_zone]").fill("Europe/London")
    meeting_form.locator("input[name=attendee_emails]").fill("pat@example.com")
    meeting_form.get_by_test_id("submit-meeting").click()
    timeline = page.get_by_test_id("timeline")
    expect(
        timeline.get_by_test_id("timeline-subject").filter(has_text="Product demo")
    ).to_be_visible()
    expect(timeline.get_by_test_id("timeline-ics")).to_have_count(1)
    screenshot("1-contact-timeline")

    call = Activity.objects.get(subject="Discussed pricing")
    assert (call.kind, call.duration_seconds, call.outcome) == ("call", 720, "connected")
    meeting = Activity.objects.get(subject="Product demo")
    assert sorted(meeting.attendees.values_list("email", flat=True)) == [
        "pat@example.com",
        "ravi@example.in",
    ]
    assert meeting.time_zone == "Europe/London"

    page.get_by_test_id("nav-my-day").click()
    expect(page.get_by_test_id("page-title")).to_be_visible()
    overdue = page.get_by_test_id("section-overdue")
    expect(overdue.get_by_test_id("activity-subject")).to_have_text("Send the revised quote")
    expect(page.get_by_test_id("reminder")).to_have_count(1)
    shot = screenshot("2-my-day")
    to_docs(shot, "my-day.png")
    overdue.get_by_test_id("complete").click()
    expect(overdue.get_by_test_id("activity-done")).to_be_visible()
    task.refresh_from_db()
    assert task.status == ActivityStatus.DONE
    page.get_by_test_id("dismiss").click()
    expect(page.get_by_test_id("reminder")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("reminder-badge")).to_have_count(0)
