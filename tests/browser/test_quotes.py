"""The issue's quote flow in Debian's chromium over real HTTP: from a deal with line items,
create a quote, see its totals, download its PDF and read it back."""

from __future__ import annotations

import io

import pypdf
import pytest
from playwright.sync_api import expect

from sambandh.sales.models import Quote
from sambandh.sales.services.catalog import product_create
from tests.browser.conftest import to_docs
from tests.factories import make_account
from tests.sales.catalog_setup import make_deal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_quote_is_created_from_a_deal_and_downloaded_as_pdf(
    page, screenshot, owner, admin, tmp_path
):
    product = product_create(
        actor=admin,
        data={
            "sku": "CRM-PRO",
            "name_en": "CRM Pro licence",
            "name_hi": "सीआरएम प्रो लाइसेंस",
            "tax_rate": "18",
        },
    )
    deal = make_deal(
        owner,
        name="Bharat Traders rollout",
        account=make_account(owner, name="Bharat Traders"),
        line_items=[
            {"product_id": product.pk, "quantity": "10", "unit_price": "1200", "tax_rate": "18"},
            {
                "description": "Training day",
                "quantity": "2",
                "unit_price": "15000",
                "tax_rate": "18",
            },
        ],
    )

    page.goto("/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("nav-contacts")).to_be_visible()

    page.goto(f"/sales/deals/{deal.pk}/quotes/new/")
    expect(page.get_by_test_id("deal-lines")).to_contain_text("CRM-PRO")
    page.get_by_label("Overall discount (%)").fill("5")
    page.get_by_test_id("create-quote").click()

    quote = Quote.objects.get(deal=deal)
    expect(page.get_by_test_id("quote-number")).to_contain_text(quote.number)
    # 12,000 + 30,000 = 42,000; 5% off = 39,900; 18% GST = 7,182; total 47,082.
    expect(page.get_by_test_id("quote-total")).to_contain_text("47,082.00")
    expect(page.get_by_test_id("quote-lines")).to_contain_text("सीआरएम प्रो लाइसेंस")
    shot = screenshot("quote")
    to_docs(shot, "quote.png")

    with page.expect_download() as info:
        page.get_by_test_id("quote-pdf").click()
    download = info.value
    assert download.suggested_filename == f"{quote.number}-r1.pdf"
    target = tmp_path / "quote.pdf"
    download.save_as(str(target))
    reader = pypdf.PdfReader(io.BytesIO(target.read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert quote.number in text
    assert "47,082.00" in text
    assert "Bharat Traders" in text

    page.get_by_test_id("quote-send").click()
    expect(page.get_by_test_id("quote-status")).to_contain_text("Sent")
