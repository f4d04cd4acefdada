"""A contact's history names what the sales services wrote into it, in the reader's language."""

from __future__ import annotations

import pytest
from django.test import Client

from sambandh.sales.services.assignment import assignment_rule_create, lead_assign
from tests.factories import make_contact, make_user

pytestmark = pytest.mark.django_db


def test_an_assignment_shows_the_rule_by_name(admin, marketer, north) -> None:
    make_user("rep1", "Sales rep", [north])
    assignment_rule_create(
        actor=marketer,
        data={"name": "North in turn", "strategy": "round_robin", "team_id": north.pk},
    )
    contact = make_contact(admin, first_name="Meera")
    lead_assign(actor=None, contact=contact)
    client = Client()
    client.force_login(admin)
    page = client.get(f"/contacts/{contact.pk}/history/").content.decode()
    assert "Assigned by rule" in page
    assert "Assignment rule" in page
    assert "North in turn" in page
    assert "assigned_by_rule_id" not in page
    client.post("/language/", {"language": "hi"})
    page = client.get(f"/contacts/{contact.pk}/history/").content.decode()
    assert "assigned_by_rule_id" not in page
    assert "Assigned by rule" not in page  # shown in Hindi
