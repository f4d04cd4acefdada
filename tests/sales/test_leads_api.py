"""The leads API: settings CRUD, capture with dedup, a contact's score, qualify."""

from __future__ import annotations

import pytest

from sambandh.contacts.models import Account, Contact
from sambandh.core.models import AuditEntry
from sambandh.sales.models import Deal, Territory
from sambandh.sales.services.scoring import scoring_rule_create
from tests.api.conftest import client_for
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_territory_crud_with_versions(admin):
    api = client_for(admin)
    created = api.post("/territories", {"name": "India", "countries": ["in"]})
    assert created.status_code == 201
    body = created.json()
    assert (body["countries"], body["version"]) == (["IN"], 1)
    tid = body["id"]
    child = api.post("/territories", {"name": "North", "parent_id": tid, "states": ["Delhi"]})
    assert child.status_code == 201
    cycle = api.patch(f"/territories/{tid}", {"parent_id": child.json()["id"], "version": 1})
    assert cycle.status_code == 400
    assert cycle.json()["fields"] == {"parent_id": ["A territory cannot be inside itself."]}
    renamed = api.patch(f"/territories/{tid}", {"name": "Bharat", "version": 1})
    assert renamed.json()["version"] == 2
    stale = api.patch(f"/territories/{tid}", {"name": "Hind", "version": 1})
    assert stale.status_code == 409
    assert [t["name"] for t in api.get("/territories").json()] == ["Bharat", "North"]
    assert api.delete(f"/territories/{tid}").status_code == 400  # it has a child
    assert api.delete(f"/territories/{child.json()['id']}").status_code == 204
    assert list(Territory.objects.values_list("name", flat=True)) == ["Bharat"]


def test_territory_rejects_hostile_ids(admin):
    api = client_for(admin)
    response = api.post("/territories", {"name": "X", "parent_id": 2**70})
    assert response.status_code == 400
    assert not Territory.objects.exists()


def test_lead_form_crud_and_public_url(marketer):
    api = client_for(marketer)
    created = api.post(
        "/lead-forms", {"name": "Webinar", "slug": "Webinar-2026", "fields": ["phone", "email"]}
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["slug"], body["fields"], body["public_url"]) == (
        "webinar-2026",
        ["email", "phone"],
        "/sales/forms/webinar-2026/",
    )
    duplicate = api.post("/lead-forms", {"name": "Again", "slug": "webinar-2026"})
    assert duplicate.status_code == 400
    assert duplicate.json()["fields"] == {"slug": ["Another form has this address."]}
    bad = api.post("/lead-forms", {"name": "Bad", "slug": "a b", "fields": ["salary"]})
    assert set(bad.json()["fields"]) == {"slug", "fields"}


def test_scoring_and_assignment_rule_crud(marketer, north):
    api = client_for(marketer)
    rule = api.post(
        "/scoring-rules",
        {
            "name": "Opened",
            "kind": "behaviour",
            "event": "email_opened",
            "points": 4,
            "decay_days": 30,
        },
    )
    assert rule.status_code == 201
    assert rule.json()["decay_days"] == 30
    patched = api.patch(f"/scoring-rules/{rule.json()['id']}", {"points": 6, "version": 1})
    assert patched.json()["points"] == 6
    assignment = api.post(
        "/assignment-rules",
        {
            "name": "RR",
            "strategy": "round_robin",
            "team_id": north.pk,
            "conditions": {"country": "IN"},
        },
    )
    assert assignment.status_code == 201
    assert assignment.json()["conditions"] == {"country": "IN"}
    assert api.delete(f"/assignment-rules/{assignment.json()['id']}").status_code == 204


def test_capture_creates_then_updates_by_email(marketer):
    api = client_for(marketer)
    first = api.post("/leads", {"email": "Ravi@Example.in", "first_name": "Ravi"})
    assert first.status_code == 201
    body = first.json()
    assert body["was_created"] is True
    assert (body["contact"]["lifecycle_stage"], body["contact"]["source"]) == ("lead", "api")
    second = api.post("/leads", {"email": "ravi@example.in", "first_name": "", "job_title": "CFO"})
    assert second.status_code == 200
    assert second.json()["was_created"] is False
    assert second.json()["contact"]["id"] == body["contact"]["id"]
    contact = Contact.objects.get()
    assert (contact.first_name, contact.job_title) == ("Ravi", "CFO")


def test_capture_validates_with_field_messages(marketer):
    api = client_for(marketer)
    response = api.post("/leads", {"email": "nope", "country": "Atlantis"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"email", "country"}
    assert not Contact.objects.exists()


def test_capture_in_hindi(marketer):
    api = client_for(marketer)
    response = api.post("/leads", {"email": "nope"}, **{"Accept-Language": "hi"})
    assert response.status_code == 400
    assert response.json()["fields"]["email"] == ["मान्य ईमेल पता दर्ज करें।"]


def test_score_with_reasons(admin, marketer):
    scoring_rule_create(
        actor=marketer,
        data={
            "name": "India",
            "kind": "attribute",
            "field": "country",
            "operator": "equals",
            "value": "IN",
            "points": 10,
        },
    )
    contact = make_contact(admin, country="IN")
    response = client_for(admin).get(f"/contacts/{contact.pk}/score")
    assert response.json() == {
        "contact_id": contact.pk,
        "total": 10,
        "stored": 10,
        "reasons": [
            {
                "rule_id": response.json()["reasons"][0]["rule_id"],
                "rule": "India",
                "kind": "attribute",
                "points": 10,
                "detail": "Country equals IN",
            }
        ],
    }


def test_score_of_a_contact_out_of_sight_is_not_found(admin, owner):
    contact = make_contact(admin)
    assert client_for(owner).get(f"/contacts/{contact.pk}/score").status_code == 404


def test_qualify_through_the_api(owner):
    contact = make_contact(owner, lifecycle_stage="lead", country="IN")
    response = client_for(owner).post(
        f"/contacts/{contact.pk}/qualify",
        {
            "create_account_name": "Ravi Traders",
            "deal": {"name": "First order", "amount": "120000", "expected_close_on": "2026-09-30"},
            "version": contact.version,
        },
    )
    assert response.status_code == 201
    body = response.json()
    deal = Deal.objects.get(pk=body["deal_id"])
    assert (deal.name, deal.account_id, body["contact"]["lifecycle_stage"]) == (
        "First order",
        body["account_id"],
        "opportunity",
    )


def test_qualify_with_bad_deal_data_changes_nothing(owner):
    contact = make_contact(owner, lifecycle_stage="lead")
    api = client_for(owner)
    before = (AuditEntry.objects.count(), Account.objects.count())
    response = api.post(
        f"/contacts/{contact.pk}/qualify",
        {"create_account_name": "Ravi Traders", "deal": {"name": "", "amount": "-1"}},
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"deal.name", "deal.amount"}
    assert (AuditEntry.objects.count(), Account.objects.count()) == before
    assert not Deal.objects.exists()


def test_qualify_with_a_stale_version_is_a_conflict(owner):
    contact = make_contact(owner, lifecycle_stage="lead")
    response = client_for(owner).post(
        f"/contacts/{contact.pk}/qualify",
        {"create_account_name": "Late Ltd", "deal": {"name": "Late"}, "version": 99},
    )
    assert response.status_code == 409
    assert not Account.objects.exists()
    assert not Deal.objects.exists()
