"""The activities API: create each kind, read, change, complete, delete, list with filters,
timelines of contacts, companies and deals."""

from __future__ import annotations

from sambandh.activities.models import Activity
from sambandh.core.models import AuditEntry
from tests.activities.helpers import make_call, make_deal, make_meeting, make_task
from tests.api.conftest import client_for
from tests.factories import make_account, make_contact


def test_each_kind_is_created_through_its_own_endpoint(owner) -> None:
    contact = make_contact(owner, email="ravi@example.in")
    api = client_for(owner)
    task = api.post(
        "/tasks",
        {"subject": "Send brochure", "contact_id": contact.pk, "due_at": "2030-01-02T10:00"},
    )
    assert task.status_code == 201, task.content
    assert task.json()["kind"] == "task"
    assert task.json()["due_at"] == "2030-01-02T04:30:00Z"
    call = api.post(
        "/calls",
        {
            "subject": "Intro",
            "contact_id": contact.pk,
            "duration_seconds": 300,
            "outcome": "connected",
        },
    )
    assert call.status_code == 201
    assert call.json()["status"] == "done"
    email = api.post(
        "/emails",
        {"subject": "Re: pricing", "contact_id": contact.pk, "email_to": ["ravi@example.in"]},
    )
    assert email.status_code == 201
    assert email.json()["email_to"] == ["ravi@example.in"]
    meeting = api.post(
        "/meetings",
        {
            "subject": "Demo",
            "contact_id": contact.pk,
            "starts_at": "2030-01-03T15:00",
            "ends_at": "2030-01-03T16:00",
            "time_zone": "Europe/London",
            "attendees": [{"contact_id": contact.pk}],
        },
    )
    assert meeting.status_code == 201, meeting.content
    body = meeting.json()
    assert body["starts_at"] == "2030-01-03T15:00:00Z"
    assert body["attendees"][0]["email"] == "ravi@example.in"
    # The contact has no zone of their own: they are invited in the meeting's.
    assert body["attendees"][0]["time_zone"] == "Europe/London"


def test_bad_input_is_a_translated_400_and_nothing_is_written(owner) -> None:
    contact = make_contact(owner)
    api = client_for(owner)
    before = (Activity.objects.count(), AuditEntry.objects.count())
    response = api.post(
        "/meetings",
        {
            "subject": "x",
            "contact_id": contact.pk,
            "starts_at": "2030-01-03T15:00",
            "ends_at": "2030-01-03T14:00",
            "time_zone": "Asia/Kolkata",
        },
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["fields"] == {"ends_at": ["The end must be after the start."]}
    assert api.post("/tasks", {"subject": "x"}).status_code == 400
    unknown = api.post(
        "/tasks",
        {"subject": "x", "contact_id": contact.pk, "colour": "red"},
        **{"Accept-Language": "hi"},
    )
    assert unknown.status_code == 400
    assert unknown.json()["fields"]["colour"] == ["अज्ञात फ़ील्ड।"]
    assert (Activity.objects.count(), AuditEntry.objects.count()) == before


def test_patch_complete_reopen_and_delete(owner) -> None:
    task = make_task(owner, contact_id=make_contact(owner).pk, subject="Old")
    api = client_for(owner)
    changed = api.patch(f"/activities/{task.pk}", {"subject": "New", "version": 1})
    assert changed.status_code == 200
    assert changed.json()["subject"] == "New"
    assert changed.json()["version"] == 2
    stale = api.patch(f"/activities/{task.pk}", {"subject": "Stale", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert api.post(f"/activities/{task.pk}/complete", {"version": 1}).status_code == 409
    done = api.post(f"/activities/{task.pk}/complete")
    assert done.json()["status"] == "done"
    assert api.post(f"/activities/{task.pk}/reopen").json()["status"] == "open"
    assert api.delete(f"/activities/{task.pk}").status_code == 204
    assert api.get(f"/activities/{task.pk}").status_code == 404


def test_other_peoples_activities_are_hidden_or_read_only(owner, teammate, outsider) -> None:
    task = make_task(owner, contact_id=make_contact(owner).pk)
    assert client_for(teammate).get(f"/activities/{task.pk}").status_code == 200
    denied = client_for(teammate).post(f"/activities/{task.pk}/complete")
    assert denied.status_code == 403
    assert client_for(outsider).get(f"/activities/{task.pk}").status_code == 404
    assert client_for(outsider).delete(f"/activities/{task.pk}").status_code == 404
    assert Activity.objects.get(pk=task.pk).status == "open"


def test_the_list_filters_and_pages(owner, teammate) -> None:
    contact = make_contact(owner)
    other = make_contact(owner)
    t1 = make_task(owner, contact_id=contact.pk, due_at="2030-01-01T10:00")
    t2 = make_task(owner, contact_id=contact.pk, due_at="2030-01-05T10:00")
    call = make_call(owner, contact_id=other.pk)
    meeting = make_meeting(owner, contact_id=contact.pk)
    mine_teammate = make_task(teammate, contact_id=contact.pk)
    api = client_for(owner)

    def ids(query: str) -> list[int]:
        response = api.get(f"/activities?{query}")
        assert response.status_code == 200, response.content
        return [a["id"] for a in response.json()["items"]]

    assert ids(f"kind=task&owner_id={owner.pk}&sort=due_at") == [t1.pk, t2.pk]
    assert ids(f"contact_id={other.pk}") == [call.pk]
    assert ids("status=done") == [call.pk]
    assert set(ids("kind=task")) == {t1.pk, t2.pk, mine_teammate.pk}
    assert ids("kind=task&due_from=2030-01-02T00:00&due_to=2030-01-06T00:00") == [t2.pk]
    assert ids("kind=meeting") == [meeting.pk]
    first = api.get("/activities?limit=2").json()
    second = api.get(f"/activities?limit=2&cursor={first['next_cursor']}").json()
    assert not {a["id"] for a in first["items"]} & {a["id"] for a in second["items"]}
    assert api.get("/activities?kind=visit").status_code == 400
    assert api.get("/activities?due_from=tomorrow").status_code == 400
    assert api.get("/activities?sort=subject").status_code == 400


def test_timelines_of_each_parent_kind(owner, outsider) -> None:
    account = make_account(owner)
    contact = make_contact(owner, account_id=account.pk)
    deal = make_deal(owner, account=account)
    make_call(owner, contact_id=contact.pk, deal_id=deal.pk)
    api = client_for(owner)
    for path in (f"/contacts/{contact.pk}", f"/accounts/{account.pk}", f"/deals/{deal.pk}"):
        response = api.get(f"{path}/timeline")
        assert response.status_code == 200, path
        kinds = [i["kind"] for i in response.json()["items"]]
        assert "activity" in kinds, path
        assert client_for(outsider).get(f"{path}/timeline").status_code == 404
    page = api.get(f"/contacts/{contact.pk}/timeline?limit=1").json()
    assert page["items"][0]["activity"]["subject"].startswith("Call")
    assert page["next_cursor"]
    rest = api.get(f"/contacts/{contact.pk}/timeline?limit=100&cursor={page['next_cursor']}").json()
    assert [i["kind"] for i in rest["items"]] == ["change"]
    assert rest["items"][0]["change"]["action"] == "create"
    assert rest["next_cursor"] is None
