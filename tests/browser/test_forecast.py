"""The forecast page in Debian's chromium: the weighted pipeline against won revenue, as a
table and a chart, regrouped by team, then in Hindi."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sambandh.sales.models import Stage
from sambandh.sales.services.deals import deal_create, deal_move_stage
from tests.browser.conftest import to_docs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_forecast_shows_weighted_pipeline_against_won_revenue(page, screenshot, manager):
    stages = {s.label_en: s for s in Stage.objects.filter(pipeline__is_default=True)}
    soon = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    deal_create(
        actor=manager,
        data={"name": "Proposal deal", "amount": "100000", "currency": "INR",
              "stage_id": stages["Proposal"].pk, "expected_close_on": soon},
    )  # fmt: skip
    deal_create(
        actor=manager,
        data={"name": "Negotiation deal", "amount": "200000", "currency": "INR",
              "stage_id": stages["Negotiation"].pk, "expected_close_on": soon,
              "forecast_category": "commit"},
    )  # fmt: skip
    won = deal_create(
        actor=manager, data={"name": "Won deal", "amount": "40000", "currency": "INR"}
    )
    deal_move_stage(actor=manager, deal=won, stage=stages["Won"], version=won.version)

    page.goto("/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("nav-forecast").click()
    total = page.get_by_test_id("grand-total")
    # 50% of 1,00,000 plus 75% of 2,00,000 is forecast (the 75% is commit); 40,000 was won.
    # Amounts are grouped the Indian way (the organisation is in India).
    expect(total).to_contain_text("₹50,000.00 ₹0.00 ₹1,50,000.00 ₹2,00,000.00 ₹40,000.00")
    expect(page.get_by_test_id("forecast-chart").get_by_test_id("chart-bar").first).to_be_visible()

    page.get_by_label("Group by").select_option("team")
    page.get_by_test_id("forecast-apply").click()
    expect(page.get_by_test_id("group-row").first).to_be_visible()
    expect(total).to_contain_text("₹2,00,000.00")
    shot = screenshot("1-forecast")
    to_docs(shot, "forecast.png")

    page.get_by_role("button", name="हिन्दी").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("पूर्वानुमान")
    expect(page.get_by_test_id("grand-total")).to_contain_text("2,00,000.00")
