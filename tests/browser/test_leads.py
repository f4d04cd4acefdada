"""The lead flow in Debian's chromium over real HTTP: a visitor submits the public web form;
the lead is assigned by a rule and scored; its owner qualifies it from the contact page and
sees the new deal. The last screenshot is kept as docs/screenshots/qualify-lead.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sambandh.contacts.models import Contact, LifecycleStage
from sambandh.sales.models import Deal
from sambandh.sales.services.assignment import assignment_rule_create
from sambandh.sales.services.leads import lead_form_create
from sambandh.sales.services.scoring import scoring_rule_create
from tests.browser.conftest import to_docs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_web_lead_is_captured_then_qualified_from_its_contact_page(
    page, screenshot, owner, marketer, north
):
    # Flushed databases keep only the test defaults' stages: add the one qualifying uses.
    LifecycleStage.objects.get_or_create(
        key="opportunity", defaults={"label_en": "Opportunity", "label_hi": "अवसर", "position": 9}
    )
    lead_form_create(
        actor=marketer,
        data={
            "name": "Diwali offer",
            "slug": "diwali",
            "source": "diwali",
            "fields": ["first_name", "last_name", "email", "job_title"],
            "thank_you_en": "Thank you, we will call you soon.",
        },
    )
    assignment_rule_create(
        actor=marketer,
        data={"name": "North in turn", "strategy": "round_robin", "team_id": north.pk},
    )
    scoring_rule_create(
        actor=marketer,
        data={
            "name": "Asked for an offer",
            "kind": "behaviour",
            "event": "form_submitted",
            "points": 15,
        },
    )

    # A visitor (not signed in) fills the public form.
    page.goto("/sales/forms/diwali/")
    form = page.get_by_test_id("lead-form")
    form.get_by_label("First name").fill("Meera")
    form.get_by_label("Last name").fill("Iyer")
    form.get_by_label("Email").fill("Meera.Iyer@Example.in")
    form.get_by_label("Job title").fill("Director")
    screenshot("1-public-form")
    page.get_by_test_id("lead-submit").click()
    expect(page.get_by_test_id("lead-thanks")).to_have_text("Thank you, we will call you soon.")
    contact = Contact.objects.get(email="meera.iyer@example.in")
    assert (contact.owner_id, contact.lead_score) == (owner.pk, 15)

    # Its new owner signs in, sees the score and qualifies the lead.
    page.goto("/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()
    page.goto(f"/contacts/{contact.pk}/")
    panel = page.get_by_test_id("lead-panel")
    expect(panel.get_by_test_id("lead-score")).to_have_text("15")
    expect(panel.get_by_test_id("lead-assigned-by")).to_have_text("North in turn")
    panel.get_by_test_id("qualify-lead").click()
    qualify = page.get_by_test_id("qualify-form")
    qualify.get_by_label("Or a new company named").fill("Iyer Textiles")
    qualify.get_by_label("Name", exact=True).fill("Diwali looms")
    qualify.get_by_label("Amount").fill("250000")
    qualify.get_by_label("Expected close date").fill("2026-12-15")
    screenshot("2-qualify-form")
    page.get_by_test_id("qualify-submit").click()

    expect(page).to_have_url(re.compile(rf"/contacts/{contact.pk}/$"))
    expect(page.locator("#alerts")).to_contain_text("Diwali looms")
    deal_link = page.get_by_test_id("lead-deal").get_by_role("link", name="Diwali looms")
    expect(deal_link).to_be_visible()
    expect(page.get_by_test_id("related-account")).to_contain_text("Iyer Textiles")
    path = screenshot("3-qualified")
    to_docs(path, "qualify-lead.png")

    deal = Deal.objects.get()
    contact.refresh_from_db()
    assert (
        deal.name,
        getattr(deal.account, "name", None),
        getattr(contact.lifecycle_stage, "key", None),
    ) == (
        "Diwali looms",
        "Iyer Textiles",
        "opportunity",
    )
    deal_link.click()
    expect(page).to_have_url(re.compile(rf"/sales/deals/{deal.pk}/$"))
