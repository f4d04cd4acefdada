"""Batches of up to 1,000 contacts or companies: per-record results, stated semantics."""

from __future__ import annotations

from typing import Any

import pytest

from sambandh.contacts.models import Account, Contact
from sambandh.core.models import AuditEntry, User
from tests.api.conftest import client_for
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def _batch(user: User, path: str = "/contacts/batch", **body: Any) -> Any:
    return client_for(user).post(path, body)


def test_valid_records_are_written_and_invalid_ones_reported(admin: User) -> None:
    api = client_for(admin)
    before = AuditEntry.objects.filter(action="create").count()
    response = api.post(
        "/contacts/batch",
        {
            "records": [
                {"first_name": "Asha", "email": "Asha@Example.com", "phone": "98200 12345"},
                {"first_name": "Bad", "email": "not-an-email"},
                {"first_name": "Ravi", "shoe_size": 42},
                {"first_name": "अनीता", "country": "IN"},
            ]
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["applied"] is True
    assert (body["created"], body["updated"], body["failed"]) == (2, 0, 2)
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [(0, "created"), (1, "failed"), (2, "failed"), (3, "created")]
    assert "email" in body["results"][1]["fields"]
    assert body["results"][1]["code"] == "validation_error"
    assert "shoe_size" in body["results"][2]["fields"]
    asha = Contact.objects.get(pk=body["results"][0]["id"])
    assert (asha.email, asha.phone) == ("asha@example.com", "+919820012345")
    # Every written record has its audit entry; the failed ones left nothing.
    assert AuditEntry.objects.filter(action="create").count() == before + 2
    assert not Contact.objects.filter(first_name__in=["Bad", "Ravi"]).exists()


def test_all_or_nothing_writes_nothing_when_one_fails(admin: User) -> None:
    api = client_for(admin)
    before = (Contact.objects.count(), AuditEntry.objects.count())
    body = api.post(
        "/contacts/batch",
        {
            "all_or_nothing": True,
            "records": [{"first_name": "One"}, {"first_name": "Two", "email": "broken@"}],
        },
    ).json()
    assert body["applied"] is False
    assert [r["status"] for r in body["results"]] == ["rolled_back", "failed"]
    assert body["results"][0]["id"] is None
    assert (Contact.objects.count(), AuditEntry.objects.count()) == before


def test_upsert_by_email_updates_the_known_and_creates_the_new(admin: User) -> None:
    known = make_contact(admin, first_name="Old", email="known@example.com")
    body = _batch(
        admin,
        mode="upsert",
        match_on="email",
        records=[
            {"email": "KNOWN@example.com", "first_name": "Known", "city": "Pune"},
            {"email": "new@example.com", "first_name": "New"},
        ],
    ).json()
    assert [(r["status"], r["id"]) for r in body["results"]][0] == ("updated", known.pk)
    assert body["results"][1]["status"] == "created"
    known.refresh_from_db()
    assert (known.first_name, known.city, known.version) == ("Known", "Pune", 2)


def test_update_by_id_keeps_optimistic_locking(admin: User) -> None:
    contact = make_contact(admin, first_name="Meera")
    body = _batch(
        admin,
        mode="update",
        records=[
            {"id": contact.pk, "version": contact.version + 5, "city": "Delhi"},
            {"id": 999_999, "city": "Delhi"},
        ],
    ).json()
    assert [r["code"] for r in body["results"]] == ["conflict", "not_found"]
    contact.refresh_from_db()
    assert contact.city == ""


def test_records_outside_the_scope_are_not_found_and_a_read_only_one_is_denied(
    owner: User, outsider: User, teammate: User
) -> None:
    theirs = make_contact(outsider, first_name="Elsewhere")
    teammates = make_contact(teammate, first_name="Teammate")  # readable, not the owner's
    body = _batch(
        owner,
        mode="update",
        records=[{"id": theirs.pk, "city": "Pune"}, {"id": teammates.pk, "city": "Pune"}],
    ).json()
    assert [r["code"] for r in body["results"]] == ["not_found", "permission_denied"]
    assert not Contact.objects.filter(city="Pune").exists()


def test_a_role_that_may_not_create_gets_a_failure_per_record(reader: User) -> None:
    body = _batch(reader, records=[{"first_name": "X"}]).json()
    assert body["results"][0]["code"] == "permission_denied"
    assert not Contact.objects.filter(first_name="X").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"records": []}, "records"),
        ({"records": [{}] * 1001}, "records"),
        ({"records": [{"first_name": "A"}, "not an object"]}, "records"),
        ({"mode": "merge", "records": [{}]}, "mode"),
        ({"match_on": "phone", "mode": "upsert", "records": [{}]}, "match_on"),
    ],
)
def test_a_bad_batch_is_a_400_and_writes_nothing(
    admin: User, body: dict[str, Any], field: str
) -> None:
    before = Contact.objects.count()
    response = client_for(admin).post("/contacts/batch", body)
    assert response.status_code == 400
    assert field in str(response.json())
    assert Contact.objects.count() == before


def test_create_mode_refuses_an_id(admin: User) -> None:
    body = _batch(admin, records=[{"id": 5, "first_name": "X"}]).json()
    assert "id" in body["results"][0]["fields"]


def test_companies_upsert_by_domain(admin: User) -> None:
    known = make_account(admin, name="Mehta Steel", domain="mehta.in")
    body = _batch(
        admin,
        "/accounts/batch",
        mode="upsert",
        match_on="domain",
        records=[
            {"domain": "https://MEHTA.in/", "industry": "Steel"},
            {"name": "Iyer Textiles", "domain": "iyer.in"},
        ],
    ).json()
    assert [r["status"] for r in body["results"]] == ["updated", "created"]
    known.refresh_from_db()
    assert known.industry == "Steel"
    assert Account.objects.filter(domain="iyer.in").exists()
