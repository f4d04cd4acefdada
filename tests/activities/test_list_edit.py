"""The activity pages beyond "my day": the edit form (by kind, with the version it was built
from), the delete confirmation, and the activities list with its filters and "More"."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sambandh.activities.models import Activity, MeetingAttendee
from sambandh.core.models import AuditEntry, User
from tests.activities.helpers import at, make_call, make_meeting, make_task
from tests.factories import make_contact

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _snapshot(activity: Activity) -> tuple[Any, ...]:
    fresh = Activity.objects.get(pk=activity.pk)
    return (fresh.version, fresh.subject, fresh.status, fresh.due_at, fresh.occurred_at)


def _edit(client: Client, activity: Activity, **changes: str) -> Any:
    """Post the edit form as the page built it, with ``changes`` typed in."""
    page = client.get(f"/activities/{activity.pk}/edit/").content.decode()
    form = page[page.index('data-testid="activity-edit-form"') :]
    form = form[: form.index("</form>")]
    data: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if name and (kind is None or kind.group(1) != "checkbox"):
            data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = body
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        data[name] = chosen.group(1) if chosen else ""
    data = {k: v.replace("&amp;", "&").replace("&#x27;", "'") for k, v in data.items()}
    data.update(changes)
    return client.post(f"/activities/{activity.pk}/edit/", data)


# ---------------------------------------------------------------- edit


def test_the_owner_edits_a_task_and_completes_it_from_the_form(owner) -> None:
    contact = make_contact(owner)
    task = make_task(owner, contact_id=contact.pk, subject="Call back", due_at="2030-01-15T10:00")
    client = _client(owner)
    detail = client.get(f"/activities/{task.pk}/").content.decode()
    assert 'data-testid="edit-activity"' in detail
    page = client.get(f"/activities/{task.pk}/edit/").content.decode()
    assert 'value="2030-01-15T10:00"' in page  # shown in the owner's zone (Asia/Kolkata)
    response = _edit(
        client,
        task,
        subject="Call back about the quote",
        due_at="2030-01-16T09:30",
        priority="high",
        status="done",
    )
    assert response.status_code == 302
    assert response["Location"] == f"/activities/{task.pk}/"
    task.refresh_from_db()
    assert task.subject == "Call back about the quote"
    assert task.due_at == at(2030, 1, 16, 4, 0)  # 09:30 in Kolkata
    assert (task.priority, task.status) == ("high", "done")
    assert task.completed_at is not None


def test_an_untouched_call_keeps_its_seconds_and_a_changed_duration_is_saved(owner) -> None:
    contact = make_contact(owner)
    call = make_call(
        owner,
        contact_id=contact.pk,
        occurred_at="2030-01-15T10:00:42+00:00",
        duration_seconds=90,
    )
    client = _client(owner)
    audits = AuditEntry.objects.count()
    assert _edit(client, call).status_code == 302
    call.refresh_from_db()
    assert (call.occurred_at, call.duration_seconds, call.version) == (
        dt.datetime(2030, 1, 15, 10, 0, 42, tzinfo=dt.UTC),
        90,
        1,
    )
    assert AuditEntry.objects.count() == audits  # nothing changed, nothing recorded
    assert _edit(client, call, duration_minutes="5", outcome="busy").status_code == 302
    call.refresh_from_db()
    assert (call.duration_seconds, call.outcome, call.version) == (300, "busy", 2)


def test_a_meeting_moves_to_another_zone_and_keeps_its_contact_attendee(owner) -> None:
    contact = make_contact(owner, email="ravi@example.com")
    meeting = make_meeting(
        owner,
        contact_id=contact.pk,
        attendees=[{"contact_id": contact.pk}, {"email": "old@example.com"}],
    )
    client = _client(owner)
    response = _edit(
        client,
        meeting,
        time_zone="Europe/London",
        starts_at="2030-01-15T10:00",
        ends_at="2030-01-15T11:30",
        attendee_emails="ravi@example.com, new@example.com",
        location="Pune office",
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.time_zone, meeting.location) == ("Europe/London", "Pune office")
    assert (meeting.occurred_at, meeting.ends_at) == (
        at(2030, 1, 15, 10, 0),
        at(2030, 1, 15, 11, 30),
    )
    assert meeting.ical_sequence == 1
    attendees = {a.email: a.contact_id for a in MeetingAttendee.objects.filter(activity=meeting)}
    assert attendees == {"ravi@example.com": contact.pk, "new@example.com": None}


def test_a_stale_version_is_a_conflict_and_overwrites_nothing(owner) -> None:
    contact = make_contact(owner)
    task = make_task(owner, contact_id=contact.pk, subject="Original")
    client = _client(owner)
    response = client.post(
        f"/activities/{task.pk}/edit/",
        {"version": "0", "subject": "Mine", "priority": "normal", "status": "open"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "This record was changed by someone else." in html
    assert 'data-testid="reload-form"' in html
    assert 'value="Mine"' in html  # the typed text is not lost from the screen
    assert Activity.objects.get(pk=task.pk).subject == "Original"


def test_bad_input_shows_each_fields_error_and_writes_nothing(owner) -> None:
    contact = make_contact(owner)
    meeting = make_meeting(owner, contact_id=contact.pk, subject="Demo")
    call = make_call(owner, contact_id=contact.pk)
    client = _client(owner)
    before = (_snapshot(meeting), _snapshot(call), AuditEntry.objects.count())
    response = _edit(
        client,
        meeting,
        subject="",
        ends_at="2030-01-15T09:00",
        time_zone="Mars/Olympus",
        attendee_emails="not-an-address",
    )
    assert response.status_code == 400
    html = response.content.decode()
    for name in ("subject", "time_zone", "attendee_emails"):
        assert f'data-testid="errors-{name}"' in html, name
    assert 'value="not-an-address"' in html
    response = _edit(client, call, occurred_at="", duration_minutes="abc")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="errors-occurred_at"' in html
    assert 'data-testid="errors-duration_minutes"' in html
    response = _edit(client, make_task(owner, contact_id=contact.pk), status="cancelled")
    assert response.status_code == 400
    assert 'data-testid="errors-status"' in response.content.decode()
    assert (_snapshot(meeting), _snapshot(call), AuditEntry.objects.count()) == (
        before[0],
        before[1],
        before[2] + 1,  # the task made just above
    )


def test_a_teammate_who_may_only_read_gets_403_and_no_edit_link(owner, teammate) -> None:
    contact = make_contact(owner)
    task = make_task(owner, contact_id=contact.pk, subject="Owner's task")
    client = _client(teammate)
    detail = client.get(f"/activities/{task.pk}/")
    assert detail.status_code == 200
    assert 'data-testid="edit-activity"' not in detail.content.decode()
    assert 'data-testid="delete-activity"' not in detail.content.decode()
    before = (_snapshot(task), AuditEntry.objects.count())
    assert client.get(f"/activities/{task.pk}/edit/").status_code == 403
    response = client.post(
        f"/activities/{task.pk}/edit/", {"version": str(task.version), "subject": "Taken"}
    )
    assert response.status_code == 403
    assert client.post(f"/activities/{task.pk}/delete/").status_code == 403
    assert (_snapshot(task), AuditEntry.objects.count()) == before


def test_someone_outside_the_scope_gets_404(owner, outsider) -> None:
    contact = make_contact(owner)
    task = make_task(owner, contact_id=contact.pk)
    client = _client(outsider)
    before = (_snapshot(task), AuditEntry.objects.count())
    for url in (f"/activities/{task.pk}/edit/", f"/activities/{task.pk}/delete/"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"version": "1", "subject": "x"}).status_code == 404
    assert (_snapshot(task), AuditEntry.objects.count()) == before


# ---------------------------------------------------------------- delete


def test_delete_asks_first_then_returns_to_the_contact(owner) -> None:
    contact = make_contact(owner)
    task = make_task(owner, contact_id=contact.pk, subject="Obsolete")
    client = _client(owner)
    confirm = client.get(f"/activities/{task.pk}/delete/")
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "csrfmiddlewaretoken" in html
    assert 'data-testid="confirm-delete"' in html
    assert Activity.objects.filter(pk=task.pk).exists()  # asking deletes nothing
    response = client.post(f"/activities/{task.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.pk}/#activities"
    assert not Activity.objects.filter(pk=task.pk).exists()
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None and entry.action == "delete"


def test_delete_from_the_list_goes_back_to_the_list_but_never_off_site(owner) -> None:
    contact = make_contact(owner)
    first, second = make_task(owner, contact_id=contact.pk), make_task(owner, contact_id=contact.pk)
    client = _client(owner)
    response = client.post(f"/activities/{first.pk}/delete/", {"next": "/activities/?kind=task"})
    assert response["Location"] == "/activities/?kind=task"
    response = client.post(f"/activities/{second.pk}/delete/", {"next": "//evil.example/"})
    assert response["Location"] == f"/contacts/{contact.pk}/#activities"


# ---------------------------------------------------------------- the list


def _rows(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-testid="activity-list-row" data-id="(\d+)"', html)]


def test_the_list_filters_by_kind_status_owner_and_due_range(owner, teammate) -> None:
    contact = make_contact(owner)
    # Due 20:00 UTC on the 14th is already the 15th in Kolkata (the owner's zone).
    late = make_task(owner, contact_id=contact.pk, due_at="2030-01-14T20:00:00+00:00")
    early = make_task(owner, contact_id=contact.pk, due_at="2030-01-14T10:00:00+00:00")
    call = make_call(owner, contact_id=contact.pk)
    theirs = make_task(teammate, contact_id=contact.pk, due_at="2030-01-15T06:00:00+00:00")
    meeting = make_meeting(owner, contact_id=contact.pk)  # 15 January 10:00 Kolkata
    client = _client(owner)

    def ids(query: str) -> set[int]:
        response = client.get(f"/activities/?{query}")
        assert response.status_code == 200, response.content[:500]
        return set(_rows(response.content.decode()))

    everything = {late.pk, early.pk, call.pk, theirs.pk, meeting.pk}
    assert ids("") == everything
    assert ids("kind=call") == {call.pk}
    assert ids("status=done") == {call.pk}
    assert ids("owner=me") == everything - {theirs.pk}
    assert ids("due_from=2030-01-15&due_to=2030-01-15") == {late.pk, theirs.pk, meeting.pk}
    assert ids("kind=task&owner=me&due_to=2030-01-14") == {early.pk}


def test_bad_filters_are_a_400_with_the_reason(owner) -> None:
    client = _client(owner)
    response = client.get("/activities/?due_from=15/01/2030&kind=visit")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a date as YYYY-MM-DD." in html
    assert client.get("/activities/?cursor=zzz").status_code == 400
    assert client.get("/activities/?owner=everyone").status_code == 400


def test_more_loads_the_next_page_and_the_query_count_stays_flat(owner) -> None:
    contact = make_contact(owner)
    for i in range(3):
        make_call(owner, contact_id=contact.pk, occurred_at=f"2030-01-01T10:{i:02d}")
    client = _client(owner)
    with CaptureQueriesContext(connection) as few:
        client.get("/activities/")
    for i in range(60):
        make_call(owner, contact_id=contact.pk, occurred_at=f"2030-01-02T10:{i:02d}")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/activities/").content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    counts = [q["sql"].upper() for q in many.captured_queries if "COUNT(" in q["sql"].upper()]
    assert all("LIMIT" in sql for sql in counts)  # only the bounded reminder badge counts
    first = _rows(page)
    assert len(first) == 50
    start = page.index('hx-get="', page.index('data-testid="load-more-row"')) + len('hx-get="')
    next_url = page[start : page.index('"', start)].replace("&amp;", "&")
    more = client.get(next_url, **HTMX)
    assert more.status_code == 200
    rest = _rows(more.content.decode())
    assert len(rest) == 13
    assert not set(first) & set(rest)
    assert 'data-testid="load-more"' not in more.content.decode()
    assert "<html" not in more.content.decode()


def test_the_list_shows_dates_in_the_users_zone_and_is_in_the_nav(owner) -> None:
    contact = make_contact(owner)
    make_task(owner, contact_id=contact.pk, due_at="2030-01-14T20:00:00+00:00")
    owner.time_zone = "America/New_York"
    owner.save(update_fields=["time_zone"])
    html = _client(owner).get("/activities/").content.decode()
    assert 'datetime="2030-01-14T15:00:00-05:00"' in html
    assert "America/New_York" in html
    assert 'data-testid="nav-activities"' in html


# ---------------------------------------------------------------- Hindi


def test_the_list_edit_and_delete_pages_speak_hindi(owner) -> None:
    owner.language = "hi"
    owner.save(update_fields=["language"])
    contact = make_contact(owner)
    task = make_task(owner, contact_id=contact.pk)
    client = _client(owner)
    listing = client.get("/activities/").content.decode()
    assert "गतिविधियाँ" in listing  # Activities
    assert "सबसे पहले नियत" in listing  # Due soonest
    edit = client.get(f"/activities/{task.pk}/edit/").content.decode()
    assert "संपादित करें" in edit  # Edit
    assert "समय आपके समय क्षेत्र (Asia/Kolkata) में हैं।" in edit
    response = _edit(client, task, subject="")
    assert response.status_code == 400
    assert "यह फ़ील्ड आवश्यक है।" in response.content.decode()  # This field is required.
    confirm = client.get(f"/activities/{task.pk}/delete/").content.decode()
    assert "गतिविधि हटा दी जाएगी।" in confirm
    bad = client.get("/activities/?due_to=tomorrow").content.decode()
    assert "तारीख़ YYYY-MM-DD के रूप में दर्ज करें।" in bad
