"""Exports of the activities list: its filters (kind, status, owner, due range in the user's
days, sort), the export scope, names beside ids, ISO times, neutralised cells, the audit entry
and the refusals; through the API and the list page."""

from __future__ import annotations

import json

import pytest

from sambandh.activities.models import Activity
from sambandh.core.models import AuditEntry, User
from sambandh.dataio.exports.kinds import ACTIVITY_COLUMNS
from sambandh.dataio.exports.models import ExportJob
from tests.activities.helpers import make_call, make_meeting, make_task
from tests.api.conftest import client_for
from tests.exports import body as _body
from tests.exports import csv_rows as _csv
from tests.exports import export_count as _exports
from tests.exports import signed_in as _page
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def activities(owner: User, manager: User) -> dict[str, Activity]:
    contact = make_contact(owner, first_name="Anita", last_name="Mehta")
    return {
        # Due 20:00 UTC on the 14th is already the 15th in Kolkata (everyone's zone here).
        "late": make_task(
            owner, subject="=cmd|' /C calc'!A0", contact_id=contact.pk,
            due_at="2030-01-14T20:00:00+00:00",
        ),
        "early": make_task(owner, subject="Early", contact_id=contact.pk,
                           due_at="2030-01-14T10:00:00+00:00"),
        "call": make_call(owner, subject="Call", contact_id=contact.pk,
                          occurred_at="2030-01-10T09:30:00+00:00"),
        "meeting": make_meeting(
            owner, subject="Meeting", contact_id=contact.pk,
            attendees=[{"email": "guest@example.com", "name": "Guest"}],
        ),
        "mine": make_task(
            manager, subject="Manager's", contact_id=make_contact(manager).pk,
            due_at="2030-02-01T10:00:00+00:00",
        ),
    }  # fmt: skip


def test_an_activities_csv_has_names_iso_times_and_neutralised_cells(
    manager: User, owner: User, activities: dict[str, Activity]
) -> None:
    before = _exports()
    rows = _csv(client_for(manager).get("/activities/export?kind=task&sort=due_at"))
    assert list(rows[0]) == list(ACTIVITY_COLUMNS)
    assert [r["id"] for r in rows] == [str(activities[k].pk) for k in ("early", "late", "mine")]
    late = rows[1]
    assert late["subject"] == "'=cmd|' /C calc'!A0"
    assert (late["owner_id"], late["owner_name"]) == (str(owner.pk), "Asha Rao")
    assert late["contact_name"] == "Anita Mehta"
    assert (late["account_name"], late["deal_name"]) == ("", "")
    assert late["due_at"] == "2030-01-14T20:00:00+00:00"
    assert "attendees" not in late
    assert _exports() == before + 1
    entry = AuditEntry.objects.filter(action="export").latest("seq")
    assert (entry.actor, entry.object_type) == (manager, "activity")
    assert entry.changes["selection"]["filters"] == {"kind": "task"}


def test_the_activities_json_is_the_api_list_with_the_names(
    manager: User, activities: dict[str, Activity]
) -> None:
    api = client_for(manager)
    exported = json.loads(_body(api.get("/activities/export?format=json")))
    listed = api.get("/activities").json()["items"]
    assert [r["id"] for r in exported] == [a["id"] for a in listed]
    for record in exported:
        for name in ("owner_name", "contact_name", "account_name", "deal_name"):
            record.pop(name)
    assert exported == listed
    meeting = next(r for r in exported if r["id"] == activities["meeting"].pk)
    assert [a["email"] for a in meeting["attendees"]] == ["guest@example.com"]


def test_the_api_filters_by_owner_and_due_range(
    manager: User, owner: User, activities: dict[str, Activity]
) -> None:
    api = client_for(manager)
    rows = _csv(api.get(f"/activities/export?owner_id={manager.pk}"))
    assert [r["subject"] for r in rows] == ["Manager's"]
    rows = _csv(api.get("/activities/export?due_from=2030-01-15T00:00&due_to=2030-01-16T00:00"))
    assert {r["id"] for r in rows} == {str(activities[k].pk) for k in ("late", "meeting")}


@pytest.mark.parametrize("persona", ["owner", "agent", "marketer", "reader"])
def test_roles_without_the_activity_export_grant_are_refused(
    persona: str, request: pytest.FixtureRequest, activities: dict[str, Activity]
) -> None:
    user: User = request.getfixturevalue(persona)
    before = _exports()
    response = client_for(user).get("/activities/export")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert _page(user).post("/activities/export/", {"format": "csv"}).status_code == 403
    assert _exports() == before
    assert ExportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=vcf", "format"),
        ("kind=visit", "kind"),
        ("owner_id=me", "owner_id"),
        ("shoe_size=9", "shoe_size"),
        ("due_from=tomorrow", "due_from"),
        ("sort=subject", "sort"),
    ],
)
def test_bad_activity_export_input_is_a_400(
    manager: User, activities: dict[str, Activity], query: str, field: str
) -> None:
    before = _exports()
    response = client_for(manager).get(f"/activities/export?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert _exports() == before


def test_the_activities_page_offers_the_export_with_its_selection(
    manager: User, owner: User, activities: dict[str, Activity]
) -> None:
    page = _page(manager).get("/activities/?kind=task&owner=me").content.decode()
    assert 'data-testid="export-menu"' in page
    assert 'action="/activities/export/?kind=task&amp;owner=me"' in page
    assert 'data-testid="export-menu"' not in _page(owner).get("/activities/").content.decode()


def test_the_activities_page_export_reads_the_list_as_the_page_does(
    manager: User, activities: dict[str, Activity]
) -> None:
    client = _page(manager)
    assert client.get("/activities/export/").status_code == 405  # a GET never writes
    mine = _csv(client.post("/activities/export/?owner=me", {"format": "csv"}))
    assert [r["subject"] for r in mine] == ["Manager's"]
    # A day in the user's own zone: the 15th in Kolkata holds the task due 20:00 UTC on the
    # 14th and the meeting, not the one due 10:00 UTC on the 14th.
    rows = _csv(
        client.post(
            "/activities/export/?due_from=2030-01-15&due_to=2030-01-15&sort=due_at",
            {"format": "csv"},
        )
    )
    assert [r["id"] for r in rows] == [str(activities[k].pk) for k in ("late", "meeting")]


def test_the_activities_page_export_refuses_bad_filters(
    manager: User, activities: dict[str, Activity]
) -> None:
    before = _exports()
    client = _page(manager)
    for query in ("?due_from=15/01/2030", "?owner=everyone", "?sort=subject"):
        assert client.post(f"/activities/export/{query}", {"format": "csv"}).status_code == 400
    assert _exports() == before
