from __future__ import annotations

import pytest
from django.urls import reverse

from sambandh.contacts.models import Contact
from tests.factories import make_account, make_contact, make_note
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db


def test_contact_list_page_shows_the_owners_contacts(owner, client_for):
    make_contact(owner, first_name="Meera", last_name="Iyer")
    response = client_for(owner).get(reverse("web:contact_list"))
    assert response.status_code == 200
    assert "Meera Iyer" in response.content.decode()


def test_contact_list_redirects_anonymous_visitors_to_login(client):
    response = client.get(reverse("web:contact_list"))
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/contacts/"


def test_contact_detail_shows_fields_notes_and_history(owner, client_for):
    account = make_account(owner, name="Tata Steel")
    contact = make_contact(owner, first_name="Meera", last_name="Iyer", account_id=account.pk)
    make_note(owner, contact=contact, body="Called about renewal")
    response = client_for(owner).get(reverse("web:contact_detail", args=[contact.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Tata Steel" in body
    assert "Called about renewal" in body
    assert 'data-testid="history-entry"' in body


def test_account_detail_lists_its_contacts(owner, client_for):
    account = make_account(owner, name="Tata Steel")
    make_contact(owner, first_name="Meera", last_name="Iyer", account_id=account.pk)
    response = client_for(owner).get(reverse("web:account_detail", args=[account.pk]))
    assert response.status_code == 200
    assert "Meera Iyer" in response.content.decode()


def test_contact_create_page_renders(owner, client_for):
    response = client_for(owner).get(reverse("web:contact_create"))
    assert response.status_code == 200
    assert 'data-testid="contact-form"' in response.content.decode()


def test_contact_edit_page_renders_with_version(owner, client_for):
    contact = make_contact(owner)
    response = client_for(owner).get(reverse("web:contact_edit", args=[contact.pk]))
    assert response.status_code == 200
    assert f'name="version" value="{contact.version}"' in response.content.decode()


def test_contact_of_another_team_is_not_found(owner, outsider, client_for):
    contact = make_contact(owner)
    response = client_for(outsider).get(reverse("web:contact_detail", args=[contact.pk]))
    assert response.status_code == 404


def test_search_dropdown_finds_a_devanagari_substring(owner, client_for):
    contact = make_contact(owner, first_name="सुनीता", last_name="वर्मा")
    response = client_for(owner).get(reverse("web:search"), {"q": "नीता"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="/contacts/{contact.pk}/"' in body
    assert "<html" not in body
    assert Contact.objects.count() == 1
