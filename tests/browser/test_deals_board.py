"""The deals board in Debian's chromium over real HTTP: drag a deal to another stage and see
the column totals change, move one with the keyboard only, and lose one through the dialog
that asks for the reason."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sambandh.sales.models import Deal, Stage
from sambandh.sales.services.deals import deal_create, deal_move_stage
from tests.browser.conftest import to_docs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def column(page, label: str):
    return page.locator(f"[data-testid=column][data-stage='{label}']")


def card(page, name: str):
    return page.locator("[data-testid=deal-card]", has_text=name)


def settled(page) -> None:
    """Wait until htmx has settled the last redraw of the board."""
    expect(page.get_by_test_id("board")).not_to_have_class(re.compile(r"htmx-(added|settling)"))


def test_deals_move_across_the_board_and_the_totals_follow(page, screenshot, owner):
    stages = {s.label_en: s for s in Stage.objects.filter(pipeline__is_default=True)}
    deal_create(actor=owner, data={"name": "Alpha ERP", "amount": "1000"})
    deal_create(actor=owner, data={"name": "Beta CRM", "amount": "500"})
    deal_create(
        actor=owner,
        data={"name": "Gamma HR", "amount": "2000", "stage_id": stages["Proposal"].pk},
    )
    page.goto("/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("nav-deals").click()
    expect(page.get_by_test_id("board")).to_be_visible()
    total = "[data-testid=column-total]"
    expect(column(page, "Qualification").locator(total)).to_have_text("₹1,500.00")
    expect(column(page, "Proposal").locator(total)).to_have_text("₹2,000.00")
    screenshot("1-board")
    # Settle late, as on a loaded machine. Until a redraw settles, htmx has not wired up the
    # new board (a Move there is a plain form post that reloads the page), so the test waits
    # for it as a person would; the focus must still land on the right card.
    page.evaluate("htmx.config.defaultSettleDelay = 400")

    # Drag and drop with the mouse.
    card(page, "Alpha ERP").drag_to(column(page, "Proposal"))
    expect(column(page, "Proposal").locator(total)).to_have_text("₹3,000.00")
    expect(column(page, "Qualification").locator(total)).to_have_text("₹500.00")
    expect(column(page, "Proposal").locator("[data-testid=deal-card]")).to_have_count(2)
    assert Deal.objects.get(name="Alpha ERP").stage.label_en == "Proposal"
    settled(page)

    # The keyboard only: focus the card's "Move to" list, pick a stage, Tab to Move, Enter.
    select = card(page, "Beta CRM").get_by_test_id("card-move-select")
    select.focus()
    page.keyboard.type("Negotiation")
    expect(select).to_have_value(str(stages["Negotiation"].pk))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(column(page, "Negotiation").locator(total)).to_have_text("₹500.00")
    expect(column(page, "Qualification").locator(total)).to_have_text("₹0.00")
    # The focus comes back to the moved card's list, so the next move needs no mouse either.
    expect(card(page, "Beta CRM").get_by_test_id("card-move-select")).to_be_focused()
    assert Deal.objects.get(name="Beta CRM").stage.label_en == "Negotiation"

    # Losing a deal asks for the reason first.
    card(page, "Gamma HR").drag_to(column(page, "Lost"))
    dialog = page.get_by_test_id("board-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("move-errors")).to_contain_text("Say why the deal was lost.")
    assert Deal.objects.get(name="Gamma HR").stage.label_en == "Proposal"
    screenshot("2-lost-reason")
    dialog.get_by_test_id("lost-reason").fill("Chose a cheaper vendor")
    dialog.get_by_test_id("move-submit").click()
    expect(dialog).to_be_hidden()
    expect(column(page, "Lost").get_by_test_id("column-count")).to_have_text("1")
    expect(column(page, "Proposal").locator(total)).to_have_text("₹1,000.00")
    gamma = Deal.objects.get(name="Gamma HR")
    assert (gamma.stage.label_en, gamma.lost_reason) == ("Lost", "Chose a cheaper vendor")
    shot = screenshot("3-after-moves")
    to_docs(shot, "deals-board.png")


def test_deal_page_in_hindi_adds_a_line_and_shows_time_in_each_stage(page, screenshot, owner):
    owner.language = "hi"
    owner.save(update_fields=["language"])
    stages = {s.label_en: s for s in Stage.objects.filter(pipeline__is_default=True)}
    deal = deal_create(
        actor=owner,
        data={"name": "टैली लाइसेंस", "amount": "125000", "next_step": "डेमो भेजें"},
    )
    deal_move_stage(actor=owner, deal=deal, stage=stages["Proposal"], version=1)
    page.goto("/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()
    page.goto(f"/sales/deals/{deal.pk}/")
    expect(page.get_by_test_id("deal-name")).to_have_text("टैली लाइसेंस")
    expect(page.get_by_test_id("deal-stage")).to_have_text("प्रस्ताव")
    expect(page.get_by_test_id("stage-span")).to_have_count(2)
    form = page.get_by_test_id("add-line-form")
    form.locator("input[name=description]").fill("वार्षिक सहायता")
    form.locator("input[name=unit_price]").fill("25000")
    form.get_by_test_id("add-line").click()
    expect(page.get_by_test_id("line-item")).to_have_count(1)
    expect(page.get_by_test_id("line-item")).to_contain_text("वार्षिक सहायता")
    screenshot("deal-hi")
    page.goto("/sales/board/")
    expect(column(page, "Proposal").locator("[data-testid=column-total]")).to_have_text(
        "₹1,25,000.00"
    )
    screenshot("board-hi")
