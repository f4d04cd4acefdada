"""Company pages: detail, inline edit, notes, money and number filters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from sambandh.contacts.models import Account, Note
from tests.factories import make_account
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db


def test_account_inline_edit_saves_the_industry(owner, client_for):
    account = make_account(owner, industry="Steel")
    response = client_for(owner).post(
        reverse("web:account_field", args=[account.pk, "industry"]),
        {"industry": "Mining", "version": account.version},
        **HTMX,
    )
    assert response.status_code == 200
    assert 'data-testid="value-industry">Mining</span>' in response.content.decode()
    account.refresh_from_db()
    assert account.industry == "Mining"


def test_account_note_is_added(owner, client_for):
    account = make_account(owner)
    response = client_for(owner).post(
        reverse("web:account_notes", args=[account.pk]), {"body": "Board meeting in May"}, **HTMX
    )
    assert response.status_code == 200
    assert Note.objects.get().account == account


def test_account_of_another_team_is_not_found(owner, outsider, client_for):
    account = make_account(owner)
    client = client_for(outsider)
    assert client.get(reverse("web:account_detail", args=[account.pk])).status_code == 404
    response = client.post(reverse("web:account_delete", args=[account.pk]))
    assert response.status_code == 404
    assert Account.objects.filter(pk=account.pk).exists()


def test_account_create_with_a_bad_domain_shows_the_error(owner, client_for):
    response = client_for(owner).post(
        reverse("web:account_create"), {"name": "Acme", "domain": "not a domain", "type": "other"}
    )
    assert response.status_code == 400
    assert "Enter a valid domain such as example.com." in response.content.decode()
    assert Account.objects.count() == 0


def test_money_and_number_filters_use_indian_grouping():
    template = Template("{% load sambandh %}{{ amount|money:'INR' }} {{ n|number }}")
    with translation.override("en"):
        text = template.render(Context({"amount": Decimal("1234567.5"), "n": 100000}))
    assert text == "₹12,34,567.50 1,00,000"


def test_money_filter_in_hindi():
    template = Template("{% load sambandh %}{{ amount|money:'INR' }}")
    with translation.override("hi"):
        text = template.render(Context({"amount": Decimal("100000")}))
    assert text == "₹1,00,000.00"
