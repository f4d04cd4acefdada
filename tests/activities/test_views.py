"""The HTML side: the activity panel on contact, company and deal pages, quick forms, the
timeline's "load more", my day with one-click completion and reminders."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sambandh.activities.models import Activity
from tests.activities.helpers import make_call, make_deal, make_task
from tests.factories import make_account, make_contact

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_contact_company_and_deal_pages_show_the_panel(owner) -> None:
    account = make_account(owner, name="Acme")
    contact = make_contact(owner, account_id=account.pk)
    deal = make_deal(owner, account=account, contacts=[contact], name="Big deal")
    make_call(owner, contact_id=contact.pk, deal_id=deal.pk, subject="Intro call")
    client = _client(owner)
    for url in (f"/contacts/{contact.pk}/", f"/accounts/{account.pk}/", f"/sales/deals/{deal.pk}/"):
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert 'data-testid="activity-panel"' in html, url
        assert "Intro call" in html, url
        assert 'data-testid="form-meeting"' in html, url


def test_a_quick_form_logs_a_call_and_returns_the_refreshed_panel(owner) -> None:
    contact = make_contact(owner)
    client = _client(owner)
    response = client.post(
        f"/activities/contacts/{contact.pk}/new/call/",
        {"subject": "Follow-up", "outcome": "connected", "duration_minutes": "5"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Follow-up" in response.content.decode()
    call = Activity.objects.get(subject="Follow-up")
    assert (call.kind, call.contact_id, call.duration_seconds) == ("call", contact.pk, 300)


def test_a_bad_quick_form_shows_the_errors_and_writes_nothing(owner) -> None:
    contact = make_contact(owner)
    client = _client(owner)
    response = client.post(
        f"/activities/contacts/{contact.pk}/new/meeting/",
        {
            "subject": "Demo",
            "starts_at": "2030-01-01T10:00",
            "ends_at": "2030-01-01T09:00",
            "time_zone": "Asia/Kolkata",
        },
        **HTMX,
    )
    assert response.status_code == 400
    assert "The end must be after the start." in response.content.decode()
    assert not Activity.objects.exists()
    assert client.post(f"/activities/contacts/{contact.pk}/new/visit/", {}).status_code == 404


def test_my_day_completes_a_task_with_one_click_and_shows_the_badge(owner) -> None:
    contact = make_contact(owner)
    task = make_task(
        owner,
        contact_id=contact.pk,
        subject="Send the quote",
        due_at="2020-01-01T10:00",
        reminder_at="2020-01-01T09:00",
    )
    client = _client(owner)
    page = client.get("/activities/my-day/").content.decode()
    assert "Send the quote" in page
    assert 'data-testid="reminder-badge"' in page
    row = client.post(f"/activities/{task.pk}/complete/", **HTMX)
    assert row.status_code == 200
    assert 'data-testid="activity-done"' in row.content.decode()
    assert Activity.objects.get(pk=task.pk).status == "done"
    assert client.post(f"/activities/{task.pk}/dismiss-reminder/", **HTMX).status_code == 200
    assert 'data-testid="reminder-badge"' not in client.get("/activities/my-day/").content.decode()


def test_the_timeline_loads_older_items_as_a_fragment(owner) -> None:
    contact = make_contact(owner)
    for i in range(25):
        make_call(
            owner,
            contact_id=contact.pk,
            subject=f"Call number {i}",
            occurred_at=f"2030-01-01T10:{i:02d}",
        )
    client = _client(owner)
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert page.count('data-testid="timeline-item"') == 20
    marker = 'hx-get="'
    start = page.index(marker, page.index('data-testid="timeline-more"') - 200) + len(marker)
    next_url = page[start : page.index('"', start)].replace("&amp;", "&")
    more = client.get(next_url, **HTMX).content.decode()
    assert more.count('data-testid="timeline-item"') == 6  # 5 calls and the contact's creation
    assert "Call number 0" in more


def test_the_contact_page_query_count_does_not_grow_with_activities(owner) -> None:
    contact = make_contact(owner)
    client = _client(owner)
    make_call(owner, contact_id=contact.pk)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/contacts/{contact.pk}/")
    for _ in range(30):
        make_call(owner, contact_id=contact.pk)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/contacts/{contact.pk}/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_forged_timeline_cursor_is_a_400_and_a_plain_post_goes_back_to_the_record(owner) -> None:
    account = make_account(owner)
    deal = make_deal(owner, account=account)
    client = _client(owner)
    assert client.get(f"/activities/deals/{deal.pk}/timeline/?cursor=zzz").status_code == 400
    response = client.post(f"/activities/deals/{deal.pk}/new/task/", {"subject": "Chase"})
    assert response.status_code == 302
    assert response["Location"] == f"/sales/deals/{deal.pk}/#activities"
    assert Activity.objects.get(subject="Chase").deal_id == deal.pk
