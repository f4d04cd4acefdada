"""Custom fields on the HTML pages: bilingual labels, sensitive ones only with a grant."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sambandh.contacts.models import Contact
from sambandh.core.services import custom_field_create
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def tier(admin):
    return custom_field_create(
        actor=admin,
        data={
            "object_type": "contact",
            "key": "tier",
            "field_type": "choice",
            "label_en": "Tier",
            "label_hi": "श्रेणी",
            "choices": [{"value": "gold", "label_en": "Gold", "label_hi": "स्वर्ण"}],
        },
    )


@pytest.fixture
def pan(admin):
    return custom_field_create(
        actor=admin,
        data={
            "object_type": "contact",
            "key": "pan",
            "field_type": "text",
            "label_en": "PAN number",
            "label_hi": "पैन नंबर",
            "is_sensitive": True,
        },
    )


def test_custom_field_is_labelled_and_shown_in_hindi(owner, tier, client_for):
    contact = make_contact(owner, custom={"tier": "gold"})
    client = client_for(owner)
    client.post(reverse("web:language"), {"language": "hi"})
    body = client.get(reverse("web:contact_detail", args=[contact.pk])).content.decode()
    assert "<dt>श्रेणी</dt>" in body
    assert 'data-testid="value-cf.tier">स्वर्ण</span>' in body


def test_custom_field_is_saved_from_the_form(owner, tier, client_for):
    response = client_for(owner).post(
        reverse("web:contact_create"), {"first_name": "Meera", "cf.tier": "gold"}
    )
    assert response.status_code == 302
    assert Contact.objects.get().custom == {"tier": "gold"}


def test_custom_field_with_a_value_not_offered_shows_its_error(owner, tier, client_for):
    response = client_for(owner).post(
        reverse("web:contact_create"), {"first_name": "Meera", "cf.tier": "platinum"}
    )
    assert response.status_code == 400
    assert 'data-testid="errors-cf.tier"' in response.content.decode()
    assert Contact.objects.count() == 0


def test_sensitive_field_is_hidden_from_a_sales_rep(admin, owner, pan, client_for):
    contact = make_contact(admin, owner_id=owner.pk, custom={"pan": "ABCDE1234F"})
    body = client_for(owner).get(reverse("web:contact_detail", args=[contact.pk])).content.decode()
    assert "PAN number" not in body
    assert "ABCDE1234F" not in body


def test_sensitive_field_is_shown_to_an_administrator(admin, pan, client_for):
    contact = make_contact(admin, custom={"pan": "ABCDE1234F"})
    body = client_for(admin).get(reverse("web:contact_detail", args=[contact.pk])).content.decode()
    assert "<dt>PAN number</dt>" in body
    assert "ABCDE1234F" in body


@pytest.fixture
def budget(admin):
    return custom_field_create(
        actor=admin,
        data={
            "object_type": "contact",
            "key": "budget",
            "field_type": "money",
            "label_en": "Budget",
            "label_hi": "बजट",
        },
    )


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_money_custom_field_is_edited_inline_and_shown_in_indian_grouping(
    owner, budget, client_for
):
    contact = make_contact(owner)
    client = client_for(owner)
    form = client.get(
        reverse("web:contact_field_edit", args=[contact.pk, "cf.budget"]), **HTMX
    ).content.decode()
    assert 'name="cf.budget.amount"' in form and 'name="cf.budget.currency"' in form
    response = client.post(
        reverse("web:contact_field", args=[contact.pk, "cf.budget"]),
        {"cf.budget.amount": "250000", "cf.budget.currency": "inr", "version": contact.version},
        **HTMX,
    )
    assert response.status_code == 200
    assert "₹2,50,000.00" in response.content.decode()
    contact.refresh_from_db()
    assert contact.custom["budget"] == {"amount": "250000.00", "currency": "INR"}


def test_money_custom_field_inline_with_a_bad_currency_is_refused(owner, budget, client_for):
    contact = make_contact(owner)
    response = client_for(owner).post(
        reverse("web:contact_field", args=[contact.pk, "cf.budget"]),
        {"cf.budget.amount": "10", "cf.budget.currency": "XX", "version": contact.version},
        **HTMX,
    )
    assert response.status_code == 400
    assert 'data-testid="errors-cf.budget"' in response.content.decode()
    contact.refresh_from_db()
    assert "budget" not in contact.custom


def test_list_offers_a_custom_field_filter_and_applies_it(owner, tier, client_for):
    from sambandh.contacts.services import contact_create

    gold = contact_create(actor=owner, data={"first_name": "Gold", "custom": {"tier": "gold"}})
    make_contact(owner, first_name="Plain")
    client = client_for(owner)
    page = client.get(reverse("web:contact_list")).content.decode()
    assert 'data-testid="filter-cf.tier"' in page and '<option value="gold"' in page
    rows = client.get(reverse("web:contact_list"), {"cf.tier": "gold"}, **HTMX).content.decode()
    assert "Gold" in rows and "Plain" not in rows
    assert reverse("web:contact_detail", args=[gold.pk]) in rows


def test_a_sensitive_custom_field_is_not_offered_as_a_filter_to_a_sales_rep(owner, pan, client_for):
    page = client_for(owner).get(reverse("web:contact_list")).content.decode()
    assert "filter-cf.pan" not in page
    response = client_for(owner).get(reverse("web:contact_list"), {"cf.pan": "ABCDE1234F"})
    assert response.status_code == 200
    assert "ABCDE1234F" not in response.content.decode().split("<table", 1)[1]
