"""A warning before creating a likely duplicate: on the create form and through the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sambandh.contacts.models import Account, Contact
from sambandh.core.models import User
from tests.api.conftest import client_for
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def anita(owner: User) -> Contact:
    account = make_account(owner, name="Mehta Steel", domain="mehta.in", city="Pune")
    return make_contact(
        owner,
        first_name="Anita",
        last_name="Mehta",
        email="anita@mehta.in",
        city="Pune",
        account_id=account.pk,
    )


def test_the_api_names_the_likely_duplicates_and_writes_nothing(
    admin: User, anita: Contact
) -> None:
    before = Contact.objects.count()
    response = client_for(admin).post("/contacts/duplicates", {"email": " ANITA@Mehta.in "})
    assert response.status_code == 200
    assert response.json() == [
        {"id": anita.pk, "title": "Anita Mehta", "score": 100.0, "reasons": ["email"]}
    ]
    assert Contact.objects.count() == before


def test_an_alike_name_in_the_same_city_is_a_likely_duplicate(admin: User, anita: Contact) -> None:
    body = (
        client_for(admin)
        .post(
            "/contacts/duplicates", {"first_name": "Anitha", "last_name": "Mehta", "city": "Pune"}
        )
        .json()
    )
    assert [hit["id"] for hit in body] == [anita.pk]
    assert "name" in body[0]["reasons"] and "city" in body[0]["reasons"]


def test_records_outside_the_scope_are_never_named(outsider: User, anita: Contact) -> None:
    # A Sales rep of another team cannot read Anita, so the check does not reveal her.
    assert (
        client_for(outsider).post("/contacts/duplicates", {"email": "anita@mehta.in"}).json() == []
    )


def test_companies_by_domain(admin: User, anita: Contact) -> None:
    body = client_for(admin).post("/accounts/duplicates", {"website": "https://mehta.in/about"})
    assert body.status_code == 200
    hits = body.json()
    assert [(h["title"], h["reasons"][0]) for h in hits] == [("Mehta Steel", "domain")]
    assert Account.objects.count() == 1


def test_bad_input_is_a_400(admin: User) -> None:
    response = client_for(admin).post("/contacts/duplicates", {"email": ["not", "a", "string"]})
    assert response.status_code == 400


def _form(client: Client, **extra: str) -> Any:
    data = {"first_name": "Anita", "last_name": "M.", "email": "anita@mehta.in", **extra}
    return client.post("/contacts/new/", data)


def test_the_create_form_warns_and_writes_nothing_until_confirmed(
    admin: User, anita: Contact
) -> None:
    client = Client()
    client.force_login(admin)
    before = Contact.objects.count()
    response = _form(client)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="duplicate-warning"' in page
    assert f'href="/contacts/{anita.pk}/"' in page
    assert "same email" in page
    assert Contact.objects.count() == before
    # The values typed are kept, and confirming creates the record.
    assert 'value="anita@mehta.in"' in page
    response = _form(client, create_anyway="1")
    assert response.status_code == 302
    assert Contact.objects.count() == before + 1


def test_the_warning_in_hindi(admin: User, anita: Contact) -> None:
    client = Client()
    client.force_login(admin)
    client.post("/language/", {"language": "hi"})
    page = _form(client).content.decode()
    assert "वही ईमेल" in page
    assert "यह पहले से मौजूद रिकॉर्ड जैसा लगता है:" in page


def test_a_new_person_is_created_without_a_warning(admin: User, anita: Contact) -> None:
    client = Client()
    client.force_login(admin)
    response = client.post("/contacts/new/", {"first_name": "Ravi", "email": "ravi@example.com"})
    assert response.status_code == 302
    assert Contact.objects.filter(email="ravi@example.com").exists()
